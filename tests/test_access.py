"""Access control over the real server: revoked links, origins, cross-site writes, framing, rate limits, audit,
cookies and what error answers carry."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import socketio
from aiohttp import web

from server.clock import now_ms
from server.settings import Settings
from server.storage import meetings as meetings_db
from server.web import serving
from server.web.app import create_app
from server.web.keys import db_key, link_key_key
from server.web.logs import JsonFormatter

from .conftest import DEMO, WAIT, Inbox, Running, ServingTestServer

ALICE = {"name": "Alice Remote", "organisation": "APC", "country": "KE", "group": "civil", "mode": "remote"}
EVIL = "https://evil.example"
CUT_OFF = 1.0  # seconds: a revoked link's connections are gone within this
REGISTRATIONS, QUESTIONS_PER_ADDRESS, VOTES, FLOOR_CHURN, EVENTS = 6, 3, 4, 3, 30


@pytest.fixture
def settings(settings: Any) -> Any:
    """The shared test settings with small limits, so that each limit is reached in a few calls."""
    settings.register_ip_rate = f"{REGISTRATIONS}/600"
    settings.question_ip_rate = f"{QUESTIONS_PER_ADDRESS}/60"
    settings.vote_rate = f"{VOTES}/60"
    settings.floor_rate = f"{FLOOR_CHURN}/60"
    settings.socket_event_rate = f"{EVENTS}/10"
    return settings


async def link_id(server: Any, role: str, session: str | None) -> int:
    db, key = server.app[db_key], server.app[link_key_key]
    meeting_id, _ = await meetings_db.load_meeting(db, DEMO)
    return next(link.id for link in await meetings_db.active_links(db, key, meeting_id)
                if link.role.value == role and link.session_id == session)


async def admin_post(server: Any, http: aiohttp.ClientSession, path: str, **headers: str) -> int:
    token = await server.token("admin")
    async with http.post(server.url(f"/m/{DEMO}/admin{path}"), data={"t": token, "confirm": "yes"}, headers=headers,
                         allow_redirects=False) as r:
        return r.status


def watch_disconnect(client: socketio.AsyncClient, namespace: str) -> asyncio.Event:
    gone = asyncio.Event()
    client.on("disconnect", lambda *args: gone.set(), namespace=namespace)
    return gone


# --- 1. revoked and rotated links ---------------------------------------------------------------------------------

async def test_revoking_links_cuts_off_their_open_connections_within_a_second(server, http, live, connect, inbox):
    moderator = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"))
    captioner = await connect("/caption", session="morning", t=live)
    told = {"mod": inbox(moderator, "/moderate", "access_revoked"),
            "cap": inbox(captioner, "/caption", "access_revoked")}
    gone = [watch_disconnect(moderator, "/moderate"), watch_disconnect(captioner, "/caption")]
    assert (await captioner.call("caption_append", {"text": "Before. "}, namespace="/caption", timeout=WAIT))["ok"]

    for role in ("moderator", "captioner"):
        assert await admin_post(server, http, f"/links/{await link_id(server, role, 'morning')}/revoke") == 303
    for box in told.values():
        reason = await box.wait_for(lambda name, data: True, timeout=CUT_OFF)
        assert reason["code"] == "link_revoked" and "revoked" in reason["message"]
    await asyncio.wait_for(asyncio.gather(*(g.wait() for g in gone)), CUT_OFF)
    assert not moderator.connected and not captioner.connected


async def test_rotating_a_captioner_link_closes_its_bridge(server, http, live):
    url = server.url(f"/m/{DEMO}/s/morning/ingest/ws?t={live}").replace("http", "ws", 1)
    async with http.ws_connect(url) as ws:
        assert (await ws.receive_json(timeout=WAIT))["type"] == "hello"
        assert await admin_post(server, http, f"/links/{await link_id(server, 'captioner', 'morning')}/rotate") == 303
        msg = await ws.receive(timeout=CUT_OFF)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert msg.data == 1008 or ws.close_code == 1008, (msg, ws.close_code)


async def test_a_link_revoked_by_another_process_is_cut_off_here(server, live, connect):
    moderator = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"))
    gone = watch_disconnect(moderator, "/moderate")
    meeting_id, _ = await meetings_db.load_meeting(server.app[db_key], DEMO)
    # Straight into the shared database, as another process serving the meeting would.
    await meetings_db.revoke_link(server.app[db_key], meeting_id, await link_id(server, "moderator", "morning"),
                                  now_ms(), "admin@meeting")
    await asyncio.wait_for(gone.wait(), CUT_OFF)


@pytest.mark.redis
async def test_a_page_on_the_node_that_revokes_hears_why_once_before_it_is_cut_off(settings, http, channel):
    """With Redis, each node tells its own pages: an emit through Redis would come back after the disconnect (the
    page would be cut off without a reason), and every node sending it to every page would say it N times."""
    settings.redis_url, settings.redis_channel = "redis://127.0.0.1:6379", channel
    other = Settings(**settings.__dict__)
    async with (ServingTestServer(create_app(settings), port=0) as a_srv,
                ServingTestServer(create_app(other), port=0) as b_srv):
        a, b = Running(a_srv, settings), Running(b_srv, other)
        pages = {}
        for name, node in (("here", a), ("there", b)):
            page = socketio.AsyncClient(reconnection=False)
            told, gone = Inbox(page, "/moderate", "access_revoked"), watch_disconnect(page, "/moderate")
            await page.connect(node.url("/"), namespaces=["/moderate"], transports=["websocket"], wait_timeout=WAIT,
                               auth={"meeting": DEMO, "session": "morning",
                                     "t": await node.token("moderator", "morning")})
            pages[name] = (page, told, gone)
        try:
            assert await admin_post(a, http, f"/links/{await link_id(a, 'moderator', 'morning')}/revoke") == 303
            for _page, told, gone in pages.values():
                await asyncio.wait_for(gone.wait(), CUT_OFF)
                # Everything the page was sent came before the disconnect: the reason, once.
                assert [data["code"] for _name, data in told.items] == ["link_revoked"]
        finally:
            for page, _, _ in pages.values():
                if page.connected:
                    await page.disconnect()


# --- 2. Socket.IO origins -----------------------------------------------------------------------------------------

async def handshake(url: str, transport: str, origin: str | None) -> bool:
    """Whether an Engine.IO handshake with this Origin is accepted: a WebSocket upgrade, or a polling open."""
    query = f"/socket.io/?EIO=4&transport={transport}"
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
        if transport == "websocket":
            try:
                async with http.ws_connect(url.rstrip("/") + query, headers=headers) as ws:
                    opened = await ws.receive_str(timeout=WAIT)
                    return opened.startswith("0{")
            except aiohttp.WSServerHandshakeError:
                return False
        async with http.get(url.rstrip("/") + query, headers=headers) as r:
            return r.status == 200 and (await r.text()).startswith("0{")


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_socketio_handshake_from_a_foreign_origin_is_refused(server, transport):
    assert not await handshake(server.url("/"), transport, EVIL)
    assert await handshake(server.url("/"), transport, server.url("/").rstrip("/"))
    # Without an Origin (not a browser) the handshake goes on to the link checks.
    assert await handshake(server.url("/"), transport, None)


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_only_the_configured_origins_may_connect(settings, transport):
    settings.base_url = "https://floor.example"
    settings.allowed_origins = "https://alt.example"
    async with ServingTestServer(create_app(settings), port=0) as srv:
        url = str(srv.make_url("/"))
        for origin, accepted in (("https://floor.example", True), ("https://alt.example/", True),
                                 (url.rstrip("/"), False), (EVIL, False)):
            assert await handshake(url, transport, origin.rstrip("/")) is accepted, origin


# --- 3. cross-site writes -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{"Origin": EVIL}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:1"}])
async def test_cross_site_join_form_is_refused(server, http, headers):
    token = await server.token("participant")
    async with http.post(server.url(f"/m/{DEMO}/join"), data={**ALICE, "t": token}, headers=headers,
                         allow_redirects=False) as r:
        assert r.status == 403
        assert f"fc_p_{DEMO}" not in r.cookies
        assert "another site" in await r.text()


async def test_same_origin_and_tool_writes_pass(server, http, live):
    token = await server.token("participant")
    own = server.url("/").rstrip("/")
    async with http.post(server.url(f"/m/{DEMO}/join"), data={**ALICE, "t": token}, allow_redirects=False,
                         headers={"Origin": own, "Sec-Fetch-Site": "same-origin"}) as r:
        assert r.status == 303
    # A captioning tool posts from anywhere: its token in the URL is its only credential.
    async with http.post(server.url(f"/m/{DEMO}/s/morning/ingest/zoom?t={live}&seq=1"), data="Hello.\n",
                         headers={"Origin": EVIL}) as r:
        assert r.status == 200, await r.text()


async def test_cross_site_admin_and_api_writes_are_refused(server, http):
    assert await admin_post(server, http, "/links/issue", Origin=EVIL) == 403
    moderator = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={moderator}"),
                         headers={"Origin": EVIL}) as r:
        assert r.status == 403
        assert (await r.json())["error"]["code"] == "cross_site"


# --- 4 and 7. headers on every answer -----------------------------------------------------------------------------

def assert_protected(headers: Any, framable_by: str | None = None) -> None:
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    if framable_by is None:
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
    else:
        assert f"frame-ancestors {framable_by}" in csp
        assert "X-Frame-Options" not in headers


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/no/such/page", 404), ("PUT", f"/api/meetings/{DEMO}", 405), ("GET", "/static/app.js", 200),
    ("GET", f"/api/meetings/{DEMO}", 200), ("GET", f"/m/{DEMO}/admin?t=wrong", 403), ("GET", "/", 200)])
async def test_every_answer_carries_the_security_headers(server, http, method, path, status):
    async with http.request(method, server.url(path), allow_redirects=False) as r:
        assert r.status == status
        assert_protected(r.headers)


async def test_admin_and_moderator_pages_may_not_be_framed(server, http):
    for path in (f"/m/{DEMO}/admin?t={await server.token('admin')}",
                 f"/m/{DEMO}/s/morning/moderate?t={await server.token('moderator', 'morning')}"):
        async with http.get(server.url(path)) as r:
            assert r.status == 200
            assert_protected(r.headers)


async def test_overlay_and_screen_are_framable_by_the_configured_origins_only(settings):
    settings.frame_origins = "https://obs.example, https://studio.example"
    async with ServingTestServer(create_app(settings), port=0) as srv, aiohttp.ClientSession() as http:
        for path in (f"/m/{DEMO}/s/morning/overlay", f"/m/{DEMO}/s/morning/screen"):
            async with http.get(srv.make_url(path)) as r:
                assert r.status == 200
                assert_protected(r.headers, framable_by="https://obs.example https://studio.example")
        async with http.get(srv.make_url(f"/m/{DEMO}/s/morning")) as r:
            assert_protected(r.headers)


async def test_a_too_long_url_is_refused_without_its_token_in_the_answer_or_the_logs(settings, caplog):
    secret = "S3cretT0kenValue"
    runner = serving.runner(create_app(settings))  # as run.py serves
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        caplog.set_level(logging.INFO)
        for padding in (9_000, 70_000):  # refused by the server; refused by aiohttp's parser
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET /m/{DEMO}/join?t={secret}&x={'a' * padding} HTTP/1.1\r\nHost: x\r\n"
                         "Connection: close\r\n\r\n".encode())
            await writer.drain()
            answer = (await asyncio.wait_for(reader.read(), WAIT)).decode(errors="replace")
            writer.close()
            assert answer.split(" ")[1] == ("414" if padding == 9_000 else "400"), answer[:200]
            assert secret not in answer
            head = answer.split("\r\n\r\n")[0]
            assert "Content-Security-Policy" in head and "nosniff" in head
        formatter = JsonFormatter()
        logged = "\n".join(formatter.format(r) for r in caplog.records)
        assert "request" in logged and secret not in logged
    finally:
        await runner.cleanup()


async def test_cookie_is_secure_when_the_base_url_is_https(settings):
    settings.base_url = "https://floor.example"
    async with ServingTestServer(create_app(settings), port=0) as srv, aiohttp.ClientSession() as http:
        db, key = srv.app[db_key], srv.app[link_key_key]
        meeting_id, _ = await meetings_db.load_meeting(db, DEMO)
        token = next(link.token for link in await meetings_db.active_links(db, key, meeting_id)
                     if link.role.value == "participant")
        async with http.post(srv.make_url(f"/api/meetings/{DEMO}/participants?t={token}"), json=ALICE) as r:
            assert r.status == 201
            assert r.cookies[f"fc_p_{DEMO}"]["secure"]


# --- 5. rate limits -----------------------------------------------------------------------------------------------

async def register(server: Any, http: aiohttp.ClientSession) -> aiohttp.ClientResponse:
    token = await server.token("participant")
    async with http.post(server.url(f"/api/meetings/{DEMO}/participants?t={token}"), json=ALICE) as r:
        await r.read()
        return r


async def test_registrations_are_limited_per_address(server, http):
    for _ in range(REGISTRATIONS):
        assert (await register(server, http)).status == 201
    refused = await register(server, http)
    assert refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    assert (await refused.json())["error"]["code"] == "rate_limited"
    async with http.post(server.url(f"/m/{DEMO}/join"),
                         data={**ALICE, "t": await server.token("participant")}) as r:
        assert r.status == 429 and "Retry-After" in r.headers


async def test_registrations_are_limited_per_join_link(settings, http):
    settings.register_link_rate = "2/60"
    async with ServingTestServer(create_app(settings), port=0) as srv:
        running = Running(srv, settings)
        assert [(await register(running, http)).status for _ in range(3)] == [201, 201, 429]
        # A new join link (the old one rotated) has a count of its own.
        rotated = await link_id(running, "participant", None)
        assert await admin_post(running, http, f"/links/{rotated}/rotate") == 303
        assert (await register(running, http)).status == 201


async def participant(server: Any, connect: Any) -> socketio.AsyncClient:
    """A newly registered participant's /live connection to the morning session (the same address each time)."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
        token = await server.token("participant")
        async with http.post(server.url(f"/api/meetings/{DEMO}/participants?t={token}"), json=ALICE) as r:
            assert r.status == 201
            cookie = r.cookies[f"fc_p_{DEMO}"].value
    return await connect("/live", session="morning", cookies={f"fc_p_{DEMO}": cookie})


