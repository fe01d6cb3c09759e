"""Question board: submission, moderation, votes, visibility, records and replay."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from server.domain.errors import DomainError, InvalidTransition, NotAllowed, NotFound, RateLimited
from server.domain.meetings.models import Mode, Participant, Role
from server.domain.questions.board import (
    Actor,
    BoardEvent,
    BoardSettings,
    QuestionAnswered,
    QuestionBoard,
    QuestionDismissed,
    QuestionEvent,
    QuestionHandedToFloor,
    QuestionPublished,
    QuestionPutOnScreen,
    QuestionsMerged,
    QuestionSubmitted,
    QuestionTakenOffScreen,
    QuestionUnvoted,
    QuestionVoted,
    Status,
    TooManyQuestions,
    event_from_dict,
    event_to_dict,
    moderator_view,
    public_view,
    visible_to,
)

NOW = 1_750_000_000_000
THEMES = ("access", "ai")
ALICE = Participant(1, "Alice Achieng", "KICTANet", "KE", "civil", Mode.REMOTE)
BOB = Participant(2, "Bob Braga", "Ministry of Communications", "BR", "government", Mode.ONSITE)
CAROL = Participant(3, "Carol Chen", "Example Corp", "SG", "private", Mode.HUB)
DAVE = Participant(4, "Dave Dube", "University of Zimbabwe", "ZW", "academic", Mode.REMOTE)
MOD = Actor(Role.MODERATOR, "Chair")
A, B, C, D = (Actor.of(p) for p in (ALICE, BOB, CAROL, DAVE))
GUEST = Actor(Role.PARTICIPANT, "guest")  # no participant id: not registered
LABELS = {"civil": "Civil society", "government": "Governments", "private": "Private sector"}


def make_board(**settings: Any) -> QuestionBoard:
    """A board for session ``s1`` with two themes; rate limit off unless asked for."""
    settings.setdefault("rate_limit", 0)
    return QuestionBoard("s1", THEMES, BoardSettings(**settings))


def question_id(event: BoardEvent) -> int:
    """The question an event is about."""
    assert isinstance(event, QuestionEvent)
    return event.question_id


def ask(
    board: QuestionBoard, who: Participant = ALICE, text: str = "What about access?", at: int = NOW, **kw: Any
) -> int:
    """Submit as ``who`` and return the new question's id."""
    events = board.submit(Actor.of(who), who, text, language="en", now=at, **kw)
    return question_id(events[0])


def published(board: QuestionBoard, who: Participant = ALICE, text: str = "Q?", at: int = NOW) -> int:
    """Submit and publish; return the id."""
    qid = ask(board, who, text, at)
    board.publish(MOD, qid, now=at + 1)
    return qid


def refused(board: QuestionBoard, code: str, call: Callable[[], object]) -> DomainError:
    """Assert ``call`` raises a DomainError with ``code`` and leaves the board untouched."""
    before = copy.deepcopy(board)
    with pytest.raises(DomainError) as info:
        call()
    assert info.value.code == code, info.value
    assert board == before
    return info.value


# -- submission ---------------------------------------------------------------------------------


def test_submit_records_a_pending_question_with_author_snapshot() -> None:
    board = make_board()
    events = board.submit(A, ALICE, "  How will AI rules reach small ISPs?  ", language="fr", theme="ai", now=NOW)

    assert [type(e) for e in events] == [QuestionSubmitted]
    q = board.get(question_id(events[0]))
    assert q.status is Status.PENDING
    assert q.text == q.original_text == "How will AI rules reach small ISPs?"
    assert (q.language, q.theme, q.show_name, q.submitted_at) == ("fr", "ai", True, NOW)
    assert q.author == ALICE.snapshot()
    assert q.history == [
        {"action": "question_submitted", "at": NOW, "by": A.as_dict(), "status": "pending"}
    ]
    assert events[0].payload()["author"]["group"] == "civil"


def test_question_ids_increase() -> None:
    board = make_board()
    assert [ask(board), ask(board, BOB), ask(board, CAROL)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("text", "theme", "max_length", "code"),
    [
        ("", None, 500, "text_required"),
        ("   \n\t ", None, 500, "text_required"),
        ("x" * 501, None, 500, "text_too_long"),
        ("x" * 11, None, 10, "text_too_long"),
        ("Fine", "climate", 500, "unknown_theme"),
    ],
)
def test_submit_refusals(text: str, theme: str | None, max_length: int, code: str) -> None:
    board = make_board(max_length=max_length)
    refused(board, code, lambda: board.submit(A, ALICE, text, language="en", theme=theme, now=NOW))
    assert board.next_id == 1


def test_text_at_max_length_after_trimming_is_accepted() -> None:
    board = make_board(max_length=10)
    qid = ask(board, text="  " + "x" * 10 + "  ")
    assert board.get(qid).text == "x" * 10


def test_language_is_required() -> None:
    board = make_board()
    refused(board, "invalid_format", lambda: board.submit(A, ALICE, "Q?", language=" ", now=NOW))


