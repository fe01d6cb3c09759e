"""The agenda's parts, presentations and the interposed question on the floor queue, with a fixed clock."""

from __future__ import annotations

import json

import pytest

from server.domain.errors import InvalidInput, InvalidTransition, NotAllowed
from server.domain.floor.events import (
    FloorGranted,
    FloorPartChanged,
    FloorRequested,
    FloorWithdrawn,
    InterventionEnded,
    InterventionPaused,
    InterventionResumed,
    event_to_dict,
)
from server.domain.floor.queue import FloorQueue
from server.domain.meetings.models import DEFAULT_GROUPS

from .test_floor import ids, ms, person

LABELS = dict(DEFAULT_GROUPS)


@pytest.fixture
def queue() -> FloorQueue:
    return FloorQueue(labels=LABELS)


def names(events: list) -> list[str]:
    return [e.name for e in events]


def test_part_changes_are_events_and_interventions_record_their_part(queue: FloorQueue) -> None:
    assert queue.part is None
    assert queue.set_part("presentations", ms(0)) == [FloorPartChanged("presentations", ms(0))]
    assert queue.set_part("presentations", ms(1)) == []  # already there: nothing to store
    queue.present(person(1, "civil"), ms(2))
    queue.set_part("debate", ms(60))
    queue.request(person(2), ms(61))
    queue.call_next(ms(62))
    assert [(i.kind.value, i.part) for i in queue.interventions] == [("presentation", "presentations"),
                                                                    ("normal", "debate")]
    assert queue.view(ms(70))["part"] == "debate"
    with pytest.raises(InvalidInput) as err:
        queue.set_part("lunch", ms(71))
    assert err.value.field == "part"


def test_a_presentation_is_called_at_once_and_timed(queue: FloorQueue) -> None:
    queue.set_time_limit(600, ms(0))
    queue.request(person(5), ms(1))  # someone waits for the debate
    events = queue.present(person(1, "civil"), ms(2), theme="Mapping")
    assert names(events) == ["floor_requested", "floor_granted"]
    requested, granted = events
    assert isinstance(requested, FloorRequested) and requested.kind == "presentation"
    assert requested.added_by == "moderator"
    assert isinstance(granted, FloorGranted) and granted.limit_s == 600
    assert queue.current is not None and queue.current.kind.value == "presentation"
    timer = queue.timer(ms(62))
    assert timer is not None and timer.remaining_ms == 540_000
    assert ids(queue) == ["r1"]  # the waiting speaker keeps their place
    # The next presentation ends this one.
    assert names(queue.present(person(2, "technical"), ms(300))) == ["floor_requested", "intervention_ended",
                                                                    "floor_granted"]


def test_only_the_chair_calls_a_presentation(queue: FloorQueue) -> None:
    with pytest.raises(NotAllowed):
        queue.request(person(1), ms(0), kind="presentation")


def test_presentations_are_not_turns_for_the_policies(queue: FloorQueue) -> None:
    queue.set_policy("new_voices", ms(0))
    queue.present(person(1, "civil"), ms(1))
    queue.end(ms(60))
    queue.request(person(1, "civil"), ms(61))  # the presenter asks again in the debate
    queue.request(person(2), ms(62))
    assert str(queue.order()[0].reason) == "has not spoken yet in this session"
    assert ids(queue)[0] == "r2"  # first come: the presenter's turn in the debate is not spent


def test_interposed_question_pauses_the_speaker_who_answers_before_the_list_goes_on(queue: FloorQueue) -> None:
    queue.set_time_limit(180, ms(0))
    queue.request(person(1), ms(1))
    queue.request(person(2), ms(2))
    queue.call_next(ms(10))  # Speaker 1 has the floor
    (asked,) = queue.request(person(3, "civil"), ms(40), kind="interposed_question")
    assert isinstance(asked, FloorRequested) and asked.addressed_to == "i1"
    assert ids(queue) == ["r3", "r2"]  # ahead of the list
    assert queue.order()[0].tier == "interposed"

    events = queue.call_next(ms(50))
    # The question pauses the speaker; it has no speaking time of its own (its clock counts up).
    assert events == [InterventionPaused("i1", ms(50)),
                      FloorGranted("r3", "i2", ms(50), None, "fcfs", "interposed question: put to the speaker before "
                                   "the list goes on", "interposed", {})]
    assert queue.current is not None and queue.current.id == "i2"
    assert queue.paused is not None and queue.paused.id == "i1"
    assert queue.view(ms(55))["paused"]["name"] == "Speaker 1"

    # The question is put; "call next" gives the floor back to the speaker, not to the list.
    assert queue.call_next(ms(70)) == [InterventionEnded("i2", ms(70)), InterventionResumed("i1", ms(70))]
    assert queue.current is not None and queue.current.id == "i1" and queue.paused is None
    # The pause is not floor time: 40 s before the question, 10 s after it.
    timer = queue.timer(ms(80))
    assert timer is not None and timer.elapsed_ms == 50_000 and timer.remaining_ms == 130_000
    assert timer.start_ms == ms(30)  # a client clock counting from here leaves the pause out
    # Only now does the list continue.
    assert names(queue.call_next(ms(90))) == ["intervention_ended", "floor_granted"]
    assert queue.current is not None and queue.current.request_id == "r2"
    spoken = {i["id"]: i for i in queue.records()["interventions"]}
    assert spoken["i1"]["paused_ms"] == 20_000 and spoken["i1"]["end_ms"] == ms(90)
    assert spoken["i2"]["kind"] == "interposed_question" and spoken["i2"]["addressed_to"] == "i1"
    assert queue.stats(ms(100))["by_kind"]["interposed_question"]["interventions"] == 1
    assert queue.stats(ms(100))["floor_ms"] == 60_000 + 20_000 + 10_000


