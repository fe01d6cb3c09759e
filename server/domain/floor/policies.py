"""Ordering policies for the floor queue: one small class each, one method that picks the next speaker.

A policy sees only the requests it may order (a :class:`QueueView`): points of order, requests the
moderator moved, and rights of reply kept for the end are placed by the queue itself, so a manual
decision is never undone by a policy.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import ClassVar

from ..errors import InvalidInput
from .models import QueueView, Request
from .reasons import Reason, reason


class Policy:
    """Base class: ``next_speaker`` picks, ``reason`` explains, ``projected`` gives the whole order."""

    key: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def next_speaker(self, queue: QueueView) -> Request | None:
        """The request to call next, or ``None`` when nobody is waiting."""
        raise NotImplementedError

    def reason(self, queue: QueueView, chosen: Request) -> Reason:
        """Why ``chosen`` is next in ``queue``, for display."""
        return reason("in_order")

    def projected(self, queue: QueueView) -> list[tuple[Request, Reason]]:
        """The whole order if nobody else asks: each pick is made as if the ones before had spoken."""
        out: list[tuple[Request, Reason]] = []
        while (chosen := self.next_speaker(queue)) is not None:
            out.append((chosen, self.reason(queue, chosen)))
            queue = queue.spoke(chosen)
        return out


def _earliest(requests: tuple[Request, ...] | list[Request]) -> Request | None:
    """The request that arrived first."""
    return min(requests, key=lambda r: r.seq, default=None)


class FirstComeFirstServed(Policy):
    """In order of request."""

    key = "fcfs"
    label = "First come, first served"

    def next_speaker(self, queue: QueueView) -> Request | None:
        """The earliest waiting request."""
        return _earliest(queue.waiting)


class AlternateRoomRemote(Policy):
    """Alternate between the room and remote participants (hubs count as remote)."""

    key = "alternate"
    label = "Alternate room and remote"

    def next_speaker(self, queue: QueueView) -> Request | None:
        """The earliest request from the side that did not speak last, else the earliest."""
        if not queue.history:
            return _earliest(queue.waiting)
        other = [r for r in queue.waiting if r.side != queue.history[-1].side]
        return _earliest(other) or _earliest(queue.waiting)

    def reason(self, queue: QueueView, chosen: Request) -> Reason:
        """Name the alternation, or say why it could not apply."""
        if not queue.history:
            return reason("first_speaker")
        last = queue.history[-1].side
        if chosen.side != last:
            return reason("alternates_room" if last == "room" else "alternates_remote")
        return reason("no_remote_waiting" if last == "room" else "no_room_waiting")


class GroupRoundRobin(Policy):
    """Round-robin across stakeholder groups, the group that spoke least recently first."""

    key = "groups"
    label = "Round-robin by stakeholder group"

    @staticmethod
    def _last_spoke(queue: QueueView) -> dict[str, int]:
        """Index in the history of each group's latest turn."""
        return {turn.group: i for i, turn in enumerate(queue.history)}

    def next_speaker(self, queue: QueueView) -> Request | None:
        """The earliest request of the waiting group whose last turn is oldest (never spoken: first)."""
        if not queue.waiting:
            return None
        last = self._last_spoke(queue)
        # Ties (several groups that never spoke) go to whoever asked first.
        return min(queue.waiting, key=lambda r: (last.get(r.group, -1), r.seq))

    def reason(self, queue: QueueView, chosen: Request) -> Reason:
        """E.g. "Civil society has not spoken since Governments"."""
        last = self._last_spoke(queue)
        name = queue.label(chosen.group)
        if chosen.group not in last:
            return reason("group_first", group=name)
        after = last[chosen.group] + 1
        if after >= len(queue.history):
            return reason("group_spoke_last", group=name)
        return reason("group_since", group=name, other=queue.label(queue.history[after].group))


class NotYetSpokenFirst(Policy):
    """Those who have not spoken in this session first, then first come, first served."""

    key = "new_voices"
    label = "New voices first"

    def next_speaker(self, queue: QueueView) -> Request | None:
        """The earliest request from someone not in the history, else the earliest."""
        spoken = {turn.person_key for turn in queue.history}
        fresh = [r for r in queue.waiting if r.person_key not in spoken]
        return _earliest(fresh) or _earliest(queue.waiting)

    def reason(self, queue: QueueView, chosen: Request) -> Reason:
        """Say whether this is a new voice."""
        if chosen.person_key in {turn.person_key for turn in queue.history}:
            return reason("spoken_already")
        return reason("new_voice")


POLICIES: Mapping[str, type[Policy]] = types.MappingProxyType(
    {cls.key: cls for cls in (FirstComeFirstServed, AlternateRoomRemote, GroupRoundRobin, NotYetSpokenFirst)}
)
"""Policy name → class, for switching by name."""


def make_policy(key: str) -> Policy:
    """The policy called ``key``; raises ``InvalidInput`` for an unknown name."""
    try:
        return POLICIES[key]()
    except KeyError:
        raise InvalidInput("Unknown floor policy \"{policy}\": one of {policies}.", field="policy",
                           params={"policy": str(key), "policies": list(POLICIES)}) from None
