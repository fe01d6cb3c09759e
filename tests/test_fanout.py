"""Broadcast paths: the task-free local fan-out, slow viewers, and fan-out across processes through Redis."""

from __future__ import annotations

import asyncio
import importlib.metadata
import tomllib
import uuid
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from packaging.requirements import Requirement
from socketio.async_pubsub_manager import AsyncPubSubManager

from server.settings import Settings
from server.web.app import create_app
from server.web.engineio_adapter import InternalsChanged, RawWriter, check
from server.web.fanout import FastManager, FastRedisManager, ws_text_frame
from server.web.keys import sio_key

from .conftest import DEMO, WAIT, Inbox, Running, ServingTestServer


def test_frame_lengths_follow_rfc6455():
    assert ws_text_frame("42")[:2] == b"\x81\x02"
    medium = ws_text_frame("x" * 200)
    assert medium[:4] == b"\x81\x7e\x00\xc8" and len(medium) == 204
    large = ws_text_frame("é" * 40000)  # 80,000 bytes: the 64-bit length form
    assert large[:2] == b"\x81\x7f" and int.from_bytes(large[2:10], "big") == 80000


@pytest.mark.parametrize("parallel_min", [512, 2], ids=["one thread", "two threads"])
async def test_single_process_uses_direct_writes_for_websocket_viewers(server, http, connect, inbox, parallel_min):
    manager = server.app[sio_key].manager
    assert isinstance(manager, FastManager)
    manager.parallel_min = parallel_min
    manager._raw = RawWriter(cpus=2)  # two threads even where the tests are pinned to one CPU
    viewers = [await connect("/live", session="morning") for _ in range(3)]
    boxes = [Inbox(v, "/live", "session_state") for v in viewers]
    before, raw_before = manager.direct_writes, manager.raw_writes
    token = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={token}")) as r:
        assert r.status == 200
    for box in boxes:  # every viewer gets the change exactly once
        await box.wait_for(lambda n, d: d["state"] == "live")
        assert len(box.items) == 1
    assert manager.direct_writes - before >= 3
    assert manager.raw_writes - raw_before >= 3  # plain TCP: written beside the transport


async def test_a_queued_packet_is_never_overtaken(server, connect):
    manager = server.app[sio_key].manager
    viewer = await connect("/live", session="morning")
    box = Inbox(viewer, "/live", "probe")
    sid = viewer.get_sid("/live")
    assert manager.fast_emit_local("probe", {"i": 1}, "/live", sid) == 1
    await box.wait_for(lambda n, d: True)  # the connection is quiet: its writer waits for the next packet
    link = manager._engineio.link(sid, manager.eio_sid_from_sid(sid, "/live"), "/live")
    assert link.transport is not None and link.fd is not None and link.idle()
    # A WebSocket connection's packets are written as they are sent: nothing waits that a frame could overtake.
    link.enqueue(manager._engineio.packets("probe", [{"i": 2}], "/live"))
    assert link.idle() and link.queued() == 0
    manager.fast_emit_local("probe", {"i": 3}, "/live", sid)  # behind it on the same transport
    assert [d["i"] for d in await box.wait_count("probe", 3)] == [1, 2, 3]


async def test_a_large_room_is_written_in_slices_after_the_emit_returns_and_in_order(server, connect):
    manager = server.app[sio_key].manager
    sio = server.app[sio_key]
    manager.slice_size = 2
    viewers = [await connect("/live", session="morning") for _ in range(5)]
    boxes = [Inbox(v, "/live", "probe") for v in viewers]
    one = viewers[0].get_sid("/live")
    written = manager.delivered
    await sio.emit("probe", {"i": 1}, room="meeting:1:morning", namespace="/live")
    # Five viewers, two per turn of the loop: the emit returned before the room was written ...
    assert manager.delivered - written < 5
    # ... and what is emitted meanwhile, to a room or to one viewer, waits behind it.
    await sio.emit("probe", {"i": 2}, room="meeting:1:morning", namespace="/live")
    await sio.emit("probe", {"i": 3}, to=one, namespace="/live")
    for box in boxes:
        expected = [1, 2, 3] if box is boxes[0] else [1, 2]
        got = await box.wait_count("probe", len(expected))
        assert [d["i"] for d in got] == expected
    assert manager.delivered - written == 11
    assert not manager._pending


