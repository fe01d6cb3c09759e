"""Caption events on Socket.IO: viewers on ``/live`` (backlog and resume) and captioners on ``/caption``.

Viewers join their language's caption room first and only then read the backlog from storage, so every
segment is either in the backlog or broadcast after the join (possibly both: the client drops a ``seq`` it
already holds and asks ``captions_since`` when it notices a gap).
"""

from __future__ import annotations

from typing import Any

from ..domain.captions.events import Captioner
from ..domain.captions.stream import CaptionStream, SpeakerContext
from ..domain.errors import InvalidInput, NotAllowed
from ..domain.events import Event
from ..storage import captions as captions_db
from ..storage.meetings import hash_secret
from . import rooms
from .captions import captioner_for, hub
from .keys import db_key, settings_key
from .live import MeetingLive
from .sockets import Conn, ack, text_field

#: Most segments one backlog or ``captions_since`` answer carries; ``more`` says when there are others.
MAX_BATCH = 2000


def _lang(live: MeetingLive, value: Any) -> str:
    """A caption language of the meeting (its first when none is given); refuses an unknown one."""
    if value is None or value == "":
        return live.meeting.default_language
    if not isinstance(value, str) or value not in live.meeting.languages:
        raise InvalidInput(f"unknown caption language {value!r}", code="unknown_language", field="lang")
    return value


