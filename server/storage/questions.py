"""Question boards in SQLite: their events, append-only, which are also the moderation audit log.

A board is never stored as a snapshot. :func:`append` writes the events one action produced in one
``BEGIN IMMEDIATE`` transaction, and :func:`load_events` reads them back in order for
``QuestionBoard.replay``, so the board after a restart is the board before it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..domain.questions.events import BoardEvent, QuestionEvent, event_from_dict, event_to_dict
from .db import Database


async def append(db: Database, meeting_id: int, events: Sequence[BoardEvent]) -> None:
    """Store the events of one action, all or none."""
    if not events:
        return
    async with db.write() as conn:
        await conn.executemany(
            "INSERT INTO question_events (meeting_id, session_id, name, question_id, actor_role, actor_label,"
            " actor_participant_id, at_ms, body) VALUES (?,?,?,?,?,?,?,?,?)",
            [(meeting_id, e.session_id, e.name, e.question_id if isinstance(e, QuestionEvent) else None,
              e.actor["role"], e.actor["label"], e.actor.get("participant_id"), e.at_ms,
              json.dumps(event_to_dict(e), ensure_ascii=False)) for e in events])


async def load_events(db: Database, meeting_id: int, session_id: str) -> list[BoardEvent]:
    """Every stored event of one session's board, oldest first."""
    rows = await db.fetchall("SELECT body FROM question_events WHERE meeting_id = ? AND session_id = ? ORDER BY id",
                             (meeting_id, session_id))
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
