"""Question boards: their events, append-only, which are also the moderation audit log.

A board is never stored as a snapshot. :func:`append` writes the events one action produced in one transaction,
numbered after the ``seq`` the caller's board was built from, and :func:`load_events` reads them back in order for
``QuestionBoard.replay``, so the board after a restart is the board before it. The numbers are unique per session:
an append from a board another process has since moved past raises ``StorageConflict``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ..domain.questions.events import BoardEvent, QuestionEvent, event_from_dict, event_to_dict
from .floor import hold_session, last_seq
from .interface import Database, Transaction


async def append(db: Database, meeting_id: int, events: Sequence[BoardEvent], *, after_seq: int | None = None) -> None:
    """Store the events of one action (all of one session), all or none.

    :param after_seq: the number of the last event the caller's board was built from; the events are numbered
        from the next one, and ``StorageConflict`` is raised if another writer has stored that number already.
        ``None`` appends after whatever is stored.
    """
    if not events:
        return
    session_id = events[0].session_id
    assert all(e.session_id == session_id for e in events), "one action changes one session's board"
    async with db.write() as conn:
        start = await last_seq(conn, "question_events", meeting_id, session_id) if after_seq is None else after_seq
        await _insert(conn, meeting_id, events, start)


async def _insert(conn: Transaction, meeting_id: int, events: Sequence[BoardEvent], after_seq: int) -> None:
    await conn.executemany(
        "INSERT INTO question_events (meeting_id, session_id, seq, name, question_id, actor_role, actor_label,"
        " actor_participant_id, at_ms, body) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [(meeting_id, e.session_id, n, e.name, e.question_id if isinstance(e, QuestionEvent) else None,
          e.actor["role"], e.actor["label"], e.actor.get("participant_id"), e.at_ms,
          json.dumps(event_to_dict(e), ensure_ascii=False)) for n, e in enumerate(events, after_seq + 1)])


async def change(db: Database, meeting_id: int, session_id: str, after_seq: int,
                 decide: Callable[[list[BoardEvent]], Sequence[BoardEvent]]) -> list[BoardEvent]:
    """One change of a session's board, serialised with every other process's by the store (as
    ``floor.change``: the events stored after ``after_seq`` go to ``decide``, whose events are appended after them,
    in one transaction holding the session); returns what it stored."""
    async with db.write() as conn:
        await hold_session(db, conn, meeting_id, session_id)
        missed = await load_events(conn, meeting_id, session_id, after_seq=after_seq)
        events = list(decide(missed))
        if events:
            assert all(e.session_id == session_id for e in events), "one action changes one session's board"
            await _insert(conn, meeting_id, events, after_seq + len(missed))
    return events


async def load_events(db: Database | Transaction, meeting_id: int, session_id: str, *,
                      after_seq: int = 0) -> list[BoardEvent]:
    """The stored events of one session's board numbered after ``after_seq`` (0: every one), oldest first: a board
    built from the first ``after_seq`` events catches up by applying them."""
    rows = await db.fetchall("SELECT body FROM question_events WHERE meeting_id = ? AND session_id = ? AND seq > ?"
                             " ORDER BY seq", (meeting_id, session_id, after_seq))
    return [event_from_dict(json.loads(r["body"])) for r in rows]


async def audit(db: Database, meeting_id: int, session_id: str, *, after: int = 0,
                limit: int = 1000) -> list[dict[str, Any]]:
    """The audit log of one session: who did what to which question and when, after row ``after``."""
    rows = await db.fetchall(
        "SELECT id, name, question_id, actor_role, actor_label, actor_participant_id, at_ms, body"
        " FROM question_events WHERE meeting_id = ? AND session_id = ? AND id > ? ORDER BY id LIMIT ?",
        (meeting_id, session_id, after, limit))
    out = []
    for r in rows:
        body = json.loads(r["body"])
        details = {k: v for k, v in body.items()
                   if k not in ("name", "session_id", "at_ms", "actor", "question_id", "author")}
        out.append({"id": r["id"], "name": r["name"], "question_id": r["question_id"], "at_ms": r["at_ms"],
                    "actor": {"role": r["actor_role"], "label": r["actor_label"],
                              "participant_id": r["actor_participant_id"]},
                    "details": details})
    return out
