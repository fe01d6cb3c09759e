"""Several nodes sharing one store (the same SQLite file, or one PostgreSQL database) and one Redis: every node
accepts every role, and commands on a session from any node are serialised by the store.

Each node is its own ``create_app`` on its own port in this test process, as a separate server process would be:
its own queues, boards and session lives in memory, its own connections and store handle. The nodes of one test
share a Redis channel no other test uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest
import socketio

from server.domain.floor.events import event_to_dict
from server.domain.floor.queue import FloorQueue
from server.settings import Settings
from server.storage import audit as audit_db
from server.storage import floor as floor_db
from server.storage import meetings as meetings_db
from server.storage import questions as questions_db
from server.web import rooms
from server.web import sessions as sessions_module
from server.web.app import create_app
from server.web.floor.service import floor_key
from server.web.keys import db_key, link_key_key, registry_key, sio_key
from server.web.notices import FLOOR, QUESTIONS, SESSION, Notice, notices_key
from server.web.sessions import session_watch_key

from .conftest import DEMO, REDIS, WAIT, Inbox, Running, ServingTestServer
from .test_questions import ALICE, BOB, call, open_client, register, start


@contextlib.asynccontextmanager
async def node(settings: Settings, channel: str | None = None) -> AsyncIterator[Running]:
    """One more server process's worth of state; with ``channel``, fan-out and notices through Redis."""
    settings = dataclasses.replace(settings, redis_url=REDIS if channel else "", redis_channel=channel or "floorcast")
    async with ServingTestServer(create_app(settings), port=0) as srv:
        settings.port = srv.port
        yield Running(srv, settings)


@contextlib.asynccontextmanager
async def nodes(settings: Settings, channel: str | None, count: int) -> AsyncIterator[list[Running]]:
    """``count`` nodes on the same store (and the same Redis channel when given)."""
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(node(settings, channel)) for _ in range(count)]


async def chair(running: Running, event: str, **data: Any) -> dict[str, Any]:
    """One moderator action through a fresh connection to that node."""
    client = await open_client(running, "/moderate", session="morning", t=await running.token("moderator", "morning"))
    try:
        return await call(client, event, data, "/moderate")
    finally:
        await client.disconnect()


async def session_action(running: Running, http: aiohttp.ClientSession, action: str) -> tuple[int, dict[str, Any]]:
    """Start or end the morning session through that node's API: (status, body)."""
    token = await running.token("moderator", "morning")
    async with http.post(running.url(f"/api/meetings/{DEMO}/sessions/morning/{action}?t={token}")) as r:
        return r.status, await r.json()


async def life_log(running: Running) -> list[str]:
    """The morning session's starts and ends as the audit log holds them, oldest first."""
    rows = await audit_db.recent(running.app[db_key], 1)
    return [r["action"] for r in reversed(rows) if r["session_id"] == "morning" and r["action"].startswith("session_")]


async def caught_up(running: Running, kind: str, seq: int) -> None:
    """Wait until that node has handled the notice of the morning session's ``kind`` log reaching ``seq``."""
    await asyncio.wait_for(running.app[notices_key].caught_up(Notice(kind, 1, "morning", seq)), WAIT)


async def test_a_stale_node_catches_up_and_its_first_action_succeeds(settings, http):
    # No Redis: nobody tells a that b changed the list, so a's copy is out of date when it acts.
    async with nodes(settings, None, 2) as (a, b):
        await start(a, http)
        assert (await chair(a, "floor_time_limit", seconds=60))["ok"]  # a holds the queue now
        assert (await chair(b, "floor_close"))["ok"]  # b reads the log, closes the list
        # a catches up with b's close before acting: the list is closed already, nothing more is stored.
        again = await chair(a, "floor_close")
        assert again == {"ok": True, "seq": 2, "events": []}
        added = await chair(a, "floor_add", name="Delegate of Kenya", group="government")
        assert added["ok"] and added["seq"] == 3, added
        assert (await chair(a, "floor_state"))["floor"]["open"] is False
        events = await floor_db.audit(a.app[db_key], 1, "morning")
        assert [e["name"] for e in events] == ["floor_time_limit_set", "floor_list_closed", "floor_requested"]
        # The question boards catch up the same way.
        cookies = await register(a, ALICE)
        asker = await open_client(a, "/live", cookies, session="morning")
        try:
            asked = await call(asker, "question_submit", {"text": "Who pays?"})
            assert asked["ok"], asked
            assert (await chair(a, "question_publish", id=asked["id"]))["ok"]  # a's board is loaded
            assert (await chair(b, "question_dismiss", id=asked["id"], reason="duplicate"))["ok"]
            reopened = await chair(a, "question_reopen", id=asked["id"])  # a's board still has it published
            assert reopened["ok"] and reopened["seq"] == 4, reopened
        finally:
            await asker.disconnect()
        names = [e["name"] for e in await questions_db.audit(a.app[db_key], 1, "morning")]
        assert names == ["question_submitted", "question_published", "question_dismissed", "question_reopened"]


