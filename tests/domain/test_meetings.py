"""Session life (manual and scheduled) and the registration form's rules."""

from __future__ import annotations

import pytest

from server.domain.errors import InvalidInput, InvalidTransition, NotLive
from server.domain.meetings.file import parse_meeting
from server.domain.meetings.models import AgendaSession, Mode, Role, SessionLife, SessionState, registration
from server.loading import demo_meeting_text

START, END = 1_000_000, 2_000_000


def life(auto: bool = False) -> SessionLife:
    return SessionLife(AgendaSession("s", "Session", "Room", START, END, auto_start=auto))


def test_manual_session_is_live_between_start_and_end():
    s = life()
    assert not s.is_live(START + 1)  # the schedule alone does not open a session
    with pytest.raises(NotLive):
        s.require_live(START + 1)
    assert s.start(500).name == "session_started" and s.is_live(10 ** 12)
    with pytest.raises(InvalidTransition):
        s.start(600)
    s.end(700)
    assert s.effective_state(800) is SessionState.ENDED and (s.started_ms, s.ended_ms) == (500, 700)
    s.start(900)  # resumed after a break: the first start is kept
    assert s.is_live(901) and s.started_ms == 500 and s.ended_ms is None


@pytest.mark.parametrize("now, state", [(START - 1, SessionState.SCHEDULED), (START, SessionState.LIVE),
                                        (END - 1, SessionState.LIVE), (END, SessionState.ENDED)])
def test_scheduled_session_follows_the_clock(now, state):
    assert life(auto=True).effective_state(now) is state


def test_moderator_can_end_a_scheduled_session_early():
    s = life(auto=True)
    s.end(START + 10)
    assert s.effective_state(START + 20) is SessionState.ENDED


def test_roles_include_each_other_as_documented():
    assert Role.ADMIN.can(Role.CAPTIONER) and Role.MODERATOR.can(Role.PARTICIPANT)
    assert not Role.MODERATOR.can(Role.CAPTIONER) and not Role.PARTICIPANT.can(Role.MODERATOR)
    assert Mode.HUB.side == "remote" and Mode.ONSITE.side == "room"


def test_registration_normalises_and_checks():
    meeting = parse_meeting(demo_meeting_text())
    p = registration(meeting, {"name": "  Markus   Kummer ", "organisation": "ISOC", "country": "ch",
                               "group": "technical", "mode": "remote", "listed": "on"}, {"CH"})
    assert (p.name, p.country, p.mode, p.listed) == ("Markus Kummer", "CH", Mode.REMOTE, True)
    with pytest.raises(InvalidInput) as info:
        registration(meeting, {"name": "X", "country": "CH", "group": "technical", "mode": "hub",
                               "hub_city": "Geneva", "hub_country": "CH", "hub_headcount": "many"}, {"CH"})
    assert info.value.code == "invalid_headcount" and info.value.field == "hub_headcount"