def test_participant_cannot_submit_as_someone_else_but_moderator_can() -> None:
    board = make_board()
    refused(board, "not_allowed", lambda: board.submit(B, ALICE, "Q?", language="en", now=NOW))

    events = board.submit(MOD, BOB, "Card from the room", language="en", now=NOW)
    q = board.get(question_id(events[0]))
    assert q.author["participant_id"] == BOB.id
    assert q.history[0]["by"] == MOD.as_dict()


def test_auto_publish_publishes_on_submit() -> None:
    board = make_board(auto_publish=True)
    events = board.submit(A, ALICE, "Q?", language="en", now=NOW)

    assert [type(e) for e in events] == [QuestionSubmitted, QuestionPublished]
    published_event = events[1]
    assert isinstance(published_event, QuestionPublished) and published_event.auto is True
    assert board.get(1).status is Status.PUBLISHED
    assert visible_to(board.get(1), BOB.id, is_moderator=False)


def test_questions_close_at_the_closing_time() -> None:
    board = make_board(closes_at=NOW + 1000)
    ask(board, at=NOW + 999)
    refused(board, "questions_closed", lambda: ask(board, at=NOW + 1000))
    # A moderator can still enter a question handed in on paper.
    board.submit(MOD, BOB, "Late card", language="en", now=NOW + 5000)
    assert len(board.questions) == 2


def test_moderator_can_close_questions_during_the_session() -> None:
    board = make_board()
    events = board.configure(MOD, BoardSettings(closes_at=NOW + 60_000), now=NOW)
    assert events[0].name == "question_settings_changed"
    refused(board, "questions_closed", lambda: ask(board, at=NOW + 60_000))
    refused(board, "not_allowed", lambda: board.configure(A, BoardSettings(), now=NOW))
    assert board.configure(MOD, board.settings, now=NOW) == []


def test_rate_limit_counts_recent_questions_per_participant() -> None:
    board = make_board(rate_limit=3, rate_window_ms=60_000)
    for offset in (0, 10_000, 20_000):
        ask(board, at=NOW + offset)
    ask(board, BOB, at=NOW + 20_500)  # someone else is not limited

    error = refused(board, "rate_limited", lambda: ask(board, at=NOW + 30_000))
    assert isinstance(error, TooManyQuestions) and isinstance(error, RateLimited)
    assert error.retry_after == 30  # the first question leaves the window at NOW + 60 s
    assert "30 s" in error.message

    refused(board, "rate_limited", lambda: ask(board, at=NOW + 59_999))
    ask(board, at=NOW + 60_000)


def test_rate_limit_rounds_retry_after_up_and_counts_withdrawn_questions() -> None:
    board = make_board(rate_limit=1, rate_window_ms=60_000)
    qid = ask(board)
    board.withdraw(A, qid, now=NOW + 1)
    error = refused(board, "rate_limited", lambda: ask(board, at=NOW + 500))
    assert isinstance(error, TooManyQuestions) and error.retry_after == 60


def test_rate_limit_zero_is_off_and_moderators_are_not_limited() -> None:
    board = make_board(rate_limit=0)
    for _ in range(10):
        ask(board)
    limited = make_board(rate_limit=1)
    for _ in range(3):
        limited.submit(MOD, ALICE, "Card", language="en", now=NOW)
    assert len(board.questions) == 10 and len(limited.questions) == 3


# -- author actions -----------------------------------------------------------------------------


def test_author_edits_pending_question_and_every_revision_is_kept() -> None:
    board = make_board()
    qid = ask(board, text="Frist draft")
    board.edit(A, qid, "First draft", now=NOW + 5)
    board.publish(MOD, qid, now=NOW + 6)
    board.edit(MOD, qid, "First draft, tidied", now=NOW + 7)

    q = board.get(qid)
    assert q.original_text == "Frist draft"
    assert q.text == "First draft, tidied"
    assert [(r["text"], r["at"], r["by"]["label"]) for r in q.revisions] == [
        ("Frist draft", NOW, "Alice Achieng"),
        ("First draft", NOW + 5, "Alice Achieng"),
        ("First draft, tidied", NOW + 7, "Chair"),
    ]
    assert public_view(q)["edited"] is True


def test_edit_refusals() -> None:
    board = make_board()
    qid = ask(board)
    refused(board, "not_allowed", lambda: board.edit(B, qid, "Hijack", now=NOW))
    refused(board, "not_allowed", lambda: board.edit(GUEST, qid, "Hijack", now=NOW))
    refused(board, "text_required", lambda: board.edit(A, qid, "  ", now=NOW))
    board.publish(MOD, qid, now=NOW)
    refused(board, "invalid_transition", lambda: board.edit(A, qid, "Too late", now=NOW))
    refused(board, "not_found", lambda: board.edit(A, 99, "x", now=NOW))


def test_edit_with_same_text_changes_nothing() -> None:
    board = make_board()
    qid = ask(board, text="Same")
    assert board.edit(A, qid, " Same ", now=NOW + 1) == []
    assert len(board.get(qid).revisions) == 1