@pytest.mark.redis
async def test_chair_on_one_node_and_participant_on_another_run_a_floor_round(settings, http, channel):
    async with nodes(settings, channel, 2) as (a, b):
        await start(a, http)
        mod = await open_client(a, "/moderate", session="morning", t=await a.token("moderator", "morning"))
        mod_in = Inbox(mod, "/moderate", "floor_changed")
        alice = await open_client(b, "/live", await register(a, ALICE), session="morning")
        alice_in = Inbox(alice, "/live", "floor_changed", "floor_mine")
        viewer = await open_client(b, "/live", session="morning", lang="en")
        viewer_in = Inbox(viewer, "/live", "caption_segment")
        try:
            asked = await call(alice, "floor_request", {})  # on b, whose copy of the session's life is current
            assert asked["ok"], asked
            seen = await mod_in.wait_for(lambda n, d: d["seq"] == asked["seq"])  # a's chair sees it at once
            assert [row["id"] for row in seen["floor"]["queue"]] == [asked["request_id"]]
            called = await call(mod, "floor_call_next", {"seen_first": asked["request_id"]}, "/moderate")
            assert called["ok"] and called["request_id"] == asked["request_id"], called
            mine = await alice_in.wait_for(lambda n, d: n == "floor_mine" and d["seq"] == called["seq"])
            assert mine["requests"] == [asked["request_id"]]
            # b caught up with a's call: a page connecting to b sees the speaker, and captions written through b
            # are attributed to her.
            await caught_up(b, FLOOR, called["seq"])
            late = await open_client(b, "/live", session="morning")
            try:
                state = (await call(late, "floor_state", {}))["floor"]
                assert state["seq"] == called["seq"] and state["current"]["name"] == ALICE["name"]
            finally:
                await late.disconnect()
            captioner = await b.token("captioner", "morning")
            async with http.post(b.url(f"/m/{DEMO}/s/morning/ingest/zoom?t={captioner}&seq=1&lang=en-US"),
                                 data=b"Thank you, chair.") as r:
                assert r.status == 200, await r.text()
            segment = await viewer_in.wait_for(lambda n, d: True)
            assert segment["speaker"] == ALICE["name"] and segment["intervention_id"] == called["intervention_id"]
            # A chair on b ends the intervention; the chair on a sees it.
            ended = await chair(b, "floor_end")
            assert ended["ok"] and ended["seq"] == called["seq"] + 1, ended
            await mod_in.wait_for(lambda n, d: d["seq"] == ended["seq"] and d["floor"]["current"] is None)
        finally:
            for client in (mod, alice, viewer):
                await client.disconnect()


@pytest.mark.redis
async def test_questions_asked_on_one_node_are_screened_on_another(settings, http, channel):
    async with nodes(settings, channel, 2) as (a, b):
        await start(a, http)
        mod = await open_client(a, "/moderate", session="morning", t=await a.token("moderator", "morning"))
        mod_in = Inbox(mod, "/moderate", "question_changed")
        assert (await call(mod, "questions_list", {}, "/moderate"))["ok"]  # a's board is loaded before the question
        alice = await open_client(b, "/live", await register(a, ALICE), session="morning")
        alice_in = Inbox(alice, "/live", "question_changed")
        try:
            asked = await call(alice, "question_submit", {"text": "Who pays for the hubs?"})
            assert asked["ok"], asked
            await mod_in.wait_for(lambda n, d: d["question"]["id"] == asked["id"])
            await caught_up(a, QUESTIONS, asked["seq"])  # a's board has the question too
            listed = await call(mod, "questions_list", {}, "/moderate")
            assert [q["id"] for q in listed["questions"]] == [asked["id"]], listed
            published = await call(mod, "question_publish", {"id": asked["id"]}, "/moderate")
            assert published["ok"] and published["seq"] == 2, published
            await alice_in.wait_for(lambda n, d: d["question"]["id"] == asked["id"]
                                    and d["question"]["status"] == "published")
            await caught_up(b, QUESTIONS, published["seq"])
            late = await open_client(b, "/live", session="morning")  # a new page on b sees the published board
            try:
                board = await call(late, "questions_list", {})
                assert [(q["id"], q["status"]) for q in board["questions"]] == [(asked["id"], "published")]
            finally:
                await late.disconnect()
            bob = await open_client(b, "/live", await register(b, BOB), session="morning")
            try:
                voted = await call(bob, "question_vote", {"id": asked["id"]})
                assert voted["ok"] and voted["seq"] == 3, voted
            finally:
                await bob.disconnect()
        finally:
            await mod.disconnect()
            await alice.disconnect()


