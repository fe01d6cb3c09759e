"""In a real browser: text typed on the captioner page appears on the participant page and the room screen."""

from __future__ import annotations

import pytest

from server.web import rooms
from server.web.keys import sio_key

from .conftest import DEMO

pytestmark = pytest.mark.browser

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_MS = 8000


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        yield b
        await b.close()


async def test_typed_captions_reach_participant_and_screen(server, http, browser):
    moderator = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={moderator}")) as r:
        assert r.status == 200
    token = await server.token("captioner", "morning")
    errors: list[str] = []
    pages = {}
    for name, path, size in [("participant", f"/m/{DEMO}/s/morning", (1280, 800)),
                             ("screen", f"/m/{DEMO}/s/morning/screen?lines=3", (1280, 720)),
                             ("overlay", f"/m/{DEMO}/s/morning/overlay?lines=2", (1280, 720)),
                             ("captioner", f"/m/{DEMO}/s/morning/caption?t={token}", (1280, 900))]:
        page = await browser.new_page(viewport={"width": size[0], "height": size[1]})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text
                else None)
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(server.url(path))
        pages[name] = page
    for name in ("participant", "screen", "overlay", "captioner"):
        await pages[name].wait_for_selector(".connection[data-status=online]", state="attached", timeout=WAIT_MS) \
            if name != "overlay" else None
    try:
        cap = pages["captioner"]
        box = cap.locator("[data-caption-input]")
        await box.click()
        await box.press_sequentially(">> ANRIETTE ESTERHUYSEN: Good morning <everyone> & welcom", delay=5)
        await box.press("Backspace")
        await box.press_sequentially("me to Baku", delay=5)
        await box.press("Enter")
        await box.press_sequentially("We now turn to the agenda", delay=5)
        line = "Good morning <everyone> & welcome to Baku"
        participant = pages["participant"]
        await participant.locator(".caption-line", has_text=line).wait_for(timeout=WAIT_MS)
        await participant.locator("[data-caption-tail]", has_text="We now turn to the agenda").wait_for(timeout=WAIT_MS)
        speaker = await participant.locator(".caption-line .speaker").first.text_content()
        assert speaker == "ANRIETTE ESTERHUYSEN:"
        await pages["screen"].locator(".caption-line", has_text=line).wait_for(timeout=WAIT_MS)
        await pages["overlay"].locator(".caption-line", has_text=line).wait_for(timeout=WAIT_MS)
        # The box keeps only the unfinished line; the finished one is in the captioner's recent list.
        assert await box.input_value() == "We now turn to the agenda"
        await cap.locator(".recent-line", has_text=line).wait_for(timeout=WAIT_MS)
        # Correct the finished line: every viewer sees it.
        await cap.locator(".recent-line button", has_text="Edit").first.click()
        await cap.locator(".correct-form input").fill("Good morning everyone and welcome to Baku")
        await cap.locator(".correct-form button[type=submit]").click()
        await participant.locator(".caption-line.corrected", has_text="Good morning everyone and welcome").wait_for(
            timeout=WAIT_MS)
        # Only finished lines are announced: the live region holds final lines, not the tail.
        live_region = participant.locator("[aria-live]").filter(has=participant.locator(".caption-line"))
        assert await live_region.count() == 1
        lines = await participant.locator("[aria-live] .caption-line").all_text_contents()
        assert "We now turn" not in (lines or [""])[-1]
        # Reader settings are remembered.
        await participant.select_option("[data-pref=theme]", "yellow")
        await participant.select_option("[data-pref=size]", "l")
        await participant.reload()
        assert await participant.locator("[data-captions]").get_attribute("data-theme") == "yellow"
        await participant.locator(".caption-line", has_text="welcome to Baku").wait_for(timeout=WAIT_MS)
    finally:
        for name, page in pages.items():
            await page.screenshot(path=f"/tmp/floorcast-captions-{name}.png")
    assert errors == []


async def test_a_partial_overtaken_on_the_way_is_not_shown(server, http, browser):
    """With several nodes, a partial one node sent may reach a viewer after a newer one another node sent; the
    page keeps the newer live line (partials carry the stream's stored revision)."""
    moderator = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={moderator}")) as r:
        assert r.status == 200
    token = await server.token("captioner", "morning")
    page = await browser.new_page()
    await page.goto(server.url(f"/m/{DEMO}/s/morning"))
    await page.wait_for_selector(".connection[data-status=online]", state="attached", timeout=WAIT_MS)
    tail = page.locator("[data-caption-tail]")
    async with http.post(server.url(f"/m/{DEMO}/s/morning/ingest/zoom?t={token}&seq=1"), data=b"The newer") as r:
        assert r.status == 200
    await tail.filter(has_text="The newer").wait_for(timeout=WAIT_MS)
    await page.evaluate("""() => {
        window.shownTails = [];
        new MutationObserver(() => window.shownTails.push(document.querySelector('[data-caption-tail]').textContent))
            .observe(document.querySelector('[data-caption-tail]'), {childList: true, subtree: true,
                                                                      characterData: true});
    }""")
    stale = {"session_id": "morning", "lang": "en", "text": "An older line", "last_seq": 0, "revision": 0,
             "captioner": None, "at_ms": None, "tails": [{"captioner": None, "text": "An older line", "first_ms": 0}]}
    await server.app[sio_key].emit("caption_partial", stale, room=rooms.captions(1, "morning", "en"), namespace="/live")
    async with http.post(server.url(f"/m/{DEMO}/s/morning/ingest/zoom?t={token}&seq=2"), data=b" line") as r:
        assert r.status == 200
    await tail.filter(has_text="The newer line").wait_for(timeout=WAIT_MS)
    assert not any("An older line" in shown for shown in await page.evaluate("window.shownTails"))