def test_author_withdraws_pending_question() -> None:
    board = make_board()
    qid = ask(board)
    refused(board, "not_allowed", lambda: board.withdraw(B, qid, now=NOW))
    refused(board, "not_allowed", lambda: board.withdraw(MOD, qid, now=NOW))
    board.withdraw(A, qid, now=NOW + 1)

    q = board.get(qid)
    assert q.status is Status.WITHDRAWN
    assert visible_to(q, ALICE.id, False) and visible_to(q, None, True)
    assert not visible_to(q, BOB.id, False)
    refused(board, "invalid_transition", lambda: board.withdraw(A, qid, now=NOW))
    refused(board, "invalid_transition", lambda: board.publish(MOD, qid, now=NOW))


def test_published_question_cannot_be_withdrawn() -> None:
    board = make_board()
    qid = published(board)
    refused(board, "invalid_transition", lambda: board.withdraw(A, qid, now=NOW + 2))


# -- moderation ---------------------------------------------------------------------------------


def test_full_lifecycle_records_each_change_with_who_and_when() -> None:
    board = make_board()
    qid = ask(board)
    board.publish(MOD, qid, now=NOW + 1)
    board.vote(B, qid, now=NOW + 2)
    board.put_on_screen(MOD, qid, now=NOW + 3)
    board.hand_to_floor(MOD, qid, "read_aloud", now=NOW + 4, reader="Rapporteur")
    events = board.answer(MOD, qid, now=NOW + 5, intervention_id=17)

    assert events == [
        QuestionAnswered(session_id="s1", at_ms=NOW + 5, actor=MOD.as_dict(), question_id=qid, intervention_id=17)
    ]
    q = board.get(qid)
    assert q.status is Status.ANSWERED
    assert q.intervention_ids == [17]
    assert [(h["action"], h["status"], h["at"], h["by"]["label"]) for h in q.history] == [
        ("question_submitted", "pending", NOW, "Alice Achieng"),
        ("question_published", "published", NOW + 1, "Chair"),
        ("question_put_on_screen", "on_screen", NOW + 3, "Chair"),
        ("question_handed_to_floor", "on_screen", NOW + 4, "Chair"),
        ("question_answered", "answered", NOW + 5, "Chair"),
    ]
    assert q.handoffs[0]["reader"] == "Rapporteur"
    assert board.on_screen() is None


MODERATOR_CALLS: list[tuple[str, Callable[[QuestionBoard, Actor, int], object]]] = [
    ("publish", lambda b, who, q: b.publish(who, q, now=NOW)),
    ("dismiss", lambda b, who, q: b.dismiss(who, q, "off_topic", now=NOW)),
    ("put_on_screen", lambda b, who, q: b.put_on_screen(who, q, now=NOW)),
    ("take_off_screen", lambda b, who, q: b.take_off_screen(who, q, now=NOW)),
    ("answer", lambda b, who, q: b.answer(who, q, now=NOW)),
    ("reopen", lambda b, who, q: b.reopen(who, q, now=NOW)),
    ("merge", lambda b, who, q: b.merge(who, q, q + 1, now=NOW)),
    ("hand_to_floor", lambda b, who, q: b.hand_to_floor(who, q, "author_speaks", now=NOW)),
    ("link_intervention", lambda b, who, q: b.link_intervention(who, q, 5, now=NOW)),
]


@pytest.mark.parametrize(("action", "call"), MODERATOR_CALLS, ids=[name for name, _ in MODERATOR_CALLS])
@pytest.mark.parametrize("who", [A, GUEST, Actor(Role.RAPPORTEUR, "Rapporteur", 9), Actor(Role.CAPTIONER, "CART")])
def test_only_moderators_moderate(action: str, call: Callable[[QuestionBoard, Actor, int], object], who: Actor) -> None:
    board = make_board()
    qid = ask(board)
    ask(board, BOB)
    refused(board, "not_allowed", lambda: call(board, who, qid))


def test_admin_may_moderate() -> None:
    board = make_board()
    qid = ask(board)
    board.publish(Actor(Role.ADMIN, "Secretariat"), qid, now=NOW)
    assert board.get(qid).status is Status.PUBLISHED


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("published", lambda b, q: b.publish(MOD, q, now=NOW)),
        ("pending", lambda b, q: b.put_on_screen(MOD, q, now=NOW)),
        ("pending", lambda b, q: b.answer(MOD, q, now=NOW)),
        ("pending", lambda b, q: b.take_off_screen(MOD, q, now=NOW)),
        ("published", lambda b, q: b.take_off_screen(MOD, q, now=NOW)),
        ("pending", lambda b, q: b.reopen(MOD, q, now=NOW)),
        ("published", lambda b, q: b.reopen(MOD, q, now=NOW)),
        ("answered", lambda b, q: b.dismiss(MOD, q, "duplicate", now=NOW)),
        ("dismissed", lambda b, q: b.dismiss(MOD, q, "duplicate", now=NOW)),
        ("answered", lambda b, q: b.answer(MOD, q, now=NOW)),
        ("pending", lambda b, q: b.hand_to_floor(MOD, q, "read_aloud", now=NOW)),
        ("dismissed", lambda b, q: b.hand_to_floor(MOD, q, "author_speaks", now=NOW)),
        ("pending", lambda b, q: b.vote(B, q, now=NOW)),
        ("dismissed", lambda b, q: b.vote(B, q, now=NOW)),
        ("answered", lambda b, q: b.vote(B, q, now=NOW)),
        ("dismissed", lambda b, q: b.unvote(B, q, now=NOW)),
    ],
)
def test_invalid_transitions(setup: str, action: Callable[[QuestionBoard, int], object]) -> None:
    board = make_board()
    qid = ask(board)
    if setup != "pending":
        board.publish(MOD, qid, now=NOW)
        board.vote(B, qid, now=NOW)
    if setup == "answered":
        board.answer(MOD, qid, now=NOW)
    elif setup == "dismissed":
        board.dismiss(MOD, qid, "off_topic", now=NOW)
    error = refused(board, "invalid_transition", lambda: action(board, qid))
    assert isinstance(error, InvalidTransition)


