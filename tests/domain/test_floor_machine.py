"""Floor queue as a state machine: random sessions of requests, calls, moves and policy switches.

Invariants after every step: nobody is queued twice, positions run 1..n, points of order come first,
replaying the stored audit log rebuilds the same queue, expected waits follow the recorded
interventions, a request declined for now is back at its former place, interposed questions come before
everything and are put to the speaker who holds (or gave way to) the floor, a speaker paused for a question
resumes before the list goes on, every intervention records the session part it began in, and each call honours
the active policy's fairness rule (checked here from the recorded interventions, not with the policy's own
code). Each session starts under a drawn policy, and the run as a whole must have seen every policy's
rule decide a call, so a fixed seed cannot quietly skip one.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any, ClassVar

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from server.domain.errors import InvalidTransition, NotFound
from server.domain.floor.events import (
    FloorDeclined,
    FloorGranted,
    FloorRequested,
    FloorWithdrawn,
    InterventionEnded,
    InterventionPaused,
    InterventionResumed,
    event_from_dict,
    event_to_dict,
)
from server.domain.floor.models import NOT_TURNS, Kind, Part, QueueEntry, Status
from server.domain.floor.policies import POLICIES
from server.domain.floor.queue import FloorQueue
from server.domain.meetings.models import DEFAULT_GROUPS

LABELS = dict(DEFAULT_GROUPS)
T0 = 1_700_000_000_000

#: Registered participants: id → (group, mode); a mix so every policy has choices to make.
PEOPLE: dict[int, tuple[str, str]] = {
    1: ("government", "onsite"),
    2: ("government", "remote"),
    3: ("civil", "onsite"),
    4: ("civil", "hub"),
    5: ("private", "remote"),
    6: ("technical", "onsite"),
    7: ("academic", "remote"),
    8: ("igo", "onsite"),
}


def snapshot_of(pid: int | None, group: str = "private", mode: str = "onsite") -> dict[str, Any]:
    """A person snapshot; registered people take their group and mode from ``PEOPLE``."""
    if pid is not None:
        group, mode = PEOPLE[pid]
    return {"participant_id": pid, "name": f"Speaker {pid}", "organisation": "", "country": "", "group": group,
            "mode": mode}  # fmt: skip


def arrival(entry: QueueEntry) -> int:
    """A request's arrival number, from its id (``r12`` → 12)."""
    return int(entry.request.id[1:])


