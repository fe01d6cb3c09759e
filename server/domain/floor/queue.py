"""The floor queue of one session: requests to speak, the order they are taken in, and who has the floor.

Commands (``request``, ``call_next``, ``move``...) validate first, then build events and apply them;
``apply`` is the only code that changes state, so replaying the audit log rebuilds the same queue.

How the displayed order is built (and what ``call_next`` takes, always the first line):

0. interposed questions, in order of request: each is put to the speaker who has the floor, before anything else;
1. points of order, in order of request: a point of order is always next after them;
2. the main list, where requests the moderator placed are *pinned* to their position and the
   active policy orders everyone else around them. A pin is a position in the main list: it moves up
   when someone ahead of it leaves and down when another request is placed at or ahead of it, so a
   manual move holds until the moderator changes it, whichever policy is active. A right of reply
   placed "now" and a request that declined for now are pinned the same way (a decline returns the
   request to its former place, except that the first in line goes second, so "not now" is honoured);
3. rights of reply kept for the end of the item, in order of request.

Policies see the session's interventions without points of order (procedural), interposed questions and
presentations (not turns in the debate).

An interposed question (as OpenSlides has it) is asked while someone holds the floor and is put to them. Giving it
the floor *pauses* that speaker (``InterventionPaused``: their clock stops); when the question ends, by ``end`` or
``call_next``, the speaker *resumes* (``InterventionResumed``) to answer and go on, and only after they finish does
the list continue. Further questions to the same speaker are taken in turn while they are paused. Questions still
waiting when the speaker's intervention ends lapse (``FloorWithdrawn`` by ``lapsed``). Calling a particular other
request while a question is put ends the question and the paused intervention together.

A presentation is called by the chair (``present``): requested and given the floor at once, timed like any
intervention, and recorded with its kind. Every intervention records the session part (``set_part``) it began in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from ..events import Event
from . import reports
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
)
from .models import GroupBudget, Intervention, Kind, Part, QueueEntry, Request, Status, Timer, clean_person
from .policies import POLICIES, make_policy
from .reasons import reason
from .state import FloorState

_OPEN = (Status.QUEUED, Status.SPEAKING)


def _optional_text(value: Any, field: str) -> str | None:
    """``None`` or a non-empty string; raises ``InvalidInput``."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("{field} must be non-empty text", field=field, params={"field": field})
    return value.strip()


