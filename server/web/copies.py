"""The copies of sessions' stored logs a process holds, and when it lets them go.

The floor and the questions keep, per session, a copy of the session's stored log (replayed into a queue or a
board) so that a command or a page does not read the whole log again. The store holds the truth and any copy can
be rebuilt from it, so a copy need not live as long as the process: one a meeting week of sessions left behind would
grow the process by every session it ever served. A copy is let go once its session is not live and nobody has
used it for ``IDLE_MS``; a page of an ended session that asks again gets a copy read again from the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from ..clock import now_ms

T = TypeVar("T")
#: (meeting id, session id)
Key = tuple[int, str]
#: A copy of a session that is not live is let go after this long without use (ms).
IDLE_MS = 60_000


class Copies(Generic[T]):
    """Per-session copies, each with the time it was last used."""

    def __init__(self) -> None:
        self._held: dict[Key, T] = {}
        self._used: dict[Key, int] = {}

    def get(self, key: Key) -> T | None:
        """The copy of a session, if this process holds one (counts as a use)."""
        found = self._held.get(key)
        if found is not None:
            self._used[key] = now_ms()
        return found

    def put(self, key: Key, copy: T) -> T:
        """Hold a copy just read from the store."""
        self._held[key] = copy
        self._used[key] = now_ms()
        return copy

    def drop(self, key: Key) -> None:
        """Forget a copy (it no longer matches the store, or it was let go)."""
        self._held.pop(key, None)
        self._used.pop(key, None)

    def __contains__(self, key: Key) -> bool:
        return key in self._held

    def __len__(self) -> int:
        return len(self._held)

    def sessions(self) -> list[Key]:
        """The sessions held, as a list taken now (safe to change the copies while going through it)."""
        return list(self._held)

    def release_idle(self, live: Callable[[Key], bool]) -> int:
        """Let go of the copies of sessions that are not live and were not used for ``IDLE_MS``; returns how many."""
        cutoff = now_ms() - IDLE_MS
        idle = [key for key, used in self._used.items() if used <= cutoff and not live(key)]
        for key in idle:
            self.drop(key)
        return len(idle)


class Keeper(Protocol):
    """A feature holding copies of sessions' logs (the floor, the questions)."""

    #: The feature's name in the metrics.
    feature: str

    @property
    def held(self) -> int:
        """How many sessions' copies this process holds."""

    def release_idle(self, live: Callable[[Key], bool]) -> int:
        """Let go of the idle copies of sessions that are not live; returns how many."""