def test_unknown_question_is_not_found() -> None:
    board = make_board()
    error = refused(board, "not_found", lambda: board.publish(MOD, 42, now=NOW))
    assert isinstance(error, NotFound)


def test_only_one_question_on_screen() -> None:
    board = make_board()
    first, second = published(board), published(board, BOB)
    board.put_on_screen(MOD, first, now=NOW + 10)
    events = board.put_on_screen(MOD, second, now=NOW + 20)

    assert [(type(e), question_id(e)) for e in events] == [
        (QuestionTakenOffScreen, first),
        (QuestionPutOnScreen, second),
    ]
    assert board.get(first).status is Status.PUBLISHED
    assert board.on_screen() is board.get(second)
    board.take_off_screen(MOD, second, now=NOW + 30)
    assert board.on_screen() is None and board.get(second).status is Status.PUBLISHED


def test_dismiss_with_reason_and_note_shown_to_author_only() -> None:
    board = make_board()
    qid = published(board)
    board.put_on_screen(MOD, qid, now=NOW + 2)
    events = board.dismiss(MOD, qid, "off_topic", now=NOW + 3, note="  Belongs in the AI session  ")

    assert isinstance(events[0], QuestionDismissed) and events[0].note == "Belongs in the AI session"
    q = board.get(qid)
    assert (q.status, q.dismiss_reason) == (Status.DISMISSED, "off_topic")
    assert board.on_screen() is None
    assert visible_to(q, ALICE.id, False) and not visible_to(q, BOB.id, False)
    view = public_view(q)
    assert view["dismiss_reason"] == "off_topic"
    assert "dismiss_note" not in view and moderator_view(q)["dismiss_note"] == "Belongs in the AI session"


def test_dismiss_refuses_unknown_reason() -> None:
    board = make_board()
    qid = ask(board)
    refused(board, "unknown_reason", lambda: board.dismiss(MOD, qid, "boring", now=NOW))


@pytest.mark.parametrize(
    ("before", "to", "after"),
    [
        ("pending", None, Status.PENDING),  # dismissed before moderation goes back to the queue
        ("published", None, Status.PUBLISHED),
        ("published", "pending", Status.PENDING),
        ("answered", None, Status.PUBLISHED),
        ("answered", "pending", Status.PENDING),
    ],
)
def test_reopen(before: str, to: str | None, after: Status) -> None:
    board = make_board()
    qid = ask(board)
    if before != "pending":
        board.publish(MOD, qid, now=NOW)
    if before == "answered":
        board.answer(MOD, qid, now=NOW)
    else:
        board.dismiss(MOD, qid, "out_of_time", now=NOW)
    board.reopen(MOD, qid, now=NOW + 1, to=to)
    q = board.get(qid)
    assert q.status is after
    assert q.dismiss_reason is None
    assert q.history[-1]["action"] == "question_reopened"


def test_reopen_refuses_unknown_target() -> None:
    board = make_board()
    qid = published(board)
    board.answer(MOD, qid, now=NOW)
    refused(board, "invalid_format", lambda: board.reopen(MOD, qid, now=NOW, to="on_screen"))


# -- votes --------------------------------------------------------------------------------------


def test_vote_once_and_take_it_back() -> None:
    board = make_board()
    qid = published(board)
    events = board.vote(B, qid, now=NOW + 2)
    assert isinstance(events[0], QuestionVoted) and (events[0].voter_id, events[0].votes) == (BOB.id, 1)

    refused(board, "already_voted", lambda: board.vote(B, qid, now=NOW + 3))
    board.vote(C, qid, now=NOW + 3)
    assert board.get(qid).voters == [BOB.id, CAROL.id]

    board.unvote(B, qid, now=NOW + 4)
    assert board.get(qid).voters == [CAROL.id]
    refused(board, "not_voted", lambda: board.unvote(B, qid, now=NOW + 5))


