"""Access control in a real browser, with an attacker's page served from another origin (127.0.0.2)."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import expect

from server.storage import audit
from server.storage import meetings as meetings_db
from server.web.keys import db_key, link_key_key

from ..conftest import DEMO, WAIT, ServingTestServer

pytestmark = pytest.mark.browser
ATTACKER_HOST = "127.0.0.2"  # another origin and another site than the server's 127.0.0.1
ALICE = {"name": "Alice Victim", "organisation": "APC", "country": "KE", "group": "civil", "mode": "remote"}


async def _page(request: web.Request) -> web.Response:
    """The attacker's pages: an auto-submitted form, a frame, or a WebSocket opened to the target."""
    kind, target = request.match_info["kind"], request.query["target"]
    if kind == "form":
        fields = "".join(f'<input name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in request.query.items() if k != "target")
        body = (f'<form method="post" action="{html.escape(target)}">{fields}</form>'
                "<script>document.forms[0].submit()</script>")
    elif kind == "frame":
        body = f'<iframe src="{html.escape(target)}" width="800" height="600"></iframe>'
    else:
        body = ("<script>const ws = new WebSocket(" + repr(target) + ");"
                "ws.onmessage = function (m) { document.title = 'open:' + m.data.slice(0, 2); };"
                "ws.onerror = function () { document.title = 'refused'; };</script>")
    return web.Response(text=f"<!doctype html><title>attacker</title>{body}", content_type="text/html")


@pytest.fixture
async def attacker() -> AsyncIterator[str]:
    """A second web server, on another origin, serving the attacker's pages; returns its base URL."""
    app = web.Application()
    app.router.add_get("/{kind}", _page)
    async with ServingTestServer(app, host=ATTACKER_HOST, port=0) as srv:
        yield f"http://{ATTACKER_HOST}:{srv.port}"


async def test_a_cross_site_page_cannot_replace_a_participants_identity(server, browser, attacker):
    token = await server.token("participant")
    async with aiohttp.ClientSession() as http, \
            http.post(server.url(f"/api/meetings/{DEMO}/participants?t={token}"), json=ALICE) as r:
        victim = r.cookies[f"fc_p_{DEMO}"].value
    context = await browser.new_context()
    await context.add_cookies([{"name": f"fc_p_{DEMO}", "value": victim, "url": server.url("/"), "httpOnly": True,
                                "sameSite": "Lax"}])
    page = await context.new_page()
    query = {**ALICE, "name": "Chosen By Attacker", "t": token, "target": server.url(f"/m/{DEMO}/join")}
    async with page.expect_navigation(url=server.url(f"/m/{DEMO}") + "**", timeout=WAIT * 1000) as nav:
        await page.goto(f"{attacker}/form?" + "&".join(f"{k}={aiohttp.helpers.quote(v)}" for k, v in query.items()))
    response = await nav.value
    assert response is not None and response.status == 403
    assert "another site" in await page.inner_text("main")
    [cookie] = [c for c in await context.cookies() if c["name"] == f"fc_p_{DEMO}"]
    assert cookie["value"] == victim
    await context.close()


async def test_admin_page_does_not_render_in_a_cross_site_frame(server, browser, attacker):
    page = await browser.new_page()
    admin = server.url(f"/m/{DEMO}/admin?t={await server.token('admin')}")
    await page.goto(f"{attacker}/frame?target={aiohttp.helpers.quote(admin, safe='')}")
    frame = page.frames[1]
    await frame.wait_for_load_state(timeout=WAIT * 1000)
    assert not frame.url.startswith(server.url("/"))  # blocked: the browser shows its error page instead
    assert "Administration" not in await frame.content()


async def test_overlay_renders_in_a_frame_of_a_configured_origin(settings, browser, attacker):
    from server.web.app import create_app

    settings.frame_origins = attacker
    async with ServingTestServer(create_app(settings), port=0) as srv:
        overlay = str(srv.make_url(f"/m/{DEMO}/s/morning/overlay"))
        page = await browser.new_page()
        await page.goto(f"{attacker}/frame?target={aiohttp.helpers.quote(overlay, safe='')}")
        frame = page.frames[1]
        await frame.wait_for_load_state(timeout=WAIT * 1000)
        assert frame.url == overlay
        await page.close()  # its captions connection would hold the server's shutdown


async def test_a_cross_site_page_cannot_open_the_socket(server, browser, attacker):
    page = await browser.new_page()
    target = server.url("/socket.io/?EIO=4&transport=websocket").replace("http", "ws", 1)
    await page.goto(f"{attacker}/ws?target={aiohttp.helpers.quote(target, safe='')}")
    await page.wait_for_function("document.title !== 'attacker'", timeout=WAIT * 1000)
    assert await page.title() == "refused"
    own = await browser.new_page()  # the same script from the server's own origin connects
    await own.goto(server.url("/"))
    opened = await own.evaluate("""(url) => new Promise((resolve) => {
        const ws = new WebSocket(url);
        ws.onmessage = (m) => { resolve(m.data.slice(0, 2)); ws.close(); };
        ws.onerror = () => resolve('refused');
    })""", target)
    assert opened == "0{"


async def test_moderator_page_asks_for_the_name_the_server_requires_before_an_action(server, browser):
    page = await browser.new_page()
    await page.goto(server.url(f"/m/{DEMO}/s/morning/moderate?t={await server.token('moderator', 'morning')}"))
    await expect(page.locator(".connection")).to_have_text("Connected", timeout=WAIT * 1000)
    name = page.get_by_label("Name shown in the log")
    await expect(name).to_be_focused()  # asked first
    choice, said = page.get_by_role("group", name="The room screen shows"), page.locator("[data-screen-status]")
    await page.locator("body").click(position={"x": 5, "y": 5})  # the chair looks away and acts without a name
    await choice.get_by_label("The captions only").check()
    await expect(said).to_contain_text("Give your name first", timeout=WAIT * 1000)
    await expect(name).to_be_focused()  # the refusal brings the chair back to the question
    assert "Please give your name" in await page.locator("[data-name-status]").inner_text()
    await name.fill("Ana")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("[data-name-status]")).to_contain_text("Ana", timeout=WAIT * 1000)
    await choice.get_by_label("The captions and the speaker").check()
    await expect(said).to_have_text("The room screen was updated.", timeout=WAIT * 1000)