def _seconds(value: Any, field: str) -> int | None:
    """``None`` or a positive whole number of seconds; raises ``InvalidInput``."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidInput("{field} must be a positive number of seconds", field=field, params={"field": field})
    return value


class FloorQueue(FloorState):
    """The list of speakers of one session: commands that validate, then apply events."""

    # -- participant and moderator commands ------------------------------------------------------

    def request(
        self,
        person: Mapping[str, Any],
        now: int,
        *,
        kind: str = "normal",
        theme: str | None = None,
        language: str | None = None,
        reply_to: str | None = None,
        placement: str | None = None,
        on_behalf_of: str | None = None,
        question_id: int | str | None = None,
        read_by: str | None = None,
        added_by: str = "participant",
    ) -> list[Event]:
        """Ask for the floor for ``person`` (a snapshot: participant_id, name, organisation, country, group, mode).

        :param kind: ``normal``, ``point_of_order``, ``right_of_reply``, ``on_behalf``, ``interposed_question`` (put
            to whoever holds the floor, while someone does) or ``presentation`` (the chair only).
        :param reply_to: the intervention a right of reply answers (required for that kind).
        :param placement: right of reply only: ``now`` (next) or ``end`` of the item (default).
        :param on_behalf_of: required for ``on_behalf``, e.g. ``"G77"``.
        :param added_by: ``moderator`` when the chair adds someone; a closed list does not stop the chair.
        Raises ``InvalidInput``, ``NotFound`` (reply_to), ``NotAllowed`` (a participant's presentation),
        ``InvalidTransition`` (``already_queued``, ``list_closed``; for an interposed question also ``floor_free``,
        ``not_interposable``, ``own_speech``).
        """
        try:
            k = Kind(kind)
        except ValueError:
            raise InvalidInput("Unknown request kind \"{kind}\".", field="kind", params={"kind": str(kind)}) from None
        clean = clean_person(person, self.labels)
        if added_by not in ("participant", "moderator"):
            raise InvalidInput("added_by must be participant or moderator", field="added_by")
        fields = {
            "theme": _optional_text(theme, "theme"),
            "language": _optional_text(language, "language"),
            "read_by": _optional_text(read_by, "read_by"),
            "on_behalf_of": _optional_text(on_behalf_of, "on_behalf_of"),
        }
        if question_id is not None and (not isinstance(question_id, (int, str)) or isinstance(question_id, bool)):
            raise InvalidInput("question_id must be an id", field="question_id")
        if (k is Kind.ON_BEHALF) != (fields["on_behalf_of"] is not None):
            raise InvalidInput("on_behalf_of goes with, and only with, kind on_behalf", field="on_behalf_of")
        if k is Kind.RIGHT_OF_REPLY:
            if reply_to not in self._interventions:
                raise NotFound("There is no intervention \"{id}\" to reply to.", field="reply_to",
                               params={"id": str(reply_to)})
            placement = placement or "end"
            if placement not in ("now", "end"):
                raise InvalidInput("placement must be now or end", field="placement")
        elif reply_to is not None or placement is not None:
            raise InvalidInput("reply_to and placement are for a right of reply", field="reply_to")
        if k is Kind.PRESENTATION and added_by != "moderator":
            raise NotAllowed("only the chair calls a presentation")
        addressed_to = self._addressee(clean) if k is Kind.INTERPOSED_QUESTION else None
        pid = clean["participant_id"]
        # One open request per person, and besides it one interposed question (asked while waiting to speak).
        asking = k is Kind.INTERPOSED_QUESTION
        if pid is not None and any(r.participant_id == pid and r.status in _OPEN
                                   and (r.kind is Kind.INTERPOSED_QUESTION) == asking
                                   for r in self._requests.values()):
            raise InvalidTransition("this person already has an open request", code="already_queued")
        if self._closed and added_by == "participant" and k in (Kind.NORMAL, Kind.ON_BEHALF, Kind.INTERPOSED_QUESTION):
            raise InvalidTransition("the list of speakers is closed", code="list_closed")
        event = FloorRequested(
            request_id=f"r{self._n_requests + 1}",
            person=clean,
            kind=k.value,
            at_ms=now,
            added_by=added_by,
            reply_to=reply_to,
            placement=placement,
            question_id=question_id,
            addressed_to=addressed_to,
            **fields,
        )
        return self._commit(event)

    def _addressee(self, person: Mapping[str, Any]) -> str:
        """The intervention an interposed question from ``person`` would be put to; raises ``InvalidTransition``."""
        speaker = self.paused or self.current
        if speaker is None:
            raise InvalidTransition("nobody has the floor to put a question to", code="floor_free")
        if speaker.kind is Kind.POINT_OF_ORDER:
            raise InvalidTransition("a point of order takes no interposed questions", code="not_interposable")
        pid = person["participant_id"]
        if pid is not None and speaker.person["participant_id"] == pid:
            raise InvalidTransition("you have the floor yourself", code="own_speech")
        return speaker.id

    def present(self, person: Mapping[str, Any], now: int, **options: Any) -> list[Event]:
        """The chair calls a presentation: ``person`` is requested and given the floor at once (ending any running
        intervention); ``options`` as for ``request`` (theme, language)."""
        self._grantable(now)
        requested = self.request(person, now, kind=Kind.PRESENTATION.value, added_by="moderator", **options)
        (event,) = requested
        assert isinstance(event, FloorRequested)
        return requested + self.call(event.request_id, now)

    def set_part(self, part: str, now: int) -> list[Event]:
        """Move the session to a part: ``presentations``, ``panel``, ``debate`` or ``closing``."""
        try:
            value = Part(part).value
        except ValueError:
            raise InvalidInput("Unknown part \"{part}\": one of {parts}.", field="part",
                               params={"part": str(part), "parts": [p.value for p in Part]}) from None
        return [] if value == self._part else self._commit(FloorPartChanged(value, now))

    def add_from_room(self, person: Mapping[str, Any], now: int, **options: Any) -> list[Event]:
        """The moderator adds someone (``participant_id`` may be ``None``); options as for ``request``."""
        return self.request(person, now, added_by="moderator", **options)

    def withdraw(self, request_id: str, now: int, *, by_participant: int | None = None) -> list[Event]:
        """Withdraw a queued request; ``by_participant`` must own it, ``None`` means the moderator."""
        request = self._owned(request_id, by_participant)
        if request.status is not Status.QUEUED:
            raise InvalidTransition("only a waiting request can be withdrawn", code="not_queued")
        by = "moderator" if by_participant is None else "participant"
        return self._commit(FloorWithdrawn(request_id, now, by))

    def decline(self, request_id: str, now: int, *, by_participant: int | None = None) -> list[Event]:
        """The person called declines for now: back to their place the first time, off the list the second.

        A declined presentation leaves the list (the chair calls it again when ready). A declined interposed
        question gives the floor back to the speaker it was put to; questions put to a
        speaker who declines lapse.
        """
        request = self._owned(request_id, by_participant)
        current = self.current
        if request.status is not Status.SPEAKING or current is None or current.request_id != request_id:
            raise InvalidTransition("only the person just called can decline", code="not_called")
        # A presentation is the chair's call, not a place in the list: not ready means called again later.
        returned = not request.declines and request.kind is not Kind.PRESENTATION
        events: list[Event] = [FloorDeclined(request_id, current.id, now, returned)]
        paused = self.paused
        if current.kind is Kind.INTERPOSED_QUESTION and paused is not None:
            events.append(InterventionResumed(paused.id, max(now, paused.paused_at or now)))
        else:
            events += self._lapse(current.id, now)
        return self._commit(*events)

    def call_next(self, now: int, *, seen_first: str | None = None) -> list[Event]:
        """Give the floor to the first of the displayed order, ending any running intervention.

        While an interposed question is put, the next is another question to the same speaker if one waits, else
        the paused speaker, who resumes: the list goes on only after they finish.

        ``seen_first`` is the request the caller saw at the head of the list: when it holds the floor already
        (another chair called it a moment earlier), the call is done and nothing changes, so two chairs pressing
        "next" at once move the list on by one speaker, not two.
        """
        current = self.current
        if seen_first is not None and current is not None and current.request_id == seen_first:
            return []
        order = self.order()
        paused = self.paused
        if paused is not None and not (order and order[0].tier == "interposed"):
            return self._resume(paused, now)
        if not order:
            raise InvalidTransition("nobody is waiting for the floor", code="queue_empty")
        return self._grant(order[0], now)

    def call(self, request_id: str, now: int) -> list[Event]:
        """Give the floor to a specific waiting request, ending any running intervention."""
        self.get(request_id)
        for entry in self.order():
            if entry.request.id == request_id:
                return self._grant(entry, now, chosen_by="moderator")
        raise InvalidTransition("that request is not waiting", code="not_queued")

    def end(self, now: int) -> list[Event]:
        """End the running intervention; after an interposed question the speaker it was put to resumes."""
        current = self.current
        if current is None:
            raise InvalidTransition("nobody has the floor", code="floor_free")
        paused = self.paused
        if paused is not None:
            return self._resume(paused, now)
        if now < current.start_ms:
            raise InvalidInput("an intervention cannot end before it started", field="now")
        return self._commit(InterventionEnded(current.id, now), *self._lapse(current.id, now))

    def _resume(self, paused: Intervention, now: int) -> list[Event]:
        """End the interposed question being put (if any) and give the floor back to the paused speaker."""
        current = self.current
        if now < (current.start_ms if current is not None else paused.paused_at or 0):
            raise InvalidInput("time went backwards", field="now")
        ended: list[Event] = [] if current is None else [InterventionEnded(current.id, now)]
        return self._commit(*ended, InterventionResumed(paused.id, now))

    def _lapse(self, intervention_id: str, now: int) -> list[Event]:
        """Withdraw the interposed questions still waiting for an intervention that is over."""
        return [FloorWithdrawn(i, now, "lapsed") for i in self._iq if self._requests[i].addressed_to == intervention_id]

    def move(self, request_id: str, to_position: int, now: int, *, reason: str = "") -> list[Event]:
        """Place a waiting request at a position of the displayed order (1 = next), pinning it there.

        Points of order stay first and rights of reply kept for the end stay last, so the position is
        clamped to the main list; the event records the position actually taken.
        """
        request = self.get(request_id)
        order = self.order()
        ids = [e.request.id for e in order]
        if request_id not in ids:
            raise InvalidTransition("only a waiting request can be moved", code="not_queued")
        if request.kind is Kind.POINT_OF_ORDER:
            raise InvalidTransition("a point of order is always next", code="point_of_order_first")
        if request.kind is Kind.INTERPOSED_QUESTION:
            raise InvalidTransition("an interposed question is put before the list goes on", code="interposed_first")
        if not isinstance(to_position, int) or isinstance(to_position, bool) or not 1 <= to_position <= len(ids):
            raise InvalidInput("The position must be between 1 and {last}.", field="position",
                               params={"last": len(ids)})
        if not isinstance(reason, str):
            raise InvalidInput("reason must be text", field="reason")
        main_len = len(self._main) - (0 if request.at_end else 1)  # the main list without this request
        ahead = len(self._iq) + len(self._poo)
        to = min(max(to_position, ahead + 1), ahead + main_len + 1)
        return self._commit(FloorRequestMoved(request_id, ids.index(request_id) + 1, to, now, reason.strip()))

    def close(self, now: int) -> list[Event]:
        """Close the list to new requests (points of order and rights of reply still allowed)."""
        return [] if self._closed else self._commit(FloorListClosed(now))

    def reopen(self, now: int) -> list[Event]:
        """Open the list again."""
        return self._commit(FloorListReopened(now)) if self._closed else []

    def set_policy(self, key: str, now: int) -> list[Event]:
        """Switch the ordering policy by name (``fcfs``, ``alternate``, ``groups``, ``new_voices``)."""
        make_policy(key)
        return [] if key == self._policy else self._commit(FloorPolicyChanged(key, now))

    def set_time_limit(self, seconds: int | None, now: int) -> list[Event]:
        """Set the speaking time limit for interventions granted from now on (``None``: no limit)."""
        return self._commit(FloorTimeLimitSet(_seconds(seconds, "seconds"), now))

    def set_group_budget(self, group: str, seconds: int | None, now: int) -> list[Event]:
        """Set a stakeholder group's floor-time budget for the session (``None`` removes it)."""
        if not isinstance(group, str) or not group or (self.labels and group not in self.labels):
            raise InvalidInput("Unknown stakeholder group \"{group}\".", field="group", params={"group": str(group)})
        return self._commit(FloorGroupBudgetSet(group, _seconds(seconds, "seconds"), now))

    def timer(self, now: int) -> Timer | None:
        """The running intervention's clock, or ``None`` when nobody has the floor."""
        current = self.current
        if current is None:
            return None
        elapsed = current.duration_ms(now)
        start = current.start_ms + current.paused_ms  # a clock counting from here leaves the pauses out
        if current.limit_s is None:
            return Timer(current.id, start, None, elapsed, None, 0, "running")
        limit = current.limit_s * 1000
        remaining = max(0, limit - elapsed)
        if elapsed > limit:
            state = "overrun"
        elif elapsed >= limit * self.warn_fraction or remaining <= self.warn_last_s * 1000:
            state = "warning"
        else:
            state = "running"
        return Timer(current.id, start, current.limit_s, elapsed, remaining, max(0, elapsed - limit), state)

    def budgets(self, now: int) -> dict[str, GroupBudget]:
        """Floor time used per group that has a budget, counting the running intervention up to ``now``."""
        used = reports.floor_time_by_group(self.interventions, now)
        return {
            g: GroupBudget(g, self.labels.get(g, g), s * 1000, used.get(g, 0)) for g, s in sorted(self._budgets.items())
        }

    def expected_waits(self) -> dict[str, int | None]:
        """Request id → expected wait in ms: position × average intervention so far (or the limit)."""
        ended = [i.duration_ms(i.start_ms) for i in self.interventions if i.end_ms is not None]
        if ended:
            average: int | None = sum(ended) // len(ended)
        else:
            average = self._limit_s * 1000 if self._limit_s is not None else None
        return {e.request.id: (None if average is None else e.position * average) for e in self.order()}

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """Interventions and unserved requests as flat dicts, for storage and export."""
        return reports.records(self.requests, self.interventions)

    def stats(self, now: int) -> dict[str, Any]:
        """Interventions, floor time and average wait, in total, by group and by mode."""
        return reports.stats(self.interventions, self.labels, now)

    def view(self, now: int) -> dict[str, Any]:
        """The JSON-ready live state for the moderator and participant screens: list status, current speaker
        with timer, displayed order."""
        waits = self.expected_waits()
        current = self.current
        timer = self.timer(now)
        paused = self.paused
        return {
            "part": self.part,
            "paused": None if paused is None else paused.as_dict(),
            "open": not self.closed,
            "policy": self.policy,
            "policy_label": POLICIES[self.policy].label,
            "time_limit_s": self.time_limit_s,
            "current": (
                None if current is None or timer is None
                else {**current.as_dict(), "timer": dataclasses.asdict(timer)}
            ),
            "queue": [
                {
                    "position": e.position,
                    "reason": str(e.reason),
                    "reason_code": e.reason.code,
                    "reason_params": dict(e.reason.params),
                    "tier": e.tier,
                    "pinned": e.pinned,
                    "expected_wait_ms": waits[e.request.id],
                    **{k: v for k, v in e.request.as_dict().items() if k != "person"},
                    **e.request.person,
                }
                for e in self.order()
            ],
            "budgets": [{**dataclasses.asdict(b), "remaining_ms": b.remaining_ms, "over": b.over}
                        for b in self.budgets(now).values()],
        }

    def _owned(self, request_id: str, by_participant: int | None) -> Request:
        """The request, checking that ``by_participant`` (when given) is the person who asked."""
        request = self.get(request_id)
        if by_participant is not None and request.participant_id != by_participant:
            raise NotAllowed("this is someone else's request")
        return request

    def _grantable(self, now: int) -> None:
        """Refuse a grant at ``now`` if it would end the running (or paused) intervention before it began."""
        for running in (self.current, self.paused):
            if running is not None and now < max(running.start_ms, running.paused_at or 0):
                raise InvalidInput("time went backwards", field="now")

    def _grant(self, entry: QueueEntry, now: int, chosen_by: str = "policy") -> list[Event]:
        """Make way for ``entry``, then grant it the floor.

        An interposed question pauses the speaker it is put to (or ends the question before it, to the same
        speaker); anything else ends the running intervention and a paused one, whose waiting questions lapse.
        """
        self._grantable(now)
        events: list[Event] = []
        current, paused = self.current, self.paused
        if entry.request.kind is Kind.INTERPOSED_QUESTION:
            if current is not None and current.id == entry.request.addressed_to:
                events.append(InterventionPaused(current.id, now))
            elif current is not None:
                events.append(InterventionEnded(current.id, now))
        else:
            for running in (current, paused):
                if running is not None:
                    events += [InterventionEnded(running.id, now), *self._lapse(running.id, now)]
        why = entry.reason if chosen_by == "policy" else reason("called")
        # A question to the speaker has no speaking time of its own: its clock counts up, the chair keeps it short.
        limit = None if entry.request.kind is Kind.INTERPOSED_QUESTION else self._limit_s
        events.append(
            FloorGranted(entry.request.id, f"i{self._n_interventions + 1}", now, limit, self._policy, str(why),
                         why.code, dict(why.params))
        )
        return self._commit(*events)

    def _commit(self, *events: Event) -> list[Event]:
        """Apply validated events and return them."""
        for event in events:
            self.apply(event)
        return list(events)