async def call(client: socketio.AsyncClient, event: str, data: dict[str, Any]) -> dict[str, Any]:
    return await client.call(event, data, namespace="/live", timeout=WAIT)


def assert_limited(reply: dict[str, Any]) -> None:
    assert not reply["ok"] and reply["error"]["code"] == "rate_limited", reply
    assert reply["error"]["retry_after"] >= 1


async def test_re_registering_does_not_escape_the_question_limit(server, live, connect):
    replies = []
    for _ in range(QUESTIONS_PER_ADDRESS + 1):  # a new identity for every question
        person = await participant(server, connect)
        replies.append(await call(person, "question_submit", {"text": "Same person, new cookie?"}))
    assert all(r["ok"] for r in replies[:-1]), replies
    assert_limited(replies[-1])


async def test_votes_are_limited_per_participant(server, live, connect):
    person = await participant(server, connect)
    replies = [await call(person, "question_vote", {"question_id": 999}) for _ in range(VOTES + 1)]
    assert all(r["error"]["code"] != "rate_limited" for r in replies[:-1])
    assert_limited(replies[-1])


async def test_floor_request_and_withdraw_churn_is_limited(server, live, connect):
    person = await participant(server, connect)
    first = await call(person, "floor_request", {})
    assert first["ok"], first
    assert (await call(person, "floor_withdraw", {"request_id": first["request_id"]}))["ok"]
    assert (await call(person, "floor_request", {}))["ok"]
    assert_limited(await call(person, "floor_withdraw", {}))