async def test_moderator_page_names_its_user_and_shows_that_its_link_was_revoked(server, browser):
    page = await browser.new_page()
    await page.goto(server.url(f"/m/{DEMO}/s/morning/moderate?t={await server.token('moderator', 'morning')}"))
    status = page.locator(".connection")
    await expect(status).to_have_text("Connected", timeout=WAIT * 1000)
    prompt = page.locator("[data-name-status]")
    assert "Please give your name" in await prompt.inner_text()
    await page.get_by_label("Name shown in the log").fill("Ana")
    await page.get_by_role("button", name="Save").click()
    await expect(prompt).to_contain_text("Ana", timeout=WAIT * 1000)
    await page.get_by_role("button", name="Start session").click()
    await page.wait_for_url("**/moderate?t=*", timeout=WAIT * 1000)
    meeting_id, _ = await meetings_db.load_meeting(server.app[db_key], DEMO)
    assert (await audit.recent(server.app[db_key], meeting_id))[0]["actor"] == "moderator@morning (Ana)"

    await expect(status).to_have_text("Connected", timeout=WAIT * 1000)
    link = next(x for x in await meetings_db.active_links(server.app[db_key], server.app[link_key_key], meeting_id)
                if x.role.value == "moderator" and x.session_id == "morning")
    async with aiohttp.ClientSession() as http, \
            http.post(server.url(f"/m/{DEMO}/admin/links/{link.id}/revoke"), allow_redirects=False,
                      data={"t": await server.token("admin"), "confirm": "yes"}) as r:
        assert r.status == 303
    await expect(status).to_contain_text("revoked", timeout=WAIT * 1000)
    assert "Ask them for a new one" in await status.inner_text()
    assert await status.get_attribute("data-status") == "revoked"
