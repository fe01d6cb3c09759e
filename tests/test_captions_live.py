"""Caption viewers and captioners on Socket.IO: backlog, resume without gap or duplicate, partials, corrections."""

from __future__ import annotations

import asyncio

import pytest
import socketio

from server.domain.captions.stream import KEEP_SEGMENTS
from server.storage import captions as captions_db
from server.web.captions.hub import CaptionHub, caption_hub_key
from server.web.floor.service import floor_key
from server.web.keys import db_key, registry_key

from .conftest import DEMO, WAIT, Inbox


@pytest.fixture
async def captioner(server, http, connect):
    """The morning session started and a captioner connected on /caption."""
    moderator = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={moderator}")) as r:
        assert r.status == 200
    return await connect("/caption", session="morning", t=await server.token("captioner", "morning"))


async def say(client, text, lang="en"):
    reply = await client.call("caption_append", {"lang": lang, "text": text}, namespace="/caption", timeout=WAIT)
    assert reply["ok"], reply
    return reply


def seqs(box):
    """Every seq a viewer received, backlog and broadcasts, in arrival order."""
    out = []
    for name, data in box.items:
        if name == "caption_backlog":
            out += [s["seq"] for s in data["segments"]]
        elif name == "caption_segment":
            out.append(data["seq"])
    return out


async def test_typed_lines_reach_viewers_once_committed(server, captioner, connect, inbox):
    viewer = await connect("/live", session="morning", lang="en")
    box = inbox(viewer, "/live", "caption_segment", "caption_partial")
    reply = await say(captioner, "Good morning, excellencies")
    assert reply["tail"] == "Good morning, excellencies" and reply["last_seq"] == 0
    partial = await box.wait_for(lambda n, d: n == "caption_partial")
    assert partial["text"] == "Good morning, excellencies" and partial["last_seq"] == 0
    reply = await say(captioner, "\b" * len("excellencies") + "colleagues\n")
    assert reply["tail"] == "" and reply["finalised"][0]["text"] == "Good morning, colleagues"
    segment = await box.wait_for(lambda n, d: n == "caption_segment")
    assert (segment["seq"], segment["text"]) == (1, "Good morning, colleagues")
    stored = await captions_db.segments_after(server.app[db_key], 1, "morning", "en", 0)
    assert stored[0]["first_ms"] <= stored[0]["final_ms"]


async def test_partials_are_merged(server, captioner, connect, inbox):
    viewer = await connect("/live", session="morning")
    box = inbox(viewer, "/live", "caption_partial")
    for ch in "Typing quickly":
        await say(captioner, ch)
    await box.wait_for(lambda n, d: d["text"] == "Typing quickly")
    assert len(box.items) < len("Typing quickly")  # merged: far fewer broadcasts than keystrokes


async def test_late_joiner_gets_backlog_then_live(server, captioner, connect, inbox):
    server.settings.caption_backlog = 3
    for i in range(5):
        await say(captioner, f"Line {i + 1}\n")
    await say(captioner, "still typing")
    viewer = await connect("/live", session="morning")
    box = inbox(viewer, "/live", "caption_backlog", "caption_segment")
    # The backlog may already have arrived before the inbox was attached: ask again the way the page does.
    reply = await viewer.call("captions_subscribe", {"lang": "en"}, namespace="/live", timeout=WAIT)
    assert [s["text"] for s in reply["segments"]] == ["Line 3", "Line 4", "Line 5"]
    assert reply["partial"]["text"] == "still typing" and reply["last_seq"] == 5
    await say(captioner, "\n")
    live = await box.wait_for(lambda n, d: n == "caption_segment")
    assert (live["seq"], live["text"]) == (6, "still typing")


async def test_backlog_arrives_on_connect(server, captioner, clients):
    await say(captioner, "Before you came\n")
    _, box = await open_viewer(server, clients, "caption_backlog", lang="en")
    backlog = await box.wait_for(lambda n, d: True)
    assert [s["text"] for s in backlog["segments"]] == ["Before you came"] and backlog["last_seq"] == 1


