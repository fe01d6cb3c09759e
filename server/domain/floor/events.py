"""Events of the floor queue, and their plain-dict form for the audit table.

Every change to a :class:`~server.domain.floor.FloorQueue` is one of these events. Each carries
everything needed to apply it again, so replaying the stored list rebuilds the live queue exactly;
in particular the policy's choice is recorded in :class:`FloorGranted` rather than recomputed.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from typing import Any

from ..events import Codec, Event, encode


@dataclasses.dataclass(frozen=True)
class FloorRequested(Event):
    """Someone asked for the floor, or the moderator added someone from the room."""

    name = "floor_requested"
    request_id: str
    person: dict[str, Any]
    kind: str
    at_ms: int
    added_by: str = "participant"  # "participant" or "moderator"
    theme: str | None = None
    language: str | None = None
    reply_to: str | None = None  # intervention id a right of reply answers
    placement: str | None = None  # right of reply only: "now" or "end"
    on_behalf_of: str | None = None
    question_id: int | str | None = None
    read_by: str | None = None
    addressed_to: str | None = None  # interposed question: the intervention it is put to


@dataclasses.dataclass(frozen=True)
class FloorWithdrawn(Event):
    """A queued request was withdrawn by its speaker or by the moderator, or lapsed.

    An interposed question lapses (``by="lapsed"``) when the intervention it was put to ends first.
    """

    name = "floor_withdrawn"
    request_id: str
    at_ms: int
    by: str = "participant"  # "participant", "moderator" or "lapsed"


@dataclasses.dataclass(frozen=True)
class FloorGranted(Event):
    """The moderator gave the floor: the intervention starts now."""

    name = "floor_granted"
    request_id: str
    intervention_id: str
    at_ms: int
    limit_s: int | None
    policy: str
    reason: str
    #: The reason's code and values, so that each page says it in its reader's language (``reasons.TEXTS``).
    reason_code: str = ""
    reason_params: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class FloorDeclined(Event):
    """The person called declined for now; ``returned`` tells whether they kept their place."""

    name = "floor_declined"
    request_id: str
    intervention_id: str
    at_ms: int
    returned: bool


@dataclasses.dataclass(frozen=True)
class InterventionEnded(Event):
    """The current intervention ended."""

    name = "intervention_ended"
    intervention_id: str
    at_ms: int


@dataclasses.dataclass(frozen=True)
class InterventionPaused(Event):
    """The speaker gave way to an interposed question; their clock stops until they resume."""

    name = "intervention_paused"
    intervention_id: str
    at_ms: int


@dataclasses.dataclass(frozen=True)
class InterventionResumed(Event):
    """The interposed question was put: the paused speaker has the floor again, to answer and go on."""

    name = "intervention_resumed"
    intervention_id: str
    at_ms: int


@dataclasses.dataclass(frozen=True)
class FloorPartChanged(Event):
    """The chair moved the session to another part (presentations, panel, debate, closing)."""

    name = "floor_part_changed"
    part: str
    at_ms: int


@dataclasses.dataclass(frozen=True)
class FloorRequestMoved(Event):
    """The moderator moved a queued request to another position."""

    name = "floor_request_moved"
    request_id: str
    from_position: int
    to_position: int
    at_ms: int
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class FloorListClosed(Event):
    """The list of speakers was closed to new requests (points of order still allowed)."""

    name = "floor_list_closed"
    at_ms: int


@dataclasses.dataclass(frozen=True)
class FloorListReopened(Event):
    """The list of speakers was opened again."""

    name = "floor_list_reopened"
    at_ms: int


@dataclasses.dataclass(frozen=True)
class FloorPolicyChanged(Event):
    """The ordering policy was switched."""

    name = "floor_policy_changed"
    policy: str
    at_ms: int


@dataclasses.dataclass(frozen=True)
class FloorTimeLimitSet(Event):
    """The speaking time limit for later interventions was set (``None``: no limit)."""

    name = "floor_time_limit_set"
    seconds: int | None
    at_ms: int


@dataclasses.dataclass(frozen=True)
class FloorGroupBudgetSet(Event):
    """A stakeholder group's floor-time budget was set (``None``: no budget)."""

    name = "floor_group_budget_set"
    group: str
    seconds: int | None
    at_ms: int


FLOOR_EVENTS: Mapping[str, type[Event]] = types.MappingProxyType(
    {
        cls.name: cls
        for cls in (
            FloorRequested,
            FloorWithdrawn,
            FloorGranted,
            FloorDeclined,
            InterventionEnded,
            InterventionPaused,
            InterventionResumed,
            FloorPartChanged,
            FloorRequestMoved,
            FloorListClosed,
            FloorListReopened,
            FloorPolicyChanged,
            FloorTimeLimitSet,
            FloorGroupBudgetSet,
        )
    }
)
"""Wire name → event class, for decoding stored events."""


CODEC = Codec(FLOOR_EVENTS.values(), "floor")
#: The floor's events as stored and sent (the shared encoder).
event_to_dict = encode


def event_from_dict(data: Mapping[str, Any]) -> Event:
    """Rebuild a floor event from :func:`event_to_dict` output; raises ``InvalidInput``."""
    event = CODEC.decode(data)
    if isinstance(event, FloorRequested):
        # JSON has no tuples or frozen dicts; copy so the stored dict cannot alias the event.
        event = dataclasses.replace(event, person=dict(event.person))
    return event
