"""Caption streams: final segments, each writer's live tail, captioner feed sequences and the correction log.

Everything one caption change produces (new segments, the tails, the feed's last ``seq``, corrections and
handovers) is written by :func:`save` in one write transaction, so a post is either wholly stored
or not at all, and nothing is acknowledged or broadcast before it is committed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any

from ..domain.captions.events import (
    Captioner,
    CaptionerHandedOver,
    Segment,
    SegmentCorrected,
    SegmentFinalised,
)
from ..domain.captions.ingest import Post
from ..domain.captions.stream import TailState, turn_lead
from ..domain.events import Event
from .interface import Database, one

_SEGMENT_COLUMNS = ("seq, text, first_ms, final_ms, sender_ms, captioner_id, captioner_label, speaker, new_turn,"
                    " intervention_id, revision, writer")


@dataclasses.dataclass(frozen=True)
class StoredStream:
    """What storage holds about one stream: enough to rebuild it with ``CaptionStream.restore``."""

    last_seq: int
    tails: tuple[TailState, ...]
    last_captioner: Captioner | None
    segments: tuple[Segment, ...]


@dataclasses.dataclass(frozen=True)
class FeedPost:
    """A captioner feed's post to record with the caption change it caused."""

    feed: str
    seq: int
    #: The feed's last accepted posts including this one (``FeedSequence.with_post``), to tell retries from clashes.
    recent: tuple[Post, ...] = ()


@dataclasses.dataclass(frozen=True)
class FeedState:
    """A captioner feed's last accepted ``seq`` and its last posts (``seq``, text fingerprint, time)."""

    last_seq: int
    recent: tuple[Post, ...]


@dataclasses.dataclass(frozen=True)
class CaptionerLink:
    """The capability link behind a captioner's token."""

    id: int
    role: str
    session_id: str | None


def _segment(row: Any) -> Segment:
    return Segment(row["seq"], row["text"], row["first_ms"], row["final_ms"], row["sender_ms"],
                   Captioner(row["captioner_id"], row["captioner_label"]), row["speaker"], bool(row["new_turn"]),
                   _intervention(row["intervention_id"]), row["revision"], row["writer"])


def _intervention(raw: str | None) -> str | int | None:
    return None if raw is None else json.loads(raw)


def wire(session_id: str, lang: str, segment: Segment) -> dict[str, Any]:
    """A stored segment in the form of a ``caption_segment`` event payload."""
    return {"session_id": session_id, "lang": lang, "seq": segment.seq, "text": segment.text,
            "first_ms": segment.first_ms, "final_ms": segment.final_ms, "sender_ms": segment.sender_ms,
            "captioner": {"id": segment.captioner.id, "label": segment.captioner.label}, "speaker": segment.speaker,
            "new_turn": segment.new_turn, "intervention_id": segment.intervention_id, "revision": segment.revision,
            "writer": segment.writer}


async def load_stream(db: Database, meeting_id: int, session_id: str, lang: str) -> StoredStream:
    """The stored state of one stream (empty for a stream nobody has captioned yet)."""
    rows = await db.fetchall(f"SELECT {_SEGMENT_COLUMNS} FROM caption_segments WHERE meeting_id = ? AND session_id = ?"
                             " AND lang = ? ORDER BY seq", (meeting_id, session_id, lang))
    segments = tuple(_segment(r) for r in rows)
    rows = await db.fetchall("SELECT * FROM caption_tails WHERE meeting_id = ? AND session_id = ? AND lang = ?"
                             " AND captioner_id IS NOT NULL ORDER BY updated_ms", (meeting_id, session_id, lang))
    tails = tuple(TailState(r["writer"], r["text"], r["first_ms"], Captioner(r["captioner_id"], r["captioner_label"]),
                            r["updated_ms"]) for r in rows)
    captioner = tails[-1].captioner if tails else (segments[-1].captioner if segments else None)
    return StoredStream(segments[-1].seq if segments else 0, tails, captioner, segments)