async def open_viewer(server, clients, *events, **auth):
    """A /live client whose inbox listens before it connects, so the backlog sent on connect is caught."""
    client = socketio.AsyncClient(reconnection=False)
    box = Inbox(client, "/live", *events)
    await client.connect(server.url("/"), namespaces=["/live"], transports=["websocket"], wait_timeout=WAIT,
                         auth={"meeting": DEMO, "session": "morning", **auth})
    clients.append(client)
    return client, box


@pytest.fixture
async def clients():
    opened: list = []
    yield opened
    for client in opened:
        if client.connected:
            await client.disconnect()


async def test_resume_after_disconnect_gets_every_missed_caption_once(server, captioner, clients):
    viewer, box = await open_viewer(server, clients, "caption_segment", "caption_backlog")
    await say(captioner, "Before the break\n")
    await box.wait_for(lambda n, d: n == "caption_segment")
    held = max(seqs(box))
    await viewer.disconnect()
    published = asyncio.create_task(_publish(captioner, 200))
    # Reconnect while the burst is still going: the replay and the live broadcast overlap.
    await asyncio.wait_for(_until_stored(server, 50), WAIT)
    _again, box2 = await open_viewer(server, clients, "caption_segment", "caption_backlog", last_seq=held)
    await asyncio.wait_for(published, 30)
    await box2.wait_for(lambda n, d: n == "caption_segment" and d["seq"] == 201, timeout=WAIT)
    # As the page does: live segments that overtake the backlog wait for it, then seqs already held are dropped.
    backlogs = [d for n, d in box2.items if n == "caption_backlog"]
    # At least the 49 captions after the held one that were stored before the reconnect (50 stored, seq 1 held).
    assert len(backlogs) == 1 and len(backlogs[0]["segments"]) >= 49
    at = next(i for i, (n, _) in enumerate(box2.items) if n == "caption_backlog")
    early = [d["seq"] for n, d in box2.items[:at] if n == "caption_segment"]
    received = [s["seq"] for s in backlogs[0]["segments"]] + early + [
        d["seq"] for n, d in box2.items[at + 1:] if n == "caption_segment"]
    kept, last = [], held
    for seq in received:
        if seq <= last:
            continue
        assert seq == last + 1, f"gap after {last}"
        kept.append(seq)
        last = seq
    assert kept == list(range(held + 1, 202))
    assert len(received) - len(kept) <= len(early) + 1  # the overlap is at most what crossed the join


async def test_viewers_coming_back_together_share_reads_and_miss_nothing(server, captioner, clients):
    for i in range(20):
        await say(captioner, f"Before the outage {i + 1}\n")
    held, total = 10, 120
    published = asyncio.create_task(_publish_from(captioner, 21, total))
    # Forty viewers come back at once from the same seq while captions keep coming.
    back = await asyncio.gather(*(open_viewer(server, clients, "caption_segment", "caption_backlog",
                                              last_seq=held) for _ in range(40)))
    await asyncio.wait_for(published, 30)
    reads = server.app[caption_hub_key].backlogs
    assert reads.asked >= 40 and reads.reads <= reads.asked
    for _client, box in back:
        await box.wait_for(lambda n, d: n == "caption_segment" and d["seq"] == total, timeout=WAIT)
        got = set(seqs(box))
        assert got >= set(range(held + 1, total + 1)), sorted(set(range(held + 1, total + 1)) - got)


async def _publish_from(captioner, first, last):
    for i in range(first, last + 1):
        await say(captioner, f"Caption number {i}\n")


async def _publish(captioner, count):
    for i in range(count):
        await say(captioner, f"Caption number {i + 1}\n")


async def _until_stored(server, count):
    while len(await captions_db.segments_after(server.app[db_key], 1, "morning", "en", 0)) < count:
        await asyncio.sleep(0.01)


