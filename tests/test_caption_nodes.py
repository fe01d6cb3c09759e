"""Two nodes behind a round-robin load balancer, one store and one Redis: every captioner feed continues its line
exactly once, whichever node each post lands on.

Each node is a real server (its own ``create_app``: its own copies of the caption streams and feed sequences), both
on the test's store (the same SQLite file, or one PostgreSQL database with ``--database postgresql``) and on Redis
with a channel of their own. Viewers connect to both nodes; what they receive and what is stored is checked line
by line.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import socketio

from server.clock import now_ms
from server.settings import Settings
from server.storage import captions as captions_db
from server.web.captions.hub import caption_hub_key
from server.web.keys import db_key
from server.web.metrics import metrics_key

from .conftest import DEMO, REDIS, WAIT, Inbox, Running
from .test_nodes import node
from .test_questions import start

pytestmark = pytest.mark.redis

ROOT = f"/m/{DEMO}/s/morning/ingest"


@pytest.fixture
async def redis_running(channel: str) -> str:
    """Redis is part of the set-up: ``channel`` fails loudly, never skips, when it is not running."""
    return channel


@contextlib.asynccontextmanager
async def two_nodes(settings: Settings, http: aiohttp.ClientSession,
                    **overrides: Any) -> AsyncIterator[tuple[Running, Running]]:
    """Nodes a and b on one store and one Redis channel, the morning session started (before b loads it)."""
    shared = dataclasses.replace(settings, redis_url=REDIS, redis_channel=f"floorcast-test-{uuid.uuid4().hex}",
                                 **overrides)
    async with node(shared, shared.redis_channel) as a, node(shared, shared.redis_channel) as b:
        await start(a, http)
        yield a, b


@contextlib.asynccontextmanager
async def viewers(*nodes: Running) -> AsyncIterator[list[Inbox]]:
    """One caption viewer per node (English), each subscribed and past its backlog."""
    clients, boxes = [], []
    try:
        for running in nodes:
            client = socketio.AsyncClient(reconnection=False)
            clients.append(client)
            box = Inbox(client, "/live", "caption_backlog", "caption_segment", "caption_partial")
            await client.connect(running.url("/"), namespaces=["/live"], transports=["websocket"], wait_timeout=WAIT,
                                 auth={"meeting": DEMO, "session": "morning", "lang": "en"})
            await box.wait_for(lambda n, d: n == "caption_backlog")
            boxes.append(box)
        yield boxes
    finally:
        for client in clients:
            if client.connected:
                await client.disconnect()


async def post(http: aiohttp.ClientSession, running: Running, path: str, body: str) -> tuple[int, str]:
    """One captioning tool's POST; its status and body."""
    async with http.post(running.url(path), data=body.encode()) as r:
        return r.status, await r.text()


async def stored(running: Running) -> list[dict[str, Any]]:
    """The English segments in storage, in seq order."""
    return await captions_db.segments_after(running.app[db_key], 1, "morning", "en", 0)


async def received_once(box: Inbox, texts: list[str]) -> None:
    """Wait until the viewer has the segments with these texts, then check each seq came once, in order."""
    await box.wait_for(lambda n, d: n == "caption_segment" and d["text"] == texts[-1])
    got = [d for n, d in box.items if n == "caption_segment"]
    assert [d["text"] for d in got] == texts
    assert [d["seq"] for d in got] == list(range(got[0]["seq"], got[0]["seq"] + len(texts)))


async def fence(http: aiohttp.ClientSession, a: Running, b: Running, token: str, boxes: list[Inbox]) -> None:
    """A marker line from each node, waited for on every viewer: any duplicate a node sent earlier has arrived
    by then (each node's broadcasts reach a viewer in the order it sent them)."""
    for i, running in enumerate((a, b)):
        status, _ = await post(http, running, f"{ROOT}/streamtext?t={token}", f"Marker {i}.\n")
        assert status == 200
    for box in boxes:
        await box.wait_for(lambda n, d: n == "caption_segment" and d["text"] == "Marker 1.")