async def save(db: Database, meeting_id: int, session_id: str, lang: str, events: Iterable[Event], *,
               tails: Iterable[TailState], now: int, feed: FeedPost | None = None) -> None:
    """Store one caption change in one transaction.

    :param events: what the stream returned (segments are inserted, corrections update the segment and are
        logged with the previous text, handovers are logged; partials are represented by ``tail``).
    :param tails: the writers' tails after the change (the latest input of each tells who sent last, so a
        restart still notices a handover).
    :param feed: the feed post to record as accepted, in the same transaction.
    """
    events = list(events)
    async with db.write() as conn:
        for event in events:
            if isinstance(event, SegmentFinalised):
                row = await conn.fetchone(
                    "SELECT position + length(lead) + length(original_text) + 1 FROM caption_segments WHERE"
                    " meeting_id = ? AND session_id = ? AND lang = ? ORDER BY seq DESC LIMIT 1",
                    (meeting_id, session_id, lang))
                position = row[0] if row else 0
                intervention = None if event.intervention_id is None else json.dumps(event.intervention_id)
                await conn.execute(
                    "INSERT INTO caption_segments (meeting_id, session_id, lang, seq, text, original_text, position,"
                    " first_ms, final_ms, sender_ms, captioner_id, captioner_label, speaker, new_turn, intervention_id,"
                    " revision, writer, lead) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (meeting_id, session_id, lang, event.seq, event.text, event.text, position, event.first_ms,
                     event.final_ms, event.sender_ms, event.captioner.id, event.captioner.label, event.speaker,
                     int(event.new_turn), intervention, event.revision, event.writer,
                     turn_lead(event.speaker, event.new_turn)))
            elif isinstance(event, SegmentCorrected):
                await conn.execute(
                    "UPDATE caption_segments SET text = ?, revision = ? WHERE meeting_id = ? AND session_id = ? AND"
                    " lang = ? AND seq = ?", (event.text, event.revision, meeting_id, session_id, lang, event.seq))
            if isinstance(event, (SegmentCorrected, CaptionerHandedOver)):
                await conn.execute(
                    "INSERT INTO caption_events (meeting_id, session_id, lang, name, payload, at_ms)"
                    " VALUES (?,?,?,?,?,?)",
                    (meeting_id, session_id, lang, event.name, json.dumps(event.payload()), now))
        # Every writer's tail as the stream has it now, so a restart resumes exactly here.
        await conn.executemany(
            "INSERT INTO caption_tails (meeting_id, session_id, lang, writer, text, first_ms, captioner_id,"
            " captioner_label, updated_ms) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (meeting_id, session_id, lang,"
            " writer) DO UPDATE SET text = excluded.text, first_ms = excluded.first_ms, captioner_id ="
            " excluded.captioner_id, captioner_label = excluded.captioner_label, updated_ms = excluded.updated_ms",
            [(meeting_id, session_id, lang, t.writer, t.text, t.first_ms, t.captioner.id, t.captioner.label, t.last_ms)
             for t in tails])
        if feed is not None:
            await conn.execute(
                "INSERT INTO caption_feeds (meeting_id, session_id, feed, last_seq, updated_ms, recent_posts)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (meeting_id, session_id, feed) DO UPDATE SET"
                " last_seq = excluded.last_seq, updated_ms = excluded.updated_ms, recent_posts = excluded.recent_posts",
                (meeting_id, session_id, feed.feed, feed.seq, now, json.dumps([list(p) for p in feed.recent])))


async def feed_seq(db: Database, meeting_id: int, session_id: str, feed: str) -> int | None:
    """The last accepted ``seq`` of a captioner feed, or None before its first post."""
    row = await db.fetchone("SELECT last_seq FROM caption_feeds WHERE meeting_id = ? AND session_id = ? AND feed = ?",
                            (meeting_id, session_id, feed))
    return None if row is None else row["last_seq"]


