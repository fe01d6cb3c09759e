"""The notice channel between nodes, on the local Redis: delivered to the other nodes' listeners only, malformed
messages dropped without stopping it, and a lost connection followed by a resync of every listener."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from server.web.notices import FLOOR, Notice, NoticeBus

from .conftest import WAIT

REDIS = "redis://127.0.0.1:6379"
pytestmark = pytest.mark.redis


class Recorder:
    """A listener that keeps what it was told."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self.resyncs = 0
        self.resynced = asyncio.Event()

    async def noticed(self, notice: Notice) -> None:
        self.notices.append(notice)

    async def resync(self) -> None:
        self.resyncs += 1
        self.resynced.set()


@contextlib.asynccontextmanager
async def running(bus: NoticeBus) -> AsyncIterator[NoticeBus]:
    """The bus listening (subscribed before it is handed over), stopped and closed afterwards."""
    task = asyncio.create_task(bus.run())
    try:
        await asyncio.wait_for(bus.subscribed.wait(), WAIT)
        yield bus
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await bus.close()


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(REDIS)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(f"Redis is not running on 127.0.0.1:6379 ({exc}); run scripts/setup-system.sh")
    yield client
    await client.aclose()


async def test_a_notice_reaches_the_other_nodes_only_and_bad_messages_are_dropped(redis_client):
    channel = f"floorcast-test-{uuid.uuid4().hex}"
    a, b = NoticeBus(REDIS, channel), NoticeBus(REDIS, channel)
    heard_a, heard_b = Recorder(), Recorder()
    a.listen(FLOOR, heard_a)
    b.listen(FLOOR, heard_b)
    async with running(a), running(b):
        await a.publish(Notice(FLOOR, 1, "morning", 7))
        await asyncio.wait_for(b.caught_up(Notice(FLOOR, 1, "morning", 7)), WAIT)
        assert heard_b.notices == [Notice(FLOOR, 1, "morning", 7)]
        for raw in ("not json", '{"node": "x"}', '{"node": "x", "kind": "floor", "meeting_id": "one",'
                    ' "session_id": null, "seq": 1}', '{"node": "x", "kind": "nobody listens", "meeting_id": 1,'
                    ' "session_id": null, "seq": 1}'):
            await redis_client.publish(a.channel, raw)
        await b.publish(Notice(FLOOR, 1, "afternoon", 3))  # still delivered after the bad ones
        await asyncio.wait_for(a.caught_up(Notice(FLOOR, 1, "afternoon", 3)), WAIT)
        assert heard_a.notices == [Notice(FLOOR, 1, "afternoon", 3)]  # a never hears its own notice
        assert a.received == 1 and b.received == 1
        assert (a.published, b.published, a.failures, b.failures) == (1, 1, 0, 0)


async def test_after_a_lost_connection_the_bus_subscribes_again_and_resyncs_its_listeners(redis_client):
    channel = f"floorcast-test-{uuid.uuid4().hex}"
    a, b = NoticeBus(REDIS, channel), NoticeBus(REDIS, channel)
    heard = Recorder()
    b.listen(FLOOR, heard)
    async with running(a), running(b):
        assert heard.resyncs == 0  # the first subscription has nothing to catch up with
        name = f"floorcast-notices-{b.node}"
        mine = [c for c in await redis_client.client_list() if c.get("name") == name and "subscribe" in c["cmd"]]
        assert mine, "the bus's subscription is not named"
        for conn in mine:  # only this bus's connection: other tests share the server
            await redis_client.client_kill_filter(_id=conn["id"])
        await asyncio.wait_for(heard.resynced.wait(), WAIT)
        await a.publish(Notice(FLOOR, 1, "morning", 2))
        await asyncio.wait_for(b.caught_up(Notice(FLOOR, 1, "morning", 2)), WAIT)
        assert heard.notices == [Notice(FLOOR, 1, "morning", 2)]


async def test_without_redis_publishing_does_nothing():
    bus = NoticeBus("", "floorcast")
    assert bus.redis is None
    await bus.publish(Notice(FLOOR, 1, "morning", 1))
    assert (bus.published, bus.failures) == (0, 0)
    await bus.close()