class FloorMachine(RuleBasedStateMachine):
    """Drives one FloorQueue and a small independent model of who holds an open request."""

    #: Policy → calls where its rule picked someone other than the earliest waiting request (for FCFS:
    #: picked among several). Summed over a whole run; see ``test_floor_machine``.
    decisive: ClassVar[Counter[str]] = Counter()
    #: The policies a session may open under (a focused run narrows them; see ``test_floor_machine``).
    opening: ClassVar[tuple[str, ...]] = tuple(sorted(POLICIES))

    def __init__(self) -> None:
        super().__init__()
        self.queue = FloorQueue(labels=LABELS)
        self.now = T0
        self.open: dict[str, int | None] = {}  # request id → participant id, for queued or speaking requests
        self.questions: set[str] = set()  # the open requests that are interposed questions
        self.part: str | None = None  # the part the chair moved to last
        self.closed = False
        self.declined: set[str] = set()  # requests that already used their one "not now"
        self.called_from: dict[str, int | None] = {}  # request id → main-list position when called
        self.replayed = FloorQueue(labels=LABELS)  # fed the stored log step by step
        self.switching = True  # whether the moderator switches policies during this session

    def tick(self, data: st.DataObject) -> int:
        """Advance the clock by up to a minute and a half (sometimes not at all)."""
        self.now += data.draw(st.integers(0, 90_000), label="ms")
        return self.now

    def queued(self, points_of_order: bool = True) -> list[QueueEntry]:
        """The displayed order, optionally without points of order."""
        return [e for e in self.queue.order() if points_of_order or e.request.kind is not Kind.POINT_OF_ORDER]

    @initialize(
        data=st.data(),
        switching=st.booleans(),
        spoke=st.lists(st.sampled_from(sorted(PEOPLE)), max_size=4, unique=True),
        waiting=st.lists(st.sampled_from(sorted(PEOPLE)), max_size=6, unique=True),
        call=st.booleans(),
    )
    def start_under(
        self, data: st.DataObject, switching: bool, spoke: list[int], waiting: list[int], call: bool
    ) -> None:
        """The session opens under any policy, which some sessions keep throughout, with a few people
        who have spoken and a few waiting: who spoke last, which group and whose voice is new matter
        from the first call on (random steps alone seldom build such a queue)."""
        key = data.draw(st.sampled_from(self.opening), label="policy")
        self.queue.set_policy(key, self.tick(data))
        assert self.queue.policy == key
        self.switching = switching
        for pid in spoke:
            self._ask(pid, self.tick(data), "normal")
            self.call_next(data)
            self.end(data)
        # Those who spoke are quick to ask again: ahead of new voices, which is where policies differ.
        for pid in sorted(waiting, key=lambda pid: pid not in spoke):
            self._ask(pid, self.tick(data), "normal")
        if call:
            self.call_next(data)  # the chair opens the floor at once: the policy decides on that queue

    # -- participants ------------------------------------------------------------------------------

    def _ask(self, pid: int | None, now: int, kind: str, by_moderator: bool = False, **options: Any) -> None:
        """Make a request and check the outcome against the model."""
        asking = kind == "interposed_question"
        duplicate = pid is not None and pid in [p for r, p in self.open.items() if (r in self.questions) == asking]
        refused_closed = self.closed and not by_moderator and kind in ("normal", "on_behalf", "interposed_question")
        try:
            if by_moderator:
                events = self.queue.add_from_room(snapshot_of(pid), now, kind=kind, **options)
            else:
                events = self.queue.request(snapshot_of(pid), now, kind=kind, **options)
        except InvalidTransition as err:
            if asking and err.code in ("floor_free", "not_interposable", "own_speech"):
                self._check_not_interposable(pid, err.code)
                return
            assert err.code in ("already_queued", "list_closed")
            assert (err.code == "already_queued") == duplicate
            if err.code == "list_closed":
                assert refused_closed
            return
        assert not duplicate and not refused_closed
        (event,) = events
        assert isinstance(event, FloorRequested)
        self.open[event.request_id] = pid
        if asking:
            self.questions.add(event.request_id)
            speaker = self.queue.paused or self.queue.current
            assert speaker is not None and event.addressed_to == speaker.id
        assert event.request_id in [e.request.id for e in self.queue.order()]

    @rule(data=st.data(), pid=st.sampled_from(sorted(PEOPLE)), on_behalf=st.booleans())
    def request(self, data: st.DataObject, pid: int, on_behalf: bool) -> None:
        """A participant asks for the floor, possibly on behalf of a group of countries."""
        if on_behalf:
            self._ask(pid, self.tick(data), "on_behalf", on_behalf_of="G77")
        else:
            self._ask(pid, self.tick(data), "normal")

    @rule(data=st.data(), pid=st.sampled_from(sorted(PEOPLE)))
    def point_of_order(self, data: st.DataObject, pid: int) -> None:
        """A participant raises a point of order: allowed even on a closed list."""
        self._ask(pid, self.tick(data), "point_of_order")

    @rule(data=st.data(), pid=st.sampled_from(sorted(PEOPLE)), placement=st.sampled_from(["now", "end"]))
    def right_of_reply(self, data: st.DataObject, pid: int, placement: str) -> None:
        """A participant asks to reply to an earlier intervention."""
        now = self.tick(data)
        if not self.queue.interventions:
            try:
                self.queue.request(snapshot_of(pid), now, kind="right_of_reply", reply_to="i1")
            except NotFound:
                return
            raise AssertionError("a reply to nothing was accepted")
        target = data.draw(st.sampled_from([i.id for i in self.queue.interventions]), label="reply_to")
        self._ask(pid, now, "right_of_reply", reply_to=target, placement=placement)

    def _check_not_interposable(self, pid: int | None, code: str) -> None:
        """A refused interposed question had no speaker to be put to, or the wrong one."""
        speaker = self.queue.paused or self.queue.current
        if code == "floor_free":
            assert speaker is None
        elif code == "not_interposable":
            assert speaker is not None and speaker.kind is Kind.POINT_OF_ORDER
        else:
            assert speaker is not None and speaker.person["participant_id"] == pid

    @rule(data=st.data(), pid=st.sampled_from(sorted(PEOPLE)), by_moderator=st.booleans())
    def interposed_question(self, data: st.DataObject, pid: int, by_moderator: bool) -> None:
        """A participant (or the chair for them) puts a short question to whoever holds the floor."""
        self._ask(pid, self.tick(data), "interposed_question", by_moderator=by_moderator)

    @rule(data=st.data(), part=st.sampled_from([p.value for p in Part]))
    def set_part(self, data: st.DataObject, part: str) -> None:
        """The chair moves the session to another part; moving to the current part stores nothing."""
        events = self.queue.set_part(part, self.tick(data))
        assert len(events) == (0 if part == self.part else 1)
        self.part = part
        assert self.queue.part == part

    @rule(data=st.data(), pid=st.one_of(st.none(), st.sampled_from(sorted(PEOPLE))))
    def present(self, data: st.DataObject, pid: int | None) -> None:
        """The chair calls a presentation: requested and given the floor at once."""
        now = self.tick(data)
        duplicate = pid is not None and pid in [p for r, p in self.open.items() if r not in self.questions]
        try:
            events = self.queue.present(snapshot_of(pid), now)
        except InvalidTransition as err:
            assert err.code == "already_queued" and duplicate
            return
        assert not duplicate
        requested, *rest = events
        assert isinstance(requested, FloorRequested) and requested.kind == "presentation"
        self.open[requested.request_id] = pid
        self.called_from[requested.request_id] = None
        self._granted(rest, requested.request_id)
        assert self.queue.current is not None and self.queue.current.kind is Kind.PRESENTATION

    @rule(data=st.data(), group=st.sampled_from(sorted(LABELS)), mode=st.sampled_from(["onsite", "remote", "hub"]))
    def add_from_room(self, data: st.DataObject, group: str, mode: str) -> None:
        """The moderator adds someone from the room (not registered): even on a closed list."""
        now = self.tick(data)
        (event,) = self.queue.add_from_room(snapshot_of(None, group, mode), now)
        self.open[event.request_id] = None

    @precondition(lambda self: bool(self.queue.order()))
    @rule(data=st.data(), by_owner=st.booleans())
    def withdraw(self, data: st.DataObject, by_owner: bool) -> None:
        """The speaker (or the moderator) withdraws a waiting request."""
        entry = data.draw(st.sampled_from(self.queue.order()), label="withdraw")
        owner = entry.request.participant_id if by_owner else None
        self.queue.withdraw(entry.request.id, self.tick(data), by_participant=owner)
        self._closed_request(entry.request.id)
        assert entry.request.id not in [e.request.id for e in self.queue.order()]

    @precondition(lambda self: self.queue.current is not None)
    @rule(data=st.data())
    def decline(self, data: st.DataObject) -> None:
        """The person just called declines for now."""
        current = self.queue.current
        assert current is not None
        request_id = current.request_id
        paused = self.queue.paused
        event, *after = self.queue.decline(request_id, self.tick(data))
        assert isinstance(event, FloorDeclined)
        assert event.returned == (request_id not in self.declined and current.kind is not Kind.PRESENTATION)
        if paused is not None:  # a declined question gives the floor back to the speaker it was put to
            assert after == [InterventionResumed(paused.id, event.at_ms)]
            assert self.queue.current is not None and self.queue.current.id == paused.id
        else:
            self._lapsed(after, current.id)
            assert self.queue.current is None
        if event.returned:
            self.declined.add(request_id)
            self._check_returned(request_id)
        else:
            self._closed_request(request_id)
            assert self.queue.get(request_id).status is Status.DECLINED

    def _check_returned(self, request_id: str) -> None:
        """A request declined for now is back at its former place in its own tier: a point of order or a
        reply kept for the end by arrival; in the main list at the position it was called from, but never
        first when anyone else waits there, and at most last."""
        order = self.queue.order()
        (entry,) = [e for e in order if e.request.id == request_id]
        tier = [e for e in order if e.tier == entry.tier]
        place = tier.index(entry) + 1
        if entry.tier != "main":
            assert self.called_from[request_id] is None
            assert place == sorted(arrival(e) for e in tier).index(arrival(entry)) + 1
            return
        called_from = self.called_from[request_id]
        assert called_from is not None
        expected = 2 if called_from == 1 and len(tier) > 1 else called_from
        assert place == min(expected, len(tier)), f"declined request at {place}, called from {called_from}"
        assert entry.pinned and str(entry.reason) == "declined for now; kept their place"

    # -- moderator ---------------------------------------------------------------------------------

    @precondition(lambda self: bool(self.queue.order()))
    @rule(data=st.data())
    def move(self, data: st.DataObject) -> None:
        """The moderator moves a waiting request; a point of order or an interposed question cannot be moved."""
        order = self.queue.order()
        entry = data.draw(st.sampled_from(order), label="move")
        to = data.draw(st.integers(1, len(order)), label="to")
        now = self.tick(data)
        if entry.request.kind in (Kind.POINT_OF_ORDER, Kind.INTERPOSED_QUESTION):
            try:
                self.queue.move(entry.request.id, to, now)
            except InvalidTransition as err:
                assert err.code == ("point_of_order_first" if entry.tier == "point_of_order" else "interposed_first")
                return
            raise AssertionError("a point of order or an interposed question was moved")
        (event,) = self.queue.move(entry.request.id, to, now, reason="chair")
        after = self.queue.order()
        placed = next(e for e in after if e.request.id == entry.request.id)
        assert placed.position == event.to_position and placed.pinned
        if not any(e.tier != "main" for e in order):
            assert event.to_position == to  # nothing to clamp against: exactly where asked
        # The others keep their relative order when only the moved one changed place under FCFS.
        if self.queue.policy == "fcfs":
            before = [e.request.id for e in order if e.request.id != entry.request.id]
            assert [e.request.id for e in after if e.request.id != entry.request.id] == before

    def _check_fairness(self, chosen: QueueEntry, order: list[QueueEntry]) -> None:
        """The policy's rule, checked from the recorded interventions for a free (unpinned) choice."""
        waiting = [e for e in order if e.tier == "main" and not e.pinned]
        history = [
            (
                f"p{i['participant_id']}" if i["participant_id"] is not None else f"req:{i['request_id']}",
                "room" if i["mode"] == "onsite" else "remote",
                i["group"],
            )
            for i in self.queue.records()["interventions"]
            if i["kind"] not in {k.value for k in NOT_TURNS}  # procedural, a question or a presentation: no turn
        ]
        policy = self.queue.policy
        mine = chosen.request
        if policy == "fcfs":
            assert arrival(chosen) == min(arrival(e) for e in waiting)
        elif policy == "alternate":
            sides = {e.request.side for e in waiting}
            if history and len(sides) == 2:
                assert mine.side != history[-1][1], "did not alternate room and remote"
            assert arrival(chosen) == min(arrival(e) for e in waiting if e.request.side == mine.side)
        elif policy == "groups":
            last = {group: n for n, (_, _, group) in enumerate(history)}
            assert last.get(mine.group, -1) == min(last.get(e.request.group, -1) for e in waiting)
            turn = last.get(mine.group, -1)
            assert arrival(chosen) == min(arrival(e) for e in waiting if last.get(e.request.group, -1) == turn)
        elif policy == "new_voices":
            spoken = {key for key, _, _ in history}
            if any(e.request.person_key not in spoken for e in waiting):
                assert mine.person_key not in spoken, "someone who spoke went before a new voice"
            assert arrival(chosen) == min(
                arrival(e) for e in waiting if (e.request.person_key in spoken) == (mine.person_key in spoken)
            )

    def _decided(self, chosen: QueueEntry, order: list[QueueEntry]) -> bool:
        """Whether the policy's rule, rather than arrival alone, decided this free choice."""
        waiting = [e for e in order if e.tier == "main" and not e.pinned]
        if self.queue.policy == "fcfs":
            return len(waiting) > 1
        return arrival(chosen) != min(arrival(e) for e in waiting)

    def _granted(self, events: list[Any], request_id: str) -> None:
        """Update the model after a grant, which may have paused the speaker (for an interposed question) or
        ended the running and the paused intervention (their waiting questions lapsing)."""
        *before, granted = events
        assert isinstance(granted, FloorGranted) and granted.request_id == request_id
        # The speaking time applies to everyone but a question to the speaker, whose clock counts up.
        assert granted.limit_s == (None if request_id in self.questions else self.queue.time_limit_s)
        if request_id in self.questions:
            assert all(isinstance(e, (InterventionPaused, InterventionEnded)) for e in before)
            assert self.queue.paused is not None
            assert self.queue.get(request_id).addressed_to == self.queue.paused.id
        else:
            assert self.queue.paused is None
        for event in before:
            if isinstance(event, InterventionEnded):
                self._ended(event.intervention_id)
            elif isinstance(event, FloorWithdrawn):
                assert event.by == "lapsed" and event.request_id in self.questions
                self._closed_request(event.request_id)
            else:
                assert isinstance(event, InterventionPaused)
        current = self.queue.current
        assert current is not None and current.request_id == request_id
        assert current.part == self.part
        assert self.queue.get(request_id).status is Status.SPEAKING

    def _ended(self, intervention_id: str) -> None:
        request_id = next(i.request_id for i in self.queue.interventions if i.id == intervention_id)
        self._closed_request(request_id)

    def _closed_request(self, request_id: str) -> None:
        del self.open[request_id]
        self.questions.discard(request_id)

    def _lapsed(self, events: list[Any], intervention_id: str) -> None:
        """The questions still waiting for an intervention that is over lapsed, and only those."""
        expected = sorted(r for r in self.questions if self.queue.get(r).addressed_to == intervention_id)
        assert sorted(e.request_id for e in events if isinstance(e, FloorWithdrawn)) == expected
        for event in events:
            assert isinstance(event, FloorWithdrawn) and event.by == "lapsed"
            self._closed_request(event.request_id)

    @staticmethod
    def _main_place(entry: QueueEntry, order: list[QueueEntry]) -> int | None:
        """The entry's 1-based place in the main list, ``None`` outside it."""
        main = [e.request.id for e in order if e.tier == "main"]
        return main.index(entry.request.id) + 1 if entry.tier == "main" else None

    @rule(data=st.data())
    def call_next(self, data: st.DataObject) -> None:
        """The moderator calls the next speaker: the first line of the displayed order."""
        now = self.tick(data)
        order = self.queue.order()
        paused = self.queue.paused
        if paused is not None and not (order and order[0].tier == "interposed"):
            # The question was put: the speaker resumes, to answer and go on, before the list continues.
            current = self.queue.current
            assert current is not None and current.kind is Kind.INTERPOSED_QUESTION
            events = self.queue.call_next(now)
            assert events == [InterventionEnded(current.id, now), InterventionResumed(paused.id, now)]
            self._ended(current.id)
            assert self.queue.current is not None and self.queue.current.id == paused.id
            return
        if not order:
            try:
                self.queue.call_next(now)
            except InvalidTransition as err:
                assert err.code == "queue_empty"
                return
            raise AssertionError("called someone from an empty list")
        first = order[0]
        if first.tier == "main" and not first.pinned:
            self._check_fairness(first, order)
            if self._decided(first, order):
                self.decisive[self.queue.policy] += 1
        self.called_from[first.request.id] = self._main_place(first, order)
        self._granted(self.queue.call_next(now), first.request.id)

    @precondition(lambda self: bool(self.queue.order()))
    @rule(data=st.data())
    def call_specific(self, data: st.DataObject) -> None:
        """The moderator calls a particular waiting request."""
        order = self.queue.order()
        entry = data.draw(st.sampled_from(order), label="call")
        self.called_from[entry.request.id] = self._main_place(entry, order)
        self._granted(self.queue.call(entry.request.id, self.tick(data)), entry.request.id)

    @rule(data=st.data())
    def end(self, data: st.DataObject) -> None:
        """The moderator ends the running intervention."""
        now = self.tick(data)
        current = self.queue.current
        if current is None:
            try:
                self.queue.end(now)
            except InvalidTransition as err:
                assert err.code == "floor_free"
                return
            raise AssertionError("ended an intervention nobody was giving")
        paused = self.queue.paused
        event, *after = self.queue.end(now)
        assert event == InterventionEnded(current.id, now)
        self._ended(current.id)
        if paused is not None:
            assert after == [InterventionResumed(paused.id, now)]
            assert self.queue.current is not None and self.queue.current.id == paused.id
            return
        self._lapsed(after, current.id)
        assert self.queue.current is None and self.queue.timer(now) is None

    @rule(data=st.data(), close=st.booleans())
    def close_or_reopen(self, data: st.DataObject, close: bool) -> None:
        """The moderator closes or reopens the list of speakers."""
        now = self.tick(data)
        events = self.queue.close(now) if close else self.queue.reopen(now)
        assert len(events) == (1 if close != self.closed else 0)
        self.closed = close
        assert self.queue.closed is close

    @precondition(lambda self: self.switching)
    @rule(data=st.data(), key=st.sampled_from(sorted(POLICIES)))
    def switch_policy(self, data: st.DataObject, key: str) -> None:
        """The moderator switches the ordering policy live; pinned requests keep their places."""
        pinned = [(e.position, e.request.id) for e in self.queue.order() if e.pinned]
        self.queue.set_policy(key, self.tick(data))
        assert self.queue.policy == key
        assert [(e.position, e.request.id) for e in self.queue.order() if e.pinned] == pinned

    @rule(data=st.data(), seconds=st.one_of(st.none(), st.integers(30, 600)))
    def time_limit(self, data: st.DataObject, seconds: int | None) -> None:
        """The moderator sets the speaking time limit."""
        self.queue.set_time_limit(seconds, self.tick(data))

    # -- invariants --------------------------------------------------------------------------------

    @invariant()
    def nobody_queued_twice(self) -> None:
        """At most one open request per registered participant besides one interposed question, and each
        request listed once."""
        ids = [e.request.id for e in self.queue.order()]
        assert len(ids) == len(set(ids))
        open_requests = [r for r in self.queue.requests if r.status in (Status.QUEUED, Status.SPEAKING)]
        for asking in (True, False):
            pids = [r.participant_id for r in open_requests
                    if r.participant_id is not None and (r.kind is Kind.INTERPOSED_QUESTION) == asking]
            assert len(pids) == len(set(pids))
        assert {r.id: r.participant_id for r in open_requests} == self.open
        assert {r.id for r in open_requests if r.kind is Kind.INTERPOSED_QUESTION} == self.questions

    @invariant()
    def questions_go_to_the_speaker(self) -> None:
        """Waiting interposed questions are put to the speaker who holds the floor or gave way to a question; a
        paused speaker always has a question being put to them."""
        speaker = self.queue.paused or self.queue.current
        for entry in self.queue.order():
            if entry.tier == "interposed":
                assert speaker is not None and entry.request.addressed_to == speaker.id
        paused = self.queue.paused
        if paused is not None:
            current = self.queue.current
            assert current is not None and current.kind is Kind.INTERPOSED_QUESTION
            assert current.addressed_to == paused.id and paused.paused_at is not None

    @invariant()
    def positions_are_contiguous(self) -> None:
        """Positions run 1..n over exactly the waiting requests, tiers in order."""
        order = self.queue.order()
        assert [e.position for e in order] == list(range(1, len(order) + 1))
        assert {e.request.id for e in order} == {r.id for r in self.queue.requests if r.status is Status.QUEUED}
        tiers = [e.tier for e in order]
        rank = {"interposed": 0, "point_of_order": 1, "main": 2, "end": 3}
        assert tiers == sorted(tiers, key=rank.__getitem__)

    @invariant()
    def point_of_order_is_next(self) -> None:
        """Whenever a point of order waits, it is first in line after any interposed question."""
        order = [e for e in self.queue.order() if e.tier != "interposed"]
        if any(e.request.kind is Kind.POINT_OF_ORDER for e in order):
            assert order[0].request.kind is Kind.POINT_OF_ORDER

    @invariant()
    def replay_rebuilds_the_queue(self) -> None:
        """The stored audit log (as JSON) rebuilds exactly the live queue.

        A second queue applies each step's new stored events, which is a replay of the log so far
        without starting over at every step; the teardown replays the whole log once from scratch.
        """
        log = self.queue.audit_log
        stored = json.loads(json.dumps([event_to_dict(e) for e in log[len(self.replayed.audit_log) :]]))
        for event in stored:
            self.replayed.apply(event_from_dict(event))
        assert self.replayed.snapshot() == self.queue.snapshot()

    def teardown(self) -> None:
        """The whole stored log, replayed from scratch, rebuilds the final queue."""
        stored = json.loads(json.dumps([event_to_dict(e) for e in self.queue.audit_log]))
        assert FloorQueue.replay(stored, labels=LABELS).snapshot() == self.queue.snapshot()

    @invariant()
    def policy_choice_is_fair(self) -> None:
        """The first of the main list, when the policy chose it, obeys the policy's rule."""
        main = [e for e in self.queue.order() if e.tier == "main"]
        if main and not main[0].pinned:
            self._check_fairness(main[0], main)

    @invariant()
    def expected_waits_follow_the_record(self) -> None:
        """Each waiting request expects its position times the average ended intervention (or the time
        limit before anyone finished; unknown without either)."""
        ended = [i.end_ms - i.start_ms - i.paused_ms for i in self.queue.interventions if i.end_ms is not None]
        limit = self.queue.time_limit_s
        average = sum(ended) // len(ended) if ended else (None if limit is None else limit * 1000)
        expected = {e.request.id: None if average is None else e.position * average for e in self.queue.order()}
        assert self.queue.expected_waits() == expected