# The posts of one Zoom feed, split so that words, a backspace, a turn and its speaker's name straddle posts.
LINE_POSTS = ["Good mor", "ning every", "one, and wel", "come to the", " sessiom\x08n.\nThe", " agenda has",
              " three items.\n>", "> Ms. DI", "AZ: Thank", " you, Chair", ".\nI shall", " be brief.", "\n"]
LINES = ["Good morning everyone, and welcome to the session.", "The agenda has three items.",
         "Thank you, Chair.", "I shall be brief."]


async def test_posts_alternating_between_nodes_continue_one_line_exactly_once(settings, http, redis_running):
    async with two_nodes(settings, http) as (a, b), viewers(a, b) as boxes:
        token = await a.token("captioner", "morning")
        answers = []
        for seq, body in enumerate(LINE_POSTS, start=1):
            status, answer = await post(http, (a, b)[seq % 2], f"{ROOT}/zoom?t={token}&seq={seq}&lang=en-US", body)
            assert status == 200, answer
            answers.append(answer)
        assert [s["text"] for s in await stored(a)] == LINES
        turn = (await stored(a))[2]
        assert (turn["speaker"], turn["new_turn"]) == ("Ms. DIAZ", True)  # the turn typed on b, named on a
        for box in boxes:
            await received_once(box, LINES)
        # A retry on the other node than its original is not applied again and gets the original's answer.
        status, again = await post(http, b, f"{ROOT}/zoom?t={token}&seq=7&lang=en-US", LINE_POSTS[6])
        assert (status, again) == (200, answers[6])
        status, again = await post(http, a, f"{ROOT}/zoom?t={token}&seq=8&lang=en-US", LINE_POSTS[7])
        assert (status, again) == (200, answers[7])
        status, refusal = await post(http, a, f"{ROOT}/zoom?t={token}&seq=8&lang=en-US", "Other text")
        assert status == 409 and refusal.startswith("seq_conflict"), refusal
        await fence(http, a, b, token, boxes)
        for box in boxes:
            await received_once(box, [*LINES, "Marker 0.", "Marker 1."])
        assert [s["text"] for s in await stored(b)] == [*LINES, "Marker 0.", "Marker 1."]
        # Each node read what the other had stored since its copy, never the whole stream after a lost race.
        for running in (a, b):
            metrics = running.app[metrics_key]
            assert metrics.caption_catch_ups._value.get() >= len(LINE_POSTS) // 2 - 1
            assert metrics.caption_races._value.get() == 0


async def test_a_node_that_is_current_reads_nothing_more_than_the_revisions(settings, http, redis_running):
    async with two_nodes(settings, http) as (a, b):
        token = await a.token("captioner", "morning")
        for seq in range(1, 6):
            assert (await post(http, a, f"{ROOT}/zoom?t={token}&seq={seq}", f"Line {seq}.\n"))[0] == 200
        metrics = a.app[metrics_key]
        assert (metrics.caption_catch_ups._value.get(), metrics.caption_races._value.get()) == (0, 0)
        assert (await post(http, b, f"{ROOT}/zoom?t={token}&seq=6", "Line 6.\n"))[0] == 200
        assert (await post(http, a, f"{ROOT}/zoom?t={token}&seq=7", "Line 7.\n"))[0] == 200
        assert (metrics.caption_catch_ups._value.get(), metrics.caption_races._value.get()) == (1, 0)
        assert [s["text"] for s in await stored(a)] == [f"Line {n}." for n in range(1, 8)]


async def test_a_viewer_joining_a_node_that_did_not_take_the_last_posts_sees_the_live_line(settings, http,
                                                                                            redis_running):
    async with two_nodes(settings, http) as (a, b), viewers(b):
        token = await a.token("captioner", "morning")
        assert (await post(http, a, f"{ROOT}/zoom?t={token}&seq=1", "First line.\nThe live"))[0] == 200
        assert (await post(http, a, f"{ROOT}/zoom?t={token}&seq=2", " line"))[0] == 200
        async with viewers(b) as (late,):
            backlog = await late.wait_for(lambda n, d: n == "caption_backlog")
        assert [s["text"] for s in backlog["segments"]] == ["First line."]
        assert backlog["partial"]["text"] == "The live line" and backlog["partial"]["revision"] == 2
        async with http.get(b.url(f"/m/{DEMO}/s/morning/text")) as r:
            assert "The live line" in await r.text()


