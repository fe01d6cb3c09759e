"""Edited transcript versions: each save of the editor is one append-only row of segment edits.

The raw captions stay as the captioners left them (``caption_segments``); version N is the raw text with the
edits of versions 1..N applied in order, so every version, raw included, can be rebuilt and compared.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..domain.errors import InvalidInput, NotFound
from .db import Database, one

#: Longest segment text and speaker label the editor accepts.
MAX_TEXT = 5000
MAX_SPEAKER = 200
MAX_EDITS = 5000
_WORDS = re.compile(r"\s+|[^\s]+")


@dataclasses.dataclass(frozen=True)
class Line:
    """One segment's editable state: its text and speaker label."""

    lang: str
    seq: int
    text: str
    speaker: str | None


Key = tuple[str, int]


def clean_edits(raw: Any, known: Mapping[Key, Line]) -> list[dict[str, Any]]:
    """Check edits sent by the editor and keep those that change something; raises ``InvalidInput``."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("edits must be a non-empty list", field="edits")
    if len(raw) > MAX_EDITS:
        raise InvalidInput(f"at most {MAX_EDITS} edits per save", field="edits")
    out: dict[Key, dict[str, Any]] = {}
    for i, edit in enumerate(raw):
        if not isinstance(edit, Mapping):
            raise InvalidInput(f"edits[{i}] must be an object", field="edits")
        lang, seq = edit.get("lang"), edit.get("seq")
        if not isinstance(lang, str) or not isinstance(seq, int) or isinstance(seq, bool):
            raise InvalidInput(f"edits[{i}] needs a lang (text) and a seq (integer)", field="edits")
        line = known.get((lang, seq))
        if line is None:
            raise InvalidInput(f"edits[{i}]: no segment {seq} in language {lang!r}", field="edits")
        text = edit.get("text", line.text)
        speaker = edit.get("speaker", line.speaker)
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise InvalidInput(f"edits[{i}].text must be 1 to {MAX_TEXT} characters", field="text")
        if speaker is not None and (not isinstance(speaker, str) or len(speaker) > MAX_SPEAKER):
            raise InvalidInput(f"edits[{i}].speaker must be text of at most {MAX_SPEAKER} characters",
                               field="speaker")
        text = " ".join(text.split())
        speaker = " ".join(speaker.split()) or None if speaker is not None else None
        if (text, speaker) != (line.text, line.speaker):
            out[(lang, seq)] = {"lang": lang, "seq": seq, "text": text, "speaker": speaker}
    return list(out.values())


def apply(base: Mapping[Key, Line], versions: Iterable[Sequence[Mapping[str, Any]]]) -> dict[Key, Line]:
    """The lines after applying each version's edits in order (edits of unknown segments are ignored)."""
    lines = dict(base)
    for edits in versions:
        for e in edits:
            key = (e["lang"], e["seq"])
            if key in lines:
                lines[key] = Line(e["lang"], e["seq"], e["text"], e["speaker"])
    return lines


def word_diff(before: str, after: str) -> list[dict[str, str]]:
    """Word-level differences as ``{"op": "equal" | "del" | "ins", "text"}`` parts (plain text, not HTML)."""
    a, b = _WORDS.findall(before), _WORDS.findall(after)
    parts: list[dict[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append({"op": "equal", "text": "".join(a[i1:i2])})
            continue
        if i2 > i1:
            parts.append({"op": "del", "text": "".join(a[i1:i2])})
        if j2 > j1:
            parts.append({"op": "ins", "text": "".join(b[j1:j2])})
    return parts


def diff(before: Mapping[Key, Line], after: Mapping[Key, Line]) -> list[dict[str, Any]]:
    """Every segment that differs, in (lang, seq) order, with before/after and word-level parts."""
    out = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new or old is None or new is None:
            continue
        out.append({"lang": key[0], "seq": key[1], "before": {"text": old.text, "speaker": old.speaker},
                    "after": {"text": new.text, "speaker": new.speaker},
                    "speaker_changed": old.speaker != new.speaker, "parts": word_diff(old.text, new.text)})
    return out


async def save(db: Database, meeting_id: int, session_id: str, edits: list[dict[str, Any]], *, author: str,
               role: str, note: str, now: int) -> int:
    """Store one save as the next version of the session; returns its number."""
    async with db.write() as conn:
        async with conn.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM transcript_versions WHERE meeting_id = ?"
                                " AND session_id = ?", (meeting_id, session_id)) as cur:
            number: int = one(await cur.fetchone())[0]
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
        raise NotFound(f"this transcript has no version {version} (latest: {len(rows)})", code="unknown_version")
    return [json.loads(r["edits"]) for r in rows if version is None or r["version"] <= version]


async def latest(db: Database, meeting_id: int, session_id: str) -> int:
    """The number of the latest version (0: only the raw captions)."""
    row = await db.fetchone("SELECT COALESCE(MAX(version), 0) AS n FROM transcript_versions WHERE meeting_id = ?"
                            " AND session_id = ?", (meeting_id, session_id))
    return int(row["n"]) if row else 0


def parse_version(raw: str | None) -> int | None:
    """``raw`` → 0, ``latest`` (or nothing) → ``None``, ``N`` → N; raises ``InvalidInput``."""
    if raw in (None, "", "latest"):
        return None
    if raw == "raw":
        return 0
    if raw.isdigit() and len(raw) < 9:
        return int(raw)
    raise InvalidInput("version must be raw, latest or a version number", field="version")


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