async def feed_state(db: Database, meeting_id: int, session_id: str, feed: str) -> FeedState | None:
    """A captioner feed's last accepted post, or None before its first."""
    row = await db.fetchone("SELECT last_seq, recent_posts FROM caption_feeds WHERE meeting_id = ? AND"
                            " session_id = ? AND feed = ?", (meeting_id, session_id, feed))
    if row is None:
        return None
    recent = tuple(Post(int(s), str(d), int(at)) for s, d, at in json.loads(row["recent_posts"] or "[]"))
    return FeedState(row["last_seq"], recent)


async def segments_after(db: Database, meeting_id: int, session_id: str, lang: str, after_seq: int,
                         limit: int = 5000) -> list[dict[str, Any]]:
    """Segments with ``seq > after_seq`` in order (wire form), at most ``limit``."""
    rows = await db.fetchall(f"SELECT {_SEGMENT_COLUMNS} FROM caption_segments WHERE meeting_id = ? AND session_id = ?"
                             " AND lang = ? AND seq > ? ORDER BY seq LIMIT ?",
                             (meeting_id, session_id, lang, after_seq, limit))
    return [wire(session_id, lang, _segment(r)) for r in rows]


async def latest_segments(db: Database, meeting_id: int, session_id: str, lang: str,
                          count: int) -> list[dict[str, Any]]:
    """The last ``count`` segments in ``seq`` order (wire form): a late joiner's backlog."""
    rows = await db.fetchall(f"SELECT {_SEGMENT_COLUMNS} FROM caption_segments WHERE meeting_id = ? AND session_id = ?"
                             " AND lang = ? ORDER BY seq DESC LIMIT ?", (meeting_id, session_id, lang, max(count, 0)))
    return [wire(session_id, lang, _segment(r)) for r in reversed(rows)]


async def all_segments(db: Database, meeting_id: int, session_id: str) -> list[tuple[str, Segment]]:
    """Every segment of a session as (lang, segment), by language then ``seq``."""
    rows = await db.fetchall(f"SELECT lang, {_SEGMENT_COLUMNS} FROM caption_segments WHERE meeting_id = ? AND"
                             " session_id = ? ORDER BY lang, seq", (meeting_id, session_id))
    return [(r["lang"], _segment(r)) for r in rows]


async def pull_text(db: Database, meeting_id: int, session_id: str, lang: str, last: int) -> tuple[str, int]:
    """The original caption text after character position ``last``, and the position at its end.

    The text is every segment as first finalised, each followed by a line break and the first line of a named
    speaker's turn preceded by ``NAME: ``; ``last`` below 0 asks for the end position only. Corrections do not move
    positions, so a client polling with the position it got never sees text twice.
    """
    rows = [] if last < 0 else await db.fetchall(
        "SELECT lead || original_text AS line, position FROM caption_segments WHERE meeting_id = ? AND session_id = ?"
        " AND lang = ? AND position + length(lead) + length(original_text) + 1 > ? ORDER BY seq",
        (meeting_id, session_id, lang, last))
    if not rows:
        end = one(await db.fetchone(
            "SELECT COALESCE(MAX(position + length(lead) + length(original_text) + 1), 0) AS n FROM caption_segments"
            " WHERE meeting_id = ? AND session_id = ? AND lang = ?", (meeting_id, session_id, lang)))
        return "", end["n"] if last < 0 else min(last, end["n"])
    start = rows[0]["position"]
    text = "".join(r["line"] + "\n" for r in rows)
    skip = max(last, 0) - start
    return text[skip:], start + len(text)


async def captioner_link(db: Database, meeting_id: int, token_hash: str) -> CaptionerLink | None:
    """The active link whose token hashes to ``token_hash`` (its id names the captioner's feed)."""
    row = await db.fetchone("SELECT id, role, session_id FROM tokens WHERE meeting_id = ? AND token_hash = ? AND"
                            " revoked_ms IS NULL", (meeting_id, token_hash))
    return None if row is None else CaptionerLink(row["id"], row["role"], row["session_id"])

