"""The foundation over real HTTP: meetings, registration, role links, session life, attendance."""

from __future__ import annotations

import re

import pytest

from server.storage import meetings as meetings_db
from server.web.keys import db_key, link_key_key

from .conftest import DEMO, WAIT

REMOTE = {"name": "Marilia Maciel", "organisation": "FGV", "country": "BR", "group": "academic", "mode": "remote",
          "listed": True}
ONSITE = {"name": "Nigel Hickson", "organisation": "ICANN", "country": "GB", "group": "technical", "mode": "onsite"}
HUB = {"name": "Hub Nairobi", "organisation": "KICTANet", "country": "KE", "group": "civil", "mode": "hub"}


async def register(server, http, body, token=None):
    token = token or await server.token("participant")
    return await http.post(server.url(f"/api/meetings/{DEMO}/participants?t={token}"), json=body)


async def test_healthz_and_demo_meeting(server, http):
    async with http.get(server.url("/healthz")) as r:
        assert r.status == 200 and (await r.json())["ok"] is True
    async with http.get(server.url(f"/api/meetings/{DEMO}")) as r:
        meeting = await r.json()
    assert meeting["venue"] == "Baku Expo Exhibition and Convention Center"
    assert meeting["timezone"] == "Asia/Baku"
    assert [g["label"] for g in meeting["groups"]][:2] == ["Governments", "Intergovernmental organisations"]
    themes = [t for s in meeting["sessions"] for t in s["themes"]]
    assert themes == ["Mapping enhanced cooperation", "Priorities", "Principles", "Case studies or scenarios",
                      "Next steps"]
    assert all(s["state"] == "scheduled" for s in meeting["sessions"])


async def test_unknown_meeting_is_404(server, http):
    async with http.get(server.url("/api/meetings/nope")) as r:
        assert r.status == 404
        assert (await r.json())["error"]["code"] == "not_found"
    async with http.get(server.url("/m/nope")) as r:
        assert r.status == 404
        assert "Not found" in await r.text()


@pytest.mark.parametrize("body", [REMOTE, ONSITE, HUB], ids=["remote", "onsite", "hub"])
async def test_register_each_mode(server, http, body):
    async with await register(server, http, body) as r:
        assert r.status == 201, await r.text()
        participant = (await r.json())["participant"]
    assert participant["mode"] == body["mode"] and participant["country"] == body["country"]
    assert participant["hub_id"] is None  # the meeting has no hub: "through a hub" attaches to none
    [cookie] = [c for c in http.cookie_jar if c.key == f"fc_p_{DEMO}"]
    assert cookie["httponly"]
    stored = await meetings_db.participant_by_cookie(server.app[db_key], 1, cookie.value)
    assert stored is not None and stored.name == body["name"]


@pytest.mark.parametrize("change, code", [
    ({"country": "XX"}, "invalid_country"),
    ({"group": "press"}, "invalid_format"),
    ({"mode": "satellite"}, "invalid_mode"),
    ({"name": "  "}, "name_required"),
    ({"mode": "hub", "hub": 3}, "invalid_hub"),
])
async def test_register_refuses_bad_input(server, http, change, code):
    async with await register(server, http, {**REMOTE, **change}) as r:
        assert r.status == 400
        assert (await r.json())["error"]["code"] == code
    assert not any(c.key == f"fc_p_{DEMO}" for c in http.cookie_jar)


async def test_wrong_token_is_refused_and_says_nothing(server, http):
    moderator = await server.token("moderator", "morning")
    pages = ["/m/{s}/join?t={t}", "/m/{s}/admin?t={t}", "/m/{s}/s/morning/moderate?t={t}",
             "/m/{s}/s/morning/caption?t={t}", "/m/{s}/s/morning/rapporteur?t={t}"]
    bodies = set()
    for page in pages:
        async with http.get(server.url(page.format(s=DEMO, t="wrong" + moderator[5:]))) as r:
            assert r.status == 403
            bodies.add(await r.text())
    assert len(bodies) == 1  # the same answer whatever the page: nothing is learnt
    # A session-scoped link does not open another session, nor another role.
    for page in ["/m/{s}/s/afternoon/moderate?t={t}", "/m/{s}/s/morning/caption?t={t}", "/m/{s}/admin?t={t}"]:
        async with http.get(server.url(page.format(s=DEMO, t=moderator))) as r:
            assert r.status == 403


async def test_every_role_link_opens_its_page(server, http):
    async with http.get(server.url(f"/api/meetings/{DEMO}/links?t={await server.token('admin')}")) as r:
        rows = (await r.json())["links"]
    assert len(rows) == 5 + 3 * 3
    for row in rows:
        async with http.get(row["url"].replace(server.settings.public_base_url(), server.url("").rstrip("/"))) as r:
            assert r.status == 200, row
            assert "<html lang=" in await r.text()
    assert all(len(re.search(r"t=([^&]+)", row["url"]).group(1)) >= 22 for row in rows)  # >= 128 bits


