"""The agenda's parts in a real browser: the chair moves the session to "Presentations" and calls a presenter, the
room screen and the participants' pages show the part and "Presentation"; then "Debate", where a participant puts
an interposed question to the speaker from their phone, the speaker answers, the list goes on; the rapporteur's
figures and summary count the presentation apart from the contributions to the debate."""

from __future__ import annotations

import pytest

from ..conftest import DEMO, name_moderator
from ..test_questions import start
from .test_floor_page import SHOTS, WAIT_MS, open_page, registered_page, request_floor

pytestmark = pytest.mark.browser
PHONE = {"width": 420, "height": 860}


async def test_presentations_then_debate_with_an_interposed_question(server, http, browser):
    await start(server, http)
    presenter = await registered_page(server, browser, PHONE, name="Anriette Esterhuysen", organisation="APC",
                                      country="ZA", group="civil", mode="remote")
    delegate = await registered_page(server, browser, PHONE, name="Benedicto Fonseca",
                                     organisation="Ministry of External Relations", country="BR",
                                     group="government", mode="onsite")
    asker = await registered_page(server, browser, PHONE, name="Nigel Hickson", organisation="ICANN", country="GB",
                                  group="technical", mode="onsite")
    for page in (presenter, delegate, asker):  # connected, so they count as attending and may be called
        await page.locator("#fl-form").wait_for(timeout=WAIT_MS)
    chair = await open_page(browser, server.url(
        f"/m/{DEMO}/s/morning/moderate?t={await server.token('moderator', 'morning')}"), 1280, 1200)
    await name_moderator(chair)
    screen = await open_page(browser, server.url(f"/m/{DEMO}/s/morning/screen"), 1600, 900)
    panel = chair.locator("#floor")
    await panel.locator("#flm-policy option").first.wait_for(state="attached", timeout=WAIT_MS)
    screen_part = screen.locator(".fl-screen [data-floor-part]")

    # Presentations: the part shows everywhere, the presenter is called from the floor panel.
    await panel.get_by_label("Part of the session").select_option("presentations")
    await screen_part.filter(has_text="Now: Presentations").wait_for(timeout=WAIT_MS)
    await delegate.locator("#floor [data-floor-part]").filter(has_text="Now: Presentations").wait_for(
        timeout=WAIT_MS)
    await panel.locator("#flm-presenter option", has_text="Anriette Esterhuysen").wait_for(
        state="attached", timeout=WAIT_MS)
    await panel.get_by_label("Presenter").select_option(label="Anriette Esterhuysen, APC")
    await panel.get_by_role("button", name="Give the floor for a presentation").click()
    card = screen.locator(".fl-screen .fl-card")
    await card.locator("[data-floor-speaker]").filter(has_text="Anriette Esterhuysen").wait_for(timeout=WAIT_MS)
    assert await card.locator(".fl-label").text_content() == "Presentation"
    assert await card.get_attribute("data-kind") == "presentation"
    assert await screen.locator(".fl-screen [data-floor-timer]").is_visible()  # timed like any speaker
    await presenter.locator("#fl-mine-text").filter(has_text="You have the floor.").wait_for(timeout=WAIT_MS)
    await screen.screenshot(path=str(SHOTS / "agenda-screen-presentation.png"))

    # Debate: the presenter asks for the floor again, and so does a delegate.
    await panel.get_by_label("Part of the session").select_option("debate")
    await screen_part.filter(has_text="Now: Debate").wait_for(timeout=WAIT_MS)
    await panel.get_by_role("button", name="End intervention").click()
    await screen.locator(".fl-screen .fl-free").wait_for(state="attached", timeout=WAIT_MS)
    await request_floor(delegate)
    await request_floor(presenter)
    await panel.get_by_role("button", name="Call next: Benedicto Fonseca").click()
    await card.locator("[data-floor-speaker]").filter(has_text="Benedicto Fonseca").wait_for(timeout=WAIT_MS)
    assert await card.locator(".fl-label").text_content() == "Has the floor"

    # An interposed question from a phone: ahead of the list, put, answered, then the list goes on.
    ask = asker.get_by_role("button", name="Ask the speaker a short question")
    await ask.click()
    await asker.locator("#fl-status").filter(has_text="Your question is next").wait_for(timeout=WAIT_MS)
    await ask.wait_for(state="hidden", timeout=WAIT_MS)  # one question at a time
    next_button = panel.get_by_role("button", name="Call next: Nigel Hickson")
    await next_button.wait_for(timeout=WAIT_MS)
    first_row = panel.locator("#flm-queue .fl-row").first
    assert "Interposed question" in await first_row.inner_text()
    await next_button.click()
    await card.locator("[data-floor-speaker]").filter(has_text="Nigel Hickson").wait_for(timeout=WAIT_MS)
    assert await card.locator(".fl-label").text_content() == "Interposed question"
    assert "Question to Benedicto Fonseca, who answers next" in await card.inner_text()
    await delegate.locator("#floor .fl-card").filter(has_text="Question to Benedicto Fonseca").wait_for(
        timeout=WAIT_MS)
    await screen.screenshot(path=str(SHOTS / "agenda-screen-interposed.png"))
    await chair.screenshot(path=str(SHOTS / "agenda-moderator-interposed.png"), full_page=True)

    back = panel.get_by_role("button", name="Back to Benedicto Fonseca")
    await back.click()
    await card.locator("[data-floor-speaker]").filter(has_text="Benedicto Fonseca").wait_for(timeout=WAIT_MS)
    await delegate.locator("#fl-mine-text").filter(has_text="You have the floor.").wait_for(timeout=WAIT_MS)
    await panel.get_by_role("button", name="Call next: Anriette Esterhuysen").click()
    await card.locator("[data-floor-speaker]").filter(has_text="Anriette Esterhuysen").wait_for(timeout=WAIT_MS)
    assert await card.locator(".fl-label").text_content() == "Has the floor"
    await panel.get_by_role("button", name="End intervention").click()
    await screen.locator(".fl-screen .fl-free").wait_for(state="attached", timeout=WAIT_MS)

    # The rapporteur's figures and summary tell the presentation apart from the debate.
    rapporteur = await open_page(browser, server.url(
        f"/m/{DEMO}/s/morning/rapporteur?t={await server.token('rapporteur', 'morning')}"), 1280, 1200)
    assert await rapporteur.locator("[data-figure='presentations']").inner_text() == "1"
    assert await rapporteur.locator("[data-figure='debate']").inner_text() == "3"
    preview = await rapporteur.locator("#summary-preview").inner_text()
    for sentence in [
        "There was one presentation, by Anriette Esterhuysen, APC.",
        "Contributions to the debate were made by 1 government and by 2 participants from other stakeholder "
        "communities.",
        "1 interposed question was put to speakers, who answered before the debate went on.",
    ]:
        assert sentence in preview, (sentence, preview)
    await rapporteur.screenshot(path=str(SHOTS / "agenda-rapporteur.png"), full_page=True)
