"""The floor in a real browser: a remote and a room participant ask from their phones, the chair adds a hand raised
in the room from the keyboard and calls speakers under "alternate room and remote"; the room screen, the public
queue page and the captioner page show the speaker and the running timer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..conftest import DEMO, name_moderator
from ..test_questions import start

pytestmark = pytest.mark.browser
WAIT_MS = 5000
SHOTS = Path("/tmp")
XSS = '<img src=x onerror="window.__xss=1">'


async def registered_page(server: Any, browser: Any, viewport: dict[str, int], **person: Any) -> Any:
    """A browser context registered as a participant, on the morning session's page."""
    context = await browser.new_context(viewport=viewport)
    token = await server.token("participant")
    reply = await context.request.post(server.url(f"/api/meetings/{DEMO}/participants?t={token}"), data=person)
    assert reply.status == 201, await reply.text()
    page = await context.new_page()
    await page.goto(server.url(f"/m/{DEMO}/s/morning"))
    return page


async def open_page(browser: Any, url: str, width: int = 1280, height: int = 900) -> Any:
    page = await (await browser.new_context(viewport={"width": width, "height": height})).new_page()
    await page.goto(url)
    return page


async def request_floor(page: Any, language: str | None = None) -> None:
    panel = page.locator("#floor")
    if language:
        await panel.get_by_label("I will speak in").select_option(language)
    await panel.get_by_role("button", name="Request the floor").click()
    await panel.get_by_role("status").filter(has_text="You are on the list of speakers").wait_for(timeout=WAIT_MS)


async def queue_names(page: Any, selector: str) -> list[str]:
    return [name.strip() for name in await page.locator(f"{selector} .fl-qname").all_inner_texts()]