def test_ending_the_question_resumes_and_a_second_question_waits_its_turn(queue: FloorQueue) -> None:
    queue.request(person(1), ms(1))
    queue.call_next(ms(2))
    queue.request(person(3, "civil"), ms(3), kind="interposed_question")
    queue.request(person(4, "private"), ms(4), kind="interposed_question")
    queue.call_next(ms(5))
    # The second question to the same speaker: the first ends, the speaker stays paused.
    assert names(queue.call_next(ms(8))) == ["intervention_ended", "floor_granted"]
    assert queue.paused is not None and queue.paused.id == "i1"
    assert queue.end(ms(12)) == [InterventionEnded("i3", ms(12)), InterventionResumed("i1", ms(12))]


def test_questions_still_waiting_lapse_when_the_speaker_finishes(queue: FloorQueue) -> None:
    queue.request(person(1), ms(1))
    queue.call_next(ms(2))
    queue.request(person(3, "civil"), ms(3), kind="interposed_question")
    assert queue.end(ms(9)) == [InterventionEnded("i1", ms(9)), FloorWithdrawn("r2", ms(9), "lapsed")]
    assert ids(queue) == []
    (row,) = queue.records()["unserved"]
    assert (row["kind"], row["withdrawn_by"]) == ("interposed_question", "lapsed")


def test_calling_someone_else_during_a_question_ends_both(queue: FloorQueue) -> None:
    queue.request(person(1), ms(1))
    queue.request(person(2), ms(2))
    queue.call_next(ms(3))
    queue.request(person(3, "civil"), ms(4), kind="interposed_question")
    queue.request(person(4, "civil"), ms(5), kind="interposed_question")
    queue.call_next(ms(6))
    events = queue.call("r2", ms(9))
    assert names(events) == ["intervention_ended", "intervention_ended", "floor_withdrawn", "floor_granted"]
    assert queue.paused is None and queue.current is not None and queue.current.request_id == "r2"
    assert {i.id: i.paused_ms for i in queue.interventions}["i1"] == 3_000


def test_a_declined_question_gives_the_floor_back(queue: FloorQueue) -> None:
    queue.request(person(1), ms(1))
    queue.call_next(ms(2))
    queue.request(person(3, "civil"), ms(3), kind="interposed_question")
    queue.call_next(ms(4))
    events = queue.decline("r2", ms(6), by_participant=3)
    assert names(events) == ["floor_declined", "intervention_resumed"]
    assert queue.current is not None and queue.current.id == "i1"
    assert ids(queue) == ["r2"]  # kept the place once, still ahead of the list
    with pytest.raises(InvalidTransition) as err:  # the paused speaker is not the one just called
        queue.request(person(5), ms(7))
        queue.call_next(ms(8))
        queue.decline("r1", ms(9))
    assert err.value.code == "not_called"


@pytest.mark.parametrize(
    ("setup", "asker", "code"),
    [
        ("free", 3, "floor_free"),
        ("point_of_order", 3, "not_interposable"),
        ("speaking", 1, "own_speech"),
        ("closed", 3, "list_closed"),
        ("twice", 3, "already_queued"),
    ],
)
def test_interposed_question_refusals(queue: FloorQueue, setup: str, asker: int, code: str) -> None:
    if setup != "free":
        kind = "point_of_order" if setup == "point_of_order" else "normal"
        queue.request(person(1), ms(1), kind=kind)
        queue.call_next(ms(2))
    if setup == "closed":
        queue.close(ms(3))
    if setup == "twice":
        queue.request(person(3), ms(3), kind="interposed_question")
    with pytest.raises(InvalidTransition) as err:
        queue.request(person(asker), ms(4), kind="interposed_question")
    assert err.value.code == code


def test_a_waiting_speaker_may_still_ask_a_question_and_the_chair_may_add_one(queue: FloorQueue) -> None:
    queue.request(person(1), ms(1))
    queue.request(person(2), ms(2))
    queue.call_next(ms(3))
    queue.request(person(2), ms(4), kind="interposed_question")  # waiting in the list, asks anyway
    queue.close(ms(5))
    queue.add_from_room(person(None, "civil"), ms(6), kind="interposed_question")  # closed list: the chair may
    assert [e.tier for e in queue.order()] == ["interposed", "interposed", "main"]
    with pytest.raises(InvalidTransition) as err:
        queue.move("r3", 3, ms(7))
    assert err.value.code == "interposed_first"


def test_replay_rebuilds_parts_pauses_and_questions(queue: FloorQueue) -> None:
    queue.set_part("presentations", ms(0))
    queue.present(person(1, "civil"), ms(1))
    queue.request(person(3, "civil"), ms(3), kind="interposed_question")
    queue.call_next(ms(4))
    stored = json.loads(json.dumps([event_to_dict(e) for e in queue.audit_log]))
    rebuilt = FloorQueue.replay(stored, labels=LABELS)
    assert rebuilt.snapshot() == queue.snapshot()
    assert rebuilt.view(ms(9)) == queue.view(ms(9))