@pytest.mark.redis
async def test_a_session_started_on_one_node_is_ended_on_another(settings, http, channel):
    async with nodes(settings, channel, 2) as (a, b):
        viewer = await open_client(a, "/live", session="morning")
        viewer_in = Inbox(viewer, "/live", "session_state")
        alice = await open_client(b, "/live", await register(b, ALICE), session="morning")
        try:
            status, body = await session_action(a, http, "start")
            assert status == 200 and body["session"]["state"] == "live", body
            await caught_up(b, SESSION, 1)  # the session's first stored change
            asked = await call(alice, "floor_request", {})  # b knows the session is live
            assert asked["ok"], asked
            status, body = await session_action(b, http, "end")
            assert status == 200 and body["session"]["state"] == "ended", body
            await viewer_in.wait_for(lambda n, d: d["state"] == "ended")  # a's page hears of it through Redis
            await caught_up(a, SESSION, 2)
            mod = await open_client(a, "/moderate", session="morning", t=await a.token("moderator", "morning"))
            try:
                refused = await call(mod, "floor_call_next", {}, "/moderate")
                assert refused["ok"] is False and refused["error"]["code"] == "session_not_live", refused
            finally:
                await mod.disconnect()
            async with http.get(a.url(f"/api/meetings/{DEMO}")) as r:
                sessions = {s["id"]: s for s in (await r.json())["sessions"]}
            assert sessions["morning"]["state"] == "ended"
        finally:
            await viewer.disconnect()
            await alice.disconnect()
        assert await life_log(a) == ["session_started", "session_ended"]


@pytest.mark.redis
async def test_starting_a_session_on_two_nodes_at_once_gives_one_start(settings, http, channel):
    async with nodes(settings, channel, 3) as trio:
        results = await asyncio.gather(*(session_action(n, http, "start") for n in trio))
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 409, 409], results  # the others see the session live already, not a conflict
        assert all(body["error"]["code"] == "invalid_transition" for status, body in results if status == 409)
        assert await life_log(trio[0]) == ["session_started"]
        db = trio[0].app[db_key]
        lives = await meetings_db.load_session_lives(db, 1, (await meetings_db.load_meeting(db, DEMO))[1])
        assert lives["morning"].changes == 1


@pytest.mark.redis
async def test_calling_the_next_speaker_on_two_nodes_at_once_gives_one_change(settings, http, channel):
    async with nodes(settings, channel, 2) as (a, b):
        await start(a, http)
        first = await chair(a, "floor_add", name="Delegate of Kenya", group="government")
        await chair(a, "floor_add", name="Delegate of Brazil", group="government")
        mods = [await open_client(n, "/moderate", session="morning", t=await n.token("moderator", "morning"))
                for n in (a, b)]
        try:
            replies = await asyncio.gather(*(call(m, "floor_call_next", {"seen_first": first["request_id"]},
                                                  "/moderate") for m in mods))
        finally:
            for m in mods:
                await m.disconnect()
        assert all(r["ok"] for r in replies), replies
        assert sorted(len(r["events"]) for r in replies) == [0, 1], replies  # one call, one "already done"
        names = [e["name"] for e in await floor_db.audit(a.app[db_key], 1, "morning")]
        assert names.count("floor_granted") == 1
        for n in (a, b):
            state = (await chair(n, "floor_state"))["floor"]
            assert state["current"]["request_id"] == first["request_id"]
            assert [row["name"] for row in state["queue"]] == ["Delegate of Brazil"]


