"""Full-text search over every transcript of a meeting: SQLite FTS5, or PostgreSQL's text search.

Both take the same query language (FTS5's: words, "phrases", ``AND``/``OR``/``NOT``, parentheses, ``word*``) and
find raw segments as version 0 (their latest correction) and edited ones under their version number.

SQLite: the caption path does not write to the index. :func:`refresh` brings a meeting's index up to date when
someone searches, reading only what is new since the last search: caption segments by rowid, corrections from the
caption event log by id, and edited versions by id.

PostgreSQL: the query is translated to a ``tsquery`` (:func:`tsquery`) and run over the segments and the saved
versions themselves (an expression index serves the segments), so there is no index to keep up to date. It
matches words as written (no folding of diacritics) and has no ``NEAR``.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from typing import Any

from ..domain.errors import N_, InvalidInput
from .interface import Database, one

#: Markers FTS5 puts around matched words in snippets; control characters never typed in captions.
OPEN, CLOSE = "\x02", "\x03"
MAX_QUERY = 200


#: A query the database's full-text parser refused, with its own (English) words for the problem.
NOT_VALID = N_("Not a valid search ({problem}). Put words in double quotes to search for them as typed.")


class InvalidQuery(InvalidInput):
    """The search text is not a valid full-text query."""

    code = "invalid_query"


async def refresh(db: Database, meeting_id: int) -> int:
    """Index what is new for one meeting; returns the number of rows written to the index (SQLite's FTS5 index;
    PostgreSQL searches the tables themselves and has nothing to refresh)."""
    if db.dialect != "sqlite":
        return 0
    written = 0
    async with db.write() as conn:
        await conn.execute("INSERT OR IGNORE INTO transcript_search_state (meeting_id) VALUES (?)", (meeting_id,))
        seg_mark, event_mark, version_mark = one(await conn.fetchone(
            "SELECT segment_rowid, event_id, version_id FROM transcript_search_state WHERE meeting_id = ?",
            (meeting_id,)))
        # Corrections first: a row corrected and new since the last search is indexed once, below.
        corrections = await conn.fetchall("SELECT id, session_id, lang, payload FROM caption_events WHERE"
                                          " meeting_id = ? AND id > ? AND name = 'caption_corrected' ORDER BY id",
                                          (meeting_id, event_mark))
        for c in corrections:
            seq = json.loads(c["payload"]).get("seq")
            row = await conn.fetchone("SELECT rowid, text FROM caption_segments WHERE meeting_id = ? AND"
                                      " session_id = ? AND lang = ? AND seq = ?",
                                      (meeting_id, c["session_id"], c["lang"], seq))
            if row is None or row["rowid"] > seg_mark:
                continue
            await conn.execute("DELETE FROM transcript_search WHERE meeting_id = ? AND session_id = ? AND lang = ?"
                               " AND seq = ? AND version = 0", (meeting_id, c["session_id"], c["lang"], seq))
            await conn.execute("INSERT INTO transcript_search (text, meeting_id, session_id, lang, seq, version)"
                               " VALUES (?,?,?,?,?,0)", (row["text"], meeting_id, c["session_id"], c["lang"], seq))
            written += 1
        event_mark = corrections[-1]["id"] if corrections else event_mark
        segments = await conn.fetchall("SELECT rowid, session_id, lang, seq, text FROM caption_segments WHERE"
                                       " meeting_id = ? AND rowid > ? ORDER BY rowid", (meeting_id, seg_mark))
        await conn.executemany("INSERT INTO transcript_search (text, meeting_id, session_id, lang, seq, version)"
                               " VALUES (?,?,?,?,?,0)",
                               [(s["text"], meeting_id, s["session_id"], s["lang"], s["seq"]) for s in segments])
        written += len(segments)
        seg_mark = segments[-1]["rowid"] if segments else seg_mark
        versions = await conn.fetchall("SELECT id, session_id, version, edits FROM transcript_versions WHERE"
                                       " meeting_id = ? AND id > ? ORDER BY id", (meeting_id, version_mark))
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
    """The best matches for a query in a meeting; raises ``InvalidQuery`` for a malformed query."""
    query = query.strip()
    if not query or len(query) > MAX_QUERY:
        raise InvalidQuery("Type 1 to {max_length} characters to search for.", field="q",
                           params={"max_length": MAX_QUERY})
    if db.dialect == "postgresql":
        rows = await _search_postgres(db, meeting_id, query, limit)
    else:
        rows = await _search_sqlite(db, meeting_id, query, limit)
    out = []
    for r in rows:
        parts = snippet_parts(r["snip"])
        out.append({"session_id": r["session_id"], "lang": r["lang"], "seq": r["seq"], "version": r["version"],
                    "text": r["text"], "snippet": parts})
    return out


async def _search_sqlite(db: Database, meeting_id: int, query: str, limit: int) -> list[Any]:
    await refresh(db, meeting_id)
    try:
        return await db.fetchall(
            "SELECT session_id, lang, seq, version, text,"
            f" snippet(transcript_search, 0, '{OPEN}', '{CLOSE}', '…', 16) AS snip"
            " FROM transcript_search WHERE transcript_search MATCH ? AND meeting_id = ?"
            " ORDER BY bm25(transcript_search), session_id, lang, seq, version LIMIT ?",
            (query, meeting_id, limit))
    except sqlite3.OperationalError as exc:
        # fts5 reports "fts5: syntax error near …", "no such column: …", "unterminated string" and the like.
        raise InvalidQuery(NOT_VALID, field="q", params={"problem": str(exc)}) from None


#: PostgreSQL's parser reads ``<…>`` as markup (and skips what a ``<script>`` holds); captions are plain text, so
#: angle brackets become private-use characters while searching (the same expression as the index).
_PLAIN = "translate(h.text, '<>', U&'\\E000\\E001')"
_WORD = re.compile(r"\w+")
SNIPPET_WORDS = 16


async def _search_postgres(db: Database, meeting_id: int, query: str, limit: int) -> list[Any]:
    parsed = tsquery(query)
    rows = await db.fetchall(
        "WITH hits AS (SELECT session_id, lang, seq, 0 AS version, text FROM caption_segments WHERE meeting_id = ?"
        " UNION ALL SELECT v.session_id, e->>'lang', (e->>'seq')::bigint, v.version, e->>'text'"
        " FROM transcript_versions v CROSS JOIN LATERAL jsonb_array_elements(v.edits::jsonb) e"
        f" WHERE v.meeting_id = ?), q AS (SELECT {parsed.expr} AS q)"
        " SELECT h.session_id, h.lang, h.seq, h.version, h.text"
        f" FROM hits h, q WHERE to_tsvector('simple', {_PLAIN}) @@ q.q"
        f" ORDER BY ts_rank(to_tsvector('simple', {_PLAIN}), q.q) DESC, h.session_id, h.lang, h.seq, h.version"
        " LIMIT ?", (meeting_id, meeting_id, *parsed.params, limit))
    return [{**dict(r), "snip": snippet(r["text"], parsed)} for r in rows]


def snippet(text: str, query: ParsedQuery, size: int = SNIPPET_WORDS) -> str:
    """Up to ``size`` words of ``text`` around its first match, matched words between FTS5's markers, ``…`` where
    text was cut (the form FTS5's ``snippet()`` gives)."""
    words = list(_WORD.finditer(text))
    if not words:
        return text

    def matches(word: str) -> bool:
        word = word.lower()
        return word in query.words or any(word.startswith(p) for p in query.prefixes)

    hits = [i for i, w in enumerate(words) if matches(w.group())]
    first = max(0, min((hits[0] if hits else 0) - 3, len(words) - size))
    last = min(len(words), first + size)
    start = words[first].start() if first else 0
    end = words[last - 1].end() if last < len(words) else len(text)
    out, at = [], start
    for w in words[first:last]:
        if matches(w.group()):
            out += [text[at:w.start()], OPEN, w.group(), CLOSE]
            at = w.end()
    out.append(text[at:end])
    return ("…" if first else "") + "".join(out) + ("…" if last < len(words) else "")


@dataclasses.dataclass(frozen=True)
class ParsedQuery:
    """A query as a ``tsquery`` expression with its ``?`` parameters, and the words it looks for (to mark them)."""

    expr: str
    params: tuple[str, ...]
    words: frozenset[str]
    prefixes: frozenset[str]


def _tokens(query: str) -> list[tuple[str, str]]:
    """(kind, text) tokens of an FTS5 query: ``phrase``, ``word``, ``prefix``, ``op`` (AND/OR/NOT), ``(``, ``)``."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append((ch, ch))
            i += 1
        elif ch == '"':
            text, i = [], i + 1
            while True:
                if i >= n:
                    raise InvalidQuery("Not a valid search: a double quote is not closed. Close it.",
                                       field="q")
                if query[i] == '"':
                    if i + 1 < n and query[i + 1] == '"':  # "" inside a phrase is a quote mark
                        text.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                text.append(query[i])
                i += 1
            out.append(("phrase", "".join(text)))
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in '()"':
                j += 1
            word = query[i:j]
            if word in ("AND", "OR", "NOT"):
                out.append(("op", word))
            elif word == "NEAR":
                raise InvalidQuery("Not a valid search: NEAR is not supported here.", field="q")
            elif word.endswith("*") and len(word) > 1:
                out.append(("prefix", word[:-1]))
            else:
                out.append(("word", word))
            i = j
    return out


def tsquery(query: str) -> ParsedQuery:
    """An FTS5 query as a PostgreSQL ``tsquery`` expression with ``?`` parameters; raises ``InvalidQuery``.

    Grammar (FTS5's, binding loosest first): ``OR``, then ``AND`` (or nothing between two terms), then ``NOT``.
    """
    tokens = _tokens(query)
    params: list[str] = []
    pos = 0

    def bad(message: str, **values: object) -> InvalidQuery:
        return InvalidQuery(message, field="q", params=values)

    def peek() -> tuple[str, str] | None:
        return tokens[pos] if pos < len(tokens) else None

    def primary() -> str:
        nonlocal pos
        tok = peek()
        if tok is None:
            raise bad(N_("Not a valid search: the query ends where a word was expected. Put words in double "
                         "quotes to search for them as typed."))
        kind, text = tok
        pos += 1
        if kind == "(":
            inner = either()
            if peek() != (")", ")"):
                raise bad(N_("Not a valid search: a parenthesis is not closed. Put words in double quotes to "
                             "search for them as typed."))
            pos += 1
            return f"({inner})"
        if kind in ("phrase", "word"):
            params.append(text)
            return "phraseto_tsquery('simple', ?)"
        if kind == "prefix":
            params.append(text.lower())
            return "to_tsquery('simple', quote_literal(?) || ':*')"
        raise bad(N_("Not a valid search: \"{text}\" where a word was expected. Put words in double quotes to "
                     "search for them as typed."), text=text)

    def negation() -> str:
        nonlocal pos
        left = primary()
        while peek() == ("op", "NOT"):
            pos += 1
            left = f"({left} && !!{primary()})"
        return left

    def both() -> str:
        nonlocal pos
        left = negation()
        while (tok := peek()) is not None and (tok == ("op", "AND") or tok[0] in ("phrase", "word", "prefix", "(")):
            if tok == ("op", "AND"):
                pos += 1
            left = f"({left} && {negation()})"
        return left

    def either() -> str:
        nonlocal pos
        left = both()
        while peek() == ("op", "OR"):
            pos += 1
            left = f"({left} || {both()})"
        return left

    expr = either()
    if pos != len(tokens):
        raise bad(N_("Not a valid search: unexpected \"{text}\". Put words in double quotes to search for them "
                     "as typed."), text=tokens[pos][1])
    words = {w.lower() for kind, text in tokens if kind in ("phrase", "word") for w in _WORD.findall(text)}
    prefixes = {text.lower() for kind, text in tokens if kind == "prefix"}
    return ParsedQuery(expr, tuple(params), frozenset(words), frozenset(prefixes))