def test_votes_allowed_on_screen() -> None:
    board = make_board()
    qid = published(board)
    board.put_on_screen(MOD, qid, now=NOW)
    board.vote(D, qid, now=NOW)
    assert board.get(qid).votes == 1


def test_unregistered_cannot_vote() -> None:
    board = make_board()
    qid = published(board)
    error = refused(board, "not_allowed", lambda: board.vote(GUEST, qid, now=NOW))
    assert isinstance(error, NotAllowed)


# -- merge --------------------------------------------------------------------------------------


def test_merge_carries_votes_and_authors_to_the_kept_question() -> None:
    board = make_board()
    kept = published(board, ALICE, "Who funds the IGF?")
    dup = published(board, BOB, "Who pays for the IGF?")
    older_dup = ask(board, CAROL, "IGF funding?", show_name=False)
    board.merge(MOD, dup, older_dup, now=NOW + 5)  # a chain: Carol's goes into Bob's first
    for voter, qid in ((C, kept), (D, kept), (C, dup), (A, dup)):
        board.vote(voter, qid, now=NOW + 6)

    events = board.merge(MOD, kept, dup, now=NOW + 10)

    head = {"session_id": "s1", "at_ms": NOW + 10, "actor": MOD.as_dict()}
    assert events == [QuestionsMerged(**head, question_id=kept, merged_id=dup)]
    k, m = board.get(kept), board.get(dup)
    assert k.voters == [CAROL.id, DAVE.id, ALICE.id]  # Carol voted on both; counted once
    assert [c["author"]["participant_id"] for c in k.co_authors] == [BOB.id, CAROL.id]
    assert k.merged_from == [dup]
    assert (m.status, m.dismiss_reason, m.merged_into, m.voters) == (Status.DISMISSED, "duplicate", kept, [])
    assert m.history[-1]["merged_into"] == kept
    assert public_view(m)["merged_into"] == kept
    assert board.counts()["dismissed"]["duplicate"] == 2
    # Co-authors are named publicly only if they chose so.
    assert public_view(k, LABELS)["also_asked_by"] == [
        {"group": "government", "group_label": "Governments", "name": "Bob Braga",
         "organisation": "Ministry of Communications", "country": "BR"},
        {"group": "private", "group_label": "Private sector"},
    ]  # fmt: skip


def test_merged_authors_see_a_pending_kept_question_but_cannot_edit_it() -> None:
    board = make_board()
    kept, dup = ask(board, ALICE), ask(board, BOB)
    board.merge(MOD, kept, dup, now=NOW + 1)
    assert visible_to(board.get(kept), BOB.id, False)
    assert not visible_to(board.get(kept), CAROL.id, False)
    refused(board, "not_allowed", lambda: board.edit(B, kept, "Mine now", now=NOW + 2))


def test_merge_lists_each_co_author_once_and_never_the_author() -> None:
    board = make_board()
    kept = published(board, ALICE, "Original")
    for who in (ALICE, BOB, BOB):
        board.merge(MOD, kept, published(board, who, "Again"), now=NOW + 2)
    k = board.get(kept)
    assert [c["author"]["participant_id"] for c in k.co_authors] == [BOB.id]
    assert len(k.merged_from) == 3


def test_merge_refusals() -> None:
    board = make_board()
    a, b = published(board), published(board, BOB)
    refused(board, "invalid_format", lambda: board.merge(MOD, a, a, now=NOW))
    board.put_on_screen(MOD, b, now=NOW)
    refused(board, "invalid_transition", lambda: board.merge(MOD, a, b, now=NOW))
    board.dismiss(MOD, b, "off_topic", now=NOW)
    refused(board, "invalid_transition", lambda: board.merge(MOD, a, b, now=NOW))
    refused(board, "invalid_transition", lambda: board.merge(MOD, b, a, now=NOW))
    refused(board, "not_found", lambda: board.merge(MOD, a, 99, now=NOW))


def test_merged_question_cannot_be_reopened() -> None:
    board = make_board()
    kept, dup = published(board), published(board, BOB)
    board.merge(MOD, kept, dup, now=NOW)
    refused(board, "invalid_transition", lambda: board.reopen(MOD, dup, now=NOW))


# -- floor --------------------------------------------------------------------------------------


def test_hand_to_floor_author_speaks_then_link_intervention() -> None:
    board = make_board()
    qid = published(board)
    events = board.hand_to_floor(MOD, qid, "author_speaks", now=NOW + 2)

    assert isinstance(events[0], QuestionHandedToFloor)
    assert (events[0].how, events[0].author_id, events[0].reader) == ("author_speaks", ALICE.id, None)
    board.link_intervention(MOD, qid, "int-7", now=NOW + 3)
    refused(board, "already_linked", lambda: board.link_intervention(MOD, qid, "int-7", now=NOW + 4))
    board.answer(MOD, qid, now=NOW + 5, intervention_id="int-7")
    assert board.get(qid).intervention_ids == ["int-7"]