@pytest.mark.redis
async def test_many_actions_at_once_on_three_nodes_are_all_stored_in_one_order(settings, http, channel):
    async with nodes(settings, channel, 3) as trio:
        await start(trio[0], http)
        mods = [await open_client(n, "/moderate", session="morning", t=await n.token("moderator", "morning"))
                for n in trio]
        try:
            replies = await asyncio.gather(*(
                call(m, "floor_add", {"name": f"Delegate {i}-{k}", "group": "government"}, "/moderate")
                for k in range(6) for i, m in enumerate(mods)))
        finally:
            for m in mods:
                await m.disconnect()
        assert all(r["ok"] for r in replies), [r for r in replies if not r["ok"]]
        # The store serialised them: no node lost a race it had to retry.
        assert [n.app[db_key].errors["conflict"] for n in trio] == [0, 0, 0]
        assert sorted(r["seq"] for r in replies) == list(range(1, 19))
        stored = await floor_db.audit(trio[0].app[db_key], 1, "morning")
        assert len({e["request_id"] for e in stored}) == 18
        for n in trio:  # each node's copy, caught up, has every request once
            state = (await chair(n, "floor_state"))["floor"]
            assert len(state["queue"]) == 18 and state["seq"] == 18


@pytest.mark.redis
async def test_hubs_and_links_changed_on_one_node_are_seen_on_another(settings, http, channel):
    async with nodes(settings, channel, 2) as (a, b):
        admin = await a.token("admin")
        hub = {"name": "Hub Nairobi", "city": "Nairobi", "country": "KE", "group": "civil",
               "expected_headcount": 20}
        async with http.post(a.url(f"/api/meetings/{DEMO}/hubs?t={admin}"), json=hub) as r:
            assert r.status == 201, await r.text()
            hub_id = (await r.json())["hub"]["id"]
        async with http.get(b.url(f"/api/meetings/{DEMO}/hubs?t={admin}")) as r:
            assert [h["id"] for h in (await r.json())["hubs"]] == [hub_id]
        hub_token = next(token for (role, _), token in (await b.links()).items() if role == "hub")
        async with http.get(b.url(f"/m/{DEMO}/hub?t={hub_token}")) as r:
            assert r.status == 200
        # A captioner link rotated on a: its connection to b is cut off, the new link works on b.
        old = await a.token("captioner", "morning")
        captioner = await open_client(b, "/caption", session="morning", t=old)
        gone = asyncio.Event()
        captioner.on("disconnect", gone.set, namespace="/caption")
        found = await meetings_db.active_links(a.app[db_key], a.app[link_key_key], 1)
        link_id = next(link.id for link in found if link.token == old)
        async with http.post(a.url(f"/m/{DEMO}/admin/links/{link_id}/rotate"),
                             data={"t": admin, "confirm": "yes"}, allow_redirects=False) as r:
            assert r.status == 303, await r.text()
        await asyncio.wait_for(gone.wait(), WAIT)
        new = await b.token("captioner", "morning")
        assert new != old
        fresh = await open_client(b, "/caption", session="morning", t=new)
        await fresh.disconnect()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await open_client(b, "/caption", session="morning", t=old)


async def test_nodes_starting_together_on_an_empty_store_load_the_demo_meeting_once(settings):
    async with contextlib.AsyncExitStack() as stack:
        a, b = await asyncio.gather(*(stack.enter_async_context(node(settings)) for _ in range(2)))
        meetings = await meetings_db.list_meetings(a.app[db_key])
        assert [m["slug"] for m in meetings] == [DEMO]
        assert await a.token("moderator", "morning") == await b.token("moderator", "morning")


@pytest.mark.redis
async def test_the_floor_copy_is_loaded_on_notice_for_caption_attribution(settings, http, channel):
    """A node serving the meeting, but never asked for the floor of a session, attributes captions to the speaker
    another node called."""
    async with nodes(settings, channel, 2) as (a, b):
        await start(a, http)
        async with http.get(b.url(f"/m/{DEMO}")) as r:  # b serves the meeting (its home page, say)
            assert r.status == 200
        assert b.app[floor_key].current_speaker(1, "morning") is None
        added = await chair(a, "floor_add", name="Delegate of Kenya", group="government")
        called = await chair(a, "floor_call_next", seen_first=added["request_id"])
        await caught_up(b, FLOOR, called["seq"])
        speaker = b.app[floor_key].current_speaker(1, "morning")
        assert speaker is not None and speaker.intervention_id == called["intervention_id"]


