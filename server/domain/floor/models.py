"""Value types of the floor queue: requests, interventions, the policy's view, timers."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidInput
from ..meetings.models import Mode
from .reasons import Reason


class Kind(str, enum.Enum):
    """What a request for the floor is for."""

    NORMAL = "normal"
    POINT_OF_ORDER = "point_of_order"
    RIGHT_OF_REPLY = "right_of_reply"
    ON_BEHALF = "on_behalf"
    PRESENTATION = "presentation"  # called by the chair; a part of the programme, not a turn in the debate
    INTERPOSED_QUESTION = "interposed_question"  # a short question to the speaker, answered before the list goes on


#: Kinds that are not turns in the debate: the ordering policies do not see them in the history.
NOT_TURNS = frozenset({Kind.POINT_OF_ORDER, Kind.PRESENTATION, Kind.INTERPOSED_QUESTION})


class Part(str, enum.Enum):
    """The part of a session the chair has moved to; interventions are counted per part."""

    PRESENTATIONS = "presentations"
    PANEL = "panel"
    DEBATE = "debate"
    CLOSING = "closing"


class Status(str, enum.Enum):
    """Life of a request: queued, then speaking, then served; or withdrawn / declined out."""

    QUEUED = "queued"
    SPEAKING = "speaking"
    SERVED = "served"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"  # declined a second time: removed from the list


PERSON_FIELDS: tuple[str, ...] = ("participant_id", "name", "organisation", "country", "group", "mode")


def clean_person(person: Any, labels: Mapping[str, str]) -> dict[str, Any]:
    """Check a person snapshot and return it with exactly :data:`PERSON_FIELDS`; raises ``InvalidInput``."""
    if not isinstance(person, Mapping):
        raise InvalidInput("the person must be an object", field="person")
    pid = person.get("participant_id")
    # bool is an int subclass; True as an id is a caller bug, not participant 1.
    if pid is not None and (not isinstance(pid, int) or isinstance(pid, bool)):
        raise InvalidInput("participant_id must be an integer or null", field="participant_id")
    name = person.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("a name is required", field="name")
    group = person.get("group")
    if not isinstance(group, str) or not group:
        raise InvalidInput("a stakeholder group is required", field="group")
    if labels and group not in labels:
        raise InvalidInput("Unknown stakeholder group \"{group}\".", field="group", params={"group": group})
    for key in ("organisation", "country"):
        if not isinstance(person.get(key, ""), str):
            raise InvalidInput("{field} must be text", field=key, params={"field": key})
    try:
        mode = Mode(person.get("mode"))
    except ValueError:
        raise InvalidInput("mode must be onsite, remote or hub", field="mode") from None
    return {
        "participant_id": pid,
        "name": name.strip(),
        "organisation": person.get("organisation", ""),
        "country": person.get("country", ""),
        "group": group,
        "mode": mode.value,
    }


@dataclasses.dataclass
class Request:
    """One request for the floor with the person as they were when asking, and its history."""

    id: str
    person: dict[str, Any]
    kind: Kind
    requested_ms: int
    added_by: str = "participant"
    theme: str | None = None
    language: str | None = None
    reply_to: str | None = None
    placement: str | None = None
    on_behalf_of: str | None = None
    question_id: int | str | None = None
    read_by: str | None = None
    addressed_to: str | None = None  # interposed question: the intervention it is put to
    status: Status = Status.QUEUED
    seq: int = 0  # arrival order; request ids sort as text ("r10" < "r2"), this does not
    at_end: bool = False  # a right of reply kept for the end of the item
    moves: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    declines: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    withdrawn_ms: int | None = None
    withdrawn_by: str | None = None
    called_from: int | None = None  # main-list position when last called, to return there on a decline
    pin_reason: Reason | None = None  # why the moderator's placement holds, shown while pinned

    @property
    def participant_id(self) -> int | None:
        """The registered participant, or ``None`` for someone added from the room."""
        participant_id: int | None = self.person["participant_id"]
        return participant_id

    @property
    def person_key(self) -> str:
        """Who this is for duplicate and "has spoken" checks: room additions are distinct by request."""
        pid = self.participant_id
        return f"p{pid}" if pid is not None else f"req:{self.id}"

    @property
    def group(self) -> str:
        """The stakeholder group slug at the time of the request."""
        return str(self.person["group"])

    @property
    def mode(self) -> Mode:
        """Onsite, remote or hub at the time of the request."""
        return Mode(self.person["mode"])

    @property
    def side(self) -> str:
        """``room`` or ``remote`` (hubs count as remote)."""
        return self.mode.side

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, with enums as their values."""
        out = dataclasses.asdict(self)
        out["kind"] = self.kind.value
        out["status"] = self.status.value
        return out


