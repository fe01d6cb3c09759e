"""The caption hub: every caption change goes check → apply → commit → acknowledge → broadcast.

One :class:`CaptionHub` per application keeps a copy of the :class:`CaptionStream` of each session and language
(restored from storage on first use, every writer's tail and the latest lines included; an older line is read back
from storage when it is corrected) and of the sequence of each captioner feed.
Changes to one session's captions run under that session's lock, so a post is applied, stored and broadcast
before the next one starts; a post whose storage fails is dropped from memory too (the stream is restored from
storage on next use), so it is never half-applied.

Several nodes may hold copies of one stream (behind a load balancer, consecutive posts of one feed land anywhere).
Each copy knows the stored revision it is. Before a change, and before a viewer is given the live tails, one small
read tells whether storage has moved on; if so the copy reads only what changed since (the tails, new and corrected
segments, the feed's last posts). The write itself is conditional on the revision (``storage/captions.py``
``save``), so a change made on a copy that another node overtook in between is not stored: it is taken back from
the copy, which reads what the other node stored, and applied again, a few times at most; the client never sees
the race. So a feed's retry is recognised on any node, and every line is stored and broadcast once.

Broadcasts go once to a room: final segments at once, the live tail (``caption_partial``) merged over
``PARTIAL_MS`` so only the latest partial per stream is sent. Two background loops run in :func:`captions_context`:
the partial sender and the idle flush that finalises tails nobody is typing into (on every node; the revision
makes the first one to store a flush the only one, and a tail another node has extended since is not idle).
Session life asks the hub, as its :class:`~server.web.sessions.TailFlusher`, to finalise every live tail before a
session is reported ended.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from aiohttp import web

from ...clock import now_ms
from ...domain.captions.events import (
    Captioner,
    CaptionerHandedOver,
    PartialUpdated,
    SegmentCorrected,
    SegmentFinalised,
)
from ...domain.captions.ingest import FeedSequence
from ...domain.captions.stream import KEEP_SEGMENTS, CaptionStream, SpeakerContext, TailState
from ...domain.events import Event
from ...storage import captions as captions_db
from ...storage.interface import StorageConflict
from .. import rooms
from ..keys import db_key, registry_key, settings_key, sio_key
from ..metrics import metrics_key
from ..reads import SharedReads
from ..registry import LoadedMeeting
from ..sockets import CAPTION, LIVE, MODERATE

log = logging.getLogger(__name__)

#: Partials of one stream arriving within this many ms are merged into one broadcast.
PARTIAL_MS = 50
#: Tries of one caption change that keep losing the race to store it to another node before it is refused.
CONFLICT_TRIES = 5

Operation = Callable[[CaptionStream, "SpeakerContext | None", int], list[Event]]


class SpeakerSource(Protocol):
    """Who holds the floor of a session now (the floor answers it): captions are attributed to them."""

    def current_speaker(self, meeting_id: int, session_id: str) -> SpeakerContext | None:
        """The speaker holding the floor, or ``None`` while it is free or not loaded."""


@dataclasses.dataclass
class _OpenStream:
    """A caption stream this process holds, with its meeting."""

    meeting: LoadedMeeting
    session_id: str
    lang: str
    stream: CaptionStream
    #: The stored revision this copy is: it is current while storage still has this revision.
    revision: int


@dataclasses.dataclass
class _OpenFeed:
    """A captioner feed's sequence as this process holds it, with the stored revision it is (``None``: no post)."""

    sequence: FeedSequence
    revision: int | None


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one caption change did: ``applied`` (False for a repeated feed post) and the stream afterwards
    (``tail`` is the writer's own tail when the change named one)."""

    applied: bool
    verdict: str
    tail: str
    last_seq: int
    events: tuple[Event, ...] = ()
    #: When the post was accepted (ms; for a retry, when its original was), ``None`` when not known.
    at_ms: int | None = None


class CaptionHub:
    """Loaded caption streams and feed sequences of this process, and their broadcasts."""

    def __init__(self, app: web.Application, speakers: SpeakerSource) -> None:
        self.app = app
        self.speakers = speakers
        self._streams: dict[tuple[int, str, str], _OpenStream] = {}
        self._feeds: dict[tuple[int, str, str], _OpenFeed] = {}
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}
        self._pending: dict[tuple[int, str, str], dict[str, Any]] = {}
        self._wake = asyncio.Event()
        #: Backlogs read once for the viewers that ask for the same one together (``socket.backlog``).
        self.backlogs: SharedReads[dict[str, Any]] = SharedReads()

    def lock(self, meeting_id: int, session_id: str) -> asyncio.Lock:
        """The lock that orders every caption change of one session."""
        return self._locks.setdefault((meeting_id, session_id), asyncio.Lock())

    async def stream(self, loaded: LoadedMeeting, session_id: str, lang: str) -> CaptionStream:
        """The stream as stored now: restored on first use, brought up to date when another node has stored a
        change since (call under the session's lock)."""
        held, _ = await self._current(loaded, session_id, lang, None)
        return held.stream

    async def _current(self, loaded: LoadedMeeting, session_id: str, lang: str,
                       feed: str | None) -> tuple[_OpenStream, _OpenFeed | None]:
        """This process's copies of a stream and a feed, checked against storage and brought up to date."""
        db = self.app[db_key]
        key, feed_key = (loaded.id, session_id, lang), (loaded.id, session_id, feed or "")
        held, fed = self._streams.get(key), self._feeds.get(feed_key) if feed else None
        if held is not None:
            stored = await captions_db.revisions(db, *key, feed)
            if stored.stream < held.revision:
                held = None  # storage went back (a restored backup): start again from it
            elif stored.stream > held.revision:
                await self._catch_up(held)
            if fed is not None and stored.feed != fed.revision:
                fed = None
        if held is None:
            whole = await captions_db.load_stream(db, *key, latest=KEEP_SEGMENTS)
            stream = CaptionStream.restore(session_id, lang, whole.last_seq, whole.tails, whole.last_captioner,
                                           segments=whole.segments)
            held = self._streams[key] = _OpenStream(loaded, session_id, lang, stream, whole.revision)
            fed = None  # read with the stream, so both are as current as each other
        if feed is not None and fed is None:
            state = await captions_db.feed_state(db, loaded.id, session_id, feed)
            fed = self._feeds[feed_key] = _OpenFeed(FeedSequence(), None) if state is None else \
                _OpenFeed(FeedSequence(state.last_seq, state.recent), state.revision)
        return held, fed

    async def _catch_up(self, held: _OpenStream) -> None:
        """Bring a copy up to what is stored: the tails whole, the segments written after its revision."""
        changes = await captions_db.load_stream(self.app[db_key], held.meeting.id, held.session_id, held.lang,
                                                since=held.revision, latest=KEEP_SEGMENTS)
        held.stream.catch_up(changes.last_seq, changes.tails, changes.last_captioner, segments=changes.segments)
        held.revision = changes.revision
        self.app[metrics_key].caption_catch_ups.inc()

    async def _recall(self, held: _OpenStream, seq: int) -> None:
        """Hand the stream a stored segment it has let go of, so it can be corrected (none: ``correct`` refuses)."""
        stream = held.stream
        if stream.holds(seq) or not 1 <= seq <= stream.last_seq:
            return
        stored = await captions_db.segment(self.app[db_key], held.meeting.id, held.session_id, held.lang, seq)
        if stored is not None:
            stream.recall(stored)

    def _forget(self, loaded: LoadedMeeting, session_id: str, lang: str, feed: str | None) -> None:
        """Drop the copies of a stream and a feed: the next use reads them whole from storage."""
        self._streams.pop((loaded.id, session_id, lang), None)
        self._feeds.pop((loaded.id, session_id, feed or ""), None)

    async def change(self, loaded: LoadedMeeting, session_id: str, lang: str, operation: Operation, *,
                     require_live: bool = True, feed: str | None = None, seq: int | None = None,
                     writer: str | None = None, digest: str | None = None, recall: int | None = None) -> Outcome:
        """Apply one caption change: check, apply, commit, then broadcast.

        :param operation: called with the stream, the floor's speaker context and now; returns the events.
            It must validate before it mutates (the stream's methods do). It is called again on a fresh copy of
            the stream when another node stored a change between the check and the write.
        :param feed: the captioner feed posting (with its ``seq``): a retry of one of its last posts (same ``seq``
            and ``digest``) changes nothing and answers the original's time; any other repeated ``seq`` is refused.
        :param writer: whose tail the operation writes to; the outcome's ``tail`` is that writer's.
        :param recall: the ``seq`` of a final segment the operation corrects: when the stream no longer holds it
            (it keeps only its latest lines), it is read from storage and handed to the stream first.
        """
        now = now_ms()
        arrived = time.perf_counter()
        feed = feed if seq is not None else None
        if require_live and not loaded.life(session_id).is_live(now):
            # Another node may have started the session a moment ago (its clients may have heard of it before this
            # node did): read the stored life before refusing.
            await self.app[registry_key].reload_lives(loaded)
        async with self.lock(loaded.id, session_id):
            if require_live:
                loaded.life(session_id).require_live(now)
            for _ in range(CONFLICT_TRIES):
                held, fed = await self._current(loaded, session_id, lang, feed)
                stream, verdict, post = held.stream, None, None
                if fed is not None and feed is not None and seq is not None:
                    verdict = fed.sequence.check(seq)
                    if verdict == "duplicate":
                        original = fed.sequence.repeated_at(seq, digest or "")
                        return Outcome(False, verdict, _tail(stream, writer), stream.last_seq, at_ms=original)
                    post = captions_db.FeedPost(feed, seq, fed.sequence.with_post(seq, digest or "", now),
                                                fed.revision)
                if recall is not None:
                    await self._recall(held, recall)
                before = stream.tails()
                events = operation(stream, self._speaker(loaded.id, session_id), now)
                changed = [t for t in stream.tails() if t not in before]
                if not events and not changed and post is None:
                    # Nothing changed (a heartbeat, an idle flush another node did first): nothing to store.
                    return Outcome(True, "apply", _tail(stream, writer), stream.last_seq, (), now)
                try:
                    held.revision = await captions_db.save(
                        self.app[db_key], loaded.id, session_id, lang, events, tails=changed, now=now,
                        revision=held.revision, captioner=stream.last_captioner, feed=post)
                except StorageConflict:
                    # Another node stored a change since the check (to the stream, or to a feed that spans
                    # languages): take this one back, read what is stored (the tails whole, which undoes the
                    # change's edits to them, even when only the feed moved) and apply it again.
                    stream.revert(events)
                    self._feeds.pop((loaded.id, session_id, feed or ""), None)
                    try:
                        await self._catch_up(held)
                    except BaseException:
                        self._forget(loaded, session_id, lang, feed)
                        raise
                    self.app[metrics_key].caption_races.inc()
                    log.info("caption change raced another node; applying it again",
                             extra={"session": session_id, "lang": lang})
                    continue
                except BaseException:
                    # Memory is ahead of storage now: forget it, the next change restores what was committed.
                    self._forget(loaded, session_id, lang, feed)
                    raise
                if fed is not None and post is not None:
                    if verdict == "gap":
                        log.warning("caption feed gap", extra={"meeting": loaded.meeting.slug, "session": session_id,
                                                               "feed": feed, "last_seq": fed.sequence.last_seq,
                                                               "seq": seq})
                    fed.sequence.accept(post.seq, digest or "", now)
                    fed.revision = (fed.revision or 0) + 1
                # The fan-out writes a large room in slices after this returns (it observes its own latency).
                await self.publish(loaded, session_id, lang, events, stream, held.revision)
                self.app[metrics_key].ack_latency.observe(time.perf_counter() - arrived)
                return Outcome(True, verdict or "apply", _tail(stream, writer), stream.last_seq, tuple(events), now)
        raise StorageConflict()  # lost every race to other nodes: the client may send it again

    def _speaker(self, meeting_id: int, session_id: str) -> SpeakerContext | None:
        """The floor's current speaker; a failure there is logged and never stops captions."""
        try:
            return self.speakers.current_speaker(meeting_id, session_id)
        except Exception:
            log.exception("speaker lookup failed", extra={"session": session_id})
            return None

    async def flush_session(self, loaded: LoadedMeeting, session_id: str) -> int:
        """Finalise every live tail of a session in every language now (it is ending); returns how many lines.

        Once the session is no longer live, its streams and feeds are let go: each holds its latest lines and
        tails, and a process serving a meeting for days would otherwise keep them for every session it ever served.
        A later change restores them from storage.
        """
        finalised = 0
        for lang in loaded.meeting.languages:
            outcome = await self.change(loaded, session_id, lang,
                                        lambda stream, ctx, at: stream.flush(at, speaker_context=ctx),
                                        require_live=False)
            finalised += sum(isinstance(e, SegmentFinalised) for e in outcome.events)
        async with self.lock(loaded.id, session_id):
            if not loaded.life(session_id).is_live(now_ms()):
                for lang in loaded.meeting.languages:
                    self._streams.pop((loaded.id, session_id, lang), None)
                for key in [k for k in self._feeds if k[:2] == (loaded.id, session_id)]:
                    del self._feeds[key]
        return finalised

    def held_sessions(self) -> set[tuple[int, str]]:
        """The (meeting id, session id) pairs whose caption streams this process holds in memory."""
        return {(meeting_id, session_id) for meeting_id, session_id, _ in self._streams}

    async def publish(self, loaded: LoadedMeeting, session_id: str, lang: str, events: list[Event],
                      stream: CaptionStream, revision: int) -> None:
        """Broadcast committed events: one emit per room; partials wait for the merge loop.

        :param revision: the stream's stored revision after these events (partials carry it, so a viewer can
            drop a partial that another node's newer one overtook on the way).
        """
        sio = self.app[sio_key]
        viewers = rooms.captions(loaded.id, session_id, lang)
        captioners = rooms.session(loaded.id, session_id)
        for event in events:
            if isinstance(event, PartialUpdated):
                self._pending[(loaded.id, session_id, lang)] = _partial(session_id, lang, stream, event.at_ms,
                                                                        revision)
                self._wake.set()
                continue
            payload = event.payload()
            if isinstance(event, (SegmentFinalised, SegmentCorrected)):
                await sio.emit(event.name, payload, room=viewers, namespace=LIVE)
                await sio.emit(event.name, payload, room=captioners, namespace=CAPTION)
            elif isinstance(event, CaptionerHandedOver):
                payload = {**payload, "from_captioner": captioner_parts(event.from_captioner),
                           "to_captioner": captioner_parts(event.to_captioner)}
                await sio.emit(event.name, payload, room=rooms.moderators(loaded.id, session_id), namespace=MODERATE)
                await sio.emit(event.name, payload, room=captioners, namespace=CAPTION)

    def partial(self, meeting_id: int, session_id: str, lang: str) -> dict[str, Any] | None:
        """The live tail of a loaded stream as a ``caption_partial`` payload (None when not loaded)."""
        held = self._streams.get((meeting_id, session_id, lang))
        if held is None:
            return None
        return _partial(session_id, lang, held.stream, held.stream.tail_first_ms, held.revision)

    async def send_partials(self) -> None:
        """Send the latest partial of every stream that changed since the last round."""
        pending, self._pending = self._pending, {}
        sio = self.app[sio_key]
        for (meeting_id, session_id, lang), payload in pending.items():
            await sio.emit("caption_partial", payload, room=rooms.captions(meeting_id, session_id, lang),
                           namespace=LIVE)

    async def partial_loop(self) -> None:
        """Merge partials: wait for one, let more arrive for ``PARTIAL_MS``, send the latest of each stream."""
        while True:
            await self._wake.wait()
            await asyncio.sleep(PARTIAL_MS / 1000)
            self._wake.clear()
            try:
                await self.send_partials()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sending caption partials failed")

    async def flush_idle(self, now: int) -> int:
        """Finalise every tail nobody typed into for ``caption_idle_flush_ms``; returns how many lines."""
        idle = self.app[settings_key].caption_idle_flush_ms
        flushed = 0
        for held in list(self._streams.values()):
            if not any(now - t.last_ms >= idle for t in held.stream.live_tails()):
                continue

            def finalise(stream: CaptionStream, ctx: SpeakerContext | None, at: int) -> list[Event]:
                return stream.flush_idle(at, idle, speaker_context=ctx)  # re-checked: someone may have typed

            outcome = await self.change(held.meeting, held.session_id, held.lang, finalise, require_live=False)
            flushed += sum(isinstance(e, SegmentFinalised) for e in outcome.events)
        return flushed

    async def idle_loop(self) -> None:
        """Run :meth:`flush_idle` a few times per idle period; log failures and carry on."""
        interval = max(self.app[settings_key].caption_idle_flush_ms / 4, 50) / 1000
        while True:
            await asyncio.sleep(interval)
            try:
                await self.flush_idle(now_ms())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("idle caption flush failed")


