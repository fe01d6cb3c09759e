"""Rate limits that hold across processes: counted in Redis when the settings name one, in this process otherwise.

Each limit is a setting ``<name>_rate`` of the form ``COUNT/SECONDS`` (a moving window). A refusal raises
``RateLimited`` with ``retry_after`` in whole seconds: HTTP answers 429 with ``Retry-After``, a Socket.IO ACK
carries ``retry_after`` in its error. Limits count per person where a person can re-register: by IP address as
well as by participant.

When Redis cannot be reached the limits still hold, counted in this process's memory (each process then allows a
window's worth on its own, and the windows start afresh): a Redis outage must neither stop a meeting nor lift its
limits. The outage is logged once and every failed Redis call is counted (``floorcast_redis_errors_total``,
source ``rate_limits``); Redis is tried again ``RETRY_S`` seconds after a failure, and counts there from then on.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from ..domain.errors import N_, RateLimited
from ..settings import Settings

log = logging.getLogger(__name__)

#: Every limit, by the prefix of its setting (``register_ip`` reads ``settings.register_ip_rate``).
NAMES = ("register_ip", "register_link", "question_ip", "vote", "floor", "socket_event")
#: What a refusal says, in one place.
MESSAGE = N_("Too many requests: please wait {seconds} s and try again.")
#: Seconds between attempts to count in Redis again after it failed (each attempt may wait for its timeout).
RETRY_S = 5.0


def parse_rate(name: str, raw: str) -> RateLimitItem:
    """A ``COUNT/SECONDS`` setting as a limit item; raises ``ValueError`` naming the setting."""
    try:
        count, seconds = (int(part) for part in raw.split("/"))
        if count < 1 or seconds < 1:
            raise ValueError
    except ValueError:
        raise ValueError(f"{name}_rate must be COUNT/SECONDS with both at least 1, got {raw!r}") from None
    return RateLimitItemPerSecond(count, seconds, namespace=name)


class Limits:
    """The service's rate limits, counted in Redis (when configured and reachable) or in this process."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.items = {name: parse_rate(name, getattr(settings, f"{name}_rate")) for name in NAMES}
        self.memory = MovingWindowRateLimiter(MemoryStorage())
        self.redis: MovingWindowRateLimiter | None = None
        if settings.redis_url:
            # redis-py (already used by the Socket.IO fan-out), not the library's default client; its errors
            # wrapped in StorageError, so that a bug of ours is not mistaken for an outage.
            self.redis = MovingWindowRateLimiter(RedisStorage(
                settings.redis_url, implementation="redispy", key_prefix=f"{settings.redis_channel}:limits",
                socket_timeout=2, wrap_exceptions=True))
        self.clock = clock
        #: Failed Redis calls (for ``/metrics``).
        self.store_errors = 0
        #: While Redis is out: the clock reading from which it is tried again.
        self.retry_at: float | None = None

    @property
    def counting_in_redis(self) -> bool:
        """Whether the next use is counted in Redis (configured, and not out or due to be tried again)."""
        return self.redis is not None and (self.retry_at is None or self.clock() >= self.retry_at)

    async def hit(self, name: str, *keys: str | int) -> None:
        """Count one use of ``name`` by ``keys``; raise ``RateLimited`` (with ``retry_after``) over the limit.

        Counted in memory while Redis is out (see the module's docstring).
        """
        item, ids = self.items[name], [str(k) for k in keys]
        if self.redis is not None and self.counting_in_redis:
            try:
                if await self.redis.hit(item, *ids):
                    self._redis_answered()
                    return
                stats = await self.redis.get_window_stats(item, *ids)
                self._redis_answered()
                self._refuse(stats.reset_time)
            except StorageError as exc:
                self._redis_failed(name, exc.storage_error)
        if await self.memory.hit(item, *ids):
            return
        self._refuse((await self.memory.get_window_stats(item, *ids)).reset_time)

    def _refuse(self, reset_time: float) -> None:
        seconds = max(1, math.ceil(reset_time - time.time()))
        raise RateLimited(MESSAGE, retry_after=seconds, params={"seconds": seconds})

    def _redis_failed(self, name: str, error: Exception) -> None:
        self.store_errors += 1
        if self.retry_at is None:
            log.warning("rate limits counted in this process: Redis unreachable", extra={
                "limit": name, "error": f"{type(error).__name__}: {error}"[:200], "retry_s": RETRY_S})
        self.retry_at = self.clock() + RETRY_S

    def _redis_answered(self) -> None:
        if self.retry_at is not None:
            self.retry_at = None
            log.info("rate limits counted in Redis again")