@dataclasses.dataclass
class Intervention:
    """One granted floor: who spoke, for what, and when."""

    id: str
    request_id: str
    person: dict[str, Any]
    kind: Kind
    requested_ms: int
    called_ms: int
    start_ms: int
    limit_s: int | None
    end_ms: int | None = None
    on_behalf_of: str | None = None
    language: str | None = None
    theme: str | None = None
    reply_to: str | None = None
    question_id: int | str | None = None
    read_by: str | None = None
    part: str | None = None  # the session part when the floor was given
    addressed_to: str | None = None  # interposed question: the intervention it was put to
    paused_ms: int = 0  # time spent paused while interposed questions were put, not floor time
    paused_at: int | None = None  # set while paused

    def duration_ms(self, now: int) -> int:
        """Floor time used, counting a running intervention up to ``now`` and leaving out its pauses."""
        stopped = self.paused_at if self.paused_at is not None else self.end_ms
        end = stopped if stopped is not None else now
        return max(0, end - self.start_ms - self.paused_ms)

    @property
    def wait_ms(self) -> int:
        """Time from asking for the floor to being called."""
        return max(0, self.called_ms - self.requested_ms)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record with the person's fields flattened, for storage and export."""
        out = dataclasses.asdict(self)
        person = out.pop("person")
        out["kind"] = self.kind.value
        return {**person, **out}


@dataclasses.dataclass(frozen=True)
class Turn:
    """One past intervention as the policies see it."""

    person_key: str
    side: str
    group: str
    request_id: str


@dataclasses.dataclass(frozen=True)
class QueueView:
    """What a policy picks from: waiting requests in arrival order and who has spoken, oldest first."""

    waiting: tuple[Request, ...]
    history: tuple[Turn, ...] = ()
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def label(self, group: str) -> str:
        """A group's display label, falling back to its slug."""
        return self.labels.get(group, group)

    def spoke(self, request: Request) -> QueueView:
        """The view after ``request`` has the floor: it stops waiting and joins the history."""
        turn = Turn(request.person_key, request.side, request.group, request.id)
        return dataclasses.replace(
            self,
            waiting=tuple(r for r in self.waiting if r.id != request.id),
            history=(*self.history, turn),
        )


@dataclasses.dataclass(frozen=True)
class QueueEntry:
    """One line of the displayed list: position, request, and why it is there."""

    position: int
    request: Request
    reason: Reason
    tier: str  # "point_of_order", "main" or "end"
    pinned: bool = False  # placed by the moderator; policies order around it


@dataclasses.dataclass(frozen=True)
class Timer:
    """The running intervention's clock at one moment."""

    intervention_id: str
    start_ms: int
    limit_s: int | None
    elapsed_ms: int
    remaining_ms: int | None  # None without a limit; never negative
    overrun_ms: int
    state: str  # "running", "warning" or "overrun"


@dataclasses.dataclass(frozen=True)
class GroupBudget:
    """Floor time used by one stakeholder group against its budget."""

    group: str
    label: str
    budget_ms: int
    used_ms: int

    @property
    def remaining_ms(self) -> int:
        """Budget left, never negative."""
        return max(0, self.budget_ms - self.used_ms)

    @property
    def over(self) -> bool:
        """True once the group has used more than its budget."""
        return self.used_ms > self.budget_ms
