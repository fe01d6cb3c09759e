"""The audit log of privileged actions: written in the transaction of the action itself, never changed."""

from __future__ import annotations

import json
from typing import Any

from .interface import Database, Transaction


async def record(conn: Transaction, meeting_id: int, session_id: str | None, action: str, actor: str,
                 detail: dict[str, Any], now: int) -> None:
    """Append one row inside the caller's open write transaction."""
    await conn.execute(
        "INSERT INTO audit_log (meeting_id, session_id, action, actor, detail, at_ms) VALUES (?,?,?,?,?,?)",
        (meeting_id, session_id, action, actor, json.dumps(detail, sort_keys=True), now))


async def recent(db: Database, meeting_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """The newest rows of a meeting's audit log, newest first."""
    rows = await db.fetchall("SELECT id, session_id, action, actor, detail, at_ms FROM audit_log WHERE meeting_id = ?"
                             " ORDER BY id DESC LIMIT ?", (meeting_id, limit))
    return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]