LAST_WORDS = "Thank you all, the session is closed"


async def _last_words(running: Running, http: aiohttp.ClientSession) -> None:
    """The captioner's closing words through this node, as a live line nothing but the session's end finalises."""
    captioner = await running.token("captioner", "morning")
    async with http.post(running.url(f"/m/{DEMO}/s/morning/ingest/zoom?t={captioner}&seq=1&lang=en-US"),
                         data=LAST_WORDS.encode()) as r:
        assert r.status == 200, await r.text()


async def _schedule(running: Running, start_ms: int, end_ms: int) -> None:
    """Give the node's copy of the morning session an automatic start and end at these times (a meeting file's
    ``auto_start``), after the node's look at it as it was."""
    loaded = await running.app[registry_key].get(DEMO)
    await running.app[session_watch_key].settle(loaded)
    life = loaded.lives["morning"]
    life.session = dataclasses.replace(life.session, auto_start=True, start_ms=start_ms, end_ms=end_ms)


async def _look(running: Running) -> None:
    """The node's look at the clock (its once-a-second tick does it; the tests below run it themselves)."""
    await running.app[session_watch_key].settle(await running.app[registry_key].get(DEMO))


@pytest.mark.redis
async def test_a_session_the_clock_starts_is_announced_once_to_each_page(settings, http, channel, monkeypatch):
    """Every node sees the clock start a session (``auto_start``) and tells its own pages, once each: telling every
    page through Redis would say it once per node."""
    monkeypatch.setattr(sessions_module, "TICK_SECONDS", 3600.0)  # the looks below are the test's own
    async with nodes(settings, channel, 2) as (a, b):
        pages = [await open_client(running, "/live", session="morning") for running in (a, b)]
        told = [Inbox(page, "/live", "session_state", "agenda_changed") for page in pages]
        try:
            now = sessions_module.now_ms()
            for running in (a, b):
                await _schedule(running, now - 1_000, now + 3_600_000)
            for running in (a, b):
                await _look(running)
            # A marker through Redis, sent after both looks: whatever they sent through Redis came before it.
            meeting_id = (await a.app[registry_key].get(DEMO)).id
            await a.app[sio_key].emit("agenda_changed", {"meeting": DEMO}, namespace="/live",
                                      room=rooms.meeting(meeting_id))
            for inbox in told:
                await inbox.wait_for(lambda name, data: name == "agenda_changed")
                states = [data["state"] for name, data in inbox.items if name == "session_state"]
                assert states == ["live"], states
        finally:
            for page in pages:
                await page.disconnect()


@pytest.mark.redis
async def test_a_session_the_clock_ends_gives_its_last_words_before_the_end(settings, http, channel, monkeypatch):
    """The clock ends a session: each node finalises the live lines written through it (sent to every page through
    Redis) and only then tells its own pages the session ended."""
    monkeypatch.setattr(sessions_module, "TICK_SECONDS", 3600.0)
    settings = dataclasses.replace(settings, caption_idle_flush_ms=600_000)  # only the end can finalise the line
    async with nodes(settings, channel, 2) as (a, b):
        now = sessions_module.now_ms()
        for running in (a, b):
            await _schedule(running, now - 1_000, now + 3_600_000)
            await _look(running)
        viewer = await open_client(a, "/live", session="morning", lang="en")
        heard = Inbox(viewer, "/live", "caption_segment", "session_state")
        try:
            await _last_words(a, http)
            for running in (a, b):
                await _schedule(running, now - 1_000, sessions_module.now_ms() - 1)
                await _look(running)
            await heard.wait_for(lambda name, data: name == "session_state" and data["state"] == "ended")
            assert [(name, data.get("text", data.get("state"))) for name, data in heard.items] == [
                ("caption_segment", LAST_WORDS), ("session_state", "ended")]
        finally:
            await viewer.disconnect()