def test_read_aloud_records_the_reader_defaulting_to_the_moderator() -> None:
    board = make_board()
    qid = published(board)
    events = board.hand_to_floor(MOD, qid, "read_aloud", now=NOW + 2)
    handed = events[0]
    assert isinstance(handed, QuestionHandedToFloor) and handed.reader == "Chair"
    refused(board, "invalid_format", lambda: board.hand_to_floor(MOD, qid, "sing", now=NOW))


# -- visibility and views -----------------------------------------------------------------------

VISIBILITY = [
    # status, moderator, author, other participant, anonymous viewer
    ("pending", True, True, False, False),
    ("published", True, True, True, True),
    ("on_screen", True, True, True, True),
    ("answered", True, True, True, True),
    ("dismissed", True, True, False, False),
    ("withdrawn", True, True, False, False),
]


@pytest.mark.parametrize(("status", "moderator", "author", "other", "anonymous"), VISIBILITY)
def test_visibility(status: str, moderator: bool, author: bool, other: bool, anonymous: bool) -> None:
    board = make_board()
    qid = ask(board)
    steps: dict[str, list[Callable[[], object]]] = {
        "pending": [],
        "published": [lambda: board.publish(MOD, qid, now=NOW)],
        "on_screen": [lambda: board.publish(MOD, qid, now=NOW), lambda: board.put_on_screen(MOD, qid, now=NOW)],
        "answered": [lambda: board.publish(MOD, qid, now=NOW), lambda: board.answer(MOD, qid, now=NOW)],
        "dismissed": [lambda: board.dismiss(MOD, qid, "inappropriate", now=NOW)],
        "withdrawn": [lambda: board.withdraw(A, qid, now=NOW)],
    }
    for step in steps[status]:
        step()
    q = board.get(qid)
    assert q.status.value == status
    assert visible_to(q, None, is_moderator=True) is moderator
    assert visible_to(q, ALICE.id, is_moderator=False) is author
    assert visible_to(q, BOB.id, is_moderator=False) is other
    assert visible_to(q, None, is_moderator=False) is anonymous


def test_public_view_hides_name_unless_author_chose_to_show_it() -> None:
    board = make_board()
    named = published(board, BOB)
    hidden_id = ask(board, ALICE, "Anonymous question", show_name=False)
    board.publish(MOD, hidden_id, now=NOW)

    hidden = public_view(board.get(hidden_id), LABELS)
    assert hidden["author"] == {"group": "civil", "group_label": "Civil society"}
    assert "Alice" not in json.dumps(hidden) and "KICTANet" not in json.dumps(hidden)
    assert public_view(board.get(named), LABELS)["author"]["name"] == "Bob Braga"
    assert public_view(board.get(hidden_id))["author"]["group_label"] == "civil"  # no labels given: the slug
    # Moderators and records always know who asked.
    assert moderator_view(board.get(hidden_id))["author"] == ALICE.snapshot()


def test_listing_sorts_by_votes_then_age_or_newest_and_filters() -> None:
    board = make_board()
    old = published(board, ALICE, "Old", at=NOW)
    mid = published(board, BOB, "Mid", at=NOW + 10)
    new = published(board, CAROL, "New", at=NOW + 20)
    board.edit(MOD, new, "New", now=NOW + 21)  # no-op, must not reorder
    board.vote(A, new, now=NOW + 30)
    pending = ask(board, DAVE, "Waiting", at=NOW + 40, theme="ai")
    on_ai = ask(board, ALICE, "On AI", at=NOW + 50, theme="ai")

    def ids(**kw: Any) -> list[int]:
        return [q.id for q in board.listing(**kw)]

    assert ids(viewer_participant_id=BOB.id, is_moderator=False) == [new, old, mid]
    assert ids(viewer_participant_id=BOB.id, is_moderator=False, sort="newest") == [new, mid, old]
    assert ids(viewer_participant_id=None, is_moderator=True, sort="newest") == [on_ai, pending, new, mid, old]
    assert ids(viewer_participant_id=DAVE.id, is_moderator=False, theme="ai") == [pending]
    assert ids(viewer_participant_id=ALICE.id, is_moderator=False, theme="ai", sort="newest") == [on_ai]
    assert ids(viewer_participant_id=None, is_moderator=True, statuses=[Status.PENDING]) == [pending, on_ai]
    refused(board, "invalid_format", lambda: board.listing(None, True, sort="random"))


def test_counts_are_per_status_with_dismissals_by_reason() -> None:
    board = make_board()
    ask(board)  # pending
    published(board)  # published
    screen = published(board)
    board.put_on_screen(MOD, screen, now=NOW)
    board.answer(MOD, published(board), now=NOW)
    board.dismiss(MOD, ask(board), "off_topic", now=NOW)
    board.dismiss(MOD, ask(board), "off_topic", now=NOW)
    board.dismiss(MOD, ask(board), "inappropriate", now=NOW)
    board.withdraw(A, ask(board), now=NOW)

    assert board.counts() == {
        "received": 8,
        "pending": 1,
        "published": 2,
        "answered": 1,
        "dismissed": {"duplicate": 0, "off_topic": 2, "already_answered": 0, "inappropriate": 1, "out_of_time": 0},
        "withdrawn": 1,
    }


