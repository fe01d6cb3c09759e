"""Broadcast paths: the task-free local fan-out, slow viewers, and fan-out across processes through Redis."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestServer

from server.settings import Settings
from server.web.app import create_app
from server.web.fanout import FastManager, FastRedisManager, ws_text_frame
from server.web.keys import sio_key

from .conftest import DEMO, WAIT, Inbox, Running


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
    viewers = [await connect("/live", session="morning") for _ in range(3)]
    boxes = [Inbox(v, "/live", "session_state") for v in viewers]
    before = manager.direct_writes
    token = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={token}")) as r:
        assert r.status == 200
    for box in boxes:  # every viewer gets the change exactly once
        await box.wait_for(lambda n, d: d["state"] == "live")
        assert len(box.items) == 1
    assert manager.direct_writes - before >= 3


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
    async with TestServer(create_app(a_settings), port=0) as a_srv, TestServer(create_app(b_settings), port=0) as b_srv:
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