async def test_correction_is_broadcast_and_original_kept(server, captioner, connect, inbox):
    viewer = await connect("/live", session="morning")
    box = inbox(viewer, "/live", "caption_corrected")
    watcher = inbox(captioner, "/caption", "caption_corrected")
    await say(captioner, "The Internet Governance Forun\n")
    reply = await captioner.call("caption_correct", {"lang": "en", "seq": 1, "text": "The Internet Governance Forum"},
                                 namespace="/caption", timeout=WAIT)
    assert reply["ok"] and reply["corrected"] == 1
    corrected = await box.wait_for(lambda n, d: True)
    assert (corrected["text"], corrected["previous_text"], corrected["revision"]) == (
        "The Internet Governance Forum", "The Internet Governance Forun", 2)
    await watcher.wait_for(lambda n, d: True)
    # Pulled text keeps the original wording.
    assert (await captions_db.pull_text(server.app[db_key], 1, "morning", "en", 0))[0] == (
        "The Internet Governance Forun\n")
    missing = await captioner.call("caption_correct", {"lang": "en", "seq": 99, "text": "x"}, namespace="/caption",
                                   timeout=WAIT)
    assert missing["error"]["code"] == "not_found"


async def _held(server):
    """The hub's stream of the morning session in English, as held in memory."""
    hub, loaded = server.app[caption_hub_key], await server.app[registry_key].get(DEMO)
    async with hub.lock(loaded.id, "morning"):
        return await hub.stream(loaded, "morning", "en")


async def test_a_line_older_than_the_held_ones_is_corrected_from_storage(server, captioner, connect, inbox):
    count = KEEP_SEGMENTS + 5
    await say(captioner, "Helo and welcome\n" + "".join(f"Line {i}\n" for i in range(2, count + 1)))
    stream = await _held(server)
    assert stream.last_seq == count and len(stream.segments()) == KEEP_SEGMENTS and not stream.holds(1)
    viewer = await connect("/live", session="morning")
    box = inbox(viewer, "/live", "caption_corrected")
    db = server.app[db_key]
    for text, revision in (("Hello and welcome", 2), ("Hello, and welcome", 3)):
        reply = await captioner.call("caption_correct", {"lang": "en", "seq": 1, "text": text}, namespace="/caption",
                                     timeout=WAIT)
        assert reply["ok"] and reply["corrected"] == 1 and reply["last_seq"] == count, reply
        corrected = await box.wait_for(lambda n, d, text=text: d["text"] == text)
        assert (corrected["seq"], corrected["revision"]) == (1, revision)
        stored = await captions_db.segment(db, 1, "morning", "en", 1)
        assert stored is not None and (stored.text, stored.revision) == (text, revision)
    assert [d["previous_text"] for _, d in box.items] == ["Helo and welcome", "Hello and welcome"]
    assert len(stream.segments()) == KEEP_SEGMENTS and not stream.holds(1)  # let go again
    missing = await captioner.call("caption_correct", {"lang": "en", "seq": count + 1, "text": "x"},
                                   namespace="/caption", timeout=WAIT)
    assert missing["error"]["code"] == "not_found"


async def test_a_restored_stream_reads_only_its_latest_lines_and_corrects_older_ones(server, captioner):
    count = KEEP_SEGMENTS + 20
    await say(captioner, "".join(f"Line {i}\n" for i in range(1, count + 1)))
    old = server.app[caption_hub_key]
    server.app[caption_hub_key] = CaptionHub(server.app, server.app[floor_key])  # as after a restart
    try:
        stream = await _held(server)
        assert [s.seq for s in stream.segments()] == list(range(count - KEEP_SEGMENTS + 1, count + 1))
        reply = await captioner.call("caption_correct", {"lang": "en", "seq": 3, "text": "Line three"},
                                     namespace="/caption", timeout=WAIT)
        assert reply["ok"], reply
        stored = await captions_db.segment(server.app[db_key], 1, "morning", "en", 3)
        assert stored is not None and (stored.text, stored.revision) == ("Line three", 2)
        assert await say(captioner, "Next line\n")
        assert stream.last_seq == count + 1 and len(stream.segments()) == KEEP_SEGMENTS
    finally:
        server.app[caption_hub_key] = old


