"""Question events in a real SQLite file: written, read back in order, replayed, and never rewritten."""

from __future__ import annotations

import pytest

from server.domain.meetings.models import Mode, Participant, Role
from server.domain.questions.board import Actor, QuestionBoard
from server.storage import questions as questions_db
from server.storage.interface import StorageConflict

ALICE = Participant(1, "Alice <b>", "APC", "ZA", "civil", Mode.REMOTE)
MOD = Actor(Role.MODERATOR, "moderator@morning")


@pytest.fixture
def db(store):
    """The store of the kind the run chose (--database)."""
    return store


async def test_events_round_trip_and_replay_to_the_same_board(db):
    board = QuestionBoard("morning", ("Priorities",))
    events = board.submit(Actor.of(ALICE), ALICE, "First?", language="en", now=1000, theme="Priorities")
    events += board.publish(MOD, 1, now=2000)
    events += board.vote(Actor(Role.PARTICIPANT, "Bob", 2), 1, now=2500)
    events += board.submit(Actor.of(ALICE), ALICE, "Second?", language="fr", now=3000, show_name=False)
    events += board.dismiss(MOD, 2, "off_topic", now=4000, note="Agenda item 3")
    for chunk in (events[:2], events[2:]):
        await questions_db.append(db, 7, chunk)
    await questions_db.append(db, 8, events[:1])  # another meeting's session of the same name stays apart
    loaded = await questions_db.load_events(db, 7, "morning")
    assert loaded == events
    again = QuestionBoard.replay(loaded, session_id="morning", themes=("Priorities",))
    assert again.records() == board.records() and again.counts() == board.counts()
    assert await questions_db.load_events(db, 7, "afternoon") == []


async def test_audit_names_who_did_what_and_when(db):
    board = QuestionBoard("morning")
    await questions_db.append(db, 1, board.submit(Actor.of(ALICE), ALICE, "Why?", language="en", now=10))
    await questions_db.append(db, 1, board.dismiss(MOD, 1, "duplicate", now=20))
    entries = await questions_db.audit(db, 1, "morning")
    assert [(e["name"], e["question_id"], e["actor"]["label"], e["at_ms"]) for e in entries] == [
        ("question_submitted", 1, "Alice <b>", 10), ("question_dismissed", 1, "moderator@morning", 20)]
    assert entries[0]["details"]["text"] == "Why?" and entries[1]["details"]["reason"] == "duplicate"
    assert await questions_db.audit(db, 1, "morning", after=entries[0]["id"]) == entries[1:]


@pytest.mark.parametrize("sql", ["UPDATE question_events SET at_ms = 0", "DELETE FROM question_events"])
async def test_the_log_is_append_only(db, sql):
    board = QuestionBoard("morning")
    await questions_db.append(db, 1, board.submit(Actor.of(ALICE), ALICE, "Why?", language="en", now=10))
    with pytest.raises(Exception, match="append-only"):
        async with db.write() as conn:
            await conn.execute(sql)
    assert len(await questions_db.load_events(db, 1, "morning")) == 1


async def test_nothing_to_store_is_a_no_op(db):
    await questions_db.append(db, 1, [])
    assert await questions_db.audit(db, 1, "morning") == []


async def test_an_append_from_an_out_of_date_board_conflicts_instead_of_forking_the_log(db):
    board = QuestionBoard("morning")
    first = board.submit(Actor.of(ALICE), ALICE, "Why?", language="en", now=10)
    await questions_db.append(db, 1, first, after_seq=0)
    other = QuestionBoard.replay(await questions_db.load_events(db, 1, "morning"), session_id="morning")
    await questions_db.append(db, 1, other.dismiss(MOD, 1, "duplicate", now=20), after_seq=1)
    with pytest.raises(StorageConflict):
        await questions_db.append(db, 1, board.dismiss(MOD, 1, "off_topic", now=30), after_seq=1)
    assert [e.name for e in await questions_db.load_events(db, 1, "morning")] == [
        "question_submitted", "question_dismissed"]
    # What the out-of-date board missed, alone: applied, it is the stored board.
    missed = await questions_db.load_events(db, 1, "morning", after_seq=1)
    assert [e.name for e in missed] == ["question_dismissed"]
    assert await questions_db.load_events(db, 1, "morning", after_seq=2) == []


async def test_a_change_catches_up_with_what_others_stored_and_appends_after_it(db):
    board = QuestionBoard("morning")
    await questions_db.append(db, 1, board.submit(Actor.of(ALICE), ALICE, "Why?", language="en", now=10), after_seq=0)
    other = QuestionBoard.replay(await questions_db.load_events(db, 1, "morning"), session_id="morning")
    await questions_db.append(db, 1, other.publish(MOD, 1, now=20), after_seq=1)  # this board has not seen it

    def decide(missed):
        for event in missed:
            board.apply(event)
        return board.answer(MOD, 1, now=30)  # valid only once the board knows the question is published

    stored = await questions_db.change(db, 1, "morning", 1, decide)
    assert [e.name for e in stored] == ["question_answered"]
    assert [e.name for e in await questions_db.load_events(db, 1, "morning")] == [
        "question_submitted", "question_published", "question_answered"]