async def test_a_node_that_cannot_keep_up_holds_a_bounded_number_of_broadcasts(server, connect):
    manager = server.app[sio_key].manager
    sio = server.app[sio_key]
    manager.slice_size, manager.pending_limit = 1, 3
    viewers = [await connect("/live", session="morning") for _ in range(3)]
    boxes = [Inbox(v, "/live", "probe") for v in viewers]
    longest = 0
    for i in range(10):  # emitted faster than one viewer per turn of the loop can write them
        await sio.emit("probe", {"i": i}, room="meeting:1:morning", namespace="/live")
        longest = max(longest, len(manager._pending))
    assert longest == 3
    for box in boxes:  # the oldest were written out at once, in order, and nothing was lost
        assert [d["i"] for d in await box.wait_count("probe", 10)] == list(range(10))


async def test_a_failing_broadcast_does_not_stop_the_ones_behind_it(server, connect, monkeypatch):
    manager = server.app[sio_key].manager
    sio = server.app[sio_key]
    manager.slice_size = 1
    viewers = [await connect("/live", session="morning") for _ in range(2)]
    boxes = [Inbox(v, "/live", "probe") for v in viewers]
    serve = manager._serve

    def broken_once(broadcast, budget):
        if broadcast.event == "probe" and broadcast.packets[0].data.endswith('{"i":1}]'):
            raise RuntimeError("broken")
        return serve(broadcast, budget)

    monkeypatch.setattr(manager, "_serve", broken_once)
    await sio.emit("probe", {"i": 1}, room="meeting:1:morning", namespace="/live")
    await sio.emit("probe", {"i": 2}, room="meeting:1:morning", namespace="/live")
    for box in boxes:
        assert [d["i"] for d in await box.wait_count("probe", 1)] == [2]


class _CountingRooms(dict):
    """A namespace's room table that counts full passes over it."""

    passes = 0

    def copy(self):
        type(self).passes += 1
        return super().copy()

    def items(self):
        type(self).passes += 1
        return super().items()


async def test_a_viewer_leaving_is_taken_out_of_its_rooms_without_a_pass_over_every_room(server, connect):
    manager = server.app[sio_key].manager
    viewers = [await connect("/live", session="morning") for _ in range(3)]
    leaving = viewers[0].get_sid("/live")
    staying = {v.get_sid("/live") for v in viewers[1:]}
    rooms = manager.rooms["/live"] = _CountingRooms(manager.rooms["/live"])
    _CountingRooms.passes = 0
    await viewers[0].disconnect()
    await asyncio.wait_for(_gone(manager, leaving), timeout=WAIT)
    assert _CountingRooms.passes == 0  # every room of every viewer was not searched for the one leaving
    assert all(leaving not in members for members in rooms.values())
    assert {sid for sid, _ in manager.get_participants("/live", "meeting:1:morning")} == staying
    assert ("/live", leaving) not in manager._rooms_of
    assert all(("/live", sid) in manager._rooms_of for sid in staying)


async def _gone(manager, sid):
    while manager.is_connected(sid, "/live"):
        await asyncio.sleep(0.01)


def test_one_cpu_means_one_writing_thread():
    assert RawWriter(cpus=1).threads == 1  # pinned: a second thread would only take turns with the first
    assert RawWriter(cpus=2).threads == 2