@pytest.mark.parametrize("payload, code", [
    ({"lang": "en", "text": 5}, "invalid_format"),
    ({"lang": "xx", "text": "hello"}, "unknown_language"),
    ({"lang": "en", "text": "x" * 5000}, "text_too_long"),
])
async def test_captioner_bad_input_is_refused(server, captioner, payload, code):
    reply = await captioner.call("caption_append", payload, namespace="/caption", timeout=WAIT)
    assert reply["ok"] is False and reply["error"]["code"] == code
    assert (await say(captioner, "still works\n"))["last_seq"] == 1


async def test_captioner_refused_when_not_live(server, connect):
    client = await connect("/caption", session="morning", t=await server.token("captioner", "morning"))
    reply = await client.call("caption_append", {"lang": "en", "text": "hello"}, namespace="/caption", timeout=WAIT)
    assert reply["error"]["code"] == "session_not_live"


async def test_idle_tail_is_finalised(server, captioner, connect, inbox):
    server.settings.caption_idle_flush_ms = 100
    viewer = await connect("/live", session="morning")
    box = inbox(viewer, "/live", "caption_segment")
    await say(captioner, "A sentence nobody finishes")
    segment = await box.wait_for(lambda n, d: True, timeout=WAIT)
    assert segment["text"] == "A sentence nobody finishes"


async def test_idle_flush_uses_the_floor_speaker(server, captioner, connect, inbox):
    from server.domain.captions.stream import SpeakerContext

    class Floor:
        def current_speaker(self, meeting_id, session_id):
            return SpeakerContext(7, "Ms. Anriette Esterhuysen") if session_id == "morning" else None

    from server.web.captions.hub import caption_hub_key

    hub = server.app[caption_hub_key]
    real, hub.speakers = hub.speakers, Floor()
    try:
        await say(captioner, "Thank you, Chair.\n")
        stored = await captions_db.segments_after(server.app[db_key], 1, "morning", "en", 0)
        assert (stored[0]["speaker"], stored[0]["intervention_id"]) == ("Ms. Anriette Esterhuysen", 7)
    finally:
        hub.speakers = real


async def test_language_switch_changes_room(server, captioner, connect, inbox):
    viewer = await connect("/live", session="morning", lang="en")
    box = inbox(viewer, "/live", "caption_segment")
    reply = await viewer.call("captions_subscribe", {"lang": "fr"}, namespace="/live", timeout=WAIT)
    assert reply["ok"] and reply["lang"] == "fr"
    await say(captioner, "English line\n", "en")
    await say(captioner, "Ligne en français\n", "fr")
    got = await box.wait_for(lambda n, d: True)
    assert got["text"] == "Ligne en français"
    assert all(d["lang"] == "fr" for _, d in box.items)
    bad = await viewer.call("captions_subscribe", {"lang": "xx"}, namespace="/live", timeout=WAIT)
    assert bad["error"]["code"] == "unknown_language"


async def test_handover_shown_to_captioners(server, http, captioner, connect, inbox):
    box = inbox(captioner, "/caption", "captioner_handed_over")
    await say(captioner, "From the page")
    token = await server.token("captioner")
    async with http.post(server.url(f"/m/{DEMO}/s/morning/ingest/streamtext?t={token}"), data="From CAT\n") as r:
        assert r.status == 200
    handover = await box.wait_for(lambda n, d: True)
    assert handover["to_captioner"]["label"].startswith("Meeting captioner")
    # A handover is a change of who writes, not a line break: the page's line stays live and editable.
    stored = await captions_db.segments_after(server.app[db_key], 1, "morning", "en", 0)
    assert [s["text"] for s in stored] == ["From CAT"]
    reply = await captioner.call("caption_append", {"text": " still mine\n"}, namespace="/caption", timeout=WAIT)
    assert reply["finalised"][0]["text"] == "From the page still mine"