async def test_socket_events_are_limited_per_connection(server, connect):
    viewer = await connect("/live", session="morning")
    replies = [await call(viewer, "floor_state", {}) for _ in range(EVENTS - 1)]
    assert all(r["ok"] for r in replies)
    assert (await call(viewer, "no_such_event", {}))["error"]["code"] == "unknown_event"  # counted as well
    assert_limited(await call(viewer, "floor_state", {}))
    assert_limited(await call(viewer, "no_such_event", {}))
    other = await connect("/live", session="morning")
    assert (await call(other, "floor_state", {}))["ok"]


# --- 6. audit ----------------------------------------------------------------------------------------------------

async def test_link_actions_and_named_moderators_appear_in_the_admin_audit_log(server, http, connect):
    revoked = await link_id(server, "rapporteur", "morning")
    assert await admin_post(server, http, f"/links/{revoked}/revoke") == 303
    moderator = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"),
                              name="  Ana   <b>Chair</b> ")
    assert (await moderator.call("session_start", {}, namespace="/moderate", timeout=WAIT))["ok"]
    second = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"), name="Bo")
    assert (await second.call("session_end", {}, namespace="/moderate", timeout=WAIT))["ok"]
    async with http.get(server.url(f"/m/{DEMO}/admin?t={await server.token('admin')}")) as r:
        page = await r.text()
    assert "Audit log" in page
    assert "Link revoked" in page and f"Link: {revoked}, Role: Rapporteur" in page
    assert "Ana &lt;b&gt;Chair&lt;/b&gt;, Moderator link (morning)" in page  # as text, never as markup
    assert "Session started" in page and "Bo, Moderator link (morning)" in page and "Session ended" in page
    # Who acted and what they did, in the reader's language.
    async with http.get(server.url(f"/m/{DEMO}/admin?t={await server.token('admin')}&ui=es")) as r:
        page = await r.text()
    assert "Enlace revocado" in page and "Bo, Enlace de Moderador (morning)" in page and "Sesión terminada" in page


