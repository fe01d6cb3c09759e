"""The wall clock: the one place the service reads the time (the core takes ``now`` as an argument)."""

from __future__ import annotations

import time


def now_ms() -> int:
    """The wall clock in UTC milliseconds."""
    return time.time_ns() // 1_000_000
