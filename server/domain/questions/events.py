"""Events of the question board, and their plain-dict form for storage.

Every change to a :class:`~server.domain.questions.QuestionBoard` is one of these events. Each carries
everything needed to apply it again (who, when, what), so replaying the stored list rebuilds the board.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from ..events import Codec, Event, encode

InterventionId = int | str



@dataclasses.dataclass(frozen=True, kw_only=True)
class BoardEvent(Event):
    """Base of the board's events: which session, when (UTC ms) and who (an :meth:`Actor.as_dict`)."""

    session_id: str
    at_ms: int
    actor: dict[str, Any]


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionEvent(BoardEvent):
    """An event about one question."""

    question_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionSubmitted(QuestionEvent):
    """A question was submitted; ``author`` is the participant snapshot."""

    name: ClassVar[str] = "question_submitted"
    author: dict[str, Any]
    text: str
    language: str
    theme: str | None
    show_name: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionEdited(QuestionEvent):
    """The text of a question was changed; earlier texts stay in its revisions."""

    name: ClassVar[str] = "question_edited"
    text: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionWithdrawn(QuestionEvent):
    """The author withdrew a pending question."""

    name: ClassVar[str] = "question_withdrawn"


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionPublished(QuestionEvent):
    """A question became public; ``auto`` when the session publishes without pre-moderation."""

    name: ClassVar[str] = "question_published"
    auto: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionDismissed(QuestionEvent):
    """A moderator dismissed a question with a reason and an optional note."""

    name: ClassVar[str] = "question_dismissed"
    reason: str
    note: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionPutOnScreen(QuestionEvent):
    """A question is now the one shown on screen."""

    name: ClassVar[str] = "question_put_on_screen"


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionTakenOffScreen(QuestionEvent):
    """A question left the screen and is published again."""

    name: ClassVar[str] = "question_taken_off_screen"


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionAnswered(QuestionEvent):
    """A question was answered, optionally by a floor intervention."""

    name: ClassVar[str] = "question_answered"
    intervention_id: InterventionId | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionReopened(QuestionEvent):
    """An answered or dismissed question went back to ``to`` (published or pending)."""

    name: ClassVar[str] = "question_reopened"
    to: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionsMerged(QuestionEvent):
    """``merged_id`` was merged into ``question_id``, which took over its votes and authors."""

    name: ClassVar[str] = "questions_merged"
    merged_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionVoted(QuestionEvent):
    """A participant upvoted a question; ``votes`` is the count afterwards."""

    name: ClassVar[str] = "question_voted"
    voter_id: int
    votes: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionUnvoted(QuestionEvent):
    """A participant took their vote back; ``votes`` is the count afterwards."""

    name: ClassVar[str] = "question_unvoted"
    voter_id: int
    votes: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionHandedToFloor(QuestionEvent):
    """A question went to the floor: its author speaks (the floor queue makes the request) or it is read aloud."""

    name: ClassVar[str] = "question_handed_to_floor"
    how: str
    author_id: int
    reader: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionInterventionLinked(QuestionEvent):
    """A floor intervention was recorded as taking up this question."""

    name: ClassVar[str] = "question_intervention_linked"
    intervention_id: InterventionId


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuestionSettingsChanged(BoardEvent):
    """A moderator changed the session's question settings."""

    name: ClassVar[str] = "question_settings_changed"
    settings: dict[str, Any]


EVENT_TYPES: tuple[type[BoardEvent], ...] = (
    QuestionSubmitted, QuestionEdited, QuestionWithdrawn, QuestionPublished, QuestionDismissed,
    QuestionPutOnScreen, QuestionTakenOffScreen, QuestionAnswered, QuestionReopened, QuestionsMerged,
    QuestionVoted, QuestionUnvoted, QuestionHandedToFloor, QuestionInterventionLinked, QuestionSettingsChanged,
)  # fmt: skip


CODEC = Codec(EVENT_TYPES, "question")
#: Question events as stored and sent (the shared encoder).
event_to_dict = encode


def event_from_dict(data: Mapping[str, Any]) -> BoardEvent:
    """Rebuild an event from :func:`event_to_dict` output (e.g. read back from storage); raises ``InvalidInput``."""
    return CODEC.decode(data)
