"""Caption streams: final segments, each writer's live tail, captioner feed sequences and the correction log.

Everything one caption change produces (new segments, the tails, the feed's last ``seq``, corrections and
handovers) is written by :func:`save` in one write transaction, so a post is either wholly stored
or not at all, and nothing is acknowledged or broadcast before it is committed.

Several nodes may write one stream. Each stream's stored state has a revision, and so has each feed: :func:`save`
moves them on by one only from the revision the caller's copy was built from, and raises ``StorageConflict``
(storing nothing) when another node has stored a change since. :func:`revisions` tells a node cheaply whether its
copy is current, and :func:`load_stream` with ``since`` reads only what moved.
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
from .interface import Database, StorageConflict, Transaction, one

_SEGMENT_COLUMNS = ("seq, text, first_ms, final_ms, sender_ms, captioner_id, captioner_label, speaker, new_turn,"
                    " intervention_id, revision, writer")


@dataclasses.dataclass(frozen=True)
class StoredStream:
    """What storage holds about one stream: enough to rebuild it with ``CaptionStream.restore``."""

    last_seq: int
    tails: tuple[TailState, ...]
    last_captioner: Captioner | None
    #: Every segment, or only those written after the revision asked for (``load_stream``'s ``since``), of the
    #: latest ones when ``load_stream`` was given ``latest``.
    segments: tuple[Segment, ...]
    #: The stream's revision this state is (0 before the first stored change).
    revision: int = 0


@dataclasses.dataclass(frozen=True)
class Revisions:
    """How far a stream and a feed have moved in storage (``feed`` is ``None`` before the feed's first post)."""

    stream: int
    feed: int | None


@dataclasses.dataclass(frozen=True)
class FeedPost:
    """A captioner feed's post to record with the caption change it caused."""

    feed: str
    seq: int
    #: The feed's last accepted posts including this one (``FeedSequence.with_post``), to tell retries from clashes.
    recent: tuple[Post, ...] = ()
    #: The feed's stored revision the post was checked against (``None``: the feed had no post stored).
    revision: int | None = None


@dataclasses.dataclass(frozen=True)
class FeedState:
    """A captioner feed's last accepted ``seq`` and its last posts (``seq``, text fingerprint, time)."""

    last_seq: int
    recent: tuple[Post, ...]
    revision: int = 0


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


_KEY = "meeting_id = ? AND session_id = ? AND lang = ?"
#: Rereads of a stream that another node kept changing while it was read, before settling for a mixed read.
_READ_TRIES = 3


async def load_stream(db: Database, meeting_id: int, session_id: str, lang: str, *,
                      since: int | None = None, latest: int | None = None) -> StoredStream:
    """The stored state of one stream (empty for a stream nobody has captioned yet).

    :param since: read only the segments written (added or corrected) after this revision; every segment when
        ``None``. The tails are always read whole.
    :param latest: read only among the last ``latest`` segments by ``seq`` (what a stream holds in memory);
        all of them when ``None``.

    The revision is read before and after the rest: when another node stored a change in between, the read is
    repeated, so the state returned is that revision's. After a few tries the revision read before the rest is
    returned with a newer state: the holder's next check then finds its copy behind and reads again.
    """
    key = (meeting_id, session_id, lang)
    for _ in range(_READ_TRIES):
        head = one(await db.fetchone(
            f"SELECT (SELECT revision FROM caption_streams WHERE {_KEY}) AS revision,"
            f" (SELECT last_captioner_id FROM caption_streams WHERE {_KEY}) AS captioner_id,"
            f" (SELECT last_captioner_label FROM caption_streams WHERE {_KEY}) AS captioner_label,"
            f" (SELECT MAX(seq) FROM caption_segments WHERE {_KEY}) AS last_seq", key * 4))
        above = -1 if latest is None else (head["last_seq"] or 0) - max(latest, 0)
        if since is None:
            rows = await db.fetchall(f"SELECT {_SEGMENT_COLUMNS} FROM caption_segments WHERE {_KEY} AND seq > ?"
                                     " ORDER BY seq", (*key, above))
        else:
            rows = await db.fetchall(f"SELECT {_SEGMENT_COLUMNS} FROM caption_segments WHERE {_KEY} AND seq > ? AND"
                                     " stream_revision > ? ORDER BY seq", (*key, above, since))
        tail_rows = await db.fetchall(f"SELECT * FROM caption_tails WHERE {_KEY} AND captioner_id IS NOT NULL"
                                      " ORDER BY updated_ms", key)
        after = await db.fetchone(f"SELECT revision FROM caption_streams WHERE {_KEY}", key)
        if (after["revision"] if after else None) == head["revision"]:
            break
    segments = tuple(_segment(r) for r in rows)
    tails = tuple(_tail(r) for r in tail_rows)
    if head["captioner_id"] is not None:
        captioner: Captioner | None = Captioner(head["captioner_id"], head["captioner_label"])
    else:  # a stream stored before streams had a row: the latest input tells
        captioner = tails[-1].captioner if tails else (segments[-1].captioner if segments else None)
    return StoredStream(head["last_seq"] or 0, tails, captioner, segments, head["revision"] or 0)


def _tail(row: Any) -> TailState:
    """A stored tail with its whole state (a tail stored before the state was kept has only its text and times)."""
    captioner = Captioner(row["captioner_id"], row["captioner_label"])
    if row["state"] is None:
        return TailState(row["writer"], row["text"], row["first_ms"], captioner, row["updated_ms"])
    state = json.loads(row["state"])
    stamps = tuple((int(ms), None if sender is None else int(sender))
                   for ms, sender, count in state["stamps"] for _ in range(int(count)))
    return TailState(row["writer"], row["text"], row["first_ms"], captioner, row["updated_ms"], stamps,
                     bool(state["turn"]), bool(state["label"]), state["speaker"], state["intervention"],
                     tuple(state["recent"]))


def _tail_state(tail: TailState) -> str:
    """The JSON kept beside a tail's text: its marks, its receive times as runs and its recent lines."""
    runs: list[list[Any]] = []
    for ms, sender in tail.stamps:
        if runs and runs[-1][0] == ms and runs[-1][1] == sender:
            runs[-1][2] += 1
        else:
            runs.append([ms, sender, 1])
    return json.dumps({"stamps": runs, "turn": tail.new_turn, "label": tail.label_open, "speaker": tail.speaker,
                       "intervention": tail.intervention, "recent": list(tail.recent or ())}, ensure_ascii=False)


async def segment(db: Database, meeting_id: int, session_id: str, lang: str, seq: int) -> Segment | None:
    """One stored segment as it is now (latest revision), or ``None`` when there is no such ``seq``."""
    row = await db.fetchone(f"SELECT {_SEGMENT_COLUMNS} FROM caption_segments WHERE {_KEY} AND seq = ?",
                            (meeting_id, session_id, lang, seq))
    return None if row is None else _segment(row)


async def revisions(db: Database, meeting_id: int, session_id: str, lang: str, feed: str | None = None) -> Revisions:
    """The stored revision of a stream and of a feed: one small read that tells whether a copy is current."""
    row = one(await db.fetchone(
        f"SELECT (SELECT revision FROM caption_streams WHERE {_KEY}) AS stream, (SELECT revision FROM caption_feeds"
        " WHERE meeting_id = ? AND session_id = ? AND feed = ?) AS feed",
        (meeting_id, session_id, lang, meeting_id, session_id, feed or "")))
    return Revisions(row["stream"] or 0, row["feed"])


async def save(db: Database, meeting_id: int, session_id: str, lang: str, events: Iterable[Event], *,
               tails: Iterable[TailState], now: int, revision: int, captioner: Captioner | None,
               feed: FeedPost | None = None) -> int:
    """Store one caption change in one transaction; returns the stream's new revision.

    :param events: what the stream returned (segments are inserted, corrections update the segment and are
        logged with the previous text, handovers are logged; partials are represented by ``tail``).
    :param tails: the writers' tails the change altered, as they are after it.
    :param revision: the stream's revision the change was made on; another node having stored a change since
        raises ``StorageConflict`` and nothing is stored.
    :param captioner: who sent text last, after the change.
    :param feed: the feed post to record as accepted, in the same transaction (checked against its revision
        the same way).
    """
    events = list(events)
    key = (meeting_id, session_id, lang)
    new = revision + 1
    async with db.write() as conn:
        # The revision first: a node writing from an out-of-date copy stops here, before it writes anything.
        who = (captioner.id, captioner.label) if captioner else (None, None)
        if revision == 0:
            await conn.execute("INSERT INTO caption_streams (meeting_id, session_id, lang, revision, last_captioner_id,"
                               " last_captioner_label, updated_ms) VALUES (?,?,?,?,?,?,?)", (*key, new, *who, now))
        elif not await conn.execute(
                "UPDATE caption_streams SET revision = ?, last_captioner_id = ?, last_captioner_label = ?,"
                f" updated_ms = ? WHERE {_KEY} AND revision = ?", (new, *who, now, *key, revision)):
            _conflict(db)
        if feed is not None:
            await _record_feed(db, conn, meeting_id, session_id, feed, now)
        for event in events:
            if isinstance(event, SegmentFinalised):
                row = await conn.fetchone(
                    "SELECT position + length(lead) + length(original_text) + 1 FROM caption_segments WHERE"
                    f" {_KEY} ORDER BY seq DESC LIMIT 1", key)
                position = row[0] if row else 0
                intervention = None if event.intervention_id is None else json.dumps(event.intervention_id)
                await conn.execute(
                    "INSERT INTO caption_segments (meeting_id, session_id, lang, seq, text, original_text, position,"
                    " first_ms, final_ms, sender_ms, captioner_id, captioner_label, speaker, new_turn, intervention_id,"
                    " revision, writer, lead, stream_revision) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*key, event.seq, event.text, event.text, position, event.first_ms,
                     event.final_ms, event.sender_ms, event.captioner.id, event.captioner.label, event.speaker,
                     int(event.new_turn), intervention, event.revision, event.writer,
                     turn_lead(event.speaker, event.new_turn), new))
            elif isinstance(event, SegmentCorrected):
                await conn.execute(
                    f"UPDATE caption_segments SET text = ?, revision = ?, stream_revision = ? WHERE {_KEY} AND"
                    " seq = ?", (event.text, event.revision, new, *key, event.seq))
            if isinstance(event, (SegmentCorrected, CaptionerHandedOver)):
                await conn.execute(
                    "INSERT INTO caption_events (meeting_id, session_id, lang, name, payload, at_ms)"
                    " VALUES (?,?,?,?,?,?)", (*key, event.name, json.dumps(event.payload()), now))
        # The tails as the stream has them now, whole, so another node or a restart resumes exactly here.
        await conn.executemany(
            "INSERT INTO caption_tails (meeting_id, session_id, lang, writer, text, first_ms, captioner_id,"
            " captioner_label, updated_ms, state) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (meeting_id, session_id,"
            " lang, writer) DO UPDATE SET text = excluded.text, first_ms = excluded.first_ms, captioner_id ="
            " excluded.captioner_id, captioner_label = excluded.captioner_label, updated_ms = excluded.updated_ms,"
            " state = excluded.state",
            [(*key, t.writer, t.text, t.first_ms, t.captioner.id, t.captioner.label, t.last_ms, _tail_state(t))
             for t in tails])
    return new


