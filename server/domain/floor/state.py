"""State of the floor queue and how events change it; commands are in :mod:`.queue`.

``apply`` is the only code that changes state, so replaying the audit log rebuilds the same queue.
See :mod:`.queue` for how the displayed order is built from interposed questions, points of order, pins and the
policy, and for how an interposed question pauses the speaker it is put to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Self

from ..errors import InvalidInput, NotFound
from ..events import Event
from .events import (
    FloorDeclined,
    FloorGranted,
    FloorGroupBudgetSet,
    FloorListClosed,
    FloorListReopened,
    FloorPartChanged,
    FloorPolicyChanged,
    FloorRequested,
    FloorRequestMoved,
    FloorTimeLimitSet,
    FloorWithdrawn,
    InterventionEnded,
    InterventionPaused,
    InterventionResumed,
    event_from_dict,
)
from .models import NOT_TURNS, Intervention, Kind, QueueEntry, QueueView, Request, Status, Turn
from .policies import make_policy
from .reasons import Reason, reason


class FloorState:
    """The queue's data, its audit log, the displayed order, and event application."""

    def __init__(
        self, *, labels: Mapping[str, str] | None = None, warn_fraction: float = 0.8, warn_last_s: int = 30
    ) -> None:
        """:param labels: stakeholder group slug → label; when given, unknown groups are refused.
        :param warn_fraction: the timer warns once this share of the limit is used...
        :param warn_last_s: ...or when this many seconds are left, whichever comes first.
        """
        self.labels: dict[str, str] = dict(labels or {})
        self.warn_fraction = warn_fraction
        self.warn_last_s = warn_last_s
        self._log: list[Event] = []
        self._requests: dict[str, Request] = {}
        self._interventions: dict[str, Intervention] = {}  # granted and not declined, in order
        self._iq: list[str] = []  # queued interposed questions, in order of request
        self._poo: list[str] = []  # queued points of order, in order of request
        self._main: list[str] = []  # queued main-list requests, in order of request
        self._end: list[str] = []  # rights of reply kept for the end, in order of request
        self._pins: dict[str, int] = {}  # request id → position in the main list
        self._current: str | None = None
        self._paused: str | None = None  # the intervention waiting while an interposed question is put
        self._part: str | None = None
        self._closed = False
        self._policy = "fcfs"
        self._limit_s: int | None = None
        self._budgets: dict[str, int] = {}
        self._n_requests = 0
        self._n_interventions = 0

    # -- replay ----------------------------------------------------------------------------------

    @classmethod
    def replay(cls, events: Iterable[Event | Mapping[str, Any]], **config: Any) -> Self:
        """A queue rebuilt from its audit log (events or their dict form); ``config`` as for the constructor."""
        queue = cls(**config)
        for event in events:
            queue.apply(event if isinstance(event, Event) else event_from_dict(event))
        return queue

    @property
    def audit_log(self) -> tuple[Event, ...]:
        """Every event applied so far, oldest first."""
        return tuple(self._log)

    # -- queries ---------------------------------------------------------------------------------

    @property
    def policy(self) -> str:
        """The active policy's name."""
        return self._policy

    @property
    def closed(self) -> bool:
        """True while the list refuses new normal requests."""
        return self._closed

    @property
    def time_limit_s(self) -> int | None:
        """The speaking time limit for the next intervention."""
        return self._limit_s

    @property
    def current(self) -> Intervention | None:
        """The intervention that holds the floor, if any."""
        return self._interventions[self._current] if self._current else None

    @property
    def paused(self) -> Intervention | None:
        """The intervention that gave way to an interposed question and resumes after it, if any."""
        return self._interventions[self._paused] if self._paused else None

    @property
    def part(self) -> str | None:
        """The session part the chair moved to last (``None`` before the first move)."""
        return self._part

    @property
    def interventions(self) -> list[Intervention]:
        """Every intervention granted (declined calls excluded), in order."""
        return list(self._interventions.values())

    @property
    def requests(self) -> list[Request]:
        """Every request ever made, in order of request."""
        return list(self._requests.values())

    def get(self, request_id: str) -> Request:
        """The request with this id; raises ``NotFound``."""
        try:
            return self._requests[request_id]
        except KeyError:
            raise NotFound("There is no request \"{id}\".", field="request_id",
                           params={"id": str(request_id)}) from None

    def history(self) -> tuple[Turn, ...]:
        """Who has spoken this session, oldest first, as the policies see it.

        Points of order, interposed questions and presentations are left out: a procedural interruption, a short
        question to the speaker or a slot in the programme should not cost a group its turn, flip the room/remote
        alternation, or make a new voice count as heard.
        """
        requests = (self._requests[i.request_id] for i in self.interventions if i.kind not in NOT_TURNS)
        return tuple(Turn(r.person_key, r.side, r.group, r.id) for r in requests)

    def order(self) -> list[QueueEntry]:
        """The displayed list of speakers: position, request, reason; ``call_next`` takes the first."""
        iq = [(self._requests[i], reason("interposed"), "interposed", False) for i in self._iq]
        poo = [(self._requests[i], reason("point_of_order"), "point_of_order", False) for i in self._poo]
        main = [(r, why, "main", pinned) for r, why, pinned in self._main_order()]
        end = [(self._requests[i], reason("reply_at_end"), "end", False) for i in self._end]
        rows = iq + poo + main + end
        return [QueueEntry(n, r, why, tier, pinned) for n, (r, why, tier, pinned) in enumerate(rows, 1)]


    def snapshot(self) -> dict[str, Any]:
        """The complete state as plain data: two queues are the same queue when their snapshots are equal."""
        return {
            "requests": [r.as_dict() for r in self._requests.values()],
            "interventions": [i.as_dict() for i in self._interventions.values()],
            "iq": list(self._iq),
            "poo": list(self._poo),
            "main": list(self._main),
            "end": list(self._end),
            "pins": dict(sorted(self._pins.items())),
            "order": [e.request.id for e in self.order()],
            "current": self._current,
            "paused": self._paused,
            "part": self._part,
            "closed": self._closed,
            "policy": self._policy,
            "limit_s": self._limit_s,
            "budgets": dict(sorted(self._budgets.items())),
            "counters": [self._n_requests, self._n_interventions],
            "log": len(self._log),
        }

    # -- internals -------------------------------------------------------------------------------

    def _main_order(self) -> list[tuple[Request, Reason, bool]]:
        """The main list: pins at their positions, the policy choosing for the other places."""
        policy = make_policy(self._policy)
        view = QueueView(
            tuple(self._requests[i] for i in self._main if i not in self._pins), self.history(), self.labels
        )
        pins = sorted(self._pins.items(), key=lambda item: item[1])
        out: list[tuple[Request, Reason, bool]] = []
        while pins or view.waiting:
            position = len(out) + 1
            # A pin beyond the end of the list (others left) takes the next free place.
            if pins and (pins[0][1] <= position or not view.waiting):
                chosen, pinned = self._requests[pins.pop(0)[0]], True
                why = chosen.pin_reason or reason("placed")
            else:
                next_up = policy.next_speaker(view)
                assert next_up is not None  # view.waiting is not empty
                chosen, why, pinned = next_up, policy.reason(view, next_up), False
            out.append((chosen, why, pinned))
            # Later picks see this one as having spoken, so the projection matches future calls.
            view = view.spoke(chosen)
        return out

    def _main_position(self, request_id: str) -> int:
        """1-based position in the main list."""
        return [r.id for r, _, _ in self._main_order()].index(request_id) + 1

    def _pin(self, request: Request, position: int, why: Reason) -> None:
        """Pin a request (already in ``_main``, not pinned) at ``position``, pushing pins at or after it down."""
        self._pins = {rid: p + 1 if p >= position else p for rid, p in self._pins.items()}
        self._pins[request.id] = position
        request.pin_reason = why

    def _unqueue(self, request: Request) -> None:
        """Take a waiting request off whichever list holds it; pins behind it move up."""
        if request.id in self._iq:
            self._iq.remove(request.id)
        elif request.id in self._poo:
            self._poo.remove(request.id)
        elif request.id in self._end:
            self._end.remove(request.id)
        else:
            position = self._main_position(request.id)
            self._pins.pop(request.id, None)
            self._pins = {rid: p - 1 if p > position else p for rid, p in self._pins.items()}
            self._main.remove(request.id)
            request.pin_reason = None

    def _settle_pins(self) -> None:
        """Make each pin equal its displayed position, so later shifts start from what everyone sees."""
        for position, (request, _, pinned) in enumerate(self._main_order(), 1):
            if pinned:
                self._pins[request.id] = position

    def _insert_sorted(self, ids: list[str], request: Request) -> None:
        """Put a request back into an arrival-ordered list at its place."""
        ids.append(request.id)
        ids.sort(key=lambda i: self._requests[i].seq)

    def apply(self, event: Event) -> None:
        """Apply one event (trusted: from this queue or its stored log) and append it to the audit log."""
        handler = getattr(self, f"_on_{event.name}", None)
        if handler is None:
            raise InvalidInput("Not a floor event: \"{name}\".", field="name", params={"name": event.name})
        handler(event)
        self._settle_pins()
        self._log.append(event)

    def _on_floor_requested(self, e: FloorRequested) -> None:
        self._n_requests += 1
        request = Request(
            e.request_id, dict(e.person), Kind(e.kind), e.at_ms, e.added_by, e.theme, e.language, e.reply_to,
            e.placement, e.on_behalf_of, e.question_id, e.read_by, e.addressed_to, seq=self._n_requests,
        )  # fmt: skip
        self._requests[request.id] = request
        if request.kind is Kind.INTERPOSED_QUESTION:
            self._iq.append(request.id)
        elif request.kind is Kind.POINT_OF_ORDER:
            self._poo.append(request.id)
        elif request.kind is Kind.RIGHT_OF_REPLY and e.placement == "end":
            request.at_end = True
            self._end.append(request.id)
        else:
            self._main.append(request.id)
            if request.kind is Kind.RIGHT_OF_REPLY:
                self._pin(request, 1, reason("reply_next"))

    def _on_floor_withdrawn(self, e: FloorWithdrawn) -> None:
        request = self._requests[e.request_id]
        self._unqueue(request)
        request.status, request.withdrawn_ms, request.withdrawn_by = Status.WITHDRAWN, e.at_ms, e.by

    def _on_floor_granted(self, e: FloorGranted) -> None:
        request = self._requests[e.request_id]
        in_main = request.id in self._main
        request.called_from = self._main_position(request.id) if in_main else None
        self._unqueue(request)
        request.status = Status.SPEAKING
        self._n_interventions += 1
        self._interventions[e.intervention_id] = Intervention(
            e.intervention_id, request.id, dict(request.person), request.kind, request.requested_ms, e.at_ms,
            e.at_ms, e.limit_s, None, request.on_behalf_of, request.language, request.theme, request.reply_to,
            request.question_id, request.read_by, self._part, request.addressed_to,
        )  # fmt: skip
        self._current = e.intervention_id

    def _on_floor_declined(self, e: FloorDeclined) -> None:
        request = self._requests[e.request_id]
        called = self._interventions.pop(e.intervention_id)
        self._current = None
        request.declines.append({"at_ms": e.at_ms, "called_ms": called.called_ms, "intervention_id": called.id})
        if not e.returned:
            request.status = Status.DECLINED
            return
        request.status = Status.QUEUED
        if request.kind is Kind.INTERPOSED_QUESTION:
            self._insert_sorted(self._iq, request)
        elif request.kind is Kind.POINT_OF_ORDER:
            self._insert_sorted(self._poo, request)
        elif request.at_end:
            self._insert_sorted(self._end, request)
        else:
            self._main.append(request.id)
            # Back at the former place, except that "not now" from the first in line must not make them
            # next again: the chair moves on, so they wait behind the one who was second.
            position = request.called_from or 1
            if position == 1 and len(self._main) > 1:
                position = 2
            self._pin(request, position, reason("declined"))

    def _on_intervention_ended(self, e: InterventionEnded) -> None:
        intervention = self._interventions[e.intervention_id]
        intervention.end_ms = e.at_ms
        self._requests[intervention.request_id].status = Status.SERVED
        if intervention.paused_at is not None:  # ended without resuming: the pause stops at the end
            intervention.paused_ms += e.at_ms - intervention.paused_at
            intervention.paused_at = None
        if self._paused == intervention.id:
            self._paused = None
        if self._current == intervention.id:
            self._current = None

    def _on_intervention_paused(self, e: InterventionPaused) -> None:
        self._interventions[e.intervention_id].paused_at = e.at_ms
        self._paused = e.intervention_id
        self._current = None

    def _on_intervention_resumed(self, e: InterventionResumed) -> None:
        intervention = self._interventions[e.intervention_id]
        assert intervention.paused_at is not None  # trusted: only a paused intervention resumes
        intervention.paused_ms += e.at_ms - intervention.paused_at
        intervention.paused_at = None
        self._paused = None
        self._current = intervention.id

    def _on_floor_part_changed(self, e: FloorPartChanged) -> None:
        self._part = e.part

    def _on_floor_request_moved(self, e: FloorRequestMoved) -> None:
        request = self._requests[e.request_id]
        self._unqueue(request)
        request.at_end = False
        self._main.append(request.id)
        why = reason("moved_because", reason=e.reason) if e.reason else reason("moved")
        self._pin(request, e.to_position - len(self._iq) - len(self._poo), why)
        request.moves.append(
            {"at_ms": e.at_ms, "from_position": e.from_position, "to_position": e.to_position, "reason": e.reason}
        )

    def _on_floor_list_closed(self, e: FloorListClosed) -> None:
        self._closed = True

    def _on_floor_list_reopened(self, e: FloorListReopened) -> None:
        self._closed = False

    def _on_floor_policy_changed(self, e: FloorPolicyChanged) -> None:
        self._policy = e.policy

    def _on_floor_time_limit_set(self, e: FloorTimeLimitSet) -> None:
        self._limit_s = e.seconds

    def _on_floor_group_budget_set(self, e: FloorGroupBudgetSet) -> None:
        if e.seconds is None:
            self._budgets.pop(e.group, None)
        else:
            self._budgets[e.group] = e.seconds
