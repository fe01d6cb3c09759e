"""Caption pages in a real browser: speaker labels where a turn starts (participant page and the page without
JavaScript), one live line per captioner writing at once, and the captioner page's window mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.settings import Settings

from ..conftest import DEMO

pytestmark = pytest.mark.browser
WAIT_MS = 5000
S = f"/m/{DEMO}/s/morning"
INGEST = f"{S}/ingest"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """As the shared fixture, but live lines are never finalised for being idle while a test looks at them."""
    return Settings(data_dir=tmp_path / "data", port=0, log_json=False, caption_idle_flush_ms=600_000)


async def start_session(server: Any, http: Any) -> str:
    """Start the morning session; returns the session captioner's token."""
    moderator = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={moderator}")) as r:
        assert r.status == 200
    return await server.token("captioner", "morning")


async def push(server: Any, http: Any, query: str, body: str) -> None:
    async with http.post(server.url(f"{INGEST}/streamtext?{query}"), data=body.encode()) as r:
        assert r.status == 200, await r.text()


async def stored_texts(server: Any, http: Any) -> list[str]:
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/morning/captions?lang=en&limit=5000")) as r:
        return [s["text"] for s in (await r.json())["segments"]]


async def open_page(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(url)
    return page, errors


async def test_a_turn_shows_its_speaker_once_on_the_participant_and_text_pages(server, http, browser):
    token = await start_session(server, http)
    name = "ANRIETTE <b>ESTERHUYSEN</b>"
    # The turn starts before the page opens (backlog) and continues while it is open (live segments).
    await push(server, http, f"t={token}", f">> {name}: Welcome to the session.\nWe begin now.\n")
    page, errors = await open_page(browser, server.url(S))
    await page.wait_for_selector(".connection[data-status=online]", state="attached", timeout=WAIT_MS)
    panel = page.locator("[data-captions]")
    await panel.locator(".caption-line", has_text="We begin now.").wait_for(timeout=WAIT_MS)
    await push(server, http, f"t={token}", "The agenda is adopted.\n>> Thank you, Chair.\n")
    await panel.locator(".caption-line", has_text="Thank you, Chair.").wait_for(timeout=WAIT_MS)
    lines = panel.locator(".caption-line")
    assert await lines.all_inner_texts() == [f"{name}: Welcome to the session.", "We begin now.",
                                             "The agenda is adopted.", "» Thank you, Chair."]
    # The label is bold text at the start of the turn, once; continuation lines carry none.
    first = lines.nth(0).locator(".speaker")
    assert await first.text_content() == f"{name}:"
    assert int(await first.evaluate("e => Number(getComputedStyle(e).fontWeight)")) >= 700
    assert await panel.locator(".speaker", has_text=name).count() == 1
    for n in (1, 2):
        assert await lines.nth(n).locator(".speaker").count() == 0
    assert await lines.nth(3).evaluate("e => e.classList.contains('turn')")
    assert await panel.locator("b").count() == 0  # the name stayed text
    assert not errors

    text_page, _ = await open_page(browser, server.url(f"{S}/text?lang=en&pause=1"))
    paragraphs = await text_page.locator("#c p").all_inner_texts()
    assert paragraphs == [f"{name}: Welcome to the session.", "We begin now.", "The agenda is adopted.",
                          "» Thank you, Chair."]
    assert await text_page.locator("#c p b").all_inner_texts() == [f"{name}:", "»"]


async def test_captioners_writing_at_once_each_have_a_live_line(server, http, browser):
    token = await start_session(server, http)
    colleague = await server.token("captioner")
    page, errors = await open_page(browser, server.url(S))
    await page.wait_for_selector(".connection[data-status=online]", state="attached", timeout=WAIT_MS)
    await push(server, http, f"t={token}", "Alpha is typing")
    await push(server, http, f"t={colleague}", "Beta is typing")
    tail = page.locator("[data-caption-tail]")
    await tail.locator(".caption-tail-line", has_text="Beta is typing").wait_for(timeout=WAIT_MS)
    assert await tail.locator(".caption-tail-line").all_inner_texts() == ["Alpha is typing", "Beta is typing"]
    # A late viewer gets the same lines from the backlog.
    late, late_errors = await open_page(browser, server.url(S))
    late_tail = late.locator("[data-caption-tail]")
    await late_tail.locator(".caption-tail-line", has_text="Beta is typing").wait_for(timeout=WAIT_MS)
    assert await late_tail.locator(".caption-tail-line").all_inner_texts() == ["Alpha is typing", "Beta is typing"]
    # An overlay asked for one line shows the newest writer's.
    overlay, overlay_errors = await open_page(browser, server.url(f"{S}/overlay?lines=1"))
    await overlay.locator(".caption-tail-line", has_text="Beta is typing").wait_for(timeout=WAIT_MS)
    assert await overlay.locator(".caption-tail-line").all_inner_texts() == ["Beta is typing"]
    assert not overlay_errors
    # One captioner finishes the line: only the other's stays live.
    await push(server, http, f"t={token}", "\n")
    await page.locator(".caption-line", has_text="Alpha is typing").wait_for(timeout=WAIT_MS)
    await page.wait_for_function("() => document.querySelectorAll('[data-caption-tail] .caption-tail-line').length"
                                 " === 1", timeout=WAIT_MS)
    assert await tail.locator(".caption-tail-line").all_inner_texts() == ["Beta is typing"]
    assert not errors and not late_errors


async def test_window_mode_on_the_captioner_page(server, http, browser):
    token = await start_session(server, http)
    page, errors = await open_page(browser, server.url(f"{S}/caption?t={token}"))
    await page.wait_for_selector(".connection[data-status=online]", state="attached", timeout=WAIT_MS)
    box = page.get_by_label("My CAT program re-sends its last lines (window mode)")
    urls = {kind: page.locator(f"[data-ingest={kind}]") for kind in ("zoom", "youtube", "streamtext", "bridge")}
    before = {kind: await field.input_value() for kind, field in urls.items()}
    assert not await box.is_checked()
    assert all("window" not in value for value in before.values())
    await box.check()
    for kind in ("zoom", "youtube", "streamtext"):
        assert await urls[kind].input_value() == before[kind] + "&window=1"
    assert await urls["bridge"].input_value() == before["bridge"] + " --window"
    assert await page.locator(f"input[value$='/zoom/seq?t={token}']").count() == 1  # the seq URL is unchanged

    # The choice is remembered.
    await page.reload()
    await page.wait_for_selector(".connection[data-status=online]", state="attached", timeout=WAIT_MS)
    assert await box.is_checked()
    assert await urls["zoom"].input_value() == before["zoom"] + "&window=1"

    # A program re-sending its window: the line sent again is stored once.
    text = page.locator("[data-caption-input]")
    await text.fill("Window one.\n")
    await page.locator(".recent-line", has_text="Window one.").wait_for(timeout=WAIT_MS)
    await page.wait_for_function("() => document.querySelector('[data-caption-input]').value === ''",
                                 timeout=WAIT_MS)
    await text.fill("Window one.\nWindow two.\n")
    await page.locator(".recent-line", has_text="Window two.").wait_for(timeout=WAIT_MS)
    assert await stored_texts(server, http) == ["Window one.", "Window two."]

    await box.uncheck()
    assert await urls["zoom"].input_value() == before["zoom"]
    assert await urls["bridge"].input_value() == before["bridge"]
    assert not errors