async def test_a_change_overtaken_between_its_check_and_its_write_is_applied_again(settings, http, redis_running,
                                                                                   monkeypatch):
    """Node a checks that its copy is current, then node b stores a line before a writes: a's write is refused by
    the store, a takes its change back, reads b's line and stores its own after it; the tool sees one 200."""
    async with two_nodes(settings, http) as (a, b), viewers(a, b) as boxes:
        token, other = await a.token("captioner", "morning"), await a.token("captioner", None)
        assert (await post(http, a, f"{ROOT}/zoom?t={token}&seq=1", "Hello wor"))[0] == 200
        real_save, raced = captions_db.save, []

        async def save(db: Any, *args: Any, **kwargs: Any) -> int:
            if db is a.app[db_key] and not raced:  # between a's check and a's write: b stores a line first
                raced.append(await post(http, b, f"{ROOT}/zoom?t={other}&seq=1", "Other line.\n"))
            return await real_save(db, *args, **kwargs)

        monkeypatch.setattr(captions_db, "save", save)
        assert (await post(http, a, f"{ROOT}/zoom?t={token}&seq=2", "ld.\nNext"))[0] == 200
        assert raced == [(200, raced[0][1])]
        assert [(s["seq"], s["text"]) for s in await stored(a)] == [(1, "Other line."), (2, "Hello world.")]
        assert a.app[metrics_key].caption_races._value.get() == 1
        async with viewers(b) as (late,):
            backlog = await late.wait_for(lambda n, d: n == "caption_backlog")
        assert backlog["partial"]["text"] == "Next"
        await fence(http, a, b, token, boxes)
        for box in boxes:
            got = [(d["seq"], d["text"]) for n, d in box.items if n == "caption_segment"]
            assert sorted(got) == [(1, "Other line."), (2, "Hello world."), (3, "Marker 0."), (4, "Marker 1.")]


async def test_a_bridge_post_refused_because_its_feed_moved_in_another_language_leaves_no_trace(
        settings, http, redis_running, monkeypatch):
    """A bridge numbers its posts across languages: while node b stores an English post, the same bridge (still
    connected to node a as well) has a French post stored under that seq. b's write is refused by the feed's
    revision alone (the English stream did not move); the English live line must not keep the refused text."""
    async with two_nodes(settings, http) as (a, b):
        token = await a.token("captioner", None)
        async with http.ws_connect(a.url(f"{ROOT}/ws?t={token}")) as on_a, \
                http.ws_connect(b.url(f"{ROOT}/ws?t={token}")) as on_b:
            for ws in (on_a, on_b):
                assert (await ws.receive_json(timeout=WAIT))["type"] == "hello"

            async def send(ws: Any, seq: int, text: str, lang: str) -> dict[str, Any]:
                await ws.send_json({"type": "text", "seq": seq, "text": text, "lang": lang})
                return dict(await ws.receive_json(timeout=WAIT))

            assert (await send(on_a, 1, "Bonjour", "fr"))["applied"]
            assert (await send(on_b, 2, "Hello", "en"))["applied"]
            real_save, raced = captions_db.save, []

            async def save(db: Any, *args: Any, **kwargs: Any) -> int:
                if db is b.app[db_key] and not raced:  # between b's check and b's write
                    raced.append(await send(on_a, 3, " tout le monde", "fr"))
                return await real_save(db, *args, **kwargs)

            monkeypatch.setattr(captions_db, "save", save)
            refused = await send(on_b, 3, " again", "en")
            assert raced[0]["applied"] and refused["type"] == "error" and refused["code"] == "seq_conflict", refused
        english = await captions_db.load_stream(b.app[db_key], 1, "morning", "en")
        assert [t.text for t in english.tails] == ["Hello"]
        async with viewers(b) as (late,):
            backlog = await late.wait_for(lambda n, d: n == "caption_backlog")
        assert backlog["partial"]["text"] == "Hello"


