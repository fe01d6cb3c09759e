"""Every page at phone, laptop and wall sizes: nothing scrolls sideways, and the room screen is a fixed canvas whose
newest caption line stays in view under the speaker card, the next speakers and the question on screen."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from server.clock import now_ms
from server.loading import demo_meeting_text, load_meeting_text
from server.web.keys import db_key, link_key_key

from ..conftest import DEMO, name_moderator
from ..test_questions import ALICE, BOB, call, register, start

pytestmark = pytest.mark.browser
WAIT_MS = 5000
SIZES = [(320, 640), (375, 740), (1280, 800), (1920, 1080)]
SCREENS = [(1024, 768), (1280, 720), (1280, 800), (1920, 1080), (3840, 2160)]
#: Long lines in the scripts people caption in: each wraps over several lines of the room screen.
LONG = {
    "en": "The working group recommends that every stakeholder group be heard before the chair closes the list, "
          "and that remote participants from hubs in every region be given the same speaking time as the room.",
    "ar": "يوصي الفريق العامل بأن يستمع الرئيس إلى كل مجموعة من أصحاب المصلحة قبل إغلاق القائمة، وأن يمنح المشاركون "
          "عن بعد من المراكز في كل منطقة الوقت نفسه للكلام الذي يمنح للحاضرين في القاعة.",
    "zh": "工作组建议主席在结束发言名单之前听取每个利益相关方群体的意见，"
          "并给予各地区远程中心的与会者与会场内相同的发言时间。"
          "这一点对于来自发展中国家的参与者尤为重要，因为他们往往只能远程参加会议。",
    "ru": "Рабочая группа рекомендует председателю выслушать каждую группу заинтересованных сторон до закрытия "
          "списка, а удалённым участникам из центров во всех регионах предоставить столько же времени для выступлений.",  # noqa: RUF001
}


async def overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    await page.wait_for_load_state("networkidle")
    return int(await page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("width,height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_no_page_scrolls_sideways(server, http, browser, width, height):
    await start(server, http)
    moderator = await server.token("moderator", "morning")
    pages = {
        "meetings": "/",
        "meeting home": f"/m/{DEMO}",
        "join": f"/m/{DEMO}/join?t={await server.token('participant')}",
        "admin": f"/m/{DEMO}/admin?t={await server.token('admin')}",
        "session": f"/m/{DEMO}/s/morning",
        "room screen": f"/m/{DEMO}/s/morning/screen",
        "low bandwidth": f"/m/{DEMO}/s/morning/text",
        "queue": f"/m/{DEMO}/s/morning/queue",
        "moderator": f"/m/{DEMO}/s/morning/moderate?t={moderator}",
        "captioner": f"/m/{DEMO}/s/morning/caption?t={await server.token('captioner', 'morning')}",
        "rapporteur": f"/m/{DEMO}/s/morning/rapporteur?t={await server.token('rapporteur', 'morning')}",
        "error": f"/m/{DEMO}/admin?t=wrong",
    }
    context = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    wide = {}
    for name, path in pages.items():
        await page.goto(server.url(path))
        if (extra := await overflow(page)) > 0:
            wide[name] = extra
    # The join form's Register button and a registered participant's floor form fit the phone.
    await page.goto(server.url(pages["join"]))
    box = await page.get_by_role("button", name="Register").bounding_box()
    if box is None or box["x"] < 0 or box["x"] + box["width"] > width:
        wide["join: Register button"] = box
    join = server.url(f"/api/meetings/{DEMO}/participants?t={await server.token('participant')}")
    reply = await context.request.post(join, data=ALICE)
    assert reply.status == 201, await reply.text()
    await page.goto(server.url(f"/m/{DEMO}/s/morning"))
    if (extra := await overflow(page)) > 0:
        wide["session, registered"] = extra
    for control in await page.locator("#floor select, #floor button, #questions select").all():
        if await control.is_visible():
            box = await control.bounding_box()
            if box is None or box["x"] < 0 or box["x"] + box["width"] > width:
                wide[await control.evaluate("e => e.outerHTML.slice(0, 80)")] = box
    assert not wide, f"pages wider than {width} px: {wide}"


async def speaker_and_question(server: Any, http: Any, connect: Any) -> Any:
    """A live session captioned in four scripts where Bob holds the floor, Alice waits for it and Alice's question is
    on screen."""
    text = demo_meeting_text().replace('languages = ["en", "fr"]', 'languages = ["en", "fr", "ar", "zh", "ru"]')
    assert text != demo_meeting_text()
    await load_meeting_text(server.app[db_key], server.app[link_key_key], text, now_ms())
    await start(server, http)
    chair = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"))
    alice = await connect("/live", session="morning", cookies=await register(server, ALICE))
    bob = await connect("/live", session="morning", cookies=await register(server, BOB))
    asked = await call(alice, "question_submit", {"text": "How will the hubs in every region be heard before the "
                                                           "list closes, and who keeps the time for them?"})
    assert asked["ok"], asked
    for event in ("question_publish", "question_screen"):
        assert (await call(chair, event, {"id": asked["id"]}, "/moderate"))["ok"]
    bob_asks = await call(bob, "floor_request", {})
    assert bob_asks["ok"] and (await call(alice, "floor_request", {}))["ok"]
    assert (await call(chair, "floor_call", {"request_id": bob_asks["request_id"]}, "/moderate"))["ok"]
    return chair


async def caption(server: Any, connect: Any, lang: str, count: int) -> None:
    """``count`` long caption lines in ``lang``, numbered so the last one can be found."""
    captioner = await connect("/caption", session="morning", t=await server.token("captioner", "morning"))
    for n in range(1, count + 1):
        reply = await captioner.call("caption_append", {"lang": lang, "text": f"{n}. {LONG[lang]}\n"},
                                     namespace="/caption", timeout=5)
        assert reply["ok"], reply


@pytest.mark.parametrize("width,height", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
async def test_room_screen_keeps_the_newest_line_in_view(server, http, connect, browser, width, height):
    await speaker_and_question(server, http, connect)
    page = await (await browser.new_context(viewport={"width": width, "height": height})).new_page()
    for lang in LONG:
        await page.goto(server.url(f"/m/{DEMO}/s/morning/screen?lang={lang}"))
        await page.locator("#q-screen-text").filter(has_text="hubs in every region").wait_for(timeout=WAIT_MS)
        await page.locator("[data-floor-card] .fl-name").filter(has_text="Bob Onsite").wait_for(timeout=WAIT_MS)
        await caption(server, connect, lang, 50)
        last = page.locator(".caption-line").filter(has_text="50. ").last
        await last.wait_for(timeout=WAIT_MS)
        boxes = await page.evaluate("""() => {
            const box = e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom,
                left: r.left, right: r.right}; };
            const lines = document.querySelectorAll('.caption-line');
            return {last: box(lines[lines.length - 1]), question: box(document.querySelector('#q-screen')),
                    speaker: box(document.querySelector('.fl-screen')),
                    page: [document.documentElement.scrollWidth, document.documentElement.scrollHeight,
                           innerWidth, innerHeight]};
        }""")
        last_box, (page_w, page_h, inner_w, inner_h) = boxes["last"], boxes["page"]
        assert page_w <= inner_w and page_h <= inner_h, (lang, boxes)
        assert last_box["top"] >= 0 and last_box["bottom"] <= inner_h, (lang, boxes)
        assert last_box["left"] >= 0 and last_box["right"] <= inner_w, (lang, boxes)
        assert boxes["question"]["bottom"] <= inner_h and boxes["question"]["top"] >= 0, (lang, boxes)
        for other in ("question", "speaker"):   # nothing covers the live line
            o = boxes[other]
            assert o["bottom"] <= last_box["top"] or o["top"] >= last_box["bottom"], (lang, other, boxes)


async def test_the_chair_chooses_what_the_room_screen_shows(server, http, connect, browser):
    chair_socket = await speaker_and_question(server, http, connect)
    screen = await (await browser.new_context(viewport={"width": 1280, "height": 720})).new_page()
    await screen.goto(server.url(f"/m/{DEMO}/s/morning/screen"))
    speaker, question = screen.locator(".fl-screen"), screen.locator("#q-screen")
    await expect(speaker).to_be_visible(timeout=WAIT_MS)
    await expect(question).to_be_visible(timeout=WAIT_MS)
    chair = await (await browser.new_context(viewport={"width": 1280, "height": 1000})).new_page()
    await chair.goto(server.url(f"/m/{DEMO}/s/morning/moderate?t={await server.token('moderator', 'morning')}"))
    await name_moderator(chair)
    choice = chair.get_by_role("group", name="The room screen shows")
    await expect(choice.get_by_label("The captions, the speaker and the question on screen")).to_be_checked()

    await choice.get_by_label("The captions only").check()
    await expect(chair.locator("[data-screen-status]")).to_have_text("The room screen was updated.", timeout=WAIT_MS)
    await expect(speaker).to_be_hidden(timeout=WAIT_MS)
    await expect(question).to_be_hidden()
    await screen.reload()                                   # stored: a reloaded screen keeps it
    await screen.locator(".screen-captions").wait_for(timeout=WAIT_MS)
    await expect(speaker).to_be_hidden()
    await expect(question).to_be_hidden()

    await choice.get_by_label("The captions and the speaker").check()
    await expect(speaker).to_be_visible(timeout=WAIT_MS)
    await expect(question).to_be_hidden()
    await caption(server, connect, "en", 30)
    last = screen.locator(".caption-line").filter(has_text="30. ").last
    await last.wait_for(timeout=WAIT_MS)
    box = await last.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 720, box
    await chair.reload()
    await expect(chair.get_by_label("The captions and the speaker")).to_be_checked(timeout=WAIT_MS)
    viewer = await connect("/live", session="morning")   # what a screen asks after a reconnection
    assert await call(viewer, "screen_state", {}) == {"ok": True, "shows": "speaker"}

    refused = await call(chair_socket, "screen_layout", {"shows": "<b>everything</b>"}, "/moderate")
    assert refused["ok"] is False and refused["error"]["code"] == "invalid_format"
    participant = await connect("/live", session="morning", cookies=await register(server, {**BOB, "name": "Eve"}))
    assert (await call(participant, "screen_layout", {"shows": "captions"}))["ok"] is False