async def _record_feed(db: Database, conn: Transaction, meeting_id: int, session_id: str, feed: FeedPost,
                       now: int) -> None:
    """Record a feed's accepted post, from the revision it was checked against (``StorageConflict`` otherwise)."""
    recent = json.dumps([list(p) for p in feed.recent])
    if feed.revision is None:
        await conn.execute("INSERT INTO caption_feeds (meeting_id, session_id, feed, last_seq, updated_ms,"
                           " recent_posts, revision) VALUES (?,?,?,?,?,?,1)",
                           (meeting_id, session_id, feed.feed, feed.seq, now, recent))
    elif not await conn.execute(
            "UPDATE caption_feeds SET last_seq = ?, updated_ms = ?, recent_posts = ?, revision = revision + 1 WHERE"
            " meeting_id = ? AND session_id = ? AND feed = ? AND revision = ?",
            (feed.seq, now, recent, meeting_id, session_id, feed.feed, feed.revision)):
        _conflict(db)


def _conflict(db: Database) -> None:
    """Another node stored a change first: count it as the stores count a lost unique key, and refuse."""
    db.errors["conflict"] += 1
    raise StorageConflict()


async def feed_seq(db: Database, meeting_id: int, session_id: str, feed: str) -> int | None:
    """The last accepted ``seq`` of a captioner feed, or None before its first post."""
    row = await db.fetchone("SELECT last_seq FROM caption_feeds WHERE meeting_id = ? AND session_id = ? AND feed = ?",
                            (meeting_id, session_id, feed))
    return None if row is None else row["last_seq"]


async def feed_state(db: Database, meeting_id: int, session_id: str, feed: str) -> FeedState | None:
    """A captioner feed's last accepted post, or None before its first."""
    row = await db.fetchone("SELECT last_seq, recent_posts, revision FROM caption_feeds WHERE meeting_id = ? AND"
                            " session_id = ? AND feed = ?", (meeting_id, session_id, feed))
    if row is None:
        return None
    recent = tuple(Post(int(s), str(d), int(at)) for s, d, at in json.loads(row["recent_posts"] or "[]"))
    return FeedState(row["last_seq"], recent, row["revision"])


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

