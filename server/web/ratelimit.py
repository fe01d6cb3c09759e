"""Rate limits that hold across processes: counted in Redis when the settings name one, in this process otherwise.

Each limit is a setting ``<name>_rate`` of the form ``COUNT/SECONDS`` (a moving window). A refusal raises
``RateLimited`` with ``retry_after`` in whole seconds: HTTP answers 429 with ``Retry-After``, a Socket.IO ACK
carries ``retry_after`` in its error. Limits count per person where a person can re-register: by IP address as
well as by participant.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from ..domain.errors import N_, RateLimited
from ..settings import Settings

log = logging.getLogger(__name__)

#: Every limit, by the prefix of its setting (``register_ip`` reads ``settings.register_ip_rate``).
NAMES = ("register_ip", "register_link", "question_ip", "vote", "floor", "socket_event")
#: What a refusal says, in one place.
MESSAGE = N_("Too many requests: please wait {seconds} s and try again.")


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
    """The service's rate limits over one storage (Redis or memory)."""

    def __init__(self, settings: Settings) -> None:
        self.items = {name: parse_rate(name, getattr(settings, f"{name}_rate")) for name in NAMES}
        storage: Storage
        if settings.redis_url:
            # redis-py (already used by the Socket.IO fan-out), not the library's default client.
            storage = RedisStorage(settings.redis_url, implementation="redispy",
                                   key_prefix=f"{settings.redis_channel}:limits", socket_timeout=2)
        else:
            storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(storage)
        #: Uses allowed because the store could not be reached (Redis errors, for ``/metrics``).
        self.store_errors = 0

    async def hit(self, name: str, *keys: str | int) -> None:
        """Count one use of ``name`` by ``keys``; raise ``RateLimited`` (with ``retry_after``) over the limit.

        When the store cannot be reached the use is allowed and logged: a Redis outage must not stop a meeting.
        """
        item, ids = self.items[name], [str(k) for k in keys]
        try:
            if await self.limiter.hit(item, *ids):
                return
            stats = await self.limiter.get_window_stats(item, *ids)
        except Exception:
            self.store_errors += 1
            log.warning("rate limit store unavailable: allowed", exc_info=True, extra={"limit": name})
            return
        seconds = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(MESSAGE, retry_after=seconds, params={"seconds": seconds})