# -- records ------------------------------------------------------------------------------------


def test_records_keep_author_votes_revisions_and_history() -> None:
    board = make_board()
    qid = ask(board, CAROL, "Hub question", show_name=False, theme="access")
    board.edit(C, qid, "Hub question, edited", now=NOW + 1)
    board.publish(MOD, qid, now=NOW + 2)
    board.vote(A, qid, now=NOW + 3)
    ask(board, BOB, "Second")

    records = board.records()
    assert [r["id"] for r in records] == [qid, 2]
    r = records[0]
    assert r["author"] == CAROL.snapshot() and r["author"]["mode"] == "hub"
    assert (r["status"], r["votes"], r["voters"], r["show_name"]) == ("published", 1, [ALICE.id], False)
    assert r["original_text"] == "Hub question" and len(r["revisions"]) == 2
    assert [h["status"] for h in r["history"]] == ["pending", "pending", "published"]
    json.dumps(records)  # export-ready


# -- events and replay --------------------------------------------------------------------------


def through_json(events: list[BoardEvent]) -> list[BoardEvent]:
    """Events as storage would hand them back: plain dicts through JSON."""
    return [event_from_dict(json.loads(json.dumps(event_to_dict(e)))) for e in events]


def test_events_round_trip_through_plain_dicts() -> None:
    board = make_board()
    events = board.submit(A, ALICE, "Q?", language="en", theme="ai", now=NOW)
    events += board.answer(MOD, published(board), now=NOW, intervention_id=3)

    data = event_to_dict(events[0])
    assert data["name"] == "question_submitted" and data["actor"] == A.as_dict()
    assert through_json(events) == events


def test_event_from_dict_refuses_unknown_or_malformed_events() -> None:
    with pytest.raises(DomainError) as info:
        event_from_dict({"name": "question_teleported"})
    assert info.value.code == "invalid_format"
    with pytest.raises(DomainError) as info:
        event_from_dict({"name": "question_published", "question_id": 1})
    assert info.value.code == "invalid_format"


def test_replay_of_all_events_equals_live_state() -> None:
    initial = BoardSettings(rate_limit=3)
    board = QuestionBoard("s1", THEMES, initial)
    log: list[BoardEvent] = []
    log += board.submit(A, ALICE, "Access in rural areas?", language="en", theme="access", now=NOW)
    log += board.submit(B, BOB, "Rural access?", language="pt", show_name=False, now=NOW + 1)
    log += board.submit(C, CAROL, "AI and jobs?", language="en", theme="ai", now=NOW + 2)
    log += board.edit(B, 2, "Rural access, again?", now=NOW + 3)
    log += board.configure(MOD, BoardSettings(auto_publish=True, rate_limit=3), now=NOW + 4)
    log += board.submit(D, DAVE, "Auto-published?", language="en", now=NOW + 5)
    for qid in (1, 2, 3):
        log += board.publish(MOD, qid, now=NOW + 10 + qid)
    log += board.vote(C, 1, now=NOW + 20)
    log += board.vote(D, 2, now=NOW + 21)
    log += board.vote(A, 2, now=NOW + 22)
    log += board.unvote(A, 2, now=NOW + 23)
    log += board.merge(MOD, 1, 2, now=NOW + 30)
    log += board.put_on_screen(MOD, 1, now=NOW + 31)
    log += board.put_on_screen(MOD, 3, now=NOW + 32)
    log += board.hand_to_floor(MOD, 3, "author_speaks", now=NOW + 33)
    log += board.link_intervention(MOD, 3, 12, now=NOW + 34)
    log += board.answer(MOD, 3, now=NOW + 35, intervention_id=12)
    log += board.dismiss(MOD, 4, "out_of_time", now=NOW + 36, note="Session over")
    log += board.reopen(MOD, 4, now=NOW + 37)

    replayed = QuestionBoard.replay(through_json(log), session_id="s1", themes=THEMES, settings=initial)

    assert replayed == board
    assert replayed.records() == board.records()
    assert replayed.counts() == board.counts()
    assert replayed.next_id == 5
    # A replayed board keeps working: the next id and the rate limit carry over.
    assert ask(replayed, BOB, at=NOW + 40) == 5


# -- properties ---------------------------------------------------------------------------------

PEOPLE = (ALICE, BOB, CAROL, DAVE)
WHO = st.sampled_from(PEOPLE)
TEXTS = st.sampled_from(["Q?", "", "x" * 501]) | st.text(max_size=8)
VOTERS = st.sampled_from(PEOPLE[2:])  # few voters, so the same person often votes on questions later merged


