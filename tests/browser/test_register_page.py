"""A remote participant registers through the join page in a real browser."""

from __future__ import annotations

import pytest

from server.storage import meetings as meetings_db
from server.web.keys import db_key

from ..conftest import DEMO

pytestmark = pytest.mark.browser


async def test_remote_participant_registers_through_the_page(server, browser, tmp_path):
    token = await server.token("participant")
    page = await browser.new_page()
    await page.goto(server.url(f"/m/{DEMO}/join?t={token}"))
    assert await page.locator("#hub-fields").is_hidden()  # only shown for hubs
    await page.get_by_label("Full name").fill("Anriette <b>Esterhuysen</b>")
    await page.get_by_label("Organisation (optional)").fill("APC")
    await page.get_by_label("Country you represent or come from").select_option("ZA")
    await page.get_by_label("Civil society", exact=True).check()
    await page.get_by_label("Remotely, on my own").check()
    await page.get_by_role("button", name="Register").click()
    await page.wait_for_url(f"**/m/{DEMO}?welcome=1", timeout=5000)
    welcome = page.get_by_role("status").filter(has_text="Welcome")
    assert "Welcome, Anriette <b>Esterhuysen</b>." in await welcome.inner_text()  # rendered as text, not markup
    await page.screenshot(path=str(tmp_path / "registered.png"), full_page=True)
    [cookie] = [c for c in await page.context.cookies() if c["name"] == f"fc_p_{DEMO}"]
    assert cookie["httpOnly"]
    stored = await meetings_db.participant_by_cookie(server.app[db_key], 1, cookie["value"])
    assert stored is not None
    assert (stored.name, stored.country, stored.group, stored.mode.value) == (
        "Anriette <b>Esterhuysen</b>", "ZA", "civil", "remote")


async def test_registration_errors_are_shown_next_to_the_field(server, http, browser):
    admin = await server.token("admin")
    async with http.post(server.url(f"/api/meetings/{DEMO}/hubs?t={admin}"), json={
            "name": "Delhi hub", "city": "Delhi", "country": "IN", "group": "civil", "expected_headcount": 30}) as r:
        assert r.status == 201
    page = await browser.new_page()
    await page.goto(server.url(f"/m/{DEMO}/join?t={await server.token('participant')}"))
    await page.get_by_label("Full name").fill("Parminder Singh")
    await page.get_by_label("Through a remote hub").check()
    assert await page.locator("#hub-fields").is_visible()
    await page.get_by_label("Country you represent or come from").select_option("IN")
    await page.get_by_label("Civil society", exact=True).check()
    await page.get_by_role("button", name="Register").click()
    alert = page.get_by_role("alert")
    await alert.wait_for(timeout=5000)
    assert "Choose your hub from the list." in await alert.inner_text()  # "through a hub" names the hub
    assert await page.locator("#hub-error").inner_text() == "Choose your hub from the list."
    assert "Delhi hub (Delhi, India)" in await page.get_by_label("Your hub").inner_text()
    assert await page.get_by_label("Full name").input_value() == "Parminder Singh"  # the form keeps what was typed
    assert not any(c["name"] == f"fc_p_{DEMO}" for c in await page.context.cookies())
