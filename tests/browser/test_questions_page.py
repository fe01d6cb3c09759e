"""Moderated questions in a real browser: a remote participant asks, the moderator publishes and shows it, the
room screen displays it; and hostile text stays text on every page and export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from server.storage import meetings as meetings_db
from server.web.keys import db_key

from ..conftest import DEMO, name_moderator
from ..test_questions import start

pytestmark = pytest.mark.browser
WAIT_MS = 5000
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'
SHOTS = Path("/tmp")


async def participant_page(server: Any, browser: Any, **person: Any) -> Any:
    """A browser context registered as a remote participant, on the morning session's page."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    body = {"name": "Nnenna Nwakanma", "organisation": "Web Foundation", "country": "CI", "group": "civil",
            "mode": "remote", **person}
    token = await server.token("participant")
    reply = await context.request.post(server.url(f"/api/meetings/{DEMO}/participants?t={token}"), data=body)
    assert reply.status == 201, await reply.text()
    page = await context.new_page()
    await page.goto(server.url(f"/m/{DEMO}/s/morning"))
    return page


async def moderator_page(server: Any, browser: Any) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await context.new_page()
    await page.goto(server.url(f"/m/{DEMO}/s/morning/moderate?t={await server.token('moderator', 'morning')}"))
    await name_moderator(page)
    return page


async def screen_page(server: Any, browser: Any) -> Any:
    context = await browser.new_context(viewport={"width": 1600, "height": 900})
    page = await context.new_page()
    await page.goto(server.url(f"/m/{DEMO}/s/morning/screen"))
    return page


async def ask(page: Any, text: str, theme: str | None = None, show_name: bool = True) -> None:
    await page.get_by_label("Your question", exact=True).fill(text)
    if theme:
        await page.get_by_label("Theme of your question").select_option(theme)
    if not show_name:
        await page.get_by_label("Show my name with my question").uncheck()
    await page.get_by_role("button", name="Send question").click()
    await page.get_by_role("status").filter(has_text="A moderator will review").wait_for(timeout=WAIT_MS)


async def test_ask_publish_show_on_screen(server, http, browser):
    await start(server, http)
    participant = await participant_page(server, browser)
    moderator = await moderator_page(server, browser)
    screen = await screen_page(server, browser)
    viewer = await (await browser.new_context()).new_page()
    await viewer.goto(server.url(f"/m/{DEMO}/s/morning"))
    assert "Register with the join link the organisers sent you" in await viewer.locator("#questions").inner_text()

    await ask(participant, "How can remote hubs take the floor as easily as people in the room?", theme="Priorities")
    mine = participant.locator("#q-mine .q-item")
    await mine.filter(has_text="Waiting for moderation").wait_for(timeout=WAIT_MS)

    pending = moderator.locator("#qm-pending .q-item")
    await pending.filter(has_text="How can remote hubs").wait_for(timeout=WAIT_MS)
    assert "Nnenna Nwakanma · Web Foundation · Côte d’Ivoire · Civil society · Remote" in await pending.inner_text()
    await moderator.screenshot(path=str(SHOTS / "questions-moderator-pending.png"), full_page=True)
    # Keyboard only: focus the labelled button and press Enter.
    await moderator.get_by_role("button", name="Publish question 1").focus()
    await moderator.keyboard.press("Enter")
    await moderator.locator("#qm-public .q-item").filter(has_text="How can remote hubs").wait_for(timeout=WAIT_MS)
    await mine.filter(has_text="Published").wait_for(timeout=WAIT_MS)
    await viewer.locator("#q-public .q-item").filter(has_text="How can remote hubs").wait_for(timeout=WAIT_MS)
    assert await screen.locator("#q-screen").is_hidden()

    await moderator.get_by_role("button", name="Put question 1 on the room screen").click()
    await mine.filter(has_text="On screen").wait_for(timeout=WAIT_MS)
    shown = screen.locator("#q-screen-text")
    await shown.filter(has_text="How can remote hubs").wait_for(timeout=WAIT_MS)
    assert await screen.locator("#q-screen-author").inner_text() == "Nnenna Nwakanma (Web Foundation, Côte d’Ivoire)"
    await participant.get_by_role("button", name="Vote for: How can remote hubs").click()
    await participant.get_by_role("button", name="Take back your vote for: How can remote hubs").wait_for(
        timeout=WAIT_MS)
    await moderator.locator("#qm-public .q-votes").filter(has_text="▲ 1").wait_for(timeout=WAIT_MS)
    await participant.screenshot(path=str(SHOTS / "questions-participant.png"), full_page=True)
    await screen.screenshot(path=str(SHOTS / "questions-screen.png"))
    await viewer.screenshot(path=str(SHOTS / "questions-viewer.png"), full_page=True)

    await moderator.get_by_role("button", name="Mark question 1 answered").click()
    await mine.filter(has_text="Answered").wait_for(timeout=WAIT_MS)
    await screen.locator("#q-screen").wait_for(state="hidden", timeout=WAIT_MS)
    counts = participant.locator("#questions [data-q-counts]")
    await counts.filter(has_text="1 received · 0 published · 1 answered").wait_for(timeout=WAIT_MS)
    # The captions and questions panels share the page's one /live connection: one attendance interval.
    rows = await meetings_db.connections(server.app[db_key], 1, "morning")
    assert len(rows) == 1


