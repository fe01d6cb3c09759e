"""Attendance per person: connections (one per page, one per reconnect) merged, clipped to the time the session
was held; a session never started has no attendance."""

from __future__ import annotations

import pytest

from server.domain.meetings.attendance import RECONNECT_GAP_MS, Presence, held_window, merge, per_person
from server.domain.meetings.models import AgendaSession, SessionLife

MIN = 60_000
START, END = 10 * MIN, 100 * MIN


@pytest.mark.parametrize(
    "intervals, merged",
    [
        ([], ()),
        ([(20 * MIN, 30 * MIN)], ((20 * MIN, 30 * MIN),)),
        # two pages open at once: one stretch
        ([(20 * MIN, 40 * MIN), (25 * MIN, 35 * MIN)], ((20 * MIN, 40 * MIN),)),
        # overlapping and touching
        ([(20 * MIN, 30 * MIN), (30 * MIN, 40 * MIN), (35 * MIN, 50 * MIN)], ((20 * MIN, 50 * MIN),)),
        # a reconnect a few seconds later is the same stretch
        ([(20 * MIN, 30 * MIN), (30 * MIN + 3_000, 40 * MIN)], ((20 * MIN, 40 * MIN),)),
        # a gap just within and just over the reconnect allowance
        ([(20 * MIN, 30 * MIN), (30 * MIN + RECONNECT_GAP_MS, 40 * MIN)], ((20 * MIN, 40 * MIN),)),
        ([(20 * MIN, 30 * MIN), (30 * MIN + RECONNECT_GAP_MS + 1, 40 * MIN)],
         ((20 * MIN, 30 * MIN), (30 * MIN + RECONNECT_GAP_MS + 1, 40 * MIN))),
        # out of order input
        ([(60 * MIN, 70 * MIN), (20 * MIN, 30 * MIN)], ((20 * MIN, 30 * MIN), (60 * MIN, 70 * MIN))),
        # before the start and after the end are cut off; entirely outside is dropped
        ([(0, 15 * MIN), (90 * MIN, 120 * MIN), (0, 5 * MIN), (110 * MIN, 120 * MIN)],
         ((START, 15 * MIN), (90 * MIN, END))),
        # still connected: up to now (inside the window)
        ([(20 * MIN, None)], ((20 * MIN, 50 * MIN),)),
    ],
)  # fmt: skip
def test_merge(intervals, merged):
    assert merge(intervals, (START, END), now=50 * MIN) == merged


def test_a_session_never_held_has_no_attendance():
    assert merge([(20 * MIN, 30 * MIN)], None, now=50 * MIN) == ()
    assert per_person([(1, 20 * MIN, 30 * MIN)], None, now=50 * MIN) == []


def test_one_person_with_fourteen_pages_is_one_row_with_total_first_and_last():
    rows = [(7, 20 * MIN + i * 1000, 40 * MIN - i * 1000) for i in range(14)] + [(7, 60 * MIN, 70 * MIN),
                                                                                  (8, 30 * MIN, 31 * MIN)]
    found = per_person(rows, (START, END), now=END)
    assert found == [Presence(7, ((20 * MIN, 40 * MIN), (60 * MIN, 70 * MIN))), Presence(8, ((30 * MIN, 31 * MIN),))]
    seven = found[0]
    assert (seven.attended_ms, seven.first_join_ms, seven.last_leave_ms) == (30 * MIN, 20 * MIN, 70 * MIN)


def life(auto: bool = False) -> SessionLife:
    return SessionLife(AgendaSession("s", "S", "Room", START, END, auto_start=auto))


def test_held_is_from_the_start_to_the_end_or_now():
    s = life()
    assert s.held(now=5 * MIN) is None and held_window(None, None, 5 * MIN) is None
    s.start(12 * MIN)
    assert s.held(now=30 * MIN) == (12 * MIN, 30 * MIN)
    s.end(50 * MIN)
    assert s.held(now=90 * MIN) == (12 * MIN, 50 * MIN)
    assert held_window(12 * MIN, None, 30 * MIN) == (12 * MIN, 30 * MIN)


def test_an_automatic_session_is_held_in_its_slot():
    s = life(auto=True)
    assert s.held(now=5 * MIN) is None
    assert s.held(now=30 * MIN) == (START, 30 * MIN)
    assert s.held(now=200 * MIN) == (START, END)
