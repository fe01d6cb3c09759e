"""The caption hub: every caption change goes check → apply → commit → acknowledge → broadcast.

One :class:`CaptionHub` per application keeps the loaded :class:`CaptionStream` of each session and language
(restored from storage on first use, every writer's tail included) and the sequence of each captioner feed.
Changes to one session's captions run under that session's lock, so a post is applied, stored and broadcast
before the next one starts; a post whose storage fails is dropped from memory too (the stream is restored from
storage on next use), so it is never half-applied.

Broadcasts go once to a room: final segments at once, the live tail (``caption_partial``) merged over
``PARTIAL_MS`` so only the latest partial per stream is sent. Two background loops run in :func:`captions_context`:
the partial sender and the idle flush that finalises tails nobody is typing into. Session life asks the hub, as
its :class:`~server.web.sessions.TailFlusher`, to finalise every live tail before a session is reported ended.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
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
from ...domain.captions.stream import CaptionStream, SpeakerContext, TailState
from ...domain.events import Event
from ...storage import captions as captions_db
from .. import rooms
from ..keys import db_key, settings_key, sio_key
from ..metrics import metrics_key
from ..registry import LoadedMeeting
from ..sockets import CAPTION, LIVE, MODERATE

log = logging.getLogger(__name__)

#: Partials of one stream arriving within this many ms are merged into one broadcast.
PARTIAL_MS = 50

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
        self._feeds: dict[tuple[int, str, str], FeedSequence] = {}
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}
        self._pending: dict[tuple[int, str, str], dict[str, Any]] = {}
        self._wake = asyncio.Event()

    def lock(self, meeting_id: int, session_id: str) -> asyncio.Lock:
        """The lock that orders every caption change of one session."""
        return self._locks.setdefault((meeting_id, session_id), asyncio.Lock())

    async def stream(self, loaded: LoadedMeeting, session_id: str, lang: str) -> CaptionStream:
        """The loaded stream, restored from storage on first use (call under the session's lock)."""
        key = (loaded.id, session_id, lang)
        held = self._streams.get(key)
        if held is None:
            stored = await captions_db.load_stream(self.app[db_key], loaded.id, session_id, lang)
            stream = CaptionStream.restore(session_id, lang, stored.last_seq, stored.tails, stored.last_captioner,
                                           segments=stored.segments)
            held = self._streams.setdefault(key, _OpenStream(loaded, session_id, lang, stream))
        return held.stream

    async def feed(self, loaded: LoadedMeeting, session_id: str, feed: str) -> FeedSequence:
        """The sequence of one captioner feed, read from storage on first use."""
        key = (loaded.id, session_id, feed)
        if key not in self._feeds:
            state = await captions_db.feed_state(self.app[db_key], loaded.id, session_id, feed)
            self._feeds.setdefault(key, FeedSequence() if state is None else
                                   FeedSequence(state.last_seq, state.recent))
        return self._feeds[key]

    async def change(self, loaded: LoadedMeeting, session_id: str, lang: str, operation: Operation, *,
                     require_live: bool = True, feed: str | None = None, seq: int | None = None,
                     writer: str | None = None, digest: str | None = None) -> Outcome:
        """Apply one caption change: check, apply, commit, then broadcast.

        :param operation: called with the stream, the floor's speaker context and now; returns the events.
            It must validate before it mutates (the stream's methods do).
        :param feed: the captioner feed posting (with its ``seq``): a retry of one of its last posts (same ``seq``
            and ``digest``) changes nothing and answers the original's time; any other repeated ``seq`` is refused.
        :param writer: whose tail the operation writes to; the outcome's ``tail`` is that writer's.
        """
        now = now_ms()
        arrived = time.perf_counter()
        async with self.lock(loaded.id, session_id):
            if require_live:
                loaded.life(session_id).require_live(now)
            sequence = verdict = post = None
            if feed is not None and seq is not None:
                sequence = await self.feed(loaded, session_id, feed)
                verdict = sequence.check(seq)
                if verdict == "duplicate":
                    original = sequence.repeated_at(seq, digest or "")
                    stream = await self.stream(loaded, session_id, lang)
                    return Outcome(False, verdict, _tail(stream, writer), stream.last_seq, at_ms=original)
                post = captions_db.FeedPost(feed, seq, sequence.with_post(seq, digest or "", now))
                if verdict == "gap":
                    log.warning("caption feed gap", extra={"meeting": loaded.meeting.slug, "session": session_id,
                                                           "feed": feed, "last_seq": sequence.last_seq, "seq": seq})
            stream = await self.stream(loaded, session_id, lang)
            key = (loaded.id, session_id, lang)
            events = operation(stream, self._speaker(loaded.id, session_id), now)
            try:
                await captions_db.save(self.app[db_key], loaded.id, session_id, lang, events, tails=stream.tails(),
                                       now=now, feed=post)
            except BaseException:
                # Memory is ahead of storage now: forget it, the next change restores what was committed.
                self._streams.pop(key, None)
                raise
            stored = time.perf_counter()
            if sequence is not None and post is not None:
                sequence.accept(post.seq, digest or "", now)
            await self.publish(loaded, session_id, lang, events, stream)
            metrics, done = self.app[metrics_key], time.perf_counter()
            metrics.fanout_latency.observe(done - stored)
            metrics.ack_latency.observe(done - arrived)
            return Outcome(True, verdict or "apply", _tail(stream, writer), stream.last_seq, tuple(events), now)

    def _speaker(self, meeting_id: int, session_id: str) -> SpeakerContext | None:
        """The floor's current speaker; a failure there is logged and never stops captions."""
        try:
            return self.speakers.current_speaker(meeting_id, session_id)
        except Exception:
            log.exception("speaker lookup failed", extra={"session": session_id})
            return None

    async def flush_session(self, loaded: LoadedMeeting, session_id: str) -> int:
        """Finalise every live tail of a session in every language now (it is ending); returns how many lines.

        Once the session is no longer live, its streams and feeds are let go: they hold every segment of the
        session (for corrections), and a process serving a meeting for days would otherwise keep the captions of
        every session it ever served. A later change restores them from storage.
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
                      stream: CaptionStream) -> None:
        """Broadcast committed events: one emit per room; partials wait for the merge loop."""
        sio = self.app[sio_key]
        viewers = rooms.captions(loaded.id, session_id, lang)
        captioners = rooms.session(loaded.id, session_id)
        for event in events:
            if isinstance(event, PartialUpdated):
                self._pending[(loaded.id, session_id, lang)] = _partial(session_id, lang, stream, event.at_ms)
                self._wake.set()
                continue
            payload = event.payload()
            if isinstance(event, (SegmentFinalised, SegmentCorrected)):
                await sio.emit(event.name, payload, room=viewers, namespace=LIVE)
                await sio.emit(event.name, payload, room=captioners, namespace=CAPTION)
            elif isinstance(event, CaptionerHandedOver):
                await sio.emit(event.name, payload, room=rooms.moderators(loaded.id, session_id), namespace=MODERATE)
                await sio.emit(event.name, payload, room=captioners, namespace=CAPTION)

    def partial(self, meeting_id: int, session_id: str, lang: str) -> dict[str, Any] | None:
        """The live tail of a loaded stream as a ``caption_partial`` payload (None when not loaded)."""
        held = self._streams.get((meeting_id, session_id, lang))
        if held is None:
            return None
        return _partial(session_id, lang, held.stream, held.stream.tail_first_ms)

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


def _captioner(captioner: Captioner | None) -> dict[str, str] | None:
    return None if captioner is None else {"id": captioner.id, "label": captioner.label}


def _partial(session_id: str, lang: str, stream: CaptionStream, at_ms: int | None) -> dict[str, Any]:
    """A ``caption_partial`` payload: every live tail as one line (``text``) and one by one (``tails``)."""
    tails: list[TailState] = stream.live_tails()
    return {"session_id": session_id, "lang": lang, "text": stream.tail, "last_seq": stream.last_seq,
            "captioner": _captioner(stream.last_captioner), "at_ms": at_ms,
            "tails": [{"captioner": _captioner(t.captioner), "text": t.text, "first_ms": t.first_ms} for t in tails]}


def captioner_for(link_id: int, session_scope: str | None, name: str | None = None) -> Captioner:
    """The captioner a link stands for: its id names the feed, the label is what moderators see."""
    base = f"{'Session' if session_scope else 'Meeting'} captioner #{link_id}"
    name = " ".join((name or "").split())[:60]
    return Captioner(f"link:{link_id}", f"{name} ({base})" if name else base)


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
