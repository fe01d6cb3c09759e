"""Stored transcript versions: each save of the editor is one append-only row of segment edits.

The raw captions stay as the captioners left them (``caption_segments``); version N is the raw text with the
edits of versions 1..N applied in order, so every version, raw included, can be rebuilt and compared.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..domain.errors import NotFound
from .interface import Database, one


async def save(db: Database, meeting_id: int, session_id: str, edits: list[dict[str, Any]], *, author: str,
               role: str, note: str, now: int) -> int:
    """Store one save as the next version of the session; returns its number."""
    async with db.write() as conn:
        number = int(one(await conn.fetchone("SELECT COALESCE(MAX(version), 0) + 1 FROM transcript_versions WHERE"
                                             " meeting_id = ? AND session_id = ?", (meeting_id, session_id)))[0])
        await conn.execute("INSERT INTO transcript_versions (meeting_id, session_id, version, author, role, note,"
                           " created_ms, edits) VALUES (?,?,?,?,?,?,?,?)",
                           (meeting_id, session_id, number, author, role, note, now,
                            json.dumps(edits, ensure_ascii=False)))
    return number


async def versions(db: Database, meeting_id: int, session_id: str) -> list[dict[str, Any]]:
    """Every version of a session, oldest first: number, author, time, note and what it changed."""
    rows = await db.fetchall("SELECT version, author, role, note, created_ms, edits FROM transcript_versions"
                             " WHERE meeting_id = ? AND session_id = ? ORDER BY version", (meeting_id, session_id))
    out = []
    for r in rows:
        edits = json.loads(r["edits"])
        out.append({"version": r["version"], "author": r["author"], "role": r["role"], "note": r["note"],
                    "created_ms": r["created_ms"], "edits": len(edits),
                    "languages": sorted({e["lang"] for e in edits})})
    return out


async def edits_upto(db: Database, meeting_id: int, session_id: str, version: int | None) -> list[list[dict]]:
    """The edit lists of versions 1..``version`` (``None``: every version); raises ``NotFound`` past the last."""
    rows = await db.fetchall("SELECT version, edits FROM transcript_versions WHERE meeting_id = ? AND session_id = ?"
                             " ORDER BY version", (meeting_id, session_id))
    if version is not None and version > len(rows):
        raise NotFound("This transcript has no version {version} (the latest is {latest}).", code="unknown_version",
                       params={"version": version, "latest": len(rows)})
    return [json.loads(r["edits"]) for r in rows if version is None or r["version"] <= version]


async def latest(db: Database, meeting_id: int, session_id: str) -> int:
    """The number of the latest version (0: only the raw captions)."""
    row = await db.fetchone("SELECT COALESCE(MAX(version), 0) AS n FROM transcript_versions WHERE meeting_id = ?"
                            " AND session_id = ?", (meeting_id, session_id))
    return int(row["n"]) if row else 0


async def presenters(db: Database, meeting_id: int, session_id: str) -> set[int]:
    """Participant ids the rapporteur marked as presenters of a session."""
    rows = await db.fetchall("SELECT participant_id FROM transcript_presenters WHERE meeting_id = ? AND"
                             " session_id = ?", (meeting_id, session_id))
    return {r["participant_id"] for r in rows}


async def set_presenters(db: Database, meeting_id: int, session_id: str, participant_ids: Iterable[int]) -> None:
    """Replace the presenters of a session."""
    async with db.write() as conn:
        await conn.execute("DELETE FROM transcript_presenters WHERE meeting_id = ? AND session_id = ?",
                           (meeting_id, session_id))
        await conn.executemany("INSERT INTO transcript_presenters (meeting_id, session_id, participant_id)"
                               " VALUES (?,?,?)", [(meeting_id, session_id, p) for p in sorted(set(participant_ids))])
