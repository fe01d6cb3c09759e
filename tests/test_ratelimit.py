"""Rate limits hold when Redis fails: counted in this process while it is out, in Redis again once it is back.

The Redis is a ``redis-server`` of the test's own on a free port, stopped and started again on the same port; the
clock that spaces the attempts to reach it again is the one boundary replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from server.domain.errors import RateLimited
from server.web.app import create_app
from server.web.ratelimit import RETRY_S, Limits

from .conftest import DEMO, WAIT, Running, ServingTestServer
from .test_metrics import scrape, value

ALICE = {"name": "Alice Remote", "organisation": "APC", "country": "KE", "group": "civil", "mode": "remote"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OwnRedis:
    """A redis-server on a port of its own, without persistence, that the test stops and starts."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start it and wait (bounded) until it answers PING."""
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed; run scripts/setup-system.sh")
        self.process = await asyncio.create_subprocess_exec(
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        client = aioredis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + WAIT
        try:
            while True:
                with contextlib.suppress(OSError, aioredis.ConnectionError):
                    if await client.ping():
                        return
                assert time.monotonic() < deadline, "redis-server did not start"
                assert self.process.returncode is None, "redis-server exited"
                await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    async def stop(self) -> None:
        """Stop it: its port refuses connections until it starts again."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), WAIT)
        self.process = None

    async def keys(self, pattern: str) -> list[bytes]:
        """The keys matching ``pattern``."""
        client = aioredis.from_url(self.url, socket_timeout=1)
        try:
            return list(await client.keys(pattern))
        finally:
            await client.aclose()


@pytest.fixture
async def own_redis() -> AsyncIterator[OwnRedis]:
    """A started redis-server of this test's own."""
    server = OwnRedis()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class Clock:
    """A monotonic clock the test moves on."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _said(caplog: pytest.LogCaptureFixture, message: str) -> int:
    return sum(r.getMessage() == message for r in caplog.records)


OUT = "rate limits counted in this process: Redis unreachable"
BACK = "rate limits counted in Redis again"


@pytest.mark.redis
async def test_limits_hold_in_memory_while_redis_is_out_and_return_to_redis(settings, own_redis, caplog):
    caplog.set_level(logging.INFO, logger="server.web.ratelimit")
    settings.redis_url, settings.redis_channel = own_redis.url, f"floorcast-test-{uuid.uuid4().hex}"
    settings.vote_rate = "3/60"
    clock = Clock()
    limits = Limits(settings, clock=clock)
    stored = f"{settings.redis_channel}:limits*"
    # Counted in Redis while it runs.
    for _ in range(3):
        await limits.hit("vote", "alice")
    with pytest.raises(RateLimited):
        await limits.hit("vote", "alice")
    assert await own_redis.keys(stored) and limits.store_errors == 0 and limits.counting_in_redis

    await own_redis.stop()
    # Out: the first use finds out and is counted in memory, as are the next ones; the limit holds.
    for _ in range(3):
        await limits.hit("vote", "bob")
    with pytest.raises(RateLimited) as refused:
        await limits.hit("vote", "bob")
    assert 1 <= refused.value.retry_after <= 60
    assert (limits.store_errors, _said(caplog, OUT), limits.counting_in_redis) == (1, 1, False)
    # Tried again after RETRY_S: still out, counted as an error, not logged again, the memory count still holds.
    clock.now += RETRY_S
    with pytest.raises(RateLimited):
        await limits.hit("vote", "bob")
    assert (limits.store_errors, _said(caplog, OUT)) == (2, 1)

    await own_redis.start()  # the same port, empty
    await limits.hit("vote", "carol")  # not tried yet: counted in memory
    assert await own_redis.keys(stored) == [] and _said(caplog, BACK) == 0
    clock.now += RETRY_S
    await limits.hit("vote", "carol")
    assert await own_redis.keys(stored), "not counted in Redis once it was back"
    assert (limits.store_errors, _said(caplog, BACK), limits.counting_in_redis) == (2, 1, True)


@pytest.mark.redis
async def test_an_unreachable_redis_does_not_lift_the_limits_of_the_server(settings, http):
    settings.redis_url, settings.redis_channel = f"redis://127.0.0.1:{_free_port()}", f"t-{uuid.uuid4().hex}"
    settings.register_ip_rate = "2/600"
    async with ServingTestServer(create_app(settings), port=0) as srv:
        server = Running(srv, settings)
        token = await server.token("participant")
        statuses = []
        for _ in range(3):
            async with http.post(server.url(f"/api/meetings/{DEMO}/participants?t={token}"), json=ALICE) as r:
                statuses.append(r.status)
                body = await r.json()
        assert statuses == [201, 201, 429] and body["error"]["code"] == "rate_limited", (statuses, body)
        assert value(await scrape(server, http), "floorcast_redis_errors_total", source="rate_limits") >= 1
