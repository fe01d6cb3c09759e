"""Pages show only what applies now: a participant's floor and question forms only while the session is live, "on
the list of speakers" only while she waits, nothing "on screen" after the end, and the chair's status in words."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from ..conftest import DEMO, name_moderator
from ..test_questions import ALICE, BOB, call, register, start

pytestmark = pytest.mark.browser
WAIT_MS = 5000
S = f"/m/{DEMO}/s/morning"


async def test_the_participant_page_follows_the_session_and_her_turn(server, http, connect, browser):
    context = await browser.new_context(viewport={"width": 420, "height": 900})
    joined = await context.request.post(server.url(f"/api/meetings/{DEMO}/participants?t="
                                                   f"{await server.token('participant')}"), data=ALICE)
    assert joined.status == 201, await joined.text()
    page = await context.new_page()
    await page.goto(server.url(S))
    floor, questions = page.locator("#floor"), page.locator("#questions")
    ask_floor = floor.get_by_role("button", name="Request the floor")
    send = questions.get_by_role("button", name="Send question")

    # Before the start: no form that would only be refused, and a line that says when they come.
    await expect(floor.get_by_text("You can ask for the floor once the session has started.")).to_be_visible()
    await expect(questions.get_by_text("You can send questions once the session has started.")).to_be_visible()
    await expect(ask_floor).to_be_hidden()
    await expect(send).to_be_hidden()

    # The session starts: the forms appear without a reload.
    await start(server, http)
    await ask_floor.click(timeout=WAIT_MS)
    status = page.locator("#fl-status")
    await expect(status).to_have_text("You are on the list of speakers.", timeout=WAIT_MS)
    await questions.get_by_label("Your question", exact=True).fill("Who keeps the time for the hubs?")
    await send.click()
    await expect(page.locator("#q-status")).to_contain_text("moderator", timeout=WAIT_MS)

    chair = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"))
    asked = (await call(chair, "questions_list", {}, "/moderate"))["questions"][0]["id"]
    for event in ("question_publish", "question_screen"):
        assert (await call(chair, event, {"id": asked}, "/moderate"))["ok"]
    mine = page.locator("#q-mine .q-state")
    await expect(mine).to_have_text("On screen", timeout=WAIT_MS)
    screen = await (await browser.new_context()).new_page()
    await screen.goto(server.url(f"{S}/screen"))
    await expect(screen.locator("#q-screen")).to_be_visible(timeout=WAIT_MS)

    # She is given the floor: she is no longer "on the list".
    waiting = (await call(chair, "floor_state", {}, "/moderate"))["floor"]["queue"][0]["id"]
    assert (await call(chair, "floor_call", {"request_id": waiting}, "/moderate"))["ok"]
    await expect(floor.get_by_text("You have the floor.")).to_be_visible(timeout=WAIT_MS)
    await expect(status).not_to_contain_text("list of speakers")

    # The session ends: no floor, no forms, nothing on screen; the page says so.
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/end?t="
                                    f"{await server.token('moderator', 'morning')}")) as r:
        assert r.status == 200
    await expect(floor.get_by_text("This session has ended.")).to_be_visible(timeout=WAIT_MS)
    await expect(questions.get_by_text("This session has ended.")).to_be_visible()
    await expect(floor.get_by_text("You have the floor.")).to_be_hidden()
    await expect(ask_floor).to_be_hidden()
    await expect(send).to_be_hidden()
    await expect(mine).not_to_have_text("On screen")
    await expect(questions.get_by_role("button", name="Withdraw")).to_have_count(0)
    await expect(screen.locator("#q-screen")).to_be_hidden(timeout=WAIT_MS)

    # A reloaded page starts from the same state.
    await page.reload()
    await expect(floor.get_by_text("This session has ended.")).to_be_visible(timeout=WAIT_MS)
    await expect(ask_floor).to_be_hidden()
    await expect(mine).not_to_have_text("On screen", timeout=WAIT_MS)


async def test_the_chair_is_told_who_has_the_floor_and_refusals_name_no_ids(server, http, connect, browser):
    await start(server, http)
    bob = await connect("/live", session="morning", cookies=await register(server, BOB))
    assert (await call(bob, "floor_request", {}))["ok"]
    page = await (await browser.new_context(viewport={"width": 1280, "height": 1000})).new_page()
    await page.goto(server.url(f"{S}/moderate?t={await server.token('moderator', 'morning')}"))
    await name_moderator(page)
    panel = page.locator("#floor")
    await panel.locator("#flm-queue .fl-qname").filter(has_text="Bob Onsite").wait_for(timeout=WAIT_MS)
    await panel.get_by_role("button", name="Call next").click()
    await expect(page.locator("#flm-status")).to_have_text("Bob Onsite has the floor.", timeout=WAIT_MS)

    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/end?t="
                                    f"{await server.token('moderator', 'morning')}")) as r:
        assert r.status == 200
    refused = await call(bob, "floor_request", {})
    assert refused["error"] == {"code": "session_not_live", "message": "This session has ended."}
