"""The question board of one agenda session: submission, moderation, votes, visibility and records.

The board is event-sourced. Every public method validates first, then builds the events that describe
what happened and applies them through :meth:`QuestionBoard.apply`; :meth:`QuestionBoard.replay` runs the
same ``apply`` over stored events, so a replayed board is identical to the live one by construction.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from .errors import InvalidInput, InvalidTransition, NotAllowed, NotFound, RateLimited
from .events import Event
from .meetings import Participant, Role

InterventionId = int | str


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
        super().__init__(f"too many questions; try again in {retry_after} s")
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


# -- events -------------------------------------------------------------------------------------


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


def event_to_dict(event: BoardEvent) -> dict[str, Any]:
    """A plain JSON-ready dict with the wire ``name`` and every field."""
    return {"name": event.name, **event.payload()}


def event_from_dict(data: Mapping[str, Any]) -> BoardEvent:
    """Rebuild an event from :func:`event_to_dict` output (e.g. read back from storage)."""
    fields = dict(data)
    name = fields.pop("name", None)
    for cls in EVENT_TYPES:
        if cls.name == name:
            try:
                return cls(**fields)
            except TypeError as exc:
                raise InvalidInput(f"malformed {name} event: {exc}") from exc
    raise InvalidInput(f"unknown event {name!r}", field="name")


# -- state --------------------------------------------------------------------------------------


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


# -- the board ----------------------------------------------------------------------------------


def _clean_text(text: str, max_length: int) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("the question has no text", code="text_required", field="text")
    if len(cleaned) > max_length:
        raise InvalidInput(f"the question is longer than {max_length} characters", code="text_too_long", field="text")
    return cleaned


def _require_moderator(actor: Actor) -> None:
    if not actor.is_moderator:
        raise NotAllowed("only moderators may do this")


def _require_status(question: Question, allowed: Iterable[Status], action: str) -> None:
    if question.status not in allowed:
        raise InvalidTransition(f"cannot {action} question {question.id} while it is {question.status.value}")


@dataclasses.dataclass
class QuestionBoard:
    """The questions of one agenda session and the rules for moderating them."""

    session_id: str
    themes: tuple[str, ...] = ()
    settings: BoardSettings = dataclasses.field(default_factory=BoardSettings)
    questions: dict[int, Question] = dataclasses.field(default_factory=dict)
    next_id: int = 1

    # -- reading --

    def get(self, question_id: int) -> Question:
        """The question with this id; raises ``NotFound``."""
        try:
            return self.questions[question_id]
        except KeyError:
            raise NotFound(f"no question {question_id} in this session") from None

    def on_screen(self) -> Question | None:
        """The question currently on screen, if any."""
        return next((q for q in self.questions.values() if q.status is Status.ON_SCREEN), None)

    def listing(
        self,
        viewer_participant_id: int | None,
        is_moderator: bool,
        *,
        sort: str = "votes",
        theme: str | None = None,
        statuses: Iterable[Status] | None = None,
    ) -> list[Question]:
        """Questions this viewer may see, by votes (ties: older first) or ``newest`` first, optionally filtered."""
        if sort not in ("votes", "newest"):
            raise InvalidInput(f"unknown sort {sort!r}", field="sort")
        wanted = set(statuses) if statuses is not None else None
        found = [
            q
            for q in self.questions.values()
            if visible_to(q, viewer_participant_id, is_moderator)
            and (theme is None or q.theme == theme)
            and (wanted is None or q.status in wanted)
        ]
        if sort == "votes":
            return sorted(found, key=lambda q: (-q.votes, q.submitted_at, q.id))
        return sorted(found, key=lambda q: (-q.submitted_at, -q.id))

    def counts(self) -> dict[str, Any]:
        """Public transparency figures; each question is in exactly one bucket (on screen counts as published)."""
        by_status = {s: 0 for s in Status}
        dismissed = {r.value: 0 for r in DismissReason}
        for q in self.questions.values():
            by_status[q.status] += 1
            if q.status is Status.DISMISSED and q.dismiss_reason is not None:
                dismissed[q.dismiss_reason.value] += 1
        return {
            "received": len(self.questions),
            "pending": by_status[Status.PENDING],
            "published": by_status[Status.PUBLISHED] + by_status[Status.ON_SCREEN],
            "answered": by_status[Status.ANSWERED],
            "dismissed": dismissed,
            "withdrawn": by_status[Status.WITHDRAWN],
        }

    def records(self) -> list[dict[str, Any]]:
        """Every question as an export-ready dict, in submission order."""
        return [moderator_view(self.questions[i]) for i in sorted(self.questions)]

    def to_csv_rows(self) -> list[list[str]]:
        """A header row then one row per question, ready for ``csv.writer(...).writerows``."""
        rows = [list(CSV_COLUMNS)]
        for r in self.records():
            a = r["author"]
            values = (
                r["id"], r["session_id"], r["status"], r["submitted_at"], a["name"], a["organisation"],
                a["country"], a["group"], a["mode"], r["show_name"], r["language"], r["theme"] or "", r["text"],
                r["original_text"], r["votes"], r["dismiss_reason"] or "", r["dismiss_note"],
                r["merged_into"] if r["merged_into"] is not None else "",
                "; ".join(c["author"]["name"] for c in r["co_authors"]),
                "; ".join(str(i) for i in r["intervention_ids"]),
            )  # fmt: skip
            rows.append([str(v) for v in values])
        return rows

    # -- participant actions --

    def submit(
        self,
        actor: Actor,
        author: Participant,
        text: str,
        *,
        language: str,
        now: int,
        theme: str | None = None,
        show_name: bool = True,
    ) -> list[BoardEvent]:
        """Submit a question; a moderator may submit for someone else (e.g. a card from the room).

        Closing time and rate limit bind participants only. With ``auto_publish`` the question is
        published at once.
        """
        if not actor.is_moderator and actor.participant_id != author.id:
            raise NotAllowed("participants submit their own questions only")
        cleaned = _clean_text(text, self.settings.max_length)
        theme = theme or None
        if theme is not None and theme not in self.themes:
            raise InvalidInput(f"unknown theme {theme!r}", code="unknown_theme", field="theme")
        if not language.strip():
            raise InvalidInput("the question's language is required", field="language")
        if not actor.is_moderator:
            self._check_open(now)
            self._check_rate(author.id, now)
        head = {"session_id": self.session_id, "at_ms": now, "actor": actor.as_dict(), "question_id": self.next_id}
        events: list[BoardEvent] = [
            QuestionSubmitted(
                **head, author=author.snapshot(), text=cleaned, language=language.strip(), theme=theme,
                show_name=show_name,
            )
        ]  # fmt: skip
        if self.settings.auto_publish:
            events.append(QuestionPublished(**head, auto=True))
        return self._emit(events)

    def edit(self, actor: Actor, question_id: int, text: str, *, now: int) -> list[BoardEvent]:
        """Change the text: its authors while pending, moderators unless withdrawn. Every revision is kept."""
        q = self.get(question_id)
        if actor.is_moderator:
            _require_status(q, set(Status) - {Status.WITHDRAWN}, "edit")
        else:
            self._require_author(actor, q)
            _require_status(q, {Status.PENDING}, "edit")
        cleaned = _clean_text(text, self.settings.max_length)
        if cleaned == q.text:
            return []
        return self._emit([QuestionEdited(**self._head(actor, q, now), text=cleaned)])

    def withdraw(self, actor: Actor, question_id: int, *, now: int) -> list[BoardEvent]:
        """The author takes back a pending question."""
        q = self.get(question_id)
        self._require_author(actor, q)
        _require_status(q, {Status.PENDING}, "withdraw")
        return self._emit([QuestionWithdrawn(**self._head(actor, q, now))])

    def vote(self, actor: Actor, question_id: int, *, now: int) -> list[BoardEvent]:
        """A registered participant upvotes a published or on-screen question, once."""
        q = self.get(question_id)
        voter = self._require_registered(actor)
        _require_status(q, VOTABLE_STATUSES, "vote on")
        if voter in q.voters:
            raise InvalidTransition("you already voted for this question", code="already_voted")
        return self._emit([QuestionVoted(**self._head(actor, q, now), voter_id=voter, votes=q.votes + 1)])

    def unvote(self, actor: Actor, question_id: int, *, now: int) -> list[BoardEvent]:
        """A participant takes their vote back while the question is still votable."""
        q = self.get(question_id)
        voter = self._require_registered(actor)
        _require_status(q, VOTABLE_STATUSES, "unvote")
        if voter not in q.voters:
            raise InvalidTransition("you have not voted for this question", code="not_voted")
        return self._emit([QuestionUnvoted(**self._head(actor, q, now), voter_id=voter, votes=q.votes - 1)])

    # -- moderator actions --

    def publish(self, actor: Actor, question_id: int, *, now: int) -> list[BoardEvent]:
        """Make a pending question public."""
        _require_moderator(actor)
        q = self.get(question_id)
        _require_status(q, {Status.PENDING}, "publish")
        return self._emit([QuestionPublished(**self._head(actor, q, now))])

    def dismiss(self, actor: Actor, question_id: int, reason: str, *, now: int, note: str = "") -> list[BoardEvent]:
        """Dismiss a pending, published or on-screen question with a reason from :class:`DismissReason`."""
        _require_moderator(actor)
        q = self.get(question_id)
        why = self._reason(reason)
        _require_status(q, {Status.PENDING, Status.PUBLISHED, Status.ON_SCREEN}, "dismiss")
        return self._emit([QuestionDismissed(**self._head(actor, q, now), reason=why.value, note=note.strip())])

    def put_on_screen(self, actor: Actor, question_id: int, *, now: int) -> list[BoardEvent]:
        """Show a published question; the one on screen before goes back to published."""
        _require_moderator(actor)
        q = self.get(question_id)
        _require_status(q, {Status.PUBLISHED}, "put on screen")
        events: list[BoardEvent] = []
        current = self.on_screen()
        if current is not None:
            events.append(QuestionTakenOffScreen(**self._head(actor, current, now)))
        events.append(QuestionPutOnScreen(**self._head(actor, q, now)))
        return self._emit(events)

    def take_off_screen(self, actor: Actor, question_id: int, *, now: int) -> list[BoardEvent]:
        """Take the on-screen question off screen, back to published."""
        _require_moderator(actor)
        q = self.get(question_id)
        _require_status(q, {Status.ON_SCREEN}, "take off screen")
        return self._emit([QuestionTakenOffScreen(**self._head(actor, q, now))])

    def answer(
        self, actor: Actor, question_id: int, *, now: int, intervention_id: InterventionId | None = None
    ) -> list[BoardEvent]:
        """Mark a published or on-screen question answered, optionally by a floor intervention."""
        _require_moderator(actor)
        q = self.get(question_id)
        _require_status(q, {Status.PUBLISHED, Status.ON_SCREEN}, "answer")
        return self._emit([QuestionAnswered(**self._head(actor, q, now), intervention_id=intervention_id)])

    def reopen(self, actor: Actor, question_id: int, *, now: int, to: str | None = None) -> list[BoardEvent]:
        """Send an answered or dismissed question back to ``published`` or ``pending``.

        By default it goes back to published if it had ever been published, else to pending. A
        question merged into another cannot be reopened: its votes and authors now belong there.
        """
        _require_moderator(actor)
        q = self.get(question_id)
        _require_status(q, {Status.ANSWERED, Status.DISMISSED}, "reopen")
        if q.merged_into is not None:
            raise InvalidTransition(f"question {q.id} was merged into question {q.merged_into}")
        if to is None:
            target = Status.PUBLISHED if q.ever_published else Status.PENDING
        elif to in (Status.PUBLISHED.value, Status.PENDING.value):
            target = Status(to)
        else:
            raise InvalidInput("a question reopens to published or pending", field="to")
        return self._emit([QuestionReopened(**self._head(actor, q, now), to=target.value)])

    def merge(self, actor: Actor, kept_id: int, merged_id: int, *, now: int) -> list[BoardEvent]:
        """Merge a pending or published duplicate into ``kept_id``, which takes its votes and authors."""
        _require_moderator(actor)
        kept, merged = self.get(kept_id), self.get(merged_id)
        if kept.id == merged.id:
            raise InvalidInput("a question cannot be merged into itself", field="merged_id")
        _require_status(kept, {Status.PENDING, Status.PUBLISHED, Status.ON_SCREEN, Status.ANSWERED}, "merge into")
        _require_status(merged, {Status.PENDING, Status.PUBLISHED}, "merge")
        return self._emit([QuestionsMerged(**self._head(actor, kept, now), merged_id=merged.id)])

    def hand_to_floor(
        self, actor: Actor, question_id: int, how: str, *, now: int, reader: str | None = None
    ) -> list[BoardEvent]:
        """Hand a published or on-screen question to the floor: ``author_speaks`` or ``read_aloud`` by ``reader``."""
        _require_moderator(actor)
        q = self.get(question_id)
        try:
            mode = HandOff(how)
        except ValueError:
            raise InvalidInput(f"unknown hand-off {how!r}", field="how") from None
        _require_status(q, {Status.PUBLISHED, Status.ON_SCREEN}, "hand to the floor")
        who = (reader or actor.label) if mode is HandOff.READ_ALOUD else None
        author_id = q.author["participant_id"]
        event = QuestionHandedToFloor(**self._head(actor, q, now), how=mode.value, author_id=author_id, reader=who)
        return self._emit([event])

    def link_intervention(
        self, actor: Actor, question_id: int, intervention_id: InterventionId, *, now: int
    ) -> list[BoardEvent]:
        """Record that a floor intervention took up this question."""
        _require_moderator(actor)
        q = self.get(question_id)
        if intervention_id in q.intervention_ids:
            raise InvalidTransition(f"intervention {intervention_id} is already linked", code="already_linked")
        return self._emit([QuestionInterventionLinked(**self._head(actor, q, now), intervention_id=intervention_id)])

    def configure(self, actor: Actor, settings: BoardSettings, *, now: int) -> list[BoardEvent]:
        """Replace the session's question settings (closing time, auto-publish, limits)."""
        _require_moderator(actor)
        if settings == self.settings:
            return []
        head = {"session_id": self.session_id, "at_ms": now, "actor": actor.as_dict()}
        return self._emit([QuestionSettingsChanged(**head, settings=dataclasses.asdict(settings))])

    # -- events --

    @classmethod
    def replay(
        cls,
        events: Iterable[BoardEvent],
        *,
        session_id: str,
        themes: Sequence[str] = (),
        settings: BoardSettings | None = None,
    ) -> QuestionBoard:
        """Rebuild a board from its events, starting from the settings it was created with."""
        board = cls(session_id, tuple(themes), settings or BoardSettings())
        for event in events:
            board.apply(event)
        return board

    def apply(self, event: BoardEvent) -> None:
        """Change state by one event. No checks: events are facts already validated."""
        if isinstance(event, QuestionSettingsChanged):
            self.settings = BoardSettings(**event.settings)
            return
        assert isinstance(event, QuestionEvent)
        if isinstance(event, QuestionSubmitted):
            self._add(event)
            return
        q = self.questions[event.question_id]
        entry: dict[str, Any] = {"action": event.name, "at": event.at_ms, "by": dict(event.actor)}
        match event:
            case QuestionEdited(text=text):
                q.text = text
                q.revisions.append({"text": text, "at": event.at_ms, "by": dict(event.actor)})
            case QuestionWithdrawn():
                q.status = Status.WITHDRAWN
            case QuestionPublished(auto=auto):
                q.status, q.ever_published = Status.PUBLISHED, True
                entry["auto"] = auto
            case QuestionDismissed(reason=reason, note=note):
                q.status, q.dismiss_reason, q.dismiss_note = Status.DISMISSED, DismissReason(reason), note
                entry.update(reason=reason, note=note)
            case QuestionPutOnScreen():
                q.status = Status.ON_SCREEN
            case QuestionTakenOffScreen():
                q.status = Status.PUBLISHED
            case QuestionAnswered(intervention_id=link):
                q.status = Status.ANSWERED
                if link is not None and link not in q.intervention_ids:
                    q.intervention_ids.append(link)
                entry["intervention_id"] = link
            case QuestionReopened(to=to):
                q.status, q.dismiss_reason, q.dismiss_note = Status(to), None, ""
            case QuestionsMerged(merged_id=merged_id):
                self._merge(q, self.questions[merged_id], entry)
            case QuestionVoted(voter_id=voter):
                q.voters.append(voter)
                return
            case QuestionUnvoted(voter_id=voter):
                q.voters.remove(voter)
                return
            case QuestionHandedToFloor(how=how, reader=reader):
                q.handoffs.append({"how": how, "reader": reader, "at": event.at_ms, "by": dict(event.actor)})
                entry.update(how=how, reader=reader)
            case QuestionInterventionLinked(intervention_id=link):
                q.intervention_ids.append(link)
                entry["intervention_id"] = link
        entry["status"] = q.status.value
        q.history.append(entry)

    def _add(self, event: QuestionSubmitted) -> None:
        by = dict(event.actor)
        self.questions[event.question_id] = Question(
            id=event.question_id,
            session_id=event.session_id,
            author=dict(event.author),
            text=event.text,
            language=event.language,
            theme=event.theme,
            show_name=event.show_name,
            submitted_at=event.at_ms,
            revisions=[{"text": event.text, "at": event.at_ms, "by": by}],
            history=[{"action": event.name, "at": event.at_ms, "by": by, "status": Status.PENDING.value}],
        )
        self.next_id = max(self.next_id, event.question_id + 1)

    @staticmethod
    def _merge(kept: Question, merged: Question, entry: dict[str, Any]) -> None:
        """Move votes (without double counting) and authors from ``merged`` to ``kept``."""
        kept.voters.extend(v for v in merged.voters if v not in kept.voters)
        known = kept.author_ids()
        for co in [{"author": merged.author, "show_name": merged.show_name}, *merged.co_authors]:
            if co["author"]["participant_id"] not in known:
                known.add(co["author"]["participant_id"])
                kept.co_authors.append({"author": dict(co["author"]), "show_name": co["show_name"]})
        kept.merged_from.append(merged.id)
        merged.voters = []
        merged.status, merged.merged_into = Status.DISMISSED, kept.id
        merged.dismiss_reason, merged.dismiss_note = DismissReason.DUPLICATE, ""
        merged.history.append({**entry, "merged_into": kept.id, "status": merged.status.value})
        entry["merged_id"] = merged.id

    def _emit(self, events: list[BoardEvent]) -> list[BoardEvent]:
        for event in events:
            self.apply(event)
        return events

    # -- checks --

    def _head(self, actor: Actor, question: Question, now: int) -> dict[str, Any]:
        return {"session_id": self.session_id, "at_ms": now, "actor": actor.as_dict(), "question_id": question.id}

    def _check_open(self, now: int) -> None:
        closes_at = self.settings.closes_at
        if closes_at is not None and now >= closes_at:
            raise InvalidTransition("questions are closed for this session", code="questions_closed")

    def _check_rate(self, participant_id: int, now: int) -> None:
        limit, window = self.settings.rate_limit, self.settings.rate_window_ms
        if limit == 0:
            return
        # Withdrawn questions count too, so submit-and-withdraw cannot get around the limit.
        recent = sorted(
            q.submitted_at
            for q in self.questions.values()
            if q.author["participant_id"] == participant_id and now - window < q.submitted_at <= now
        )
        if len(recent) >= limit:
            wait_ms = recent[-limit] + window - now
            raise TooManyQuestions(retry_after=max(1, -(-wait_ms // 1000)))

    @staticmethod
    def _require_author(actor: Actor, question: Question) -> None:
        # Only the original author: people whose duplicates were merged in see the question but do not own it.
        if actor.participant_id is None or actor.participant_id != question.author["participant_id"]:
            raise NotAllowed("only the question's author may do this")

    @staticmethod
    def _require_registered(actor: Actor) -> int:
        if actor.participant_id is None:
            raise NotAllowed("only registered participants may vote")
        return actor.participant_id

    @staticmethod
    def _reason(reason: str) -> DismissReason:
        try:
            return DismissReason(reason)
        except ValueError:
            raise InvalidInput(f"unknown dismissal reason {reason!r}", code="unknown_reason", field="reason") from None