async def test_without_notices_a_node_reads_session_changes_at_its_next_look(settings, http):
    async with nodes(settings, None, 2) as (a, b):
        async with http.get(b.url(f"/api/meetings/{DEMO}")) as r:  # b has the meeting loaded, morning scheduled
            assert {s["id"]: s["state"] for s in (await r.json())["sessions"]}["morning"] == "scheduled"
        await start(a, http)
        await b.app[session_watch_key].tick()  # the once-a-second look at the stored versions, run now
        async with http.get(b.url(f"/api/meetings/{DEMO}")) as r:
            assert {s["id"]: s["state"] for s in (await r.json())["sessions"]}["morning"] == "live"
        status, body = await session_action(b, http, "end")  # b's copy is current: its end is stored
        assert status == 200 and body["session"]["state"] == "ended", body


@pytest.mark.redis
async def test_a_session_ended_on_one_node_finalises_the_live_lines_written_through_another(settings, http,
                                                                                           channel):
    settings = dataclasses.replace(settings, caption_idle_flush_ms=600_000)  # only the end can finalise the line
    async with nodes(settings, channel, 2) as (a, b):
        await start(a, http)
        viewer = await open_client(a, "/live", session="morning", lang="en")
        viewer_in = Inbox(viewer, "/live", "caption_segment", "session_state")
        try:
            await _last_words(b, http)
            status, _ = await session_action(a, http, "end")
            assert status == 200
            await caught_up(b, SESSION, 2)  # started, ended
            segment = await viewer_in.wait_for(lambda n, d: n == "caption_segment")
            assert segment["text"] == LAST_WORDS
        finally:
            await viewer.disconnect()


@pytest.mark.postgres
async def test_an_append_that_loses_its_number_anyway_is_retried_from_the_stored_log(settings, http):
    """A writer that does not hold the session (a node of the previous version during a rolling upgrade) takes the
    number a change was about to store: the change fails on the unique key, catches up and is stored after it."""
    async with nodes(settings, None, 1) as (a,):
        await start(a, http)
        first = await chair(a, "floor_add", name="Delegate of Kenya", group="government")
        old = await asyncpg.connect(settings.database, timeout=WAIT)
        try:
            other = FloorQueue.replay(await floor_db.load_events(a.app[db_key], 1, "morning"))
            events = other.close(first["seq"])
            body = json.dumps(event_to_dict(events[0]))
            tx = old.transaction()
            await tx.start()
            # Number 2, not committed yet: a's change will read the log without it and then wait on the key.
            await old.execute("INSERT INTO floor_events (meeting_id, session_id, seq, name, actor_role, actor_label,"
                              " at_ms, body) VALUES (1, 'morning', 2, $1, 'moderator', 'old node', 0, $2)",
                              events[0].name, body)
            added = asyncio.create_task(chair(a, "floor_add", name="Delegate of Brazil", group="government"))

            async def waiting_on_the_key() -> None:
                # a's insert waits for this transaction to decide on the key (its statement text is not shown).
                query = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                         " AND wait_event_type = 'Lock' AND wait_event = 'transactionid'")
                while not await old.fetchval(query):
                    await asyncio.sleep(0.01)  # polling an observable state of the database, bounded below

            await asyncio.wait_for(waiting_on_the_key(), WAIT)
            await tx.commit()
            reply = await asyncio.wait_for(added, WAIT)
        finally:
            await old.close()
        # Not refused: retried after the other writer's close, re-validated (the chair may add to a closed list).
        assert reply["ok"] and reply["seq"] == 3, reply
        names = [e["name"] for e in await floor_db.audit(a.app[db_key], 1, "morning")]
        assert names == ["floor_requested", "floor_list_closed", "floor_requested"]
        assert a.app[db_key].errors["conflict"] == 1


async def test_a_node_holds_the_floor_of_every_live_session_for_caption_attribution(settings, http):
    """A node that loads the meeting after the speaker was called (no notice will come) still attributes captions
    written through it: its look at the live sessions loads their floor."""
    async with nodes(settings, None, 2) as (a, b):
        await start(a, http)
        added = await chair(a, "floor_add", name="Delegate of Kenya", group="government")
        called = await chair(a, "floor_call_next", seen_first=added["request_id"])
        async with http.get(b.url(f"/m/{DEMO}")) as r:  # b serves the meeting from now on
            assert r.status == 200
        await b.app[session_watch_key].tick()  # the once-a-second look, run now
        speaker = b.app[floor_key].current_speaker(1, "morning")
        assert speaker is not None and speaker.intervention_id == called["intervention_id"]