def _seq(value: Any, field: str) -> int | None:
    """An optional non-negative ``seq`` from a payload."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{field} must be a non-negative integer", field=field)
    return value


class LiveCaptionsMixin:
    """``/live``: a viewer of a session receives one caption language, starting with its backlog."""

    async def joined(self, sid: str, conn: Conn, live: MeetingLive, data: dict[str, Any]) -> None:
        """Subscribe the viewer to its language and send what it missed (or the backlog)."""
        await super().joined(sid, conn, live, data)  # type: ignore[misc]
        if conn.session_id is None:
            return
        try:
            lang = _lang(live, data.get("lang"))
            last_seq = _seq(data.get("last_seq"), "last_seq")
        except InvalidInput:
            lang, last_seq = live.meeting.default_language, None
        backlog = await self._subscribe(sid, conn, live, lang, last_seq)
        await self.emit("caption_backlog", backlog, to=sid)  # type: ignore[attr-defined]

    async def _subscribe(self, sid: str, conn: Conn, live: MeetingLive, lang: str,
                         last_seq: int | None) -> dict[str, Any]:
        assert conn.session_id is not None
        if conn.lang and conn.lang != lang:
            await self.leave_room(sid, rooms.captions(live.id, conn.session_id, conn.lang))  # type: ignore[attr-defined]
        # Join first, then read: never the other way round (see the module docstring).
        await self.enter_room(sid, rooms.captions(live.id, conn.session_id, lang))  # type: ignore[attr-defined]
        conn.lang = lang
        return await backlog(self.app, live, conn.session_id, lang, last_seq)  # type: ignore[attr-defined]

    @ack
    async def on_captions_subscribe(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Switch language or resume: ``{lang, last_seq}``; the ACK carries the backlog."""
        conn = await self.conn(sid)  # type: ignore[attr-defined]
        if conn.session_id is None:
            raise InvalidInput("connect with a session to follow its captions", field="session")
        live = await self.live(conn)  # type: ignore[attr-defined]
        lang, last_seq = _lang(live, data.get("lang")), _seq(data.get("last_seq"), "last_seq")
        return await self._subscribe(sid, conn, live, lang, last_seq)

    @ack
    async def on_captions_since(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Segments after ``after_seq`` in the connection's language (to fill a gap the client noticed)."""
        conn = await self.conn(sid)  # type: ignore[attr-defined]
        if conn.session_id is None:
            raise InvalidInput("connect with a session to follow its captions", field="session")
        live = await self.live(conn)  # type: ignore[attr-defined]
        lang = _lang(live, data.get("lang", conn.lang))
        after = _seq(data.get("after_seq"), "after_seq") or 0
        rows = await captions_db.segments_after(self.app[db_key], live.id, conn.session_id, lang,  # type: ignore[attr-defined]
                                                after, MAX_BATCH + 1)
        return {"lang": lang, "segments": rows[:MAX_BATCH], "more": len(rows) > MAX_BATCH}


async def backlog(app: Any, live: MeetingLive, session_id: str, lang: str, last_seq: int | None) -> dict[str, Any]:
    """What a (re)joining viewer gets: what it missed after ``last_seq``, else the configured backlog."""
    db = app[db_key]
    if last_seq is None:
        rows = await captions_db.latest_segments(db, live.id, session_id, lang, app[settings_key].caption_backlog)
        more = False
    else:
        rows = await captions_db.segments_after(db, live.id, session_id, lang, last_seq, MAX_BATCH + 1)
        more = len(rows) > MAX_BATCH
        rows = rows[:MAX_BATCH]
    h = hub(app)
    async with h.lock(live.id, session_id):
        await h.stream(live, session_id, lang)  # restores the tail after a restart
        partial = h.partial(live.id, session_id, lang)
    return {"session_id": session_id, "lang": lang, "segments": rows, "partial": partial, "more": more,
            "last_seq": partial["last_seq"] if partial else (rows[-1]["seq"] if rows else 0)}


class CaptionerMixin:
    """``/caption``: a captioner types, finalises and corrects lines from the captioner page."""

    async def joined(self, sid: str, conn: Conn, live: MeetingLive, data: dict[str, Any]) -> None:
        """Remember which link (so which captioner) this connection speaks for."""
        await super().joined(sid, conn, live, data)  # type: ignore[misc]
        token = data.get("t")
        link = await captions_db.captioner_link(self.app[db_key], live.id, hash_secret(token)) if isinstance(token, str) else None  # type: ignore[attr-defined]
        session = await self.get_session(sid)  # type: ignore[attr-defined]
        name = data.get("name") if isinstance(data.get("name"), str) else None
        session["captioner"] = captioner_for(link.id, link.session_id, name) if link else None
        await self.save_session(sid, session)  # type: ignore[attr-defined]

    async def _captioner(self, sid: str) -> tuple[Conn, MeetingLive, Captioner]:
        session = await self.get_session(sid)  # type: ignore[attr-defined]
        conn, captioner = session["conn"], session.get("captioner")
        if conn.session_id is None or captioner is None:
            raise NotAllowed("open the captioner page of a session")
        return conn, await self.live(conn), captioner  # type: ignore[attr-defined]

    async def _change(self, sid: str, data: dict[str, Any], make: Any) -> dict[str, Any]:
        conn, live, captioner = await self._captioner(sid)
        lang = _lang(live, data.get("lang"))

        def operation(stream: CaptionStream, ctx: SpeakerContext | None, now: int) -> list[Event]:
            return make(stream, captioner, ctx, now)

        outcome = await hub(self.app).change(live, conn.session_id or "", lang, operation)  # type: ignore[attr-defined]
        finals = [e.payload() for e in outcome.events if e.name == "caption_segment"]
        return {"lang": lang, "tail": outcome.tail, "last_seq": outcome.last_seq, "finalised": finals}

    @ack
    async def on_caption_append(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Typed text, backspaces (``\\b``) and line breaks included: ``{lang, text}``."""
        text = text_field(data, "text", 4000, required=False)
        return await self._change(sid, data, lambda s, c, ctx, now: s.append(text, c, now, speaker_context=ctx))

    @ack
    async def on_caption_set_tail(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Replace the live tail with the edit box's text: ``{lang, text}``."""
        text = text_field(data, "text", 4000, required=False)
        return await self._change(sid, data, lambda s, c, ctx, now: s.set_tail(text, c, now, speaker_context=ctx))

    @ack
    async def on_caption_flush(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Finalise the live tail now: ``{lang}``."""
        return await self._change(sid, data, lambda s, c, ctx, now: s.flush(now, speaker_context=ctx))

    @ack
    async def on_caption_correct(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Correct a final line: ``{lang, seq, text}`` (empty text withdraws it)."""
        text = text_field(data, "text", 4000, required=False)
        seq = _seq(data.get("seq"), "seq")
        if seq is None:
            raise InvalidInput("seq is required", field="seq")
        reply = await self._change(sid, data, lambda s, c, ctx, now: s.correct(seq, text, c, now))
        return {**reply, "corrected": seq}

    @ack
    async def on_caption_recent(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """The last ``count`` (default 20) final lines and the tail of ``lang``, for the captioner's list."""
        conn, live, _ = await self._captioner(sid)
        lang = _lang(live, data.get("lang"))
        count = data.get("count", 20)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 500:
            raise InvalidInput("count must be between 1 and 500", field="count")
        return await backlog(self.app, live, conn.session_id or "", lang, None) | {  # type: ignore[attr-defined]
            "segments": await captions_db.latest_segments(self.app[db_key], live.id, conn.session_id or "", lang, count)}  # type: ignore[attr-defined]
