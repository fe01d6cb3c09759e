"""Attendance per person: a person's connections to a session (one per page opened, one per reconnect) merged
into the time they actually attended, within the time the session was held."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

#: Two connections of one person this close together are one stretch of attendance (a page reload, a
#: reconnect after a network blip); the short gap counts as attended.
RECONNECT_GAP_MS = 60_000

Interval = tuple[int, int]


@dataclasses.dataclass(frozen=True)
class Presence:
    """One person's attendance of one session: merged intervals, their total, first join and last leave."""

    participant_id: int
    intervals: tuple[Interval, ...]

    @property
    def attended_ms(self) -> int:
        """Total time attended."""
        return sum(end - start for start, end in self.intervals)

    @property
    def first_join_ms(self) -> int:
        """When the person first joined (within the held time)."""
        return self.intervals[0][0]

    @property
    def last_leave_ms(self) -> int:
        """When the person last left (the session's end, or now, for someone still there)."""
        return self.intervals[-1][1]


def held_window(started_ms: int | None, ended_ms: int | None, now: int) -> Interval | None:
    """The time a session was held: from its start to its end (or ``now`` while live); None if never started."""
    if started_ms is None:
        return None
    return started_ms, max(started_ms, ended_ms if ended_ms is not None else now)


def merge(intervals: Iterable[tuple[int, int | None]], window: Interval | None, now: int,
          gap_ms: int = RECONNECT_GAP_MS) -> tuple[Interval, ...]:
    """Clip connection intervals (``leave`` None: still connected at ``now``) to ``window`` and merge those that
    overlap, touch, or are less than ``gap_ms`` apart; empty for a session never held."""
    if window is None:
        return ()
    lo, hi = window
    clipped = sorted((max(join, lo), min(leave if leave is not None else now, hi)) for join, leave in intervals)
    merged: list[Interval] = []
    for start, end in clipped:
        if end <= start:
            continue  # entirely before the start or after the end
        if merged and start - merged[-1][1] <= gap_ms:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def per_person(rows: Iterable[tuple[int, int, int | None]], window: Interval | None, now: int,
               gap_ms: int = RECONNECT_GAP_MS) -> list[Presence]:
    """``(participant_id, join_ms, leave_ms)`` connection rows as one :class:`Presence` per person who attended
    inside ``window``, ordered by first join."""
    by_person: dict[int, list[tuple[int, int | None]]] = {}
    for pid, join, leave in rows:
        by_person.setdefault(pid, []).append((join, leave))
    found = [Presence(pid, merged) for pid, spans in by_person.items()
             if (merged := merge(spans, window, now, gap_ms))]
    return sorted(found, key=lambda p: (p.first_join_ms, p.participant_id))