async def test_dismissal_reason_reaches_the_author_and_errors_are_shown(server, http, browser):
    await start(server, http)
    participant = await participant_page(server, browser)
    moderator = await moderator_page(server, browser)
    await participant.get_by_label("Your question", exact=True).fill("x" * 501)
    await participant.get_by_role("button", name="Send question").click()
    await participant.get_by_role("status").filter(has_text="longer than 500 characters").wait_for(timeout=WAIT_MS)
    assert await participant.get_by_label("Your question", exact=True).get_attribute("aria-invalid") == "true"
    await ask(participant, "Is this on the agenda at all?", show_name=False)
    await moderator.locator("#qm-pending .q-item").filter(has_text="agenda at all").wait_for(timeout=WAIT_MS)
    await moderator.get_by_role("group").filter(has_text="More actions").first.wait_for(timeout=WAIT_MS)
    await moderator.get_by_text("More actions").first.click()
    await moderator.get_by_label("Reason").select_option("off_topic")
    await moderator.get_by_label("Note to the author (optional)").fill("Please raise it under item 3.")
    await moderator.screenshot(path=str(SHOTS / "questions-moderator-dismiss.png"), full_page=True)
    await moderator.get_by_role("button", name="Dismiss question 1").click()
    reason = participant.locator("#q-mine .q-reason")
    await reason.wait_for(timeout=WAIT_MS)
    assert await reason.inner_text() == "Not published: Off topic. Please raise it under item 3."
    await moderator.locator("#qm-audit summary").click()
    await moderator.locator("#qm-audit-rows tr").nth(1).wait_for(timeout=WAIT_MS)
    assert "dismissed" in await moderator.locator("#qm-audit-rows tr").first.inner_text()
    await moderator.screenshot(path=str(SHOTS / "questions-moderator-audit.png"), full_page=True)


async def test_html_in_questions_and_names_stays_text_everywhere(server, http, browser, tmp_path):
    await start(server, http)
    participant = await participant_page(server, browser, name=XSS, organisation=XSS)
    moderator = await moderator_page(server, browser)
    screen = await screen_page(server, browser)
    viewer = await (await browser.new_context()).new_page()
    await viewer.goto(server.url(f"/m/{DEMO}/s/morning"))
    await ask(participant, XSS)
    await participant.locator("#q-mine .q-text").filter(has_text=XSS).wait_for(timeout=WAIT_MS)
    await moderator.locator("#qm-pending .q-text").filter(has_text=XSS).wait_for(timeout=WAIT_MS)
    assert XSS in await moderator.locator("#qm-pending .q-meta").first.inner_text()  # the name, as text
    await moderator.get_by_role("button", name="Publish question 1").click()
    await moderator.get_by_role("button", name="Put question 1 on the room screen").click()
    await screen.locator("#q-screen-text").filter(has_text=XSS).wait_for(timeout=WAIT_MS)
    assert await screen.locator("#q-screen-author").inner_text() == f"{XSS} ({XSS}, Côte d’Ivoire)"
    await viewer.locator("#q-public .q-text").filter(has_text=XSS).wait_for(timeout=WAIT_MS)
    await moderator.locator("#qm-audit summary").click()
    await moderator.locator("#qm-audit-rows td").filter(has_text=XSS).first.wait_for(timeout=WAIT_MS)
    for page in (participant, moderator, screen, viewer):
        assert await page.evaluate("typeof window.__xss") == "undefined"
        assert await page.locator("main img, main script:not([src])").count() == 0
    await screen.screenshot(path=str(SHOTS / "questions-screen-xss.png"))
    # Exports: JSON shown by the browser as text; the CSV is a download that keeps the text as it was typed.
    token = await server.token("rapporteur", "morning")
    export = await (await browser.new_context()).new_page()
    reply = await export.request.get(server.url(f"/m/{DEMO}/s/morning/questions.json?t={token}"))
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.headers["x-content-type-options"] == "nosniff"
    record = json.loads(await reply.text())["questions"][0]
    assert (record["text"], record["author"]["name"]) == (XSS, XSS)
    await export.set_content("<pre id=out></pre>")
    await export.evaluate("t => { document.getElementById('out').textContent = t }", await reply.text())
    assert await export.evaluate("typeof window.__xss") == "undefined"
    async with export.expect_download(timeout=WAIT_MS) as info:
        await export.evaluate("url => { const a = document.createElement('a'); a.href = url; a.click(); }",
                              server.url(f"/m/{DEMO}/s/morning/questions.csv?t={token}"))
    download = await info.value
    [row] = list(csv.DictReader(io.StringIO(Path(await download.path()).read_text(encoding="utf-8-sig"))))
    assert (row["text"], row["author_name"], row["author_organisation"]) == (XSS, XSS, XSS)  # '<' is no formula