caption_hub_key: web.AppKey[CaptionHub] = web.AppKey("caption_hub", CaptionHub)


def _tail(stream: CaptionStream, writer: str | None) -> str:
    return stream.tail if writer is None else stream.tail_of(writer)


def _partial(session_id: str, lang: str, stream: CaptionStream, at_ms: int | None, revision: int) -> dict[str, Any]:
    """A ``caption_partial`` payload: every live tail as one line (``text``) and one by one (``tails``)."""
    tails: list[TailState] = stream.live_tails()
    return {"session_id": session_id, "lang": lang, "text": stream.tail, "last_seq": stream.last_seq,
            "revision": revision, "captioner": captioner_parts(stream.last_captioner), "at_ms": at_ms,
            "tails": [{"captioner": captioner_parts(t.captioner), "text": t.text, "first_ms": t.first_ms}
                      for t in tails]}


@functools.lru_cache(maxsize=1024)
def captioner_for(link_id: int, session_scope: str | None, name: str | None = None) -> Captioner:
    """The captioner a link stands for: its id names the feed, the label is what moderators see (stored with the
    captions in English; ``captioner_parts`` gives pages what they need to say it in their reader's language).

    Every post names its captioner, so one (immutable) object per link and name is kept and shared, not one per
    post."""
    base = f"{'Session' if session_scope else 'Meeting'} captioner #{link_id}"
    name = " ".join((name or "").split())[:60]
    return Captioner(f"link:{link_id}", f"{name} ({base})" if name else base)


#: The label ``captioner_for`` writes: an optional name, then the link's scope and number.
_LABEL = re.compile(r"^(?:(?P<name>.+) \()?(?P<scope>Session|Meeting) captioner #(?P<number>\d+)(?(name)\))$")


def captioner_parts(captioner: Captioner | None) -> dict[str, Any] | None:
    """A captioner for a page: id and stored label, plus the label's parts (``scope``: ``session`` or
    ``meeting``, ``number``, ``name``) when it is one ``captioner_for`` wrote, so the page can say it in its
    reader's language."""
    if captioner is None:
        return None
    out: dict[str, Any] = {"id": captioner.id, "label": captioner.label}
    found = _LABEL.match(captioner.label)
    if found is not None:
        out.update(scope=found["scope"].lower(), number=int(found["number"]), name=found["name"] or "")
    return out


async def captions_context(app: web.Application) -> AsyncIterator[None]:
    """Start the partial sender and the idle flush; stop them on the way out."""
    h = app[caption_hub_key]
    # Keep references: a task with none may be garbage-collected while it runs.
    tasks = [asyncio.create_task(h.partial_loop(), name="caption-partials"),
             asyncio.create_task(h.idle_loop(), name="caption-idle-flush")]
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