class BoardMachine(RuleBasedStateMachine):
    """Random moderation sessions: refusals change nothing, and the invariants always hold."""

    questions = Bundle("questions")

    @initialize()
    def setup(self) -> None:
        """Start an empty board with the default rate limit and a clock."""
        self.board = QuestionBoard("s1", THEMES, BoardSettings(rate_limit=3, rate_window_ms=10_000))
        self.log: list[BoardEvent] = []
        self.now = NOW

    def attempt(self, call: Callable[[], list[BoardEvent]]) -> list[BoardEvent]:
        """Run an action; on refusal the board must be exactly as before."""
        before = copy.deepcopy(self.board)
        self.now += 1_000
        try:
            events = call()
        except DomainError:
            assert self.board == before
            return []
        self.log += events
        return events

    @rule(target=questions, who=WHO, text=TEXTS, auto=st.booleans())
    def submit(self, who: Participant, text: str, auto: bool) -> object:
        """Someone asks (sometimes with auto-publish on)."""
        if auto != self.board.settings.auto_publish:
            self.log += self.board.configure(MOD, BoardSettings(auto, None, 500, 3, 10_000), now=self.now)
        events = self.attempt(lambda: self.board.submit(Actor.of(who), who, text, language="en", now=self.now))
        return multiple(*[question_id(e) for e in events[:1]])

    @rule(qid=questions)
    def publish(self, qid: int) -> None:
        """A moderator publishes."""
        self.attempt(lambda: self.board.publish(MOD, qid, now=self.now))

    @rule(qid=questions, reason=st.sampled_from(["duplicate", "off_topic", "inappropriate", "nonsense"]))
    def dismiss(self, qid: int, reason: str) -> None:
        """A moderator dismisses."""
        self.attempt(lambda: self.board.dismiss(MOD, qid, reason, now=self.now))

    @rule(who=VOTERS, qid=questions)
    def vote(self, who: Participant, qid: int) -> None:
        """Someone upvotes."""
        self.attempt(lambda: self.board.vote(Actor.of(who), qid, now=self.now))

    @rule(who=VOTERS, qid=questions)
    def unvote(self, who: Participant, qid: int) -> None:
        """Someone takes a vote back."""
        self.attempt(lambda: self.board.unvote(Actor.of(who), qid, now=self.now))

    @rule(kept=questions, merged=questions)
    def merge(self, kept: int, merged: int) -> None:
        """A moderator merges duplicates."""
        self.attempt(lambda: self.board.merge(MOD, kept, merged, now=self.now))

    @rule(qid=questions)
    def put_on_screen(self, qid: int) -> None:
        """A moderator shows a question."""
        self.attempt(lambda: self.board.put_on_screen(MOD, qid, now=self.now))

    @rule(qid=questions)
    def answer(self, qid: int) -> None:
        """A moderator marks a question answered."""
        self.attempt(lambda: self.board.answer(MOD, qid, now=self.now))

    @rule(qid=questions, to=st.sampled_from([None, "published", "pending"]))
    def reopen(self, qid: int, to: str | None) -> None:
        """A moderator reopens."""
        self.attempt(lambda: self.board.reopen(MOD, qid, now=self.now, to=to))

    @rule(who=WHO, qid=questions)
    def participant_moderates(self, who: Participant, qid: int) -> None:
        """A participant tries to publish: always refused."""
        before = copy.deepcopy(self.board)
        with pytest.raises(NotAllowed):
            self.board.publish(Actor.of(who), qid, now=self.now)
        assert self.board == before

    @invariant()
    def votes_are_distinct_voters(self) -> None:
        """Each voter counts once; merged-away questions hold no votes; event counts match state."""
        for q in self.board.questions.values():
            assert public_view(q)["votes"] == len(set(q.voters))
            assert q.merged_into is None or q.voters == []
        last_count: dict[int, int] = {}
        for e in self.log:
            if isinstance(e, QuestionsMerged):
                last_count.pop(e.question_id, None)
                last_count.pop(e.merged_id, None)
            elif isinstance(e, QuestionVoted | QuestionUnvoted):
                last_count[e.question_id] = e.votes
        for qid, votes in last_count.items():
            assert self.board.get(qid).votes == votes

    @invariant()
    def at_most_one_on_screen(self) -> None:
        """The screen shows one question at most."""
        assert sum(q.status is Status.ON_SCREEN for q in self.board.questions.values()) <= 1

    @invariant()
    def merges_link_both_ways(self) -> None:
        """A merged question points at a question that lists it."""
        for q in self.board.questions.values():
            if q.merged_into is not None:
                assert q.status is Status.DISMISSED
                assert q.id in self.board.get(q.merged_into).merged_from

    @invariant()
    def counts_add_up(self) -> None:
        """Every question is in exactly one public bucket."""
        c = self.board.counts()
        assert c["received"] == c["pending"] + c["published"] + c["answered"] + sum(c["dismissed"].values()) + c[
            "withdrawn"
        ] == len(self.board.questions)

    @invariant()
    def replay_equals_live(self) -> None:
        """The stored events rebuild the same board."""
        initial = BoardSettings(rate_limit=3, rate_window_ms=10_000)
        replayed = QuestionBoard.replay(through_json(self.log), session_id="s1", themes=THEMES, settings=initial)
        assert replayed == self.board


TestBoardMachine = BoardMachine.TestCase
TestBoardMachine.settings = hypothesis_settings(stateful_step_count=40, deadline=None)  # examples: the active profile's