async def test_alternate_room_and_remote_with_screen_and_timer(server, http, browser):
    await start(server, http)
    remote = await registered_page(server, browser, {"width": 420, "height": 860}, name="Nnenna Nwakanma",
                                   organisation="Web Foundation", country="CI", group="civil", mode="remote")
    room = await registered_page(server, browser, {"width": 420, "height": 860}, name="Bertrand de La Chapelle",
                                 organisation=XSS, country="FR", group="government", mode="onsite")
    chair = await open_page(browser, server.url(
        f"/m/{DEMO}/s/morning/moderate?t={await server.token('moderator', 'morning')}"), 1280, 1100)
    await name_moderator(chair)
    screen = await open_page(browser, server.url(f"/m/{DEMO}/s/morning/screen"), 1600, 900)
    panel = chair.locator("#floor")
    await panel.locator("#flm-policy option").first.wait_for(state="attached", timeout=WAIT_MS)

    await panel.get_by_label("Order of speakers").select_option("alternate")
    await panel.get_by_text("Order: Alternate room and remote").wait_for(timeout=WAIT_MS)
    await panel.get_by_label("Speaking time (minutes, 0 for none)").fill("3")
    await panel.get_by_label("Speaking time (minutes, 0 for none)").press("Tab")
    await panel.get_by_role("status").filter(has_text="Speaking time: 3:00").wait_for(timeout=WAIT_MS)

    # A hand raised in the room: "+" focuses the name, Enter adds it (onsite, group kept from the form).
    await panel.get_by_label("Stakeholder group").select_option("government")
    await chair.locator("body").click(position={"x": 5, "y": 5})
    await chair.keyboard.press("+")
    assert await chair.evaluate("document.activeElement.id") == "flm-name"
    await chair.keyboard.type("Delegate of Brazil")
    await chair.keyboard.press("Enter")
    await panel.get_by_role("status").filter(has_text="Delegate of Brazil added").wait_for(timeout=WAIT_MS)
    assert await chair.evaluate("document.activeElement.id") == "flm-name"  # ready for the next hand

    await request_floor(room)
    await request_floor(remote, language="fr")
    # First come would be Brazil, Bertrand, Nnenna; alternating puts the remote speaker between the two in the room.
    await panel.locator("#flm-queue .fl-row").nth(2).wait_for(timeout=WAIT_MS)
    assert await queue_names(chair, "#flm-queue") == [
        "Delegate of Brazil", "Nnenna Nwakanma", "Bertrand de La Chapelle"]
    reasons = await panel.locator("#flm-queue .fl-reason").all_inner_texts()
    assert reasons[1] == "alternates with the previous room speaker"
    await remote.locator("#fl-mine-text").filter(has_text="You are number 2 in the list.").wait_for(timeout=WAIT_MS)
    assert "Expected wait: about 6 minutes" in await remote.locator("#fl-mine-wait").inner_text()
    await room.locator("#fl-mine-text").filter(has_text="You are number 3 in the list.").wait_for(timeout=WAIT_MS)

    await panel.get_by_role("button", name="Call next: Delegate of Brazil").click()
    await screen.locator(".fl-screen [data-floor-speaker]").filter(
        has_text="Delegate of Brazil").wait_for(timeout=WAIT_MS)
    next_button = panel.get_by_role("button", name="Call next: Nnenna Nwakanma")
    await next_button.wait_for(timeout=WAIT_MS)
    assert "alternates with the previous room speaker" in await panel.locator("#flm-next-why").inner_text()
    await next_button.click()

    # The remote participant is told, the room screen shows her with a running countdown.
    await remote.locator("#fl-mine-text").filter(has_text="You have the floor.").wait_for(timeout=WAIT_MS)
    card = screen.locator(".fl-screen .fl-card")
    await card.locator("[data-floor-speaker]").filter(has_text="Nnenna Nwakanma").wait_for(timeout=WAIT_MS)
    text = await card.inner_text()
    # The country as CLDR names it in the reader's language.
    for part in ("Web Foundation · Côte d’Ivoire", "Civil society", "Remote", "French"):
        assert part in text, (part, text)
    digits = screen.locator(".fl-screen [data-timer-digits]")
    first = await digits.inner_text()
    assert first in ("3:00", "2:59"), first
    await screen.wait_for_function(
        "(first) => { const d = document.querySelector('.fl-screen [data-timer-digits]').textContent;"
        " return d !== first && d < first; }", arg=first, timeout=WAIT_MS)
    assert await screen.locator(".fl-screen [data-floor-timer]").get_attribute("data-state") == "running"
    assert await queue_names(screen, ".fl-screen") == ["Bertrand de La Chapelle"]
    await screen.screenshot(path=str(SHOTS / "floor-screen.png"))
    await remote.screenshot(path=str(SHOTS / "floor-participant-speaking.png"), full_page=True)
    await room.locator("#fl-mine-text").filter(has_text="You are next.").wait_for(timeout=WAIT_MS)
    await room.screenshot(path=str(SHOTS / "floor-participant-waiting.png"), full_page=True)
    await chair.screenshot(path=str(SHOTS / "floor-moderator.png"), full_page=True)

    # The public queue page and the captioner see the same speaker.
    queue = await open_page(browser, server.url(f"/m/{DEMO}/s/morning/queue"), 1280, 800)
    await queue.locator("[data-floor-speaker]").filter(has_text="Nnenna Nwakanma").wait_for(timeout=WAIT_MS)
    await queue.screenshot(path=str(SHOTS / "floor-queue-page.png"), full_page=True)
    captioner = await open_page(browser, server.url(
        f"/m/{DEMO}/s/morning/caption?t={await server.token('captioner', 'morning')}"), 1280, 900)
    await captioner.locator(".fl-caption [data-floor-speaker]").filter(has_text="Nnenna Nwakanma").wait_for(
        timeout=WAIT_MS)

    await panel.get_by_role("button", name="Call next: Bertrand de La Chapelle").click()
    await screen.locator(".fl-screen [data-floor-speaker]").filter(has_text="Bertrand de La Chapelle").wait_for(
        timeout=WAIT_MS)
    await room.locator("#fl-mine-text").filter(has_text="You have the floor.").wait_for(timeout=WAIT_MS)
    # The organisation was HTML: it is shown as text and never ran.
    assert XSS in await screen.locator(".fl-screen .fl-card").inner_text()
    for page in (room, remote, chair, screen, queue, captioner):
        assert await page.evaluate("window.__xss") is None
    await panel.get_by_role("button", name="End intervention").click()
    await screen.locator(".fl-screen .fl-free").wait_for(state="attached", timeout=WAIT_MS)
    await panel.locator("#flm-spoken-box summary").click()
    rows = panel.locator("#flm-spoken tr")
    assert await rows.count() == 3
    await panel.locator("#flm-audit summary").click()
    await panel.get_by_role("button", name="Refresh the audit log").click()
    await panel.locator("#flm-audit-rows tr").filter(has_text="order changed").wait_for(timeout=WAIT_MS)
    await chair.screenshot(path=str(SHOTS / "floor-moderator-audit.png"), full_page=True)
