"""The question board's state and options: statuses, actors, settings, questions and their views."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

from ..errors import N_, InvalidInput, RateLimited
from ..meetings.models import Participant, Role
from .events import InterventionId


class Status(str, enum.Enum):
    """Where a question is in its life."""

    PENDING = "pending"
    PUBLISHED = "published"
    ON_SCREEN = "on_screen"
    ANSWERED = "answered"
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"


class DismissReason(str, enum.Enum):
    """Why a moderator dismissed a question; shown to its author and counted publicly."""

    DUPLICATE = "duplicate"
    OFF_TOPIC = "off_topic"
    ALREADY_ANSWERED = "already_answered"
    INAPPROPRIATE = "inappropriate"
    OUT_OF_TIME = "out_of_time"


class HandOff(str, enum.Enum):
    """How a question reaches the floor."""

    AUTHOR_SPEAKS = "author_speaks"
    READ_ALOUD = "read_aloud"


#: Statuses everyone may see; the rest are seen only by moderators and the question's authors.
PUBLIC_STATUSES: frozenset[Status] = frozenset({Status.PUBLISHED, Status.ON_SCREEN, Status.ANSWERED})
#: Statuses in which registered participants may vote and take their vote back.
VOTABLE_STATUSES: frozenset[Status] = frozenset({Status.PUBLISHED, Status.ON_SCREEN})


class TooManyQuestions(RateLimited):
    """Too many questions in a short time; ``retry_after`` says how many seconds to wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(N_("Too many questions: try again in {seconds} s."), params={"seconds": retry_after})
        self.retry_after = retry_after


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who performs an action: a role, a label for the audit trail and, if registered, a participant id."""

    role: Role
    label: str
    participant_id: int | None = None

    @classmethod
    def of(cls, participant: Participant) -> Actor:
        """The actor for a registered participant acting for themself."""
        return cls(Role.PARTICIPANT, participant.name, participant.id)

    @property
    def is_moderator(self) -> bool:
        """True for moderators and admins."""
        return self.role.can(Role.MODERATOR)

    def as_dict(self) -> dict[str, Any]:
        """The audit form stored in events."""
        return {"role": self.role.value, "label": self.label, "participant_id": self.participant_id}


@dataclasses.dataclass(frozen=True)
class BoardSettings:
    """Per-session options; ``rate_limit=0`` or ``closes_at=None`` switch that check off."""

    auto_publish: bool = False
    closes_at: int | None = None
    max_length: int = 500
    rate_limit: int = 3
    rate_window_ms: int = 60_000

    def __post_init__(self) -> None:
        if self.max_length < 1 or self.rate_limit < 0 or self.rate_window_ms < 1:
            raise InvalidInput("max_length and rate_window_ms must be positive, rate_limit not negative")



@dataclasses.dataclass
class Question:
    """One question with everything the records keep: author, revisions, history, voters."""

    id: int
    session_id: str
    author: dict[str, Any]
    text: str
    language: str
    theme: str | None
    show_name: bool
    submitted_at: int
    status: Status = Status.PENDING
    revisions: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    voters: list[int] = dataclasses.field(default_factory=list)
    co_authors: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    merged_from: list[int] = dataclasses.field(default_factory=list)
    merged_into: int | None = None
    dismiss_reason: DismissReason | None = None
    dismiss_note: str = ""
    ever_published: bool = False
    handoffs: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    intervention_ids: list[InterventionId] = dataclasses.field(default_factory=list)

    @property
    def votes(self) -> int:
        """Number of upvotes."""
        return len(self.voters)

    @property
    def original_text(self) -> str:
        """The text as first submitted."""
        return self.revisions[0]["text"] if self.revisions else self.text

    def author_ids(self) -> set[int]:
        """Participant ids of the author and of the authors of questions merged into this one."""
        return {self.author["participant_id"], *(c["author"]["participant_id"] for c in self.co_authors)}


def visible_to(question: Question, viewer_participant_id: int | None, is_moderator: bool) -> bool:
    """Whether a viewer may see a question: public statuses to all, the rest to moderators and its authors."""
    if is_moderator or question.status in PUBLIC_STATUSES:
        return True
    return viewer_participant_id is not None and viewer_participant_id in question.author_ids()


def _public_author(author: Mapping[str, Any], show_name: bool, labels: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"group": author["group"], "group_label": labels.get(author["group"], author["group"])}
    if show_name:
        out.update(name=author["name"], organisation=author["organisation"], country=author["country"])
    return out


def public_view(question: Question, group_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What participants see: the author's name only if they chose to show it, else their stakeholder group."""
    labels = group_labels or {}
    view: dict[str, Any] = {
        "id": question.id,
        "session_id": question.session_id,
        "status": question.status.value,
        "text": question.text,
        "language": question.language,
        "theme": question.theme,
        "votes": question.votes,
        "submitted_at": question.submitted_at,
        "author": _public_author(question.author, question.show_name, labels),
        "also_asked_by": [_public_author(c["author"], c["show_name"], labels) for c in question.co_authors],
        "edited": len(question.revisions) > 1,
    }
    if question.status is Status.DISMISSED:
        view["dismiss_reason"] = question.dismiss_reason.value if question.dismiss_reason else None
        view["merged_into"] = question.merged_into
    return view


def moderator_view(question: Question) -> dict[str, Any]:
    """Everything about a question, as a plain dict (also the export record)."""
    record = dataclasses.asdict(question)
    record["status"] = question.status.value
    record["dismiss_reason"] = question.dismiss_reason.value if question.dismiss_reason else None
    record["votes"] = question.votes
    record["original_text"] = question.original_text
    return record


CSV_COLUMNS: tuple[str, ...] = (
    "id", "session_id", "status", "submitted_at", "author_name", "author_organisation", "author_country",
    "author_group", "author_mode", "show_name", "language", "theme", "text", "original_text", "votes",
    "dismiss_reason", "dismiss_note", "merged_into", "co_authors", "interventions",
)  # fmt: skip


def csv_row(record: Mapping[str, Any]) -> list[str]:
    """One :func:`moderator_view` record flattened to the :data:`CSV_COLUMNS` order."""
    a = record["author"]
    values = (
        record["id"], record["session_id"], record["status"], record["submitted_at"], a["name"], a["organisation"],
        a["country"], a["group"], a["mode"], record["show_name"], record["language"], record["theme"] or "",
        record["text"], record["original_text"], record["votes"], record["dismiss_reason"] or "",
        record["dismiss_note"], "" if record["merged_into"] is None else record["merged_into"],
        "; ".join(c["author"]["name"] for c in record["co_authors"]),
        "; ".join(str(i) for i in record["intervention_ids"]),
    )  # fmt: skip
    return [str(v) for v in values]
