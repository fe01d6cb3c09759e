"""The question board of one agenda session: submission, moderation, votes, visibility and records.

The board is event-sourced. Every public method validates first, then builds the events that describe
what happened and applies them through :meth:`QuestionBoard.apply`; :meth:`QuestionBoard.replay` runs the
same ``apply`` over stored events, so a replayed board is identical to the live one by construction.
Events are in :mod:`.events`, state and views in :mod:`.models`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any, TypedDict

from ..errors import N_, InvalidInput, InvalidTransition, NotAllowed, NotFound, Term
from ..meetings.models import Participant
from .events import (
    EVENT_TYPES,
    BoardEvent,
    InterventionId,
    QuestionAnswered,
    QuestionDismissed,
    QuestionEdited,
    QuestionEvent,
    QuestionHandedToFloor,
    QuestionInterventionLinked,
    QuestionPublished,
    QuestionPutOnScreen,
    QuestionReopened,
    QuestionSettingsChanged,
    QuestionsMerged,
    QuestionSubmitted,
    QuestionTakenOffScreen,
    QuestionUnvoted,
    QuestionVoted,
    QuestionWithdrawn,
    event_from_dict,
    event_to_dict,
)
from .models import (
    CSV_COLUMNS,
    PUBLIC_STATUSES,
    VOTABLE_STATUSES,
    Actor,
    BoardSettings,
    DismissReason,
    HandOff,
    Question,
    Status,
    TooManyQuestions,
    csv_row,
    moderator_view,
    public_view,
    visible_to,
)

__all__ = [
    "CSV_COLUMNS", "EVENT_TYPES", "PUBLIC_STATUSES", "VOTABLE_STATUSES", "Actor", "BoardEvent", "BoardSettings",
    "DismissReason", "HandOff", "InterventionId", "Question", "QuestionAnswered", "QuestionBoard",
    "QuestionDismissed", "QuestionEdited", "QuestionEvent", "QuestionHandedToFloor", "QuestionInterventionLinked",
    "QuestionPublished", "QuestionPutOnScreen", "QuestionReopened", "QuestionSettingsChanged", "QuestionSubmitted",
    "QuestionTakenOffScreen", "QuestionUnvoted", "QuestionVoted", "QuestionWithdrawn", "QuestionsMerged", "Status",
    "TooManyQuestions", "csv_row", "event_from_dict", "event_to_dict", "moderator_view", "public_view", "visible_to",
]  # fmt: skip


class _Head(TypedDict):
    """What every board event starts with (see :class:`BoardEvent`)."""

    session_id: str
    at_ms: int
    actor: dict[str, Any]


class _QuestionHead(_Head):
    """What every event about one question starts with (see :class:`QuestionEvent`)."""

    question_id: int


def _clean_text(text: str, max_length: int) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("the question has no text", code="text_required", field="text")
    if len(cleaned) > max_length:
        raise InvalidInput("The question is longer than {max_length} characters.", code="text_too_long", field="text",
                           params={"max_length": max_length})
    return cleaned


def _require_moderator(actor: Actor) -> None:
    if not actor.is_moderator:
        raise NotAllowed("only moderators may do this")


#: Each status as a refusal names it.
_STATUS_NAMES = {Status.PENDING: N_("pending"), Status.PUBLISHED: N_("published"), Status.ON_SCREEN: N_("on screen"),
                 Status.ANSWERED: N_("answered"), Status.DISMISSED: N_("dismissed"),
                 Status.WITHDRAWN: N_("withdrawn")}


def _require_status(question: Question, allowed: Iterable[Status], action: str) -> None:
    """Refuse ``action`` (a phrase marked with ``N_``) unless the question is in one of the ``allowed`` states."""
    if question.status not in allowed:
        raise InvalidTransition("Question {id} cannot be acted on now ({action}): its status is \"{status}\".",
                                params={"id": str(question.id), "action": Term(action),
                                        "status": Term(_STATUS_NAMES[question.status])})


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
            raise NotFound("There is no question {id} in this session.", params={"id": str(question_id)}) from None

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
            raise InvalidInput("Unknown sort \"{sort}\".", field="sort", params={"sort": sort})
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
            raise InvalidInput("Unknown theme \"{theme}\": choose one from the list.", code="unknown_theme",
                               field="theme", params={"theme": theme})
        if not language.strip():
            raise InvalidInput("the question's language is required", field="language")
        if not actor.is_moderator:
            self._check_open(now)
            self._check_rate(author.id, now)
        head: _QuestionHead = {
            "session_id": self.session_id, "at_ms": now, "actor": actor.as_dict(), "question_id": self.next_id,
        }
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
            _require_status(q, set(Status) - {Status.WITHDRAWN}, N_("edit"))
        else:
            self._require_author(actor, q)
            _require_status(q, {Status.PENDING}, N_("edit"))
        cleaned = _clean_text(text, self.settings.max_length)
        if cleaned == q.text:
            return []
        return self._emit([QuestionEdited(**self._head(actor, q, now), text=cleaned)])

    def withdraw(self, actor: Actor, question_id: int, *, now: int) -> list[BoardEvent]:
        """The author takes back a pending question."""
        q = self.get(question_id)
        self._require_author(actor, q)
        _require_status(q, {Status.PENDING}, N_("withdraw"))
        return self._emit([QuestionWithdrawn(**self._head(actor, q, now))])

    def vote(self, actor: Actor, question_id: int, *, now: int) -> list[BoardEvent]:
        """A registered participant upvotes a published or on-screen question, once."""
        q = self.get(question_id)
        voter = self._require_registered(actor)
        _require_status(q, VOTABLE_STATUSES, N_("vote on"))
        if voter in q.voters:
            raise InvalidTransition("you already voted for this question", code="already_voted")
        return self._emit([QuestionVoted(**self._head(actor, q, now), voter_id=voter, votes=q.votes + 1)])

    def unvote(self, actor: Actor, question_id: int, *, now: int) -> list[BoardEvent]:
        """A participant takes their vote back while the question is still votable."""
        q = self.get(question_id)
        voter = self._require_registered(actor)
        _require_status(q, VOTABLE_STATUSES, N_("unvote"))
        if voter not in q.voters:
            raise InvalidTransition("you have not voted for this question", code="not_voted")
        return self._emit([QuestionUnvoted(**self._head(actor, q, now), voter_id=voter, votes=q.votes - 1)])

    # -- moderator actions --

    def publish(self, actor: Actor, question_id: int, *, now: int) -> list[BoardEvent]:
        """Make a pending question public."""
        _require_moderator(actor)
        q = self.get(question_id)
        _require_status(q, {Status.PENDING}, N_("publish"))
        return self._emit([QuestionPublished(**self._head(actor, q, now))])

    def dismiss(self, actor: Actor, question_id: int, reason: str, *, now: int, note: str = "") -> list[BoardEvent]:
        """Dismiss a pending, published or on-screen question with a reason from :class:`DismissReason`."""
        _require_moderator(actor)
        q = self.get(question_id)
        why = self._reason(reason)
        _require_status(q, {Status.PENDING, Status.PUBLISHED, Status.ON_SCREEN}, N_("dismiss"))
        return self._emit([QuestionDismissed(**self._head(actor, q, now), reason=why.value, note=note.strip())])

    def put_on_screen(self, actor: Actor, question_id: int, *, now: int) -> list[BoardEvent]:
        """Show a published question; the one on screen before goes back to published."""
        _require_moderator(actor)
        q = self.get(question_id)
        _require_status(q, {Status.PUBLISHED}, N_("put on screen"))
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
        _require_status(q, {Status.ON_SCREEN}, N_("take off screen"))
        return self._emit([QuestionTakenOffScreen(**self._head(actor, q, now))])

    def answer(
        self, actor: Actor, question_id: int, *, now: int, intervention_id: InterventionId | None = None
    ) -> list[BoardEvent]:
        """Mark a published or on-screen question answered, optionally by a floor intervention."""
        _require_moderator(actor)
        q = self.get(question_id)
        _require_status(q, {Status.PUBLISHED, Status.ON_SCREEN}, N_("answer"))
        return self._emit([QuestionAnswered(**self._head(actor, q, now), intervention_id=intervention_id)])

    def reopen(self, actor: Actor, question_id: int, *, now: int, to: str | None = None) -> list[BoardEvent]:
        """Send an answered or dismissed question back to ``published`` or ``pending``.

        By default it goes back to published if it had ever been published, else to pending. A
        question merged into another cannot be reopened: its votes and authors now belong there.
        """
        _require_moderator(actor)
        q = self.get(question_id)
        _require_status(q, {Status.ANSWERED, Status.DISMISSED}, N_("reopen"))
        if q.merged_into is not None:
            raise InvalidTransition("Question {id} was merged into question {target}.",
                                    params={"id": str(q.id), "target": str(q.merged_into)})
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
        _require_status(kept, {Status.PENDING, Status.PUBLISHED, Status.ON_SCREEN, Status.ANSWERED}, N_("merge into"))
        _require_status(merged, {Status.PENDING, Status.PUBLISHED}, N_("merge"))
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
            raise InvalidInput("Unknown hand-off \"{how}\".", field="how", params={"how": str(how)}) from None
        _require_status(q, {Status.PUBLISHED, Status.ON_SCREEN}, N_("hand to the floor"))
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
            raise InvalidTransition("Intervention {id} is already linked.", code="already_linked",
                                    params={"id": str(intervention_id)})
        return self._emit([QuestionInterventionLinked(**self._head(actor, q, now), intervention_id=intervention_id)])

    def configure(self, actor: Actor, settings: BoardSettings, *, now: int) -> list[BoardEvent]:
        """Replace the session's question settings (closing time, auto-publish, limits)."""
        _require_moderator(actor)
        if settings == self.settings:
            return []
        head: _Head = {"session_id": self.session_id, "at_ms": now, "actor": actor.as_dict()}
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

    def _head(self, actor: Actor, question: Question, now: int) -> _QuestionHead:
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
            raise InvalidInput("Unknown dismissal reason \"{reason}\": choose one from the list.",
                               code="unknown_reason", field="reason", params={"reason": reason}) from None
