"""Full-text search over every transcript of a meeting with SQLite FTS5.

The caption path does not write to the index. :func:`refresh` brings a meeting's index up to date when someone
searches, reading only what is new since the last search: caption segments by rowid, corrections from the
caption event log by id, and edited versions by id. Raw segments are indexed as version 0, edited ones under
their version number.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ..domain.errors import InvalidInput
from .db import Database, one

#: Markers FTS5 puts around matched words in snippets; control characters never typed in captions.
OPEN, CLOSE = "\x02", "\x03"
MAX_QUERY = 200


class InvalidQuery(InvalidInput):
    """The search text is not a valid full-text query."""

    code = "invalid_query"


async def refresh(db: Database, meeting_id: int) -> int:
    """Index what is new for one meeting; returns the number of rows written to the index."""
    written = 0
    async with db.write() as conn:
        await conn.execute("INSERT OR IGNORE INTO transcript_search_state (meeting_id) VALUES (?)", (meeting_id,))
        async with conn.execute("SELECT segment_rowid, event_id, version_id FROM transcript_search_state"
                                " WHERE meeting_id = ?", (meeting_id,)) as cur:
            seg_mark, event_mark, version_mark = one(await cur.fetchone())
        # Corrections first: a row corrected and new since the last search is indexed once, below.
        async with conn.execute("SELECT id, session_id, lang, payload FROM caption_events WHERE meeting_id = ? AND"
                                " id > ? AND name = 'caption_corrected' ORDER BY id", (meeting_id, event_mark)) as cur:
            corrections = list(await cur.fetchall())
        for c in corrections:
            seq = json.loads(c["payload"]).get("seq")
            async with conn.execute("SELECT rowid, text FROM caption_segments WHERE meeting_id = ? AND session_id = ?"
                                    " AND lang = ? AND seq = ?", (meeting_id, c["session_id"], c["lang"], seq)) as cur:
                row = await cur.fetchone()
            if row is None or row["rowid"] > seg_mark:
                continue
            await conn.execute("DELETE FROM transcript_search WHERE meeting_id = ? AND session_id = ? AND lang = ?"
                               " AND seq = ? AND version = 0", (meeting_id, c["session_id"], c["lang"], seq))
            await conn.execute("INSERT INTO transcript_search (text, meeting_id, session_id, lang, seq, version)"
                               " VALUES (?,?,?,?,?,0)", (row["text"], meeting_id, c["session_id"], c["lang"], seq))
            written += 1
        event_mark = corrections[-1]["id"] if corrections else event_mark
        async with conn.execute("SELECT rowid, session_id, lang, seq, text FROM caption_segments WHERE meeting_id = ?"
                                " AND rowid > ? ORDER BY rowid", (meeting_id, seg_mark)) as cur:
            segments = list(await cur.fetchall())
        await conn.executemany("INSERT INTO transcript_search (text, meeting_id, session_id, lang, seq, version)"
                               " VALUES (?,?,?,?,?,0)",
                               [(s["text"], meeting_id, s["session_id"], s["lang"], s["seq"]) for s in segments])
        written += len(segments)
        seg_mark = segments[-1]["rowid"] if segments else seg_mark
        async with conn.execute("SELECT id, session_id, version, edits FROM transcript_versions WHERE meeting_id = ?"
                                " AND id > ? ORDER BY id", (meeting_id, version_mark)) as cur:
            versions = list(await cur.fetchall())
        rows = [(e["text"], meeting_id, v["session_id"], e["lang"], e["seq"], v["version"])
                for v in versions for e in json.loads(v["edits"])]
        await conn.executemany("INSERT INTO transcript_search (text, meeting_id, session_id, lang, seq, version)"
                               " VALUES (?,?,?,?,?,?)", rows)
        written += len(rows)
        version_mark = versions[-1]["id"] if versions else version_mark
        await conn.execute("UPDATE transcript_search_state SET segment_rowid = ?, event_id = ?, version_id = ?"
                           " WHERE meeting_id = ?", (seg_mark, event_mark, version_mark, meeting_id))
    return written


def snippet_parts(snippet: str) -> list[dict[str, Any]]:
    """A snippet with FTS5 markers as ``{"text", "hit"}`` parts (plain text: the renderer escapes it)."""
    parts: list[dict[str, Any]] = []
    for i, chunk in enumerate(snippet.split(OPEN)):
        hit, _, rest = chunk.partition(CLOSE) if i else ("", "", chunk)
        if hit:
            parts.append({"text": hit.replace(CLOSE, ""), "hit": True})
        if rest:
            parts.append({"text": rest.replace(CLOSE, ""), "hit": False})
    return parts


async def search(db: Database, meeting_id: int, query: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """The best matches for an FTS5 query in a meeting; raises ``InvalidQuery`` for a malformed query."""
    query = query.strip()
    if not query or len(query) > MAX_QUERY:
        raise InvalidQuery(f"type 1 to {MAX_QUERY} characters to search for", field="q")
    await refresh(db, meeting_id)
    try:
        rows = await db.fetchall(
            "SELECT session_id, lang, seq, version, text,"
            f" snippet(transcript_search, 0, '{OPEN}', '{CLOSE}', '…', 16) AS snip"
            " FROM transcript_search WHERE transcript_search MATCH ? AND meeting_id = ?"
            " ORDER BY bm25(transcript_search), session_id, lang, seq, version LIMIT ?",
            (query, meeting_id, limit))
    except sqlite3.OperationalError as exc:
        # fts5 reports "fts5: syntax error near …", "no such column: …", "unterminated string" and the like.
        raise InvalidQuery(f"not a valid search: {exc}. Put words in double quotes to search for them as typed.",
                           field="q") from None
    out = []
    for r in rows:
        parts = snippet_parts(r["snip"])
        out.append({"session_id": r["session_id"], "lang": r["lang"], "seq": r["seq"], "version": r["version"],
                    "text": r["text"], "snippet": parts})
    return out
