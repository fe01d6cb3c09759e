"""Actions that cannot be undone ask first, over plain HTTP form posts (no JavaScript): revoking and rotating a
link, ending a session, starting an ended one again; and the meeting's last admin link cannot be revoked."""

from __future__ import annotations

import re
from typing import Any

from server.storage import meetings as meetings_db
from server.web.keys import db_key, link_key_key

from .conftest import DEMO
from .test_questions import start

A = f"/m/{DEMO}/admin"


async def link(server: Any, role: str, session: str | None) -> Any:
    links = await meetings_db.active_links(server.app[db_key], server.app[link_key_key], 1)
    return next(x for x in links if x.role.value == role and x.session_id == session)


async def post(http: Any, url: str, data: dict[str, str]) -> tuple[int, str]:
    async with http.post(url, data=data, allow_redirects=False) as r:
        return r.status, await r.text()


def confirm_form(html: str) -> dict[str, str]:
    """The hidden fields of the confirmation page's form."""
    form = re.search(r'<form method="post" action="([^"]+)" class="confirm-actions">(.*?)</form>', html, re.S)
    assert form, html
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2)))


async def state(server: Any, http: Any, session: str = "morning") -> str:
    async with http.get(server.url(f"/api/meetings/{DEMO}")) as r:
        return next(s["state"] for s in (await r.json())["sessions"] if s["id"] == session)


async def test_revoke_and_rotate_ask_first(server, http):
    admin = await server.token("admin")
    captioner, moderator = await link(server, "captioner", "morning"), await link(server, "moderator", "morning")
    status, html = await post(http, server.url(f"{A}/links/{captioner.id}/revoke"), {"t": admin})
    assert status == 200 and "Revoke the Captioner link for Mapping" in html and "cannot be undone" in html
    assert f'href="{A}?t={admin}"' in html                                  # Cancel goes back to the admin page
    assert (await link(server, "captioner", "morning")).token == captioner.token   # nothing revoked yet
    fields = confirm_form(html)
    assert fields == {"t": admin, "confirm": "yes"}
    status, _ = await post(http, server.url(f"{A}/links/{captioner.id}/revoke"), fields)
    assert status == 303
    async with http.get(server.url(f"/m/{DEMO}/s/morning/caption?t={captioner.token}")) as r:
        assert r.status == 403

    status, html = await post(http, server.url(f"{A}/links/{moderator.id}/rotate"), {"t": admin})
    assert status == 200 and "Replace the Moderator link for Mapping" in html
    assert (await link(server, "moderator", "morning")).token == moderator.token
    status, _ = await post(http, server.url(f"{A}/links/{moderator.id}/rotate"), confirm_form(html))
    assert status == 303 and (await link(server, "moderator", "morning")).token != moderator.token


async def test_ending_and_reopening_a_session_ask_first_starting_does_not(server, http):
    moderator = await server.token("moderator", "morning")
    url = server.url(f"{A}/sessions/morning")
    status, _ = await post(http, f"{url}/start", {"t": moderator, "back": "moderate", "name": "Ana"})
    assert status == 303 and await state(server, http) == "live"            # a first start needs no second click

    status, html = await post(http, f"{url}/end", {"t": moderator, "back": "moderate", "name": "Ana"})
    assert status == 200 and "End “" in html and await state(server, http) == "live"
    fields = confirm_form(html)
    assert fields == {"t": moderator, "back": "moderate", "name": "Ana", "confirm": "yes"}
    assert f'href="/m/{DEMO}/s/morning/moderate?t={moderator}"' in html
    status, _ = await post(http, f"{url}/end", fields)
    assert status == 303 and await state(server, http) == "ended"

    # "Start session" on an ended session would silently reopen it: it asks.
    status, html = await post(http, f"{url}/start", {"t": moderator, "back": "moderate"})
    assert status == 200 and "This session has ended" in html and await state(server, http) == "ended"
    status, _ = await post(http, f"{url}/start", confirm_form(html))
    assert status == 303 and await state(server, http) == "live"


async def test_the_last_admin_link_cannot_be_revoked(server, http):
    await start(server, http)
    admin = await link(server, "admin", None)
    status, html = await post(http, server.url(f"{A}/links/{admin.id}/revoke"), {"t": admin.token, "confirm": "yes"})
    assert status == 409 and "last admin link" in html and "python run.py links" in html
    assert (await link(server, "admin", None)).token == admin.token
    async with http.get(server.url(f"{A}?t={admin.token}")) as r:
        assert r.status == 200
