"""Captions on Socket.IO: viewers on ``/live`` (backlog and resume) and captioners on ``/caption``.

Viewers join their language's caption room first and only then read the backlog from storage, so every
segment is either in the backlog or broadcast after the join (possibly both: the client drops a ``seq`` it
already holds and asks ``captions_since`` when it notices a gap).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from ...domain.captions.events import Captioner
from ...domain.captions.stream import CaptionStream, SpeakerContext
from ...domain.errors import InvalidInput, NotAllowed
from ...domain.events import Event
from ...storage import captions as captions_db
from ...storage.meetings import hash_secret
from .. import payloads, rooms
from ..keys import db_key, settings_key
from ..registry import LoadedMeeting
from ..sockets import CAPTION, LIVE, Commands, Context, Payload
from .hub import caption_hub_key, captioner_for

commands = Commands()
#: Most segments one backlog or ``captions_since`` answer carries; ``more`` says when there are others.
MAX_BATCH = 2000


def _lang(loaded: LoadedMeeting, value: Any) -> str:
    """A caption language of the meeting (its first when none is given); refuses an unknown one."""
    if value is None or value == "":
        return loaded.meeting.default_language
    if not isinstance(value, str) or value not in loaded.meeting.languages:
        raise InvalidInput("This meeting has no caption language \"{language}\".", code="unknown_language",
                           field="lang", params={"language": value})
    return value


async def backlog(app: web.Application, loaded: LoadedMeeting, session_id: str, lang: str,
                  last_seq: int | None) -> dict[str, Any]:
    """What a (re)joining viewer gets: what it missed after ``last_seq``, else the configured backlog.

    Viewers coming back together from the same ``seq`` share one read (``SharedReads``), made after each of them
    asked, so after each joined its room. The answer is shared: nobody changes it.
    """
    return await app[caption_hub_key].backlogs.read(
        (loaded.id, session_id, lang, last_seq), lambda: _read_backlog(app, loaded, session_id, lang, last_seq))


async def _read_backlog(app: web.Application, loaded: LoadedMeeting, session_id: str, lang: str,
                        last_seq: int | None) -> dict[str, Any]:
    db = app[db_key]
    if last_seq is None:
        rows = await captions_db.latest_segments(db, loaded.id, session_id, lang, app[settings_key].caption_backlog)
        more = False
    else:
        rows = await captions_db.segments_after(db, loaded.id, session_id, lang, last_seq, MAX_BATCH + 1)
        more = len(rows) > MAX_BATCH
        rows = rows[:MAX_BATCH]
    hub = app[caption_hub_key]
    async with hub.lock(loaded.id, session_id):
        await hub.stream(loaded, session_id, lang)  # restores the tail after a restart
        partial = hub.partial(loaded.id, session_id, lang)
    return {"session_id": session_id, "lang": lang, "segments": rows, "partial": partial, "more": more,
            "last_seq": partial["last_seq"] if partial else (rows[-1]["seq"] if rows else 0)}


async def _subscribe(ctx: Context, lang: str, last_seq: int | None) -> dict[str, Any]:
    """Move the viewer to ``lang``'s room, then read what it needs (join first: see the module docstring)."""
    session_id = ctx.session_id
    if ctx.conn.lang and ctx.conn.lang != lang:
        await ctx.leave_room(rooms.captions(ctx.meeting.id, session_id, ctx.conn.lang))
    await ctx.enter_room(rooms.captions(ctx.meeting.id, session_id, lang))
    ctx.conn.lang = lang
    return await backlog(ctx.app, ctx.meeting, session_id, lang, last_seq)


@commands.on_join(LIVE)
async def viewer_joined(ctx: Context, data: Payload) -> None:
    """Subscribe a viewer of a session to its language and send what it missed (or the backlog)."""
    if ctx.conn.session_id is None:
        return
    try:
        lang = _lang(ctx.meeting, data.get("lang"))
    except InvalidInput:
        lang = ctx.meeting.meeting.default_language
    last_seq = payloads.integer(data, "last_seq")  # refused: the connection is refused with the code
    await ctx.emit("caption_backlog", await _subscribe(ctx, lang, last_seq))


@commands.command("captions_subscribe", LIVE)
async def captions_subscribe(ctx: Context, data: Payload) -> dict[str, Any]:
    """Switch language or resume: ``{lang, last_seq}``; the ACK carries the backlog."""
    return await _subscribe(ctx, _lang(ctx.meeting, data.get("lang")), payloads.integer(data, "last_seq"))