SETTINGS = settings(
    # Twice the active profile's examples (200 by default, fewer under the mutation profile).
    max_examples=2 * settings.default.max_examples,
    stateful_step_count=50,
    deadline=None,
    # Fixed examples on CI so a red build can be rerun; locally each run explores new ones.
    derandomize=bool(os.environ.get("CI")) or settings.default.derandomize,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_floor_machine() -> None:
    """Random sessions keep every invariant, and every policy's rule decided at least one call."""
    FloorMachine.decisive.clear()
    run_state_machine_as_test(FloorMachine, settings=SETTINGS)
    if SETTINGS.max_examples < 100 or not SETTINGS.derandomize:
        # A short run (the mutation profile) makes no claim about what it explored, and a random draw may leave
        # one policy without a contested call; the fixed examples (CI, or HYPOTHESIS derandomize) must cover all.
        return
    undecided = set(POLICIES) - set(FloorMachine.decisive)
    if undecided:
        # The fixed draw left a policy without a contested call: a second fixed run whose sessions open under
        # those policies only explores them (bounded like the first).
        focused = type("FocusedFloorMachine", (FloorMachine,), {"opening": tuple(sorted(undecided))})
        run_state_machine_as_test(focused, settings=SETTINGS)
        undecided = set(POLICIES) - set(FloorMachine.decisive)
    assert not undecided, f"no call was decided by {sorted(undecided)}; the sessions need a broader draw"
