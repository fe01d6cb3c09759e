"""Floor queues: their events, append-only, which are also the moderator audit log.

A queue is never stored as a snapshot. :func:`append` writes the events one action produced in one transaction,
numbered after the ``seq`` the caller's copy of the queue was built from, and :func:`load_events` reads them back
in order for ``FloorQueue.replay``, so the list of speakers after a restart is the list before it. The numbers are
unique per session: an append from a copy another process has since moved past raises ``StorageConflict``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..domain.events import Event
from ..domain.floor.events import event_from_dict, event_to_dict
from .interface import Database, Transaction, one


async def last_seq(conn: Transaction | Database, table: str, meeting_id: int, session_id: str) -> int:
    """The number of the last event of a session's log (0: none yet); ``table`` is one of the two event logs."""
    assert table in ("floor_events", "question_events")
    row = one(await conn.fetchone(f"SELECT COALESCE(MAX(seq), 0) FROM {table} WHERE meeting_id = ? AND"
                                  " session_id = ?", (meeting_id, session_id)))
    return int(row[0])


async def append(db: Database, meeting_id: int, session_id: str, events: Sequence[Event],
                 actor: Mapping[str, Any], *, after_seq: int | None = None) -> None:
    """Store the events of one action, all or none; ``actor`` is ``{role, label, participant_id}``.

    :param after_seq: the number of the last event the caller's queue was built from; the events are numbered
        from the next one, and ``StorageConflict`` is raised if another writer has stored that number already.
        ``None`` appends after whatever is stored.
    """
    if not events:
        return
    async with db.write() as conn:
        start = await last_seq(conn, "floor_events", meeting_id, session_id) if after_seq is None else after_seq
        await _insert(conn, meeting_id, session_id, events, actor, start)


async def _insert(conn: Transaction, meeting_id: int, session_id: str, events: Sequence[Event],
                  actor: Mapping[str, Any], after_seq: int) -> None:
    rows = []
    for n, e in enumerate(events, after_seq + 1):
        body = event_to_dict(e)
        rows.append((meeting_id, session_id, n, e.name, body.get("request_id"), body.get("intervention_id"),
                     actor["role"], actor["label"], actor.get("participant_id"), body["at_ms"],
                     json.dumps(body, ensure_ascii=False)))
    await conn.executemany(
        "INSERT INTO floor_events (meeting_id, session_id, seq, name, request_id, intervention_id, actor_role,"
        " actor_label, actor_participant_id, at_ms, body) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)


async def hold_session(db: Database, conn: Transaction, meeting_id: int, session_id: str) -> None:
    """Make the transaction the only writer of the session's logs until it ends: PostgreSQL locks the session's
    row (other processes' changes of that session wait for the commit); SQLite's write transaction holds the
    whole file already.

    ``NO KEY UPDATE``: rows that only refer to the session (captions, attendance) are written meanwhile.
    """
    if db.dialect == "postgresql":
        await conn.fetchone("SELECT 1 FROM sessions WHERE meeting_id = ? AND id = ? FOR NO KEY UPDATE",
                            (meeting_id, session_id))


async def change(db: Database, meeting_id: int, session_id: str, after_seq: int,
                 decide: Callable[[list[Event]], Sequence[Event]], actor: Mapping[str, Any]) -> list[Event]:
    """One change of a session's floor, serialised with every other process's by the store; returns what it stored.

    In one write transaction holding the session (:func:`hold_session`): reads the events stored after
    ``after_seq`` (other processes' changes the caller's copy has not seen), hands them to ``decide``, which applies
    them to the copy and returns the events of the caller's action (or raises its refusal: nothing is stored), and
    appends those after them.

    :param decide: called once, inside the transaction; keep it pure and quick (the session waits for it).
    """
    async with db.write() as conn:
        await hold_session(db, conn, meeting_id, session_id)
        missed = await load_events(conn, meeting_id, session_id, after_seq=after_seq)
        events = list(decide(missed))
        if events:
            await _insert(conn, meeting_id, session_id, events, actor, after_seq + len(missed))
    return events


async def load_events(db: Database | Transaction, meeting_id: int, session_id: str, *,
                      after_seq: int = 0) -> list[Event]:
    """The stored events of one session's floor queue numbered after ``after_seq`` (0: every one), oldest first:
    a copy built from the first ``after_seq`` events catches up by applying them."""
    rows = await db.fetchall("SELECT body FROM floor_events WHERE meeting_id = ? AND session_id = ? AND seq > ?"
                             " ORDER BY seq", (meeting_id, session_id, after_seq))
    return [event_from_dict(json.loads(r["body"])) for r in rows]


async def audit(db: Database, meeting_id: int, session_id: str, *, after: int = 0,
                limit: int = 1000) -> list[dict[str, Any]]:
    """The audit log of one session's floor: who did what, to which request, and when, after row ``after``."""
    rows = await db.fetchall(
        "SELECT id, name, request_id, intervention_id, actor_role, actor_label, actor_participant_id, at_ms, body"
        " FROM floor_events WHERE meeting_id = ? AND session_id = ? AND id > ? ORDER BY id LIMIT ?",
        (meeting_id, session_id, after, limit))
    out = []
    for r in rows:
        body = json.loads(r["body"])
        details = {k: v for k, v in body.items() if k not in ("name", "at_ms", "request_id", "intervention_id")}
        out.append({"id": r["id"], "name": r["name"], "request_id": r["request_id"],
                    "intervention_id": r["intervention_id"], "at_ms": r["at_ms"],
                    "actor": {"role": r["actor_role"], "label": r["actor_label"],
                              "participant_id": r["actor_participant_id"]},
                    "details": details})
    return out


async def parts(db: Database, meeting_id: int, session_id: str) -> list[dict[str, Any]]:
    """The parts the chair moved the session through, in order: ``{part, start_ms}``."""
    rows = await db.fetchall("SELECT at_ms, body FROM floor_events WHERE meeting_id = ? AND session_id = ?"
                             " AND name = 'floor_part_changed' ORDER BY id", (meeting_id, session_id))
    return [{"part": json.loads(r["body"])["part"], "start_ms": r["at_ms"]} for r in rows]


_PERSON = ('SELECT p.id AS participant_id, p.name, p.organisation, p.country, p.group_slug AS "group",'
           " p.mode")


async def participant(db: Database, meeting_id: int, participant_id: int) -> dict[str, Any] | None:
    """A registered participant of the meeting as a floor person snapshot, or ``None``."""
    row = await db.fetchone(_PERSON + " FROM participants p WHERE p.meeting_id = ? AND p.id = ?",
                            (meeting_id, participant_id))
    return None if row is None else dict(row)


async def candidates(db: Database, meeting_id: int, session_id: str) -> list[dict[str, Any]]:
    """Whom the chair may call as a presenter: those marked as the session's presenters, then everyone who joined
    the session, each once (``presenter`` tells which)."""
    rows = await db.fetchall(
        _PERSON + ", EXISTS (SELECT 1 FROM transcript_presenters t WHERE t.meeting_id = p.meeting_id"
        " AND t.session_id = ? AND t.participant_id = p.id) AS presenter FROM participants p"
        " WHERE p.meeting_id = ? AND (p.id IN (SELECT participant_id FROM attendance WHERE meeting_id = ?"
        " AND session_id = ?) OR p.id IN (SELECT participant_id FROM transcript_presenters WHERE meeting_id = ?"
        " AND session_id = ?)) ORDER BY presenter DESC, lower(p.name), p.id",
        (session_id, meeting_id, meeting_id, session_id, meeting_id, session_id))
    return [{**dict(r), "presenter": bool(r["presenter"])} for r in rows]
