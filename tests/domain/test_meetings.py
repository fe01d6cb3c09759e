"""Session life (manual and scheduled) and the registration form's rules."""

from __future__ import annotations

import pytest

from server.domain.errors import InvalidInput, InvalidTransition, NotLive
from server.domain.meetings.file import parse_meeting
from server.domain.meetings.models import (
    AgendaSession,
    Mode,
    Role,
    SessionEnded,
    SessionLife,
    SessionStarted,
    SessionState,
    registration,
)
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
        registration(meeting, {"name": "X", "country": "CH", "group": "technical", "mode": "hub", "hub": "many"},
                     {"CH"}, hub_ids={3})
    assert info.value.code == "invalid_hub" and info.value.field == "hub"


def test_session_events_name_the_session_and_the_time():
    s = life()
    assert s.start(500) == SessionStarted("s", 500)
    assert s.end(700) == SessionEnded("s", 700)


def test_a_scheduled_session_can_be_started_by_hand_inside_its_slot():
    s = life(auto=True)
    assert s.is_live(START + 1)
    assert s.start(START + 1) == SessionStarted("s", START + 1)
    assert s.state is SessionState.LIVE and s.started_ms == START + 1


def test_ending_a_scheduled_session_records_its_scheduled_start():
    s = life(auto=True)
    assert s.end(START + 10) == SessionEnded("s", START + 10)
    assert (s.started_ms, s.ended_ms) == (START, START + 10)


@pytest.mark.parametrize(
    "auto, now, action, error, message",
    [
        (False, START, "require_live", NotLive, "This session has not started yet."),
        (True, START - 1, "require_live", NotLive, "This session has not started yet."),
        (True, END, "require_live", NotLive, "This session has ended."),
        (False, START, "end", InvalidTransition, "the session is not live"),
        (True, END, "end", InvalidTransition, "the session is not live"),
    ],
)
def test_refusals_outside_a_live_session(auto, now, action, error, message):
    with pytest.raises(error) as info:
        getattr(life(auto=auto), action)(now)
    assert info.value.message == message


def test_a_live_session_cannot_start_again():
    s = life(auto=True)
    s.start(START + 1)
    with pytest.raises(InvalidTransition) as info:
        s.start(START + 2)
    assert info.value.message == "the session is already live"
    s.require_live(START + 2)  # and it is live: no refusal


def test_meeting_group_finds_the_group_by_slug():
    meeting = parse_meeting(demo_meeting_text())
    assert [meeting.group(g.slug) for g in meeting.groups] == list(meeting.groups)
    with pytest.raises(InvalidInput) as info:
        meeting.group("press")
    assert (info.value.field, info.value.message) == ("group", 'Unknown stakeholder group "press".')