async def test_two_writers_posting_at_once_to_two_nodes(settings, http, redis_running):
    async with two_nodes(settings, http) as (a, b), viewers(a, b) as boxes:
        tokens = [await a.token("captioner", "morning"), await a.token("captioner", None)]
        lines = {0: [f"Writer zero says line {n}." for n in range(8)],
                 1: [f"Writer one says line {n}." for n in range(8)]}

        async def write(writer: int) -> None:
            seq = 0
            for line in lines[writer]:
                for part in (line[:9], line[9:20], line[20:] + "\n"):
                    seq += 1
                    running = (a, b)[(seq + writer) % 2]  # the two writers hit opposite nodes at each step
                    status, answer = await post(http, running, f"{ROOT}/zoom?t={tokens[writer]}&seq={seq}", part)
                    assert status == 200, answer

        await asyncio.gather(write(0), write(1))
        segments = await stored(a)
        assert [s["seq"] for s in segments] == list(range(1, 17))
        for writer in (0, 1):
            assert [s["text"] for s in segments if s["text"].startswith(("Writer zero", "Writer one")[writer])] \
                == lines[writer]
        await fence(http, a, b, tokens[0], boxes)
        for box in boxes:  # two nodes broadcast at once: a viewer may get them out of order, each seq once
            got = [(d["seq"], d["text"]) for n, d in box.items if n == "caption_segment"]
            assert sorted(got) == [(s["seq"], s["text"]) for s in segments] + [(17, "Marker 0."), (18, "Marker 1.")]


async def test_the_idle_flush_of_both_nodes_stores_a_line_once(settings, http, redis_running, monkeypatch):
    clock = {"now": 0}
    monkeypatch.setattr("server.web.captions.hub.now_ms", lambda: clock["now"])
    idle = 60_000  # the loops of both nodes run, but only the clock below makes a tail idle
    async with two_nodes(settings, http, caption_idle_flush_ms=idle) as (a, b), viewers(a, b) as boxes:
        clock["now"] = now_ms()  # the session has started
        token = await a.token("captioner", "morning")
        hub_a, hub_b = a.app[caption_hub_key], b.app[caption_hub_key]
        assert (await post(http, a, f"{ROOT}/zoom?t={token}&seq=1", "We continue"))[0] == 200
        clock["now"] += idle + 1_000
        # b extends the line just as a's copy, which has not seen it, finds the line idle: a does not cut it.
        assert (await post(http, b, f"{ROOT}/zoom?t={token}&seq=2", " the line"))[0] == 200
        assert await hub_a.flush_idle(clock["now"]) == 0
        assert await stored(a) == []
        # Idle for both now: each node's flush runs, the line is stored once.
        clock["now"] += idle + 1_000
        flushed = await asyncio.gather(hub_a.flush_idle(clock["now"]), hub_b.flush_idle(clock["now"]))
        assert sorted(flushed) == [0, 1]
        assert [s["text"] for s in await stored(a)] == ["We continue the line"]
        assert await hub_a.flush_idle(clock["now"] + idle) == await hub_b.flush_idle(clock["now"] + idle) == 0
        await fence(http, a, b, token, boxes)
        for box in boxes:
            await received_once(box, ["We continue the line", "Marker 0.", "Marker 1."])


async def test_the_idle_loops_of_both_nodes_finalise_a_line_once(settings, http, redis_running):
    async with two_nodes(settings, http, caption_idle_flush_ms=200) as (a, b), viewers(a, b) as boxes:
        token = await a.token("captioner", "morning")
        assert (await post(http, a, f"{ROOT}/zoom?t={token}&seq=1", "Nobody finishes"))[0] == 200
        assert (await post(http, b, f"{ROOT}/zoom?t={token}&seq=2", " this line"))[0] == 200
        for box in boxes:
            await box.wait_for(lambda n, d: n == "caption_segment" and d["text"] == "Nobody finishes this line")
        await fence(http, a, b, token, boxes)
        for box in boxes:
            await received_once(box, ["Nobody finishes this line", "Marker 0.", "Marker 1."])
        assert [s["text"] for s in await stored(a)] == ["Nobody finishes this line", "Marker 0.", "Marker 1."]