def test_the_library_internals_the_fan_out_uses_are_there(settings):
    problems = check(create_app(settings)[sio_key])  # create_app already refuses to build when one is missing
    assert problems == [], "python-socketio/python-engineio changed under server/web/engineio_adapter.py:\n" + \
        "\n".join(problems)


def test_a_changed_internal_is_named_at_start_up(settings, monkeypatch):
    sio = create_app(settings)[sio_key]
    del sio.eio.sockets
    assert any(p.startswith("engineio.AsyncServer.sockets: missing") for p in check(sio))
    # The same library change at start-up: the app is not built, and the message names what is gone.
    monkeypatch.delattr(AsyncPubSubManager, "_handle_emit")
    with pytest.raises(InternalsChanged, match=r"AsyncPubSubManager\._handle_emit"):
        create_app(settings)


def test_installed_socketio_and_engineio_are_in_the_pinned_ranges():
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    pins = {r.name: r for r in map(Requirement, pyproject["project"]["dependencies"])}
    for name in ("python-socketio", "python-engineio"):
        spec = pins[name].specifier
        assert any(s.operator == "<" for s in spec), f"{name} needs an upper bound: the fan-out uses its internals"
        installed = importlib.metadata.version(name)
        assert spec.contains(installed), f"{name} {installed} is outside {spec}: check server/web/engineio_adapter.py"


async def test_polling_viewer_is_served_and_a_slow_one_dropped(server, http, connect):
    manager = server.app[sio_key].manager
    polling = await connect("/live", session="morning", transports=["polling"])  # served through its queue
    box = Inbox(polling, "/live", "session_state")
    token = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={token}")) as r:
        assert r.status == 200
    await box.wait_for(lambda n, d: d["state"] == "live")
    manager.outbox_limit = 2
    for i in range(5):  # no await in between: the viewer cannot drain anything
        manager.fast_emit_local("probe", {"i": i}, "/live", "meeting:1:morning")
    assert manager.dropped_slow == 1


@pytest.mark.redis
async def test_redis_fans_out_to_viewers_of_another_process(settings, http):
    client = aioredis.from_url("redis://127.0.0.1:6379")
    try:
        await client.ping()
    except Exception as exc:  # the service is part of the set-up: fail loudly, do not skip
        pytest.fail(f"Redis is not running on 127.0.0.1:6379 ({exc}); run scripts/setup-system.sh")
    finally:
        await client.aclose()
    channel = f"floorcast-test-{uuid.uuid4().hex}"
    a_settings = Settings(**{**settings.__dict__, "redis_url": "redis://127.0.0.1:6379", "redis_channel": channel})
    b_settings = Settings(**{**a_settings.__dict__})
    async with (ServingTestServer(create_app(a_settings), port=0) as a_srv,
                ServingTestServer(create_app(b_settings), port=0) as b_srv):
        a, b = Running(a_srv, a_settings), Running(b_srv, b_settings)
        assert isinstance(b.app[sio_key].manager, FastRedisManager)
        import socketio

        viewer = socketio.AsyncClient(reconnection=False)
        box = Inbox(viewer, "/live", "session_state", "caption_segment")
        await viewer.connect(b.url("/"), namespaces=["/live"], transports=["websocket"], wait_timeout=WAIT,
                             auth={"meeting": DEMO, "session": "morning", "lang": "en"})
        try:
            token = await a.token("moderator", "morning")
            async with http.post(a.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={token}")) as r:
                assert r.status == 200
            await box.wait_for(lambda n, d: n == "session_state" and d["state"] == "live")
            captioner = await a.token("captioner", "morning")
            async with http.post(a.url(f"/m/{DEMO}/s/morning/ingest/zoom?t={captioner}&seq=1&lang=en-US"),
                                 data=b"Heard on the other node.") as r:
                assert r.status == 200
            segment = await box.wait_for(lambda n, d: n == "caption_segment")
            assert segment["text"] == "Heard on the other node." and segment["seq"] == 1
        finally:
            await viewer.disconnect()