@commands.command("captions_since", LIVE)
async def captions_since(ctx: Context, data: Payload) -> dict[str, Any]:
    """Segments after ``after_seq`` in the connection's language (to fill a gap the client noticed)."""
    lang = _lang(ctx.meeting, data.get("lang", ctx.conn.lang))
    after = payloads.integer(data, "after_seq", default=0) or 0
    rows = await captions_db.segments_after(ctx.app[db_key], ctx.meeting.id, ctx.session_id, lang, after,
                                            MAX_BATCH + 1)
    return {"lang": lang, "segments": rows[:MAX_BATCH], "more": len(rows) > MAX_BATCH}


@commands.on_join(CAPTION)
async def captioner_joined(ctx: Context, data: Payload) -> None:
    """Remember which link (so which captioner) this connection writes as."""
    token = data.get("t")
    link = await captions_db.captioner_link(ctx.app[db_key], ctx.meeting.id, hash_secret(token)) \
        if isinstance(token, str) else None
    name = data.get("name") if isinstance(data.get("name"), str) else None
    ctx.conn.captioner = captioner_for(link.id, link.session_id, name) if link else None


Make = Callable[[CaptionStream, Captioner, "SpeakerContext | None", int], list[Event]]


async def _change(ctx: Context, data: Payload, make: Make, *, recall: int | None = None) -> dict[str, Any]:
    """Apply one captioner change to the stream of ``data["lang"]`` and answer with the tail and new lines."""
    captioner = ctx.conn.captioner
    if ctx.conn.session_id is None or captioner is None:
        raise NotAllowed("open the captioner page of a session")
    lang = _lang(ctx.meeting, data.get("lang"))

    def operation(stream: CaptionStream, speaker: SpeakerContext | None, now: int) -> list[Event]:
        return make(stream, captioner, speaker, now)

    outcome = await ctx.app[caption_hub_key].change(ctx.meeting, ctx.session_id, lang, operation, writer=captioner.id,
                                                    recall=recall)
    finals = [e.payload() for e in outcome.events if e.name == "caption_segment"]
    return {"lang": lang, "tail": outcome.tail, "last_seq": outcome.last_seq, "finalised": finals}


@commands.command("caption_append", CAPTION)
async def caption_append(ctx: Context, data: Payload) -> dict[str, Any]:
    """Typed text, backspaces (``\\b``) and line breaks included: ``{lang, text, window}`` (``window``: the text
    re-sends the end of the tool's window, see ``CaptionStream.append``)."""
    text = payloads.text(data, "text", 4000, required=False)
    window = data.get("window") is True
    return await _change(ctx, data, lambda s, c, sp, now: s.append(text, c, now, speaker_context=sp, window=window))


@commands.command("caption_set_tail", CAPTION)
async def caption_set_tail(ctx: Context, data: Payload) -> dict[str, Any]:
    """Replace the live tail with the edit box's text: ``{lang, text}``."""
    text = payloads.text(data, "text", 4000, required=False)
    return await _change(ctx, data, lambda s, c, sp, now: s.set_tail(text, c, now, speaker_context=sp))


@commands.command("caption_flush", CAPTION)
async def caption_flush(ctx: Context, data: Payload) -> dict[str, Any]:
    """Finalise this captioner's live tail now: ``{lang}``."""
    return await _change(ctx, data, lambda s, c, sp, now: s.flush(now, speaker_context=sp, writer=c.id))


@commands.command("caption_correct", CAPTION)
async def caption_correct(ctx: Context, data: Payload) -> dict[str, Any]:
    """Correct a final line: ``{lang, seq, text}`` (empty text withdraws it)."""
    text = payloads.text(data, "text", 4000, required=False)
    seq = payloads.required_integer(data, "seq")
    reply = await _change(ctx, data, lambda s, c, sp, now: s.correct(seq, text, c, now), recall=seq)
    return {**reply, "corrected": seq}


@commands.command("caption_recent", CAPTION)
async def caption_recent(ctx: Context, data: Payload) -> dict[str, Any]:
    """The last ``count`` (default 20) final lines and the tail of ``lang``, for the captioner's list."""
    if ctx.conn.captioner is None:
        raise NotAllowed("open the captioner page of a session")
    lang = _lang(ctx.meeting, data.get("lang"))
    count = payloads.integer(data, "count", low=1, high=500, default=20) or 20
    latest = await captions_db.latest_segments(ctx.app[db_key], ctx.meeting.id, ctx.session_id, lang, count)
    return await backlog(ctx.app, ctx.meeting, ctx.session_id, lang, None) | {"segments": latest}