async def test_a_script_starting_a_session_may_say_who_it_acts_for(server, http):
    moderator = await server.token("moderator", "morning")
    api = server.url(f"/api/meetings/{DEMO}/sessions/morning")
    async with http.post(f"{api}/start?t={moderator}&name=  Rita  <i>Remote</i> ") as r:
        assert r.status == 200, await r.text()
    async with http.post(f"{api}/end?t={moderator}") as r:  # unnamed: the link alone
        assert r.status == 200, await r.text()
    async with http.get(server.url(f"/m/{DEMO}/admin?t={await server.token('admin')}")) as r:
        page = await r.text()
    assert "Rita &lt;i&gt;Remote&lt;/i&gt;, Moderator link (morning)" in page
    assert page.count("Moderator link (morning)") >= 2


NAME_FIRST = "Donnez d'abord votre nom"


async def test_a_moderator_without_a_display_name_may_look_but_not_act(server, http, live, connect):
    token = await server.token("moderator", "morning")
    for name in ("", "   "):  # none, or only spaces
        nameless = await connect("/moderate", session="morning", t=token, name=name, cookies={"floorcast_lang": "fr"})
        for event, data in (("session_end", {}), ("floor_add", {"name": "Room", "group": "civil"}),
                            ("floor_close", {}), ("question_settings", {"closes_at": None}),
                            ("screen_layout", {"shows": "captions"})):
            reply = await nameless.call(event, data, namespace="/moderate", timeout=WAIT)
            assert not reply["ok"] and reply["error"]["code"] == "display_name_required", (event, reply)
            assert reply["error"]["message"].startswith(NAME_FIRST), reply  # in the connection's language
        for event in ("floor_state", "floor_audit", "questions_list", "questions_audit"):
            assert (await nameless.call(event, {}, namespace="/moderate", timeout=WAIT))["ok"], event
    # Nothing was done: the session is live, the floor open and empty; named, the same link acts.
    named = await connect("/moderate", session="morning", t=token, name="Ana")
    floor = (await named.call("floor_state", {}, namespace="/moderate", timeout=WAIT))["floor"]
    assert floor["open"] and floor["queue"] == []
    assert (await named.call("floor_close", {}, namespace="/moderate", timeout=WAIT))["ok"]
    audit = (await named.call("floor_audit", {}, namespace="/moderate", timeout=WAIT))["entries"]
    assert [e["actor"]["label"] for e in audit] == ["moderator@morning (Ana)"]


