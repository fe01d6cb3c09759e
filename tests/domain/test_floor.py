"""Floor queue: requests, calls, moves, policies, timer, records and replay, with a fixed clock."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.domain.errors import DomainError, InvalidInput, InvalidTransition, NotAllowed, NotFound
from server.domain.floor.events import (
    FLOOR_EVENTS,
    FloorDeclined,
    FloorGranted,
    FloorRequested,
    FloorRequestMoved,
    InterventionEnded,
    event_from_dict,
    event_to_dict,
)
from server.domain.floor.models import Kind, QueueView, Request, Turn
from server.domain.floor.policies import (
    POLICIES,
    AlternateRoomRemote,
    FirstComeFirstServed,
    GroupRoundRobin,
    NotYetSpokenFirst,
    make_policy,
)
from server.domain.floor.queue import FloorQueue
from server.domain.meetings.models import DEFAULT_GROUPS

LABELS = dict(DEFAULT_GROUPS)
T0 = 1_700_000_000_000  # a fixed "now"; tests add seconds to it


def person(pid: int | None, group: str = "government", mode: str = "onsite", name: str | None = None) -> dict[str, Any]:
    """A person snapshot as the transport would pass it."""
    return {
        "participant_id": pid,
        "name": name or f"Speaker {pid}",
        "organisation": "Org",
        "country": "KE",
        "group": group,
        "mode": mode,
    }


def ids(queue: FloorQueue) -> list[str]:
    """The displayed order as request ids."""
    return [e.request.id for e in queue.order()]


def ms(seconds: float) -> int:
    """T0 plus some seconds."""
    return T0 + int(seconds * 1000)


@pytest.fixture
def queue() -> FloorQueue:
    """An empty queue that knows the IGF groups."""
    return FloorQueue(labels=LABELS)


def fill(queue: FloorQueue, *people: dict[str, Any]) -> list[str]:
    """Queue each person one second apart; return their request ids."""
    out = []
    for n, p in enumerate(people):
        (event,) = queue.request(p, ms(n))
        assert isinstance(event, FloorRequested)
        out.append(event.request_id)
    return out


# -- requests --------------------------------------------------------------------------------------


def test_request_records_snapshot_and_options(queue: FloorQueue) -> None:
    (event,) = queue.request(
        person(7, "civil", "hub"), ms(0), theme="AI", language="fr", question_id=12, read_by="Moderator A"
    )
    assert event.name == "floor_requested"
    assert event.request_id == "r1"
    assert event.person == person(7, "civil", "hub")
    request = queue.get("r1")
    assert (request.kind, request.theme, request.language, request.question_id, request.read_by) == (
        Kind.NORMAL, "AI", "fr", 12, "Moderator A",
    )  # fmt: skip
    assert request.side == "remote"  # a hub counts as remote
    assert [(e.position, e.request.id) for e in queue.order()] == [(1, "r1")]


def test_duplicate_request_is_refused_while_queued_or_speaking(queue: FloorQueue) -> None:
    queue.request(person(1), ms(0))
    with pytest.raises(InvalidTransition) as err:
        queue.request(person(1), ms(1))
    assert err.value.code == "already_queued"
    queue.call_next(ms(2))
    with pytest.raises(InvalidTransition) as err:
        queue.request(person(1), ms(3))
    assert err.value.code == "already_queued"
    queue.end(ms(4))
    queue.request(person(1), ms(5))  # served: may ask again
    assert ids(queue) == ["r2"]


def test_room_people_are_distinct_by_request(queue: FloorQueue) -> None:
    queue.add_from_room(person(None, name="Ms Room"), ms(0))
    queue.add_from_room(person(None, name="Ms Room"), ms(1))
    assert ids(queue) == ["r1", "r2"]
    assert queue.get("r1").added_by == "moderator"


@pytest.mark.parametrize(
    ("change", "options", "error", "code"),
    [
        ({}, {"kind": "speech"}, InvalidInput, "invalid_format"),
        ({"name": "  "}, {}, InvalidInput, "invalid_format"),
        ({"mode": "moon"}, {}, InvalidInput, "invalid_format"),
        ({"group": "martians"}, {}, InvalidInput, "invalid_format"),
        ({"participant_id": True}, {}, InvalidInput, "invalid_format"),
        ({}, {"kind": "on_behalf"}, InvalidInput, "invalid_format"),
        ({}, {"on_behalf_of": "G77"}, InvalidInput, "invalid_format"),
        ({}, {"kind": "right_of_reply", "reply_to": "i9"}, NotFound, "not_found"),
        ({}, {"reply_to": "i1"}, InvalidInput, "invalid_format"),
        ({}, {"language": ""}, InvalidInput, "invalid_format"),
        ({}, {"added_by": "robot"}, InvalidInput, "invalid_format"),
    ],
)
def test_bad_requests_are_refused_without_change(
    queue: FloorQueue, change: dict[str, Any], options: dict[str, Any], error: type[DomainError], code: str
) -> None:
    before = queue.snapshot()
    with pytest.raises(error) as err:
        queue.request({**person(1), **change}, ms(0), **options)
    assert err.value.code == code
    assert queue.snapshot() == before


def test_on_behalf_records_the_group_spoken_for(queue: FloorQueue) -> None:
    queue.request(person(1), ms(0), kind="on_behalf", on_behalf_of="G77")
    queue.call_next(ms(1))
    assert queue.records()["interventions"][0]["on_behalf_of"] == "G77"
    assert queue.records()["interventions"][0]["kind"] == "on_behalf"


def test_closed_list_refuses_normal_requests_only(queue: FloorQueue) -> None:
    fill(queue, person(1))
    queue.call_next(ms(1))
    assert queue.close(ms(2))[0].name == "floor_list_closed"
    assert queue.close(ms(2)) == []  # already closed: nothing happens
    for kind, extra in (("normal", {}), ("on_behalf", {"on_behalf_of": "EU"})):
        with pytest.raises(InvalidTransition) as err:
            queue.request(person(2), ms(3), kind=kind, **extra)
        assert err.value.code == "list_closed"
    queue.request(person(3), ms(4), kind="point_of_order")
    queue.request(person(4), ms(5), kind="right_of_reply", reply_to="i1")
    queue.add_from_room(person(None), ms(6))  # the chair may still add someone
    assert queue.reopen(ms(7))[0].name == "floor_list_reopened"
    queue.request(person(2), ms(8))
    assert len(queue.order()) == 4


# -- points of order, calls, declines ----------------------------------------------------------------


def test_point_of_order_goes_first_even_before_a_pinned_request(queue: FloorQueue) -> None:
    fill(queue, person(1), person(2), person(3))
    queue.move("r3", 1, ms(4), reason="agreed order")
    (poo,) = queue.request(person(4), ms(5), kind="point_of_order")
    order = queue.order()
    assert order[0].request.id == poo.request_id and order[0].tier == "point_of_order"
    assert [e.request.id for e in order[1:]] == ["r3", "r1", "r2"]
    with pytest.raises(InvalidTransition) as err:
        queue.move(poo.request_id, 3, ms(6))
    assert err.value.code == "point_of_order_first"
    granted = queue.call_next(ms(7))[-1]
    assert isinstance(granted, FloorGranted) and granted.request_id == poo.request_id


def test_call_next_ends_the_running_intervention(queue: FloorQueue) -> None:
    fill(queue, person(1), person(2))
    queue.set_time_limit(180, ms(2))
    (granted,) = queue.call_next(ms(3))
    assert (granted.request_id, granted.intervention_id, granted.limit_s) == ("r1", "i1", 180)
    ended, granted = queue.call_next(ms(63))
    assert ended == InterventionEnded("i1", ms(63))
    assert granted.request_id == "r2"
    assert queue.interventions[0].end_ms == ms(63)
    assert queue.current is not None and queue.current.id == "i2"


def test_call_next_of_a_speaker_already_called_changes_nothing(queue: FloorQueue) -> None:
    fill(queue, person(1), person(2))
    (granted,) = queue.call_next(ms(3), seen_first="r1")  # the head of the list as the chair saw it
    assert granted.request_id == "r1"
    # A second chair saw the same head and pressed "next" at the same moment: r1 has the floor already.
    assert queue.call_next(ms(4), seen_first="r1") == []
    assert queue.current is not None and queue.current.request_id == "r1"
    assert [e.request.id for e in queue.order()] == ["r2"]
    # Seen after the change, the head is r2: the call moves on.
    ended, granted = queue.call_next(ms(5), seen_first="r2")
    assert ended == InterventionEnded("i1", ms(5)) and granted.request_id == "r2"


def test_call_specific_and_refusals(queue: FloorQueue) -> None:
    fill(queue, person(1), person(2), person(3))
    (granted,) = queue.call("r3", ms(5))
    assert (granted.reason, granted.reason_code, granted.reason_params) == ("called by the moderator", "called", {})
    with pytest.raises(InvalidTransition) as err:
        queue.call("r3", ms(6))
    assert err.value.code == "not_queued"
    with pytest.raises(NotFound):
        queue.call("r99", ms(6))
    queue.end(ms(7))
    with pytest.raises(InvalidTransition) as err:
        queue.end(ms(8))
    assert err.value.code == "floor_free"
    queue.call_next(ms(9))
    queue.call_next(ms(10))
    with pytest.raises(InvalidTransition) as err:
        queue.call_next(ms(11))
    assert err.value.code == "queue_empty"


def test_end_before_start_is_refused(queue: FloorQueue) -> None:
    fill(queue, person(1))
    queue.call_next(ms(10))
    with pytest.raises(InvalidInput):
        queue.end(ms(5))


def test_decline_once_keeps_the_place_twice_removes(queue: FloorQueue) -> None:
    fill(queue, person(1), person(2), person(3), person(4))
    queue.call("r3", ms(5))
    (declined,) = queue.decline("r3", ms(6), by_participant=3)
    assert declined == FloorDeclined("r3", "i1", ms(6), returned=True)
    assert ids(queue) == ["r1", "r2", "r3", "r4"]  # back at its former third place
    assert queue.current is None and queue.interventions == []
    queue.call_next(ms(7))  # r1; r3 moves up with the list
    assert ids(queue) == ["r2", "r3", "r4"]
    queue.call("r3", ms(8))
    (declined,) = queue.decline("r3", ms(9))
    assert declined.returned is False
    assert ids(queue) == ["r2", "r4"]
    assert queue.get("r3").status.value == "declined"
    assert [d["intervention_id"] for d in queue.get("r3").declines] == ["i1", "i3"]


def test_first_in_line_who_declines_waits_behind_the_next(queue: FloorQueue) -> None:
    fill(queue, person(1), person(2), person(3))
    queue.call_next(ms(4))
    queue.decline("r1", ms(5))
    assert ids(queue) == ["r2", "r1", "r3"]
    assert str(queue.order()[1].reason) == "declined for now; kept their place"
    assert queue.call_next(ms(6))[-1].request_id == "r2"


def test_the_only_one_waiting_who_declines_stays_first(queue: FloorQueue) -> None:
    fill(queue, person(1))
    queue.call_next(ms(4))
    queue.decline("r1", ms(5))
    assert ids(queue) == ["r1"]


def test_decline_refusals(queue: FloorQueue) -> None:
    fill(queue, person(1), person(2))
    with pytest.raises(InvalidTransition) as err:
        queue.decline("r1", ms(3))
    assert err.value.code == "not_called"
    queue.call_next(ms(4))
    with pytest.raises(NotAllowed):
        queue.decline("r1", ms(5), by_participant=2)


def test_withdraw(queue: FloorQueue) -> None:
    fill(queue, person(1), person(2))
    with pytest.raises(NotAllowed):
        queue.withdraw("r1", ms(3), by_participant=2)
    (event,) = queue.withdraw("r1", ms(3), by_participant=1)
    assert (event.name, event.by) == ("floor_withdrawn", "participant")
    assert ids(queue) == ["r2"]
    with pytest.raises(InvalidTransition):
        queue.withdraw("r1", ms(4))
    with pytest.raises(NotFound):
        queue.withdraw("r9", ms(4))
    queue.request(person(1), ms(5))  # a withdrawn request is closed: may ask again


# -- manual moves -----------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_a_move_holds_under_every_policy(queue: FloorQueue, policy: str) -> None:
    fill(
        queue,
        person(1, "government", "onsite"),
        person(2, "civil", "remote"),
        person(3, "private", "onsite"),
        person(4, "technical", "hub"),
        person(5, "government", "onsite"),
    )
    queue.set_policy(policy, ms(6))
    (moved,) = queue.move("r5", 2, ms(7), reason="regional balance")
    assert isinstance(moved, FloorRequestMoved) and moved.to_position == 2
    entry = queue.order()[1]
    assert (entry.request.id, entry.pinned) == ("r5", True)
    assert str(entry.reason) == "moved by the moderator: regional balance"
    assert (entry.reason.code, entry.reason.params) == ("moved_because", {"reason": "regional balance"})
    queue.request(person(6, "academic", "remote"), ms(8))  # a newcomer does not displace the pin
    assert ids(queue)[1] == "r5"
    for other in POLICIES:
        queue.set_policy(other, ms(9))
        assert ids(queue)[1] == "r5"
    queue.call_next(ms(10))
    assert ids(queue)[0] == "r5"  # the pin moved up with the list
    assert queue.call_next(ms(11))[-1].request_id == "r5"
    assert queue.get("r5").moves == [
        {"at_ms": ms(7), "from_position": 5, "to_position": 2, "reason": "regional balance"}
    ]


def test_moves_follow_list_semantics(queue: FloorQueue) -> None:
    fill(queue, person(1), person(2), person(3), person(4))
    queue.move("r4", 2, ms(5))
    assert ids(queue) == ["r1", "r4", "r2", "r3"]
    queue.move("r1", 3, ms(6))
    assert ids(queue) == ["r4", "r2", "r1", "r3"]
    queue.withdraw("r2", ms(7))
    assert ids(queue) == ["r4", "r1", "r3"]


@pytest.mark.parametrize("position", [0, 5, -1, True, "2"])
def test_move_out_of_range_is_refused(queue: FloorQueue, position: Any) -> None:
    fill(queue, person(1), person(2), person(3), person(4))
    before = queue.snapshot()
    with pytest.raises(InvalidInput):
        queue.move("r1", position, ms(5))
    assert queue.snapshot() == before


def test_right_of_reply_now_and_end(queue: FloorQueue) -> None:
    fill(queue, person(1), person(2), person(3))
    queue.call_next(ms(3))  # i1: speaker 1
    queue.request(person(4), ms(4), kind="right_of_reply", reply_to="i1")  # default: end of the item
    queue.request(person(5), ms(5), kind="right_of_reply", reply_to="i1", placement="now")
    queue.request(person(6), ms(6))  # a later request still goes before the reply kept for the end
    order = queue.order()
    assert [(e.request.id, e.tier) for e in order] == [
        ("r5", "main"), ("r2", "main"), ("r3", "main"), ("r6", "main"), ("r4", "end"),
    ]  # fmt: skip
    assert str(order[0].reason) == "right of reply, placed next by the chair"
    queue.move("r4", 1, ms(7), reason="urgent")  # a moved reply leaves the end
    assert ids(queue)[:2] == ["r4", "r5"]
    with pytest.raises(InvalidInput):
        queue.request(person(8), ms(8), kind="right_of_reply", reply_to="i1", placement="later")


def test_move_to_last_place_stays_before_replies_kept_for_the_end(queue: FloorQueue) -> None:
    fill(queue, person(1), person(2), person(3))
    queue.call_next(ms(3))
    queue.request(person(4), ms(4), kind="right_of_reply", reply_to="i1")
    (moved,) = queue.move("r2", 3, ms(5))
    assert moved.to_position == 2  # clamped to the main list
    assert ids(queue) == ["r3", "r2", "r4"]


# -- policies -----------------------------------------------------------------------------------------


def req(n: int, group: str = "government", mode: str = "onsite", pid: int | None = None) -> Request:
    """A bare waiting request numbered ``n`` (its arrival order)."""
    snapshot = person(n if pid is None else pid, group, mode)
    return Request(f"r{n}", snapshot, Kind.NORMAL, ms(n), seq=n)


def turn(pid: int, group: str = "government", side: str = "room") -> Turn:
    """A past intervention by participant ``pid``."""
    return Turn(f"p{pid}", side, group, f"old{pid}")


POLICY_TABLE = [
    # (policy, waiting, history, expected order, expected first reason)
    ("fcfs", [req(3), req(1), req(2)], [], ["r1", "r2", "r3"], "in order of request"),
    (
        "alternate",
        [req(1, mode="onsite"), req(2, mode="onsite"), req(3, mode="remote"), req(4, mode="hub")],
        [turn(9, side="room")],
        ["r3", "r1", "r4", "r2"],
        "alternates with the previous room speaker",
    ),
    (
        "alternate",
        [req(1, mode="onsite"), req(2, mode="onsite"), req(3, mode="remote")],
        [],
        ["r1", "r3", "r2"],
        "first speaker; in order of request",
    ),
    (
        "alternate",
        [req(1, mode="remote"), req(2, mode="hub")],
        [turn(9, side="remote")],
        ["r1", "r2"],
        "no room speaker waiting; in order of request",
    ),
    (
        "groups",
        [req(1, "government"), req(2, "government"), req(3, "civil"), req(4, "private")],
        [turn(8, "civil"), turn(9, "government")],
        ["r4", "r3", "r1", "r2"],
        "Private sector has not spoken yet",
    ),
    (
        "groups",
        [req(1, "government"), req(2, "civil")],
        [turn(8, "civil"), turn(9, "government")],
        ["r2", "r1"],
        "Civil society has not spoken since Governments",
    ),
    (
        "new_voices",
        [req(1, pid=8), req(2), req(3, pid=9), req(4)],
        [turn(8), turn(9)],
        ["r2", "r4", "r1", "r3"],
        "has not spoken yet in this session",
    ),
    ("new_voices", [req(1, pid=8)], [turn(8)], ["r1"], "has spoken already; in order of request"),
]


@pytest.mark.parametrize(("key", "waiting", "history", "expected", "reason"), POLICY_TABLE)
def test_policy_projected_order(
    key: str, waiting: list[Request], history: list[Turn], expected: list[str], reason: str
) -> None:
    view = QueueView(tuple(waiting), tuple(history), LABELS)
    policy = make_policy(key)
    assert policy.next_speaker(view) is not None and policy.next_speaker(view).id == expected[0]
    projected = policy.projected(view)
    assert [r.id for r, _ in projected] == expected
    assert str(projected[0][1]) == reason


@pytest.mark.parametrize("key", sorted(POLICIES))
def test_policy_with_nobody_waiting(key: str) -> None:
    assert make_policy(key).next_speaker(QueueView(())) is None


def test_policy_registry() -> None:
    assert dict(POLICIES) == {
        "fcfs": FirstComeFirstServed,
        "alternate": AlternateRoomRemote,
        "groups": GroupRoundRobin,
        "new_voices": NotYetSpokenFirst,
    }
    with pytest.raises(InvalidInput) as err:
        make_policy("random")
    assert err.value.field == "policy"


def test_switching_policy_live_reorders_the_queue(queue: FloorQueue) -> None:
    fill(queue, person(1, "government"), person(2, "government"), person(3, "civil", "remote"))
    queue.call_next(ms(3))
    queue.end(ms(4))
    assert ids(queue) == ["r2", "r3"]
    (changed,) = queue.set_policy("alternate", ms(5))
    assert (changed.name, changed.policy) == ("floor_policy_changed", "alternate")
    assert ids(queue) == ["r3", "r2"]
    assert queue.set_policy("alternate", ms(6)) == []
    with pytest.raises(InvalidInput):
        queue.set_policy("loudest", ms(7))
    granted = queue.call_next(ms(8))[-1]
    assert (granted.request_id, granted.policy) == ("r3", "alternate")


def test_new_voices_uses_this_sessions_history(queue: FloorQueue) -> None:
    queue.set_policy("new_voices", ms(0))
    fill(queue, person(1))
    queue.call_next(ms(1))
    queue.end(ms(2))
    queue.request(person(1), ms(3))
    queue.request(person(2), ms(4))
    assert ids(queue) == ["r3", "r2"]
    assert str(queue.order()[1].reason) == "has spoken already; in order of request"


# -- timer, budgets, waits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit_s", "elapsed_s", "state", "remaining_ms", "overrun_ms"),
    [
        (180, 0, "running", 180_000, 0),
        (180, 143, "running", 37_000, 0),
        (180, 144, "warning", 36_000, 0),  # 80 % of the limit
        (180, 180, "warning", 0, 0),
        (180, 181, "overrun", 0, 1_000),
        (600, 569, "running", 31_000, 0),  # 80 % would be 480 s: no, that came first
        (60, 30, "warning", 30_000, 0),  # last 30 s came before 80 %
        (60, 29, "running", 31_000, 0),
        (None, 5_000, "running", None, 0),
    ],
)
def test_timer(
    queue: FloorQueue, limit_s: int | None, elapsed_s: int, state: str, remaining_ms: int | None, overrun_ms: int
) -> None:
    queue.set_time_limit(limit_s, ms(0))
    fill(queue, person(1))
    assert queue.timer(ms(1)) is None
    queue.call_next(ms(10))
    timer = queue.timer(ms(10 + elapsed_s))
    assert timer is not None
    if limit_s == 600:
        state = "warning"  # 569 s is past 80 % of 600 s (480 s)
    assert (timer.elapsed_ms, timer.state, timer.remaining_ms, timer.overrun_ms) == (
        elapsed_s * 1000, state, remaining_ms, overrun_ms,
    )  # fmt: skip


def test_time_limit_applies_from_the_next_call(queue: FloorQueue) -> None:
    fill(queue, person(1), person(2))
    queue.call_next(ms(2))
    queue.set_time_limit(60, ms(3))
    assert queue.current is not None and queue.current.limit_s is None
    queue.call_next(ms(4))
    assert queue.current is not None and queue.current.limit_s == 60
    with pytest.raises(InvalidInput):
        queue.set_time_limit(0, ms(5))


def test_group_budgets(queue: FloorQueue) -> None:
    fill(queue, person(1, "civil"), person(2, "civil"), person(3, "government"))
    queue.set_group_budget("civil", 100, ms(3))
    queue.call_next(ms(10))
    queue.call_next(ms(70))  # civil used 60 s
    budget = queue.budgets(ms(120))["civil"]  # the running civil speaker has used 50 s more
    assert (budget.label, budget.budget_ms, budget.used_ms, budget.remaining_ms, budget.over) == (
        "Civil society", 100_000, 110_000, 0, True,
    )  # fmt: skip
    assert list(queue.budgets(ms(120))) == ["civil"]
    queue.set_group_budget("civil", None, ms(121))
    assert queue.budgets(ms(122)) == {}
    with pytest.raises(InvalidInput):
        queue.set_group_budget("martians", 10, ms(123))


def test_expected_waits(queue: FloorQueue) -> None:
    fill(queue, person(1), person(2), person(3))
    assert queue.expected_waits() == {"r1": None, "r2": None, "r3": None}
    queue.set_time_limit(120, ms(3))
    assert queue.expected_waits() == {"r1": 120_000, "r2": 240_000, "r3": 360_000}
    queue.call_next(ms(10))
    queue.call_next(ms(70))  # the first intervention lasted 60 s
    assert queue.expected_waits() == {"r3": 60_000}


# -- records, statistics, replay --------------------------------------------------------------------


def scenario(queue: FloorQueue) -> None:
    """A short session touching every kind of event."""
    queue.set_policy("alternate", ms(0))
    queue.set_time_limit(120, ms(0))
    queue.set_group_budget("civil", 300, ms(0))
    queue.request(person(1, "government"), ms(1), language="es")
    queue.request(person(2, "civil", "remote"), ms(2), question_id="q7", read_by="Moderator")
    queue.add_from_room(person(None, "private"), ms(3))
    queue.request(person(4, "technical", "hub"), ms(4), kind="on_behalf", on_behalf_of="G77")
    queue.call_next(ms(10))
    queue.move("r4", 1, ms(11), reason="hub connection window")
    queue.call_next(ms(40))
    queue.decline("r4", ms(41))
    queue.request(person(5, "academic"), ms(42), kind="point_of_order")
    queue.call_next(ms(43))
    queue.close(ms(50))
    queue.request(person(6), ms(51), kind="right_of_reply", reply_to="i1")
    queue.withdraw("r3", ms(52))
    queue.call_next(ms(60))
    queue.end(ms(100))
    queue.reopen(ms(101))
    queue.request(person(7, "igo", "remote"), ms(102))


def test_records_keep_full_history(queue: FloorQueue) -> None:
    scenario(queue)
    records = queue.records()
    spoken = [(r["id"], r["request_id"], r["kind"]) for r in records["interventions"]]
    assert spoken == [("i1", "r1", "normal"), ("i3", "r5", "point_of_order"), ("i4", "r2", "normal")]
    first = records["interventions"][0]
    assert {k: first[k] for k in ("name", "group", "country", "mode", "language", "start_ms", "end_ms")} == {
        "name": "Speaker 1", "group": "government", "country": "KE", "mode": "onsite", "language": "es",
        "start_ms": ms(10), "end_ms": ms(40),
    }  # fmt: skip
    assert records["interventions"][2]["question_id"] == "q7"
    assert records["interventions"][2]["read_by"] == "Moderator"
    unserved = {r["id"]: r for r in records["unserved"]}
    assert set(unserved) == {"r3", "r4", "r6", "r7"}
    assert unserved["r3"]["status"] == "withdrawn" and unserved["r3"]["withdrawn_ms"] == ms(52)
    assert unserved["r3"]["participant_id"] is None
    assert unserved["r4"]["on_behalf_of"] == "G77"
    assert unserved["r4"]["moves"][0]["reason"] == "hub connection window"
    assert unserved["r4"]["declines"] == [{"at_ms": ms(41), "called_ms": ms(40), "intervention_id": "i2"}]
    json.dumps(records)  # storage needs plain data


def test_stats_by_group_and_mode(queue: FloorQueue) -> None:
    scenario(queue)
    stats = queue.stats(ms(200))
    assert (stats["interventions"], stats["floor_ms"]) == (3, 30_000 + 17_000 + 40_000)
    assert stats["by_group"]["government"] == {
        "label": "Governments", "interventions": 1, "floor_ms": 30_000, "average_wait_ms": 9_000,
    }  # fmt: skip
    assert stats["by_group"]["civil"]["average_wait_ms"] == 58_000
    assert stats["by_group"]["private"]["interventions"] == 0
    assert stats["by_mode"]["onsite"]["interventions"] == 2  # the point of order was raised in the room
    assert stats["by_mode"]["remote"] == {"interventions": 1, "floor_ms": 40_000, "average_wait_ms": 58_000}
    assert stats["by_mode"]["hub"]["interventions"] == 0
    assert stats["by_mode"]["onsite"]["floor_ms"] == 30_000 + 17_000


def test_replay_from_stored_dicts_rebuilds_the_queue(queue: FloorQueue) -> None:
    scenario(queue)
    stored = json.loads(json.dumps([event_to_dict(e) for e in queue.audit_log]))
    rebuilt = FloorQueue.replay(stored, labels=LABELS)
    assert rebuilt.snapshot() == queue.snapshot()
    assert rebuilt.view(ms(300)) == queue.view(ms(300))
    assert rebuilt.audit_log == queue.audit_log
    # and the rebuilt queue carries on the same way
    assert rebuilt.call_next(ms(301)) == queue.call_next(ms(301))


def agenda_scenario(queue: FloorQueue) -> None:
    """After ``scenario``: parts, a presentation, and an interposed question that pauses and resumes it."""
    queue.set_part("presentations", ms(110))
    queue.present(person(8, "civil"), ms(111))
    queue.request(person(9, "private"), ms(115), kind="interposed_question")
    queue.call_next(ms(120))
    queue.end(ms(130))
    queue.set_part("debate", ms(140))


def test_every_event_round_trips(queue: FloorQueue) -> None:
    scenario(queue)
    agenda_scenario(queue)
    seen = {e.name for e in queue.audit_log}
    assert seen == set(FLOOR_EVENTS)  # the scenario covers every event type
    for event in queue.audit_log:
        assert event_from_dict(json.loads(json.dumps(event_to_dict(event)))) == event


@pytest.mark.parametrize(
    "data",
    [
        {"name": "floor_exploded", "at_ms": 1},
        {"name": "floor_list_closed", "at_ms": 1, "x": 2},
        {"name": "floor_list_closed"},
    ],
)
def test_bad_stored_events_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        event_from_dict(data)


def test_view_is_json_ready(queue: FloorQueue) -> None:
    scenario(queue)
    queue.call_next(ms(110))
    view = json.loads(json.dumps(queue.view(ms(200))))
    assert view["open"] is True and view["policy_label"] == "Alternate room and remote"
    assert view["current"]["request_id"] == "r4"  # declined once, kept their place
    assert view["current"]["timer"]["state"] == "warning"  # 90 s of 120 s: the last 30 s
    assert [(q["position"], q["id"], q["tier"]) for q in view["queue"]] == [(1, "r7", "main"), (2, "r6", "end")]
    assert view["budgets"][0]["group"] == "civil"


def test_points_of_order_do_not_count_as_turns_for_the_policies(queue: FloorQueue) -> None:
    queue.set_policy("alternate", ms(0))
    fill(queue, person(1, mode="onsite"), person(2, mode="onsite"), person(3, mode="remote"))
    queue.call_next(ms(3))  # room speaker 1
    queue.request(person(4, mode="remote"), ms(4), kind="point_of_order")
    queue.call_next(ms(5))  # the remote point of order does not make the room "due"
    assert queue.history()[-1].request_id == "r1"
    assert ids(queue) == ["r3", "r2"]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "floor_exploded", "at_ms": 1}, 'Unknown floor event "floor_exploded".'),
        ({"at_ms": 1}, 'Unknown floor event "None".'),
        ({"name": "floor_list_closed", "at_ms": 1, "x": 2, "a": 3},
         "Unexpected fields for floor_list_closed: a, x."),
        ({"name": "floor_list_closed"}, "Malformed floor_list_closed: "),
    ],
)  # fmt: skip
def test_bad_stored_events_name_the_problem(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        event_from_dict(data)
    assert (info.value.code, info.value.field) == ("invalid_format", "name")
    assert info.value.message.startswith(message) and (message.endswith(": ") or info.value.message == message)


def test_a_rebuilt_request_does_not_share_the_stored_person(queue: FloorQueue) -> None:
    (event,) = queue.request(person(1), ms(1))
    stored = json.loads(json.dumps(event_to_dict(event)))
    rebuilt = event_from_dict(stored)
    stored["person"]["name"] = "Someone else"
    assert rebuilt == event and rebuilt.person["name"] == event.person["name"]