async def test_the_bridge_on_one_node_and_a_browser_captioner_on_the_other(settings, http, redis_running):
    async with two_nodes(settings, http) as (a, b), viewers(a, b) as boxes:
        bridge_token, page_token = await a.token("captioner", None), await a.token("captioner", "morning")
        page = socketio.AsyncClient(reconnection=False)
        await page.connect(b.url("/"), namespaces=["/caption"], transports=["websocket"], wait_timeout=WAIT,
                           auth={"meeting": DEMO, "session": "morning", "t": page_token})
        try:
            async with http.ws_connect(a.url(f"{ROOT}/ws?t={bridge_token}")) as ws:
                assert (await ws.receive_json(timeout=WAIT))["type"] == "hello"
                acks = []
                steps = [("bridge", "From the bridge, "), ("page", "From the page, "), ("bridge", "a first line.\n"),
                         ("page", "a line typed"), ("bridge", "Then a sec"), ("page", " in the browser.\n"),
                         ("bridge", "ond one.\n")]
                for who, text in steps:
                    if who == "bridge":
                        await ws.send_json({"type": "text", "seq": len(acks) + 1, "text": text, "lang": "en"})
                        acks.append(await ws.receive_json(timeout=WAIT))
                        assert acks[-1]["type"] == "ack" and acks[-1]["applied"], acks[-1]
                    else:
                        reply = await page.call("caption_append", {"lang": "en", "text": text}, namespace="/caption",
                                                timeout=WAIT)
                        assert reply["ok"], reply
            lines = ["From the bridge, a first line.", "From the page, a line typed in the browser.",
                     "Then a second one."]
            assert [s["text"] for s in await stored(a)] == lines
            # The bridge reconnects to the other node and sends its last message again: answered as the original.
            async with http.ws_connect(b.url(f"{ROOT}/ws?t={bridge_token}")) as ws:
                assert (await ws.receive_json(timeout=WAIT))["last_seq"] == 4
                await ws.send_json({"type": "text", "seq": 4, "text": "ond one.\n", "lang": "en"})
                retry = await ws.receive_json(timeout=WAIT)
                assert (retry["applied"], retry["server_time"]) == (False, acks[3]["server_time"])
            for box in boxes:
                await received_once(box, lines)
            await fence(http, a, b, page_token, boxes)
            for box in boxes:
                await received_once(box, [*lines, "Marker 0.", "Marker 1."])
        finally:
            await page.disconnect()



@pytest.mark.browser
async def test_the_bridge_on_one_node_and_the_captioner_page_in_a_browser_on_the_other(settings, http, redis_running,
                                                                                      browser):
    async with two_nodes(settings, http) as (a, b):
        bridge_token, page_token = await a.token("captioner", None), await a.token("captioner", "morning")
        captioner, participant = await browser.new_page(), await browser.new_page()
        try:
            await captioner.goto(b.url(f"/m/{DEMO}/s/morning/caption?t={page_token}"))
            await participant.goto(a.url(f"/m/{DEMO}/s/morning"))
            for page in (captioner, participant):
                await page.wait_for_selector(".connection[data-status=online]", state="attached",
                                             timeout=WAIT * 1000)
            box = captioner.locator("[data-caption-input]")
            async with http.ws_connect(a.url(f"{ROOT}/ws?t={bridge_token}")) as ws:
                assert (await ws.receive_json(timeout=WAIT))["type"] == "hello"
                bridge = ["From the bridge, ", "a line ", "in parts.\n"]
                await box.click()
                for seq, (typed, sent) in enumerate(zip(["Typed in ", "the browser ", "on b"], bridge, strict=True), 1):
                    await box.press_sequentially(typed, delay=5)
                    await ws.send_json({"type": "text", "seq": seq, "text": sent, "lang": "en"})
                    assert (await ws.receive_json(timeout=WAIT))["applied"]
                await box.press("Enter")
            lines = participant.locator(".caption-line")
            await lines.filter(has_text="Typed in the browser on b").wait_for(timeout=WAIT * 1000)
            await lines.filter(has_text="From the bridge, a line in parts.").wait_for(timeout=WAIT * 1000)
            expected = ["From the bridge, a line in parts.", "Typed in the browser on b"]
            assert sorted(await lines.all_text_contents()) == expected
            assert sorted(s["text"] for s in await stored(a)) == expected
        finally:
            for page in (captioner, participant):  # before the nodes stop: they would wait for the pages to leave
                await page.close()