# --- across processes ---------------------------------------------------------------------------------------------

@pytest.mark.redis
async def test_limits_and_revocations_hold_across_processes(settings, http):
    client = aioredis.from_url("redis://127.0.0.1:6379")
    try:
        await client.ping()
    except Exception as exc:  # the service is part of the set-up: fail loudly, do not skip
        pytest.fail(f"Redis is not running on 127.0.0.1:6379 ({exc}); run scripts/setup-system.sh")
    finally:
        await client.aclose()
    settings.redis_url, settings.redis_channel = "redis://127.0.0.1:6379", f"floorcast-test-{uuid.uuid4().hex}"
    other = Settings(**settings.__dict__)
    async with (ServingTestServer(create_app(settings), port=0) as a_srv,
                ServingTestServer(create_app(other), port=0) as b_srv):
        a, b = Running(a_srv, settings), Running(b_srv, other)
        for _ in range(REGISTRATIONS):
            assert (await register(a, http)).status == 201
        assert (await register(b, http)).status == 429  # the other process counts the same address

        moderator = socketio.AsyncClient(reconnection=False)
        told = Inbox(moderator, "/moderate", "access_revoked")
        gone = watch_disconnect(moderator, "/moderate")
        await moderator.connect(b.url("/"), namespaces=["/moderate"], transports=["websocket"], wait_timeout=WAIT,
                                auth={"meeting": DEMO, "session": "morning",
                                      "t": await b.token("moderator", "morning")})
        try:
            assert await admin_post(a, http, f"/links/{await link_id(a, 'moderator', 'morning')}/revoke") == 303
            await told.wait_for(lambda name, data: True, timeout=CUT_OFF)
            await asyncio.wait_for(gone.wait(), CUT_OFF)
        finally:
            if moderator.connected:
                await moderator.disconnect()
