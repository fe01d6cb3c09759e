"""Notices between the processes (nodes) of one deployment: "this log moved on", sent after every commit.

Each node keeps copies of what it serves in memory (floor queues, question boards, session lives). The store is the
truth and serialises every change; a node that committed one publishes a small :class:`Notice` (kind, meeting id,
session id, the log's new number) on a Redis pub/sub channel derived from the Socket.IO channel, and every other
node hands it to the feature that registered for that kind, which catches its copy up from the store. A notice
carries no state, so a lost or late one costs freshness only: every write catches up from the store first anyway,
and the session loop also polls.

Without a Redis URL (one process) publishing does nothing and nothing is heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any, Protocol

import redis.asyncio as aioredis
from aiohttp import web

log = logging.getLogger(__name__)

FLOOR, QUESTIONS, SESSION, LINK = "floor", "questions", "session", "link"
#: Seconds between two attempts to subscribe again after Redis went away.
RETRY_SECONDS = 0.5
#: Seconds the start waits for the subscription to the notice channel.
SUBSCRIBE_TIMEOUT = 5.0
#: Seconds a publish may take before it is given up (the change is committed already; only the notice is lost).
PUBLISH_TIMEOUT = 1.0


@dataclasses.dataclass(frozen=True)
class Notice:
    """One committed change: ``kind`` (``floor``, ``questions``, ``session``, ``link``), where, and the number the
    log reached (a link's id for ``link``)."""

    kind: str
    meeting_id: int
    session_id: str | None
    seq: int


class Listener(Protocol):
    """A feature that keeps copies of stored state and catches them up when another node changed it."""

    async def noticed(self, notice: Notice) -> None:
        """Another node committed this change: bring the copy it concerns up to date (if this node holds one)."""

    async def resync(self) -> None:
        """Notices may have been missed (the bus was away): bring every copy up to date."""


class Publisher(Protocol):
    """What a feature is handed to tell the other nodes of a change it committed."""

    async def publish(self, notice: Notice) -> None:
        """Tell the other nodes; never raises (a lost notice costs freshness, not correctness)."""


class NoticeBus:
    """Publishes this node's notices and delivers the other nodes' to the listener of each kind.

    :param redis_url: the deployment's Redis (empty: one process, nothing to tell).
    :param channel: the Socket.IO channel; notices use ``{channel}:notices`` beside it.
    """

    def __init__(self, redis_url: str, channel: str) -> None:
        self.channel = f"{channel}:notices"
        self.node = uuid.uuid4().hex
        # Named, so that an operator's CLIENT LIST tells this process's connections apart.
        self.redis = aioredis.from_url(redis_url, socket_connect_timeout=PUBLISH_TIMEOUT,
                                       client_name=f"floorcast-notices-{self.node}") if redis_url else None
        self._listeners: dict[str, Listener] = {}
        #: Notices published, notices from other nodes handled, and publishes or subscriptions that failed.
        self.published = 0
        self.received = 0
        self.failures = 0
        self._handled = asyncio.Condition()
        #: The highest number handled per (kind, meeting id, session id), for :meth:`caught_up`.
        self._latest: dict[tuple[str, int, str | None], int] = {}
        #: Set once the first subscription is in place (notices published from then on are heard).
        self.subscribed = asyncio.Event()
        #: Set once the first attempt to subscribe succeeded or failed (a refusing Redis does not hold up the start).
        self.attempted = asyncio.Event()

    def listen(self, kind: str, listener: Listener) -> None:
        """Deliver the other nodes' notices of ``kind`` to ``listener`` (one per kind)."""
        assert kind not in self._listeners, f"two listeners for {kind!r} notices"
        self._listeners[kind] = listener

    async def publish(self, notice: Notice) -> None:
        """Send a notice to the other nodes (nothing without Redis); a failure is logged, not raised."""
        if self.redis is None:
            return
        message = json.dumps({"node": self.node, **dataclasses.asdict(notice)}, separators=(",", ":"))
        try:
            await asyncio.wait_for(self.redis.publish(self.channel, message), PUBLISH_TIMEOUT)
        except (TimeoutError, OSError, aioredis.RedisError) as exc:
            self.failures += 1
            log.warning("notice not published", extra={"kind": notice.kind, "error": str(exc)})
        else:
            self.published += 1

    async def deliver(self, raw: bytes | str) -> None:
        """Hand one message from the channel to its listener (our own and malformed ones are dropped)."""
        try:
            body: dict[str, Any] = json.loads(raw)
            node = body.pop("node")
            notice = Notice(str(body["kind"]), int(body["meeting_id"]),
                            None if body["session_id"] is None else str(body["session_id"]), int(body["seq"]))
        except (ValueError, KeyError, TypeError):
            log.warning("malformed notice dropped", extra={"channel": self.channel})
            return
        listener = self._listeners.get(notice.kind)
        if node == self.node or listener is None:
            return
        try:
            await listener.noticed(notice)
        finally:
            async with self._handled:
                self.received += 1
                where = (notice.kind, notice.meeting_id, notice.session_id)
                self._latest[where] = max(notice.seq, self._latest.get(where, notice.seq))
                self._handled.notify_all()

    async def caught_up(self, notice: Notice) -> None:
        """Return once a notice of the same kind and place, numbered ``notice.seq`` or later, has been handled here."""
        where = (notice.kind, notice.meeting_id, notice.session_id)
        async with self._handled:
            await self._handled.wait_for(lambda: self._latest.get(where, -1) >= notice.seq)

    async def run(self) -> None:
        """Subscribe and deliver until cancelled; after a lost connection, subscribe again and resync everyone."""
        assert self.redis is not None
        while True:
            try:
                async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    if self.subscribed.is_set():  # a reconnection: what was published meanwhile is lost
                        await self._resync()
                    self.subscribed.set()
                    self.attempted.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            try:
                                await self.deliver(message["data"])
                            except asyncio.CancelledError:
                                raise
                            except Exception:
                                log.exception("catching up after a notice failed")
            except asyncio.CancelledError:
                raise
            except (OSError, aioredis.RedisError) as exc:
                self.failures += 1
                self.attempted.set()
                log.warning("notice channel lost, subscribing again", extra={"error": str(exc)})
            # Back off before the next attempt (a retry delay, not a synchronisation).
            await asyncio.sleep(RETRY_SECONDS)

    async def _resync(self) -> None:
        for listener in self._listeners.values():
            try:
                await listener.resync()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("catching up after a lost notice channel failed")

    async def close(self) -> None:
        """Close the Redis connections."""
        if self.redis is not None:
            await self.redis.aclose()


notices_key = web.AppKey("notices", NoticeBus)


async def notices_context(app: web.Application) -> AsyncIterator[None]:
    """Listen to the other nodes' notices while the app serves (with Redis)."""
    bus = app[notices_key]
    task = None
    if bus.redis is not None:
        task = asyncio.create_task(bus.run(), name="floorcast-notices")
        # Serve once subscribed, so that no change stored after this process answers is missed; a Redis that
        # refuses does not delay the start, one that does not answer by at most this long (writes catch up from
        # the store anyway, and the bus subscribes as soon as it can).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(bus.attempted.wait(), SUBSCRIBE_TIMEOUT)
        if not bus.subscribed.is_set():
            log.warning("serving before the notice channel is subscribed", extra={"channel": bus.channel})
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await bus.close()
