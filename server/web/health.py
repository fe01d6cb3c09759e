"""``/healthz`` and the process's vital signs.

``GET /healthz`` answers ``200 {"ok": true, "version", "checks"}`` when this process can do its work, else ``503``
with the same body, ``ok: false`` and ``reasons``: the codes of what fails.

* ``storage_full`` / ``storage_unavailable``: a write to the database fails (``Database.probe``).
* ``redis_unreachable``: Redis is configured and does not answer a ping within a second.
* ``fanout_stalled``: Redis is configured and the canary this process sends itself through it every
  ``health_interval`` seconds has not come back for three intervals (the bus stopped delivering).

A background loop sends the canaries and, every ``metrics_interval`` seconds, logs one ``metrics`` line (resident
memory and what the heap holds of it, open files, asyncio tasks, Engine.IO connections, Socket.IO rooms), so a long
run can be watched from outside the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web

from .. import __version__
from ..clock import now_ms
from .engineio_adapter import start_manager
from .fanout import FastRedisManager
from .keys import db_key, settings_key, sio_key
from .sessions import session_watch_key

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
#: How long one check may take before it counts as failed (seconds).
CHECK_TIMEOUT = 1.0
#: Canaries missed in a row before the bus counts as stalled.
MISSED_CANARIES = 3


class Health:
    """What the health loop knows between two ``/healthz`` requests."""

    def __init__(self, interval: float, redis_url: str) -> None:
        self.interval = interval
        self.started = time.monotonic()
        self.redis = aioredis.from_url(redis_url, socket_timeout=CHECK_TIMEOUT,
                                       socket_connect_timeout=CHECK_TIMEOUT) if redis_url else None
        #: Redis failures since start, for ``/metrics``: pings unanswered, canaries not sent in time.
        self.ping_failures = 0
        self.canary_failures = 0

    def fanout_stalled(self, manager: FastRedisManager) -> bool:
        """True when no canary came back for ``MISSED_CANARIES`` intervals (counted from start-up before the first)."""
        last = manager.canary_received if manager.canary_received is not None else self.started
        return time.monotonic() - last > MISSED_CANARIES * self.interval + CHECK_TIMEOUT

    async def redis_answers(self) -> bool:
        """True when Redis answers a ping in time."""
        assert self.redis is not None
        try:
            return bool(await asyncio.wait_for(self.redis.ping(), CHECK_TIMEOUT))
        except (TimeoutError, OSError, aioredis.RedisError):
            self.ping_failures += 1
            return False


health_key = web.AppKey("health", Health)


async def checks(app: web.Application) -> dict[str, str]:
    """Each check's verdict: ``ok`` or the code of what fails."""
    out: dict[str, str] = {}
    try:
        failure = await asyncio.wait_for(app[db_key].probe(now_ms()), CHECK_TIMEOUT * 5)
    except TimeoutError:
        failure = "storage_unavailable"
    out["storage"] = failure or "ok"
    health, manager = app[health_key], app[sio_key].manager
    if health.redis is not None:
        out["redis"] = "ok" if await health.redis_answers() else "redis_unreachable"
    if isinstance(manager, FastRedisManager):
        out["fanout"] = "fanout_stalled" if health.fanout_stalled(manager) else "ok"
    return out


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """Readiness: the database takes writes and, with Redis, the fan-out bus delivers (see the module docstring)."""
    found = await checks(request.app)
    reasons = [code for code in found.values() if code != "ok"]
    body: dict[str, Any] = {"ok": not reasons, "version": __version__, "checks": found}
    if reasons:
        body["reasons"] = reasons
    return web.json_response(body, status=503 if reasons else 200, headers={"Cache-Control": "no-store"})


def vital_signs(app: web.Application) -> dict[str, Any]:
    """Resident memory (KiB) and what the heap holds of it (see ``heap``), open file descriptors, asyncio tasks,
    Engine.IO connections, Socket.IO rooms, and the sessions whose floor or questions this process holds
    (``copies``)."""
    sio = app[sio_key]
    rooms = sum(len(by_room) for by_room in sio.manager.rooms.values())
    keepers = app[session_watch_key].keepers if session_watch_key in app else ()
    return {"rss_kib": _rss_kib(), **heap(), "fds": _open_fds(), "tasks": len(asyncio.all_tasks()),
            "connections": len(sio.eio.sockets), "rooms": rooms,
            "session_copies": {keeper.feature: keeper.held for keeper in keepers}}


class _MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (all arenas)."""
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _mallinfo2() -> Any:
    with contextlib.suppress(OSError, AttributeError):
        function = ctypes.CDLL(None).mallinfo2
        function.restype, function.argtypes = _MallInfo2, []
        return function
    return None


_MALLINFO2 = _mallinfo2()


def heap() -> dict[str, int]:
    """What the heap holds, to tell a growing program from an allocator keeping freed memory: ``python_blocks``,
    the memory blocks Python has allocated now (its objects, small ones in its own mapped arenas); with glibc,
    ``malloc_used_kib`` (the C heap in use: Python's larger objects and buffers, SQLite's page cache, OpenSSL's and
    the other libraries' memory) and ``malloc_free_kib`` (freed memory the allocator keeps for reuse, which counts
    in RSS)."""
    out = {"python_blocks": sys.getallocatedblocks()}
    if _MALLINFO2 is not None:
        info = _MALLINFO2()
        out["malloc_used_kib"] = (info.uordblks + info.hblkhd) // 1024
        out["malloc_free_kib"] = info.fordblks // 1024
    return out


def _rss_kib() -> int | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def _open_fds() -> int | None:
    with contextlib.suppress(OSError):
        return len(os.listdir("/proc/self/fd"))
    return None


async def _loop(app: web.Application) -> None:
    settings, manager, health = app[settings_key], app[sio_key].manager, app[health_key]
    interval = max(settings.health_interval, 0.05)
    next_metrics = time.monotonic() + settings.metrics_interval
    while True:
        try:
            if isinstance(manager, FastRedisManager):
                # A Redis that stopped answering must not stop the loop (nor the metrics).
                try:
                    await asyncio.wait_for(manager.publish_canary(), CHECK_TIMEOUT)
                except (TimeoutError, OSError, aioredis.RedisError):
                    health.canary_failures += 1
            if settings.metrics_interval > 0 and time.monotonic() >= next_metrics:
                next_metrics = time.monotonic() + settings.metrics_interval
                log.info("metrics", extra=vital_signs(app))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("health loop failed")
        await asyncio.sleep(interval)


async def health_context(app: web.Application) -> AsyncIterator[None]:
    """Run the canary and metrics loop while the application runs."""
    settings = app[settings_key]
    health = app[health_key] = Health(max(settings.health_interval, 0.05), settings.redis_url)
    if settings.redis_url:
        start_manager(app[sio_key])
    task = asyncio.create_task(_loop(app))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    if health.redis is not None:
        await health.redis.aclose()
