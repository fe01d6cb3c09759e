"""The rapporteur corrects a segment in the browser: a new version, its word diff, the raw text kept."""

from __future__ import annotations

import pytest

from ..conftest import DEMO
from ..test_rapporteur import Replay

WAIT_MS = 5000
S = f"/m/{DEMO}/s/morning"


@pytest.fixture
async def replay(server, http, connect) -> Replay:
    return await Replay().run(server, http, connect)


async def test_edit_a_segment_on_the_rapporteur_page(replay, server, http, browser):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(server.url(f"{S}/rapporteur?t={replay.rapporteur}"))
    await page.locator("#fig-h").locator("xpath=..").screenshot(path="/tmp/rapporteur-figures.png")
    await page.screenshot(path="/tmp/rapporteur-page.png", full_page=True)
    save = page.locator("#edit-save")
    assert await save.is_disabled()
    row = page.locator('.rp-seg[data-seq="2"]')
    await row.locator(".rp-text").fill("The mandate from Tunis asks us to find a way forward together")
    await row.locator(".rp-speaker").fill("BENEDICTO FONSECA")
    await page.locator("#edit-changed").filter(has_text="1 segment changed").wait_for(timeout=WAIT_MS)
    await page.locator("#edit-author").fill("Ann Rapporteur")
    await save.click()
    await page.locator("#edit-status").filter(has_text="Saved as version 1.").wait_for(timeout=WAIT_MS)
    diff = page.locator("#diff .rp-diff[data-to='1']")
    await diff.wait_for(timeout=WAIT_MS)
    assert await diff.locator("ins").all_inner_texts() == ["BENEDICTO FONSECA", " together"]
    assert "Version 1" in await page.locator("#versions li").first.inner_text()
    assert await save.is_disabled() and await save.inner_text() == "Save as version 2"
    await page.locator("#ed-h").scroll_into_view_if_needed()
    await page.locator("#editor").screenshot(path="/tmp/rapporteur-editor.png")
    await page.locator("#ver-h").locator("xpath=..").screenshot(path="/tmp/rapporteur-versions.png")
    # The raw captions are unchanged; the edited download has the correction.
    async with http.get(server.url(f"{S}/transcript.txt"), params={"t": replay.rapporteur, "version": "raw"}) as r:
        raw = await r.text()
    async with http.get(server.url(f"{S}/transcript.txt"), params={"t": replay.rapporteur, "version": "1"}) as r:
        edited = await r.text()
    assert "together" not in raw and "find a way forward together" in edited
    # Search from the page, then follow the hit to its segment in the HTML transcript.
    await page.locator("#q").fill('"way forward together"')
    await page.locator(".rp-search button").click()
    hit = page.locator("#search-results li a").first
    await hit.wait_for(timeout=WAIT_MS)
    await page.locator("#search-h").locator("xpath=..").screenshot(path="/tmp/rapporteur-search.png")
    await hit.click()
    await page.wait_for_url("**/transcript.html?*#seg-2", timeout=WAIT_MS)
    assert "together" in await page.locator("#seg-2").inner_text()
    assert errors == []
    await context.close()
