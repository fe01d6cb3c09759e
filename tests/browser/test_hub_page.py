"""A remote hub in real browsers: the admin registers it on the admin page and opens its link, a person registers
at the hub, the hub's screen takes part as the hub and asks for the floor, the chair sees the hub's name, and the
rapporteur's figures show one hub with its people and country."""

from __future__ import annotations

from typing import Any

import pytest

from ..conftest import DEMO
from ..test_questions import start
from .test_floor_page import queue_names, request_floor

pytestmark = pytest.mark.browser
WAIT_MS = 5000
XSS = '<img src=x onerror="window.__xss=1">'


async def new_page(browser: Any, width: int = 1280, height: int = 900) -> Any:
    return await (await browser.new_context(viewport={"width": width, "height": height})).new_page()


async def test_a_hub_registered_by_the_admin_takes_the_floor_and_is_counted(server, http, browser, tmp_path):
    await start(server, http)
    admin = await new_page(browser)
    await admin.goto(server.url(f"/m/{DEMO}/admin?t={await server.token('admin')}"))
    form = admin.locator("#hub-form")
    await form.get_by_label("Hub name").fill("Nairobi hub " + XSS)
    await form.get_by_label("City").fill("Nairobi")
    await form.get_by_label("Country").select_option("KE")
    await form.get_by_label("Host organisation (optional)").fill("KICTANet")
    await form.get_by_label("Stakeholder group of the host organisation").select_option("civil")
    await form.get_by_label("People expected at the hub").fill("0")
    await form.get_by_role("button", name="Register the hub").click()
    await admin.get_by_role("alert").filter(has_text="between 1 and 100,000").wait_for(timeout=WAIT_MS)
    assert await form.get_by_label("City").input_value() == "Nairobi"  # the form keeps what was typed
    await form.get_by_label("People expected at the hub").fill("12")
    await form.get_by_role("button", name="Register the hub").click()
    await admin.get_by_role("status").filter(has_text="The hub was registered").wait_for(timeout=WAIT_MS)
    hubs = admin.locator("#hub-list tbody tr")
    assert await hubs.count() == 1
    assert "Nairobi hub " + XSS in await hubs.first.inner_text()  # the name is text, never markup
    link = await hubs.first.locator("input.link").input_value()
    assert f"/m/{DEMO}/hub?t=" in link

    # A person at the hub registers with the hub's link.
    person = await new_page(browser, 420, 860)
    await person.goto(link.replace(server.settings.public_base_url(), server.url("").rstrip("/")))
    await person.get_by_role("link", name="Register a person at Nairobi hub").click()
    assert "You are registering at the remote hub" in await person.locator("#at-hub").inner_text()
    await person.get_by_label("Full name").fill("Wanjiku Mwangi")
    await person.get_by_label("Country you represent or come from").select_option("KE")
    await person.get_by_label("Civil society", exact=True).check()
    await person.get_by_role("button", name="Register").click()
    await person.wait_for_url(f"**/m/{DEMO}?welcome=1", timeout=WAIT_MS)

    # The hub's own screen takes part as the hub and asks for the floor for the whole hub.
    screen = await new_page(browser, 1024, 800)
    await screen.goto(link.replace(server.settings.public_base_url(), server.url("").rstrip("/")))
    assert (await screen.locator("#hub-registered").inner_text()).strip() == "1"
    await screen.get_by_role("button", name="Take part as Nairobi hub").click()
    await screen.wait_for_url(f"**/m/{DEMO}?welcome=1", timeout=WAIT_MS)
    assert "Welcome, Nairobi hub " + XSS in await screen.get_by_role("status").inner_text()
    await screen.goto(server.url(f"/m/{DEMO}/s/morning"))
    await request_floor(screen)
    assert await screen.evaluate("window.__xss") is None

    chair = await new_page(browser, 1280, 1100)
    await chair.goto(server.url(f"/m/{DEMO}/s/morning/moderate?t={await server.token('moderator', 'morning')}"))
    await chair.locator("#flm-queue .fl-row").first.wait_for(timeout=WAIT_MS)
    assert await queue_names(chair, "#flm-queue") == ["Nairobi hub " + XSS]

    rapporteur = await new_page(browser, 1280, 1100)
    await rapporteur.goto(server.url(f"/m/{DEMO}/s/morning/rapporteur?t={await server.token('rapporteur', 'morning')}"))
    assert (await rapporteur.locator('[data-figure="hubs"]').inner_text()).strip() == "1"
    assert (await rapporteur.locator('[data-figure="hub-people"]').inner_text()).strip() == "12"
    rows = [await r.inner_text() for r in await rapporteur.locator("#fig-hubs tbody tr").all()]
    assert len(rows) == 1 and rows[0].split("\t") == ["Nairobi hub " + XSS, "Nairobi, Kenya", "12", "1", "12"]
    assert "and 1 hub attended this session" in await rapporteur.locator("#attendance-count").inner_text()
    await rapporteur.locator("#fig-h").locator("xpath=..").screenshot(path=str(tmp_path / "hub-figures.png"))
    assert await rapporteur.evaluate("window.__xss") is None