async def test_revoke_and_rotate_from_admin_page(server, http):
    admin = await server.token("admin")
    links = await meetings_db.active_links(server.app[db_key], server.app[link_key_key], 1)
    captioner = next(link for link in links if link.role.value == "captioner" and link.session_id == "morning")
    moderator = next(link for link in links if link.role.value == "moderator" and link.session_id == "morning")
    async with http.post(server.url(f"/m/{DEMO}/admin/links/{captioner.id}/revoke"),
                         data={"t": admin, "confirm": "yes"}) as r:
        assert r.status == 200 and "revoked" in await r.text()
    async with http.get(server.url(f"/m/{DEMO}/s/morning/caption?t={captioner.token}")) as r:
        assert r.status == 403
    async with http.post(server.url(f"/m/{DEMO}/admin/links/{moderator.id}/rotate"),
                         data={"t": admin, "confirm": "yes"}) as r:
        assert r.status == 200
    async with http.get(server.url(f"/m/{DEMO}/s/morning/moderate?t={moderator.token}")) as r:
        assert r.status == 403
    new = await server.token("moderator", "morning")
    assert new != moderator.token
    async with http.get(server.url(f"/m/{DEMO}/s/morning/moderate?t={new}")) as r:
        assert r.status == 200
    # A participant cannot revoke anything.
    async with http.post(server.url(f"/m/{DEMO}/admin/links/{moderator.id}/revoke"),
                         data={"t": await server.token("participant")}) as r:
        assert r.status == 403


async def test_session_start_and_end(server, http, connect, inbox):
    viewer = await connect("/live")
    box = inbox(viewer, "/live", "session_state")
    moderator = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t=bad")) as r:
        assert r.status == 403
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={moderator}")) as r:
        assert r.status == 200 and (await r.json())["session"]["state"] == "live"
    state = await box.wait_for(lambda n, d: d["state"] == "live")
    assert state["session_id"] == "morning"
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={moderator}")) as r:
        assert r.status == 409 and (await r.json())["error"]["code"] == "invalid_transition"
    async with http.get(server.url(f"/api/meetings/{DEMO}")) as r:
        assert [s["state"] for s in (await r.json())["sessions"]] == ["live", "scheduled", "scheduled"]
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/end?t={moderator}")) as r:
        assert (await r.json())["session"]["state"] == "ended"
    await box.wait_for(lambda n, d: d["state"] == "ended")


async def test_moderator_socket_starts_session(server, connect, inbox):
    viewer = await connect("/live", session="morning")
    box = inbox(viewer, "/live", "session_state")
    mod = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"))
    reply = await mod.call("session_start", {}, namespace="/moderate", timeout=WAIT)
    assert reply["ok"] and reply["session"]["state"] == "live"
    await box.wait_for(lambda n, d: d["state"] == "live")
    again = await mod.call("session_start", {}, namespace="/moderate", timeout=WAIT)
    assert again == {"ok": False, "error": {"code": "invalid_transition", "message": "the session is already live"}}


async def test_moderate_namespace_refuses_wrong_token(server, connect):
    import socketio

    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect("/moderate", session="morning", t="nope")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect("/moderate", session="afternoon", t=await server.token("moderator", "morning"))


async def test_attendance_is_recorded(server, http, connect, inbox, live):
    async with await register(server, http, HUB) as r:
        assert r.status == 201
    cookie = next(c.value for c in http.cookie_jar if c.key == f"fc_p_{DEMO}")
    mod = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"))
    box = inbox(mod, "/moderate", "attendance_changed")
    client = await connect("/live", session="morning", cookies={f"fc_p_{DEMO}": cookie})
    joined = await box.wait_for(lambda n, d: d["change"] == "join")
    assert joined["participant"]["name"] == "Hub Nairobi"
    rapporteur = await server.token("rapporteur", "morning")
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/morning/attendance?t={rapporteur}")) as r:
        rows = (await r.json())["attendance"]
    assert [(a["name"], a["mode"], a["kind"], a["leave_ms"]) for a in rows] == [("Hub Nairobi", "hub", "person", None)]
    await client.disconnect()
    await box.wait_for(lambda n, d: d["change"] == "leave")  # announced after the leave is stored
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/morning/attendance?t={rapporteur}")) as r:
        rows = (await r.json())["attendance"]
    assert rows[0]["leave_ms"] >= rows[0]["join_ms"]
    async with http.get(server.url(f"/m/{DEMO}/s/morning/rapporteur?t={rapporteur}")) as r:
        assert "Hub Nairobi" in await r.text()


async def test_openapi_document(server, http):
    async with http.get(server.url("/api/openapi.json")) as r:
        doc = await r.json()
    assert doc["openapi"].startswith("3.")
    assert "/api/meetings/{slug}/participants" in doc["paths"]
