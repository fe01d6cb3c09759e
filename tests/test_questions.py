"""Moderated questions over real sockets and HTTP: lifecycle, visibility, refusals, restart, exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import aiohttp
import pytest
import socketio

from server.web.app import create_app
from server.web.questions.service import questions_key

from .conftest import CHAIR, DEMO, WAIT, ServingTestServer

ALICE = {"name": "Alice Remote", "organisation": "APC", "country": "ZA", "group": "civil", "mode": "remote"}
BOB = {"name": "Bob Onsite", "organisation": "ICANN", "country": "GB", "group": "technical", "mode": "onsite"}
HUB = {"name": "Hub Nairobi", "organisation": "KICTANet", "country": "KE", "group": "civil", "mode": "hub",
       "hub_city": "Nairobi", "hub_country": "KE", "hub_headcount": 23}
LIVE_EVENTS = ("question_changed", "question_removed", "questions_counts", "question_my_vote")
MOD_EVENTS = ("question_changed", "questions_counts", "question_settings")


async def register(server: Any, body: dict[str, Any]) -> dict[str, str]:
    """Register a participant through the API; returns the cookies to connect with."""
    token = await server.token("participant")
    async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http,
                http.post(server.url(f"/api/meetings/{DEMO}/participants?t={token}"), json=body) as r):
        assert r.status == 201, await r.text()
        return {f"fc_p_{DEMO}": r.cookies[f"fc_p_{DEMO}"].value}


async def start(server: Any, http: aiohttp.ClientSession, sid: str = "morning") -> None:
    """Start a session with its moderator link."""
    token = await server.token("moderator", sid)
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/{sid}/start?t={token}")) as r:
        assert r.status == 200, await r.text()


async def call(client: socketio.AsyncClient, event: str, data: dict[str, Any], ns: str = "/live") -> dict[str, Any]:
    """Emit with an ACK, bounded by the test timeout."""
    return await client.call(event, data, namespace=ns, timeout=WAIT)


async def open_client(server: Any, namespace: str, cookies: dict[str, str] | None = None,
                      **auth: Any) -> socketio.AsyncClient:
    """A connected client on a server not served by the ``connect`` fixture (the caller disconnects it)."""
    client = socketio.AsyncClient(reconnection=False)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
    if namespace == "/moderate":
        auth.setdefault("name", CHAIR)
    await client.connect(server.url("/"), namespaces=[namespace], auth={"meeting": DEMO, **auth},
                         headers=headers, transports=["websocket"], wait_timeout=WAIT)
    return client


async def refusal(server: Any, namespace: str, cookies: dict[str, str] | None = None, **auth: Any) -> str:
    """Connect expecting a refusal; returns the reason the server gave."""
    reasons: list[Any] = []
    client = socketio.AsyncClient(reconnection=False)
    client.on("connect_error", reasons.append, namespace=namespace)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server.url("/"), namespaces=[namespace], auth={"meeting": DEMO, **auth},
                             headers=headers, transports=["websocket"], wait_timeout=WAIT)
    await client.disconnect()
    return reasons[0]["message"] if isinstance(reasons[0], dict) else reasons[0]


def code(reply: dict[str, Any]) -> str:
    assert reply["ok"] is False, reply
    return reply["error"]["code"]


class Room:
    """A live session with a moderator, two registered participants and an anonymous viewer, each with an inbox."""

    async def open(self, server: Any, http: Any, connect: Any, inbox: Any) -> Room:
        await start(server, http)
        self.mod = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"))
        self.mod_in = inbox(self.mod, "/moderate", *MOD_EVENTS)
        self.alice = await connect("/live", session="morning", cookies=await register(server, ALICE))
        self.alice_in = inbox(self.alice, "/live", *LIVE_EVENTS)
        self.bob = await connect("/live", session="morning", cookies=await register(server, BOB))
        self.bob_in = inbox(self.bob, "/live", *LIVE_EVENTS)
        self.viewer = await connect("/live", session="morning")
        self.viewer_in = inbox(self.viewer, "/live", *LIVE_EVENTS)
        return self

    async def ask(self, text: str, who: str = "alice", **extra: Any) -> int:
        reply = await call(getattr(self, who), "question_submit", {"text": text, **extra})
        assert reply["ok"], reply
        return reply["id"]

    async def mod_do(self, event: str, **data: Any) -> dict[str, Any]:
        reply = await call(self.mod, event, data, "/moderate")
        assert reply["ok"], reply
        return reply


@pytest.fixture
async def room(server, http, connect, inbox) -> Room:
    return await Room().open(server, http, connect, inbox)


def about(qid: int, status: str | None = None):
    """Predicate: a ``question_changed`` about question ``qid`` (in ``status``)."""
    return lambda name, d: (name == "question_changed" and d["question"]["id"] == qid
                            and (status is None or d["question"]["status"] == status))


def seen_ids(box: Any) -> set[int]:
    return {d["question"]["id"] for n, d in box.items if n == "question_changed"} | {
        d["id"] for n, d in box.items if n == "question_removed"}


async def test_whole_lifecycle_over_sockets(room, server, http):
    qid = await room.ask("How will remote hubs be heard?", theme="Priorities", language="en", show_name=False)
    pending = await room.mod_in.wait_for(about(qid, "pending"))
    assert pending["question"]["author"]["name"] == "Alice Remote"  # moderators always know the author
    mine = await room.alice_in.wait_for(about(qid, "pending"))
    assert mine["question"]["mine"] is True and mine["question"]["dismiss_reason"] is None

    assert (await room.mod_do("question_publish", id=qid))["events"] == ["question_published"]
    public = await room.viewer_in.wait_for(about(qid, "published"))
    assert public["question"]["author"] == {"group": "civil", "group_label": "Civil society"}  # name hidden by choice
    assert "voters" not in public["question"] and "dismiss_note" not in public["question"]
    await room.bob_in.wait_for(about(qid, "published"))
    assert qid not in {d["question"]["id"] for n, d in room.bob_in.items if n == "question_changed"
                       and d["question"]["status"] == "pending"}  # nobody else saw it pending

    assert (await call(room.bob, "question_vote", {"id": qid}))["ok"]
    assert code(await call(room.bob, "question_vote", {"id": qid})) == "already_voted"
    assert code(await call(room.viewer, "question_vote", {"id": qid})) == "not_registered"
    voted = await room.viewer_in.wait_for(lambda n, d: about(qid)(n, d) and d["question"]["votes"] == 1)
    await room.bob_in.wait_for(lambda n, d: n == "question_my_vote" and d == {"session_id": "morning", "id": qid,
                                                                               "voted": True})
    assert (await call(room.bob, "question_unvote", {"id": qid}))["ok"]
    assert code(await call(room.bob, "question_unvote", {"id": qid})) == "not_voted"
    assert (await call(room.bob, "question_vote", {"id": qid}))["ok"]

    await room.mod_do("question_screen", id=qid)
    await room.viewer_in.wait_for(about(qid, "on_screen"))
    await room.alice_in.wait_for(about(qid, "on_screen"))
    reply = await room.mod_do("question_hand_to_floor", id=qid, how="read_aloud", reader="Chair Markus")
    assert reply["floor_ref"] == "r1"  # the floor queue took the reading
    handed = await room.mod_in.wait_for(lambda n, d: about(qid)(n, d) and d["events"]
                                        and d["events"][0]["name"] == "question_handed_to_floor")
    assert handed["question"]["handoffs"][0]["reader"] == "Chair Markus"
    await room.mod_do("question_answer", id=qid, intervention_id=7)
    answered = await room.viewer_in.wait_for(about(qid, "answered"))
    assert answered["question"]["votes"] == 1 and answered["seq"] > voted["seq"]
    await room.mod_do("question_reopen", id=qid)
    await room.viewer_in.wait_for(lambda n, d: about(qid, "published")(n, d) and d["seq"] > answered["seq"])

    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/morning/questions/counts")) as r:
        counts = await r.json()
    assert counts["received"] == 1 and counts["published"] == 1 and counts["answered"] == 0
    listing = await call(room.viewer, "questions_list", {})
    assert [q["id"] for q in listing["questions"]] == [qid] and listing["registered"] is False
    assert (await call(room.bob, "questions_list", {}))["voted"] == [qid]


async def test_dismissed_and_pending_questions_reach_only_moderators_and_author(room):
    hidden = await room.ask("Off topic rant")
    await room.mod_in.wait_for(about(hidden, "pending"))
    await room.mod_do("question_dismiss", id=hidden, reason="off_topic", note="Please keep to the agenda.")
    told = await room.alice_in.wait_for(about(hidden, "dismissed"))
    assert (told["question"]["dismiss_reason"], told["question"]["dismiss_note"]) == ("off_topic",
                                                                                     "Please keep to the agenda.")
    # Published then dismissed: the others only hear that it is gone, never why.
    shown = await room.ask("A fair question", who="bob")
    await room.mod_do("question_publish", id=shown)
    await room.viewer_in.wait_for(about(shown, "published"))
    await room.mod_do("question_dismiss", id=shown, reason="inappropriate")
    removed = await room.viewer_in.wait_for(lambda n, d: n == "question_removed" and d["id"] == shown)
    assert set(removed) == {"seq", "session_id", "id"}
    # A last public change; each socket receives in order, so anything about the others came before it.
    marker = await room.ask("Marker", who="bob")
    await room.mod_do("question_publish", id=marker)
    for box in (room.viewer_in, room.bob_in):
        await box.wait_for(about(marker, "published"))
    assert hidden not in seen_ids(room.viewer_in) and hidden not in seen_ids(room.bob_in)
    assert all(d["question"]["status"] != "dismissed" for n, d in room.viewer_in.items if n == "question_changed")
    for who in (room.viewer, room.bob):
        assert hidden not in [q["id"] for q in (await call(who, "questions_list", {}))["questions"]]
    mine = (await call(room.alice, "questions_list", {}))["questions"]
    assert [q["id"] for q in mine if q["status"] == "dismissed"] == [hidden]
    counts = (await call(room.viewer, "questions_list", {}))["counts"]
    assert counts["dismissed"]["off_topic"] == 1 and counts["dismissed"]["inappropriate"] == 1


async def test_author_edits_and_withdraws_while_pending(room):
    qid = await room.ask("Frist draft")
    assert (await call(room.alice, "question_edit", {"id": qid, "text": "First draft"}))["ok"]
    assert code(await call(room.bob, "question_edit", {"id": qid, "text": "Hijack"})) == "not_allowed"
    assert code(await call(room.bob, "question_withdraw", {"id": qid})) == "not_allowed"
    edited = await room.mod_in.wait_for(lambda n, d: about(qid)(n, d) and d["question"]["text"] == "First draft")
    assert edited["question"]["original_text"] == "Frist draft"
    assert (await call(room.alice, "question_withdraw", {"id": qid}))["ok"]
    await room.alice_in.wait_for(about(qid, "withdrawn"))
    assert code(await call(room.alice, "question_edit", {"id": qid, "text": "Again"})) == "invalid_transition"
    # Moderators edit published questions; the original is kept.
    other = await room.ask("Typo'd questoin")
    await room.mod_do("question_publish", id=other)
    await room.mod_do("question_edit", id=other, text="Typo'd question")
    assert code(await call(room.alice, "question_edit", {"id": other, "text": "x"})) == "invalid_transition"
    fixed = await room.viewer_in.wait_for(lambda n, d: about(other)(n, d) and d["question"]["edited"])
    assert fixed["question"]["text"] == "Typo'd question"


async def test_merge_carries_votes_and_authors(room, server, connect):
    hub = await connect("/live", session="morning", cookies=await register(server, HUB))
    kept = await room.ask("What about small island states?")
    dup = await room.ask("And small islands?", who="bob", show_name=True)
    for qid in (kept, dup):
        await room.mod_do("question_publish", id=qid)
    assert (await call(hub, "question_vote", {"id": dup}))["ok"]
    await room.mod_do("question_merge", id=kept, merged_id=dup)
    merged = await room.viewer_in.wait_for(lambda n, d: about(kept)(n, d) and d["question"]["also_asked_by"])
    assert merged["question"]["votes"] == 1
    assert merged["question"]["also_asked_by"][0]["name"] == "Bob Onsite"
    told = await room.bob_in.wait_for(about(dup, "dismissed"))
    assert (told["question"]["dismiss_reason"], told["question"]["merged_into"]) == ("duplicate", kept)
    await room.viewer_in.wait_for(lambda n, d: n == "question_removed" and d["id"] == dup)
    assert code(await call(hub, "question_vote", {"id": kept})) == "already_voted"  # the vote came along


async def test_refusals(room, server, connect, http):
    eve = await register(server, {**BOB, "name": "Eve"})
    assert await refusal(server, "/moderate", eve, session="morning") == "forbidden"
    assert await refusal(server, "/moderate", eve, session="morning",
                         t=await server.token("participant")) == "forbidden"
    assert await refusal(server, "/moderate", session="morning",  # another session's moderator
                         t=await server.token("moderator", "afternoon")) == "forbidden"
    assert code(await call(room.viewer, "question_submit", {"text": "Hi"})) == "not_registered"
    assert code(await call(room.alice, "question_submit", {"text": "x" * 501})) == "text_too_long"
    assert code(await call(room.alice, "question_submit", {"text": "   "})) == "text_required"
    assert code(await call(room.alice, "question_submit", {"text": "Hi", "theme": "Cooking"})) == "unknown_theme"
    assert code(await call(room.alice, "question_submit", {"text": "Hi", "language": "xx"})) == "unknown_language"
    assert code(await call(room.alice, "question_submit", {"text": "Hi", "show_name": "yes"})) == "invalid_format"
    assert code(await call(room.alice, "question_vote", {"id": 99})) == "not_found"
    assert code(await call(room.alice, "question_vote", {"id": "1"})) == "invalid_format"
    assert code(await call(room.mod, "question_publish", {"id": 99}, "/moderate")) == "not_found"
    assert code(await call(room.mod, "question_dismiss", {"id": 1, "reason": "boring"}, "/moderate")) in (
        "unknown_reason", "not_found")
    for n in range(3):
        await room.ask(f"Question {n}")
    refused = await call(room.alice, "question_submit", {"text": "A fourth within a minute"})
    assert code(refused) == "rate_limited" and "try again in" in refused["error"]["message"]
    assert (await call(room.bob, "question_submit", {"text": "Bob is not limited by Alice"}))["ok"]
    pending = (await call(room.mod, "questions_list", {}, "/moderate"))["questions"][0]["id"]
    assert code(await call(room.mod, "question_dismiss", {"id": pending, "reason": "boring"}, "/moderate")) == (
        "unknown_reason")
    assert code(await call(room.mod, "question_screen", {"id": pending}, "/moderate")) == "invalid_transition"
    # A closing time: new questions are refused once it has passed.
    await room.mod_do("question_settings", closes_at=1)
    settings = await room.mod_in.wait_for(lambda n, d: n == "question_settings")
    assert settings["settings"]["closes_at"] == 1
    assert code(await call(room.bob, "question_submit", {"text": "Too late"})) == "questions_closed"
    await room.mod_do("question_settings", closes_at=None)
    assert (await call(room.bob, "question_submit", {"text": "Open again"}))["ok"]
    # Not live: end the session.
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/end"
                                    f"?t={await server.token('moderator', 'morning')}")) as r:
        assert r.status == 200
    assert code(await call(room.bob, "question_submit", {"text": "After the end"})) == "session_not_live"


async def test_publish_without_premoderation(room):
    await room.mod_do("question_settings", auto_publish=True)
    qid = await room.ask("Straight out")
    got = await room.viewer_in.wait_for(about(qid, "published"))
    assert got["question"]["text"] == "Straight out"


async def test_session_must_be_live(server, connect):
    alice = await connect("/live", session="morning", cookies=await register(server, ALICE))
    assert code(await call(alice, "question_submit", {"text": "Early bird"})) == "session_not_live"


async def test_restart_rebuilds_the_board_from_stored_events(settings, http):
    async def run(body: Any) -> Any:
        app = create_app(settings)
        async with ServingTestServer(app, port=0) as srv:
            from .conftest import Running

            return await body(Running(srv, settings), app)

    async def first(srv: Any, app: Any) -> Any:
        await start(srv, http)
        client = await open_client(srv, "/live", await register(srv, ALICE), session="morning")
        moderator = await open_client(srv, "/moderate", session="morning", t=await srv.token("moderator", "morning"))
        try:
            ids = []
            for text in ("One", "Two", "Three"):
                ids.append((await call(client, "question_submit", {"text": text}))["id"])
            await call(moderator, "question_publish", {"id": ids[0]}, "/moderate")
            await call(moderator, "question_screen", {"id": ids[0]}, "/moderate")
            await call(moderator, "question_dismiss", {"id": ids[1], "reason": "off_topic"}, "/moderate")
            await call(moderator, "question_settings", {"auto_publish": True}, "/moderate")
            return await call(moderator, "questions_list", {}, "/moderate")
        finally:
            await client.disconnect()
            await moderator.disconnect()

    async def second(srv: Any, app: Any) -> Any:
        moderator = await open_client(srv, "/moderate", session="morning", t=await srv.token("moderator", "morning"))
        try:
            return await call(moderator, "questions_list", {}, "/moderate")
        finally:
            await moderator.disconnect()

    before = await run(first)
    after = await run(second)
    assert [q["status"] for q in before["questions"]] == ["on_screen", "dismissed", "pending"]
    assert after == before  # same questions, history, votes, settings and seq
    assert after["settings"]["auto_publish"] is True


async def test_exports_for_rapporteurs_guard_formulas(room, server, http):
    qid = await room.ask("=HYPERLINK(\"http://evil\",\"click\")")
    await room.mod_do("question_publish", id=qid)
    await room.mod_do("question_answer", id=qid)
    base = f"/m/{DEMO}/s/morning/questions"
    for fmt in ("csv", "json"):
        async with http.get(server.url(f"{base}.{fmt}")) as r:
            assert r.status == 403
        async with http.get(server.url(f"{base}.{fmt}?t={await server.token('captioner', 'morning')}")) as r:
            assert r.status == 403
    async with http.get(server.url(f"{base}.csv?t={await server.token('rapporteur', 'morning')}")) as r:
        assert r.status == 200 and r.content_type == "text/csv"
        assert "attachment" in r.headers["Content-Disposition"]
        text = (await r.read()).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0]["text"] == "'=HYPERLINK(\"http://evil\",\"click\")"
    assert (rows[0]["author_name"], rows[0]["author_group"], rows[0]["author_mode"]) == ("Alice Remote", "civil",
                                                                                          "remote")
    assert rows[0]["published_utc"] and rows[0]["answered_utc"] and rows[0]["status"] == "answered"
    assert "published by moderator@morning" in rows[0]["history"]
    async with http.get(server.url(f"{base}.json?t={await server.token('moderator', 'morning')}")) as r:
        body = await r.json()
    [record] = body["questions"]
    assert record["text"].startswith("=HYPERLINK")  # JSON keeps the text exactly
    assert record["author"]["country"] == "ZA" and [h["action"] for h in record["history"]] == [
        "question_submitted", "question_published", "question_answered"]
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/morning/questions/audit"
                                   f"?t={await server.token('moderator', 'morning')}")) as r:
        entries = (await r.json())["entries"]
    assert [(e["name"], e["actor"]["label"]) for e in entries] == [
        ("question_submitted", "Alice Remote"), ("question_published", f"moderator@morning ({CHAIR})"),
        ("question_answered", f"moderator@morning ({CHAIR})")]
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/morning/questions/audit")) as r:
        assert r.status == 403
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/morning/questions?sort=newest")) as r:
        public = await r.json()
    assert [q["id"] for q in public["questions"]] == [qid] and "voters" not in public["questions"][0]


async def test_audit_log_is_append_only(room, server):
    from server.web.keys import db_key

    await room.ask("Keep me")
    db = server.app[db_key]
    for sql in ("UPDATE question_events SET name = 'x'", "DELETE FROM question_events"):
        with pytest.raises(Exception, match="append-only"):
            async with db.write() as conn:
                await conn.execute(sql)
    assert len(await db.fetchall("SELECT id FROM question_events")) == 1


async def test_hand_off_calls_the_floor_hook(settings, http, inbox):
    calls: list[tuple[Any, ...]] = []

    class FloorStandIn:
        async def take_question(self, loaded, session_id, question, how, reader, actor):
            calls.append((session_id, question["id"], how, reader, actor.label))
            return "req-1"

    app = create_app(settings)
    app[questions_key].floor = FloorStandIn()
    async with ServingTestServer(app, port=0) as srv:
        from .conftest import Running

        running = Running(srv, settings)
        await start(running, http)
        alice = await open_client(running, "/live", await register(running, ALICE), session="morning")
        mod = await open_client(running, "/moderate", session="morning", t=await running.token("moderator", "morning"))
        clients = [alice, mod]
        try:
            alice_in = inbox(alice, "/live", *LIVE_EVENTS)
            qid = (await call(alice, "question_submit", {"text": "May I speak to it?"}))["id"]
            await call(mod, "question_publish", {"id": qid}, "/moderate")
            reply = await call(mod, "question_hand_to_floor", {"id": qid, "how": "author_speaks"}, "/moderate")
            assert reply["ok"] and reply["floor_ref"] == "req-1"
            assert calls == [("morning", qid, "author_speaks", None, f"moderator@morning ({CHAIR})")]
            told = await alice_in.wait_for(lambda n, d: about(qid)(n, d) and d["question"].get("handed_to_floor"))
            assert told["question"]["handed_to_floor"] == "author_speaks"
            linked = await call(mod, "question_link_intervention", {"id": qid, "intervention_id": 12}, "/moderate")
            assert linked["events"] == ["question_intervention_linked"]
            assert code(await call(mod, "question_link_intervention", {"id": qid, "intervention_id": 12},
                                   "/moderate")) == "already_linked"
            bad = await call(mod, "question_hand_to_floor", {"id": qid, "how": "sing"}, "/moderate")
            assert code(bad) == "invalid_format" and len(calls) == 1
        finally:
            for c in clients:
                if c.connected:
                    await c.disconnect()


async def test_questions_list_needs_a_session(connect):
    client = await connect("/live")
    assert code(await call(client, "questions_list", {})) == "invalid_format"


async def test_openapi_describes_the_question_endpoints(room, server, http):
    async with http.get(server.url("/api/openapi.json")) as r:
        paths = (await r.json())["paths"]
    base = "/api/meetings/{slug}/sessions/{session_id}/questions"
    assert {base, base + "/counts", base + "/audit", "/m/{slug}/s/{session_id}/questions.{fmt}"} <= set(paths)
    schema = paths[base + "/counts"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    await room.ask("Counted?")
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/morning/questions/counts")) as r:
        counts = await r.json()
    assert set(counts) == set(schema["properties"]) and set(counts["dismissed"]) == set(
        schema["properties"]["dismissed"]["properties"])
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/nope/questions/counts")) as r:
        assert r.status == 404
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/morning/questions?sort=loudest")) as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == "invalid_format"
