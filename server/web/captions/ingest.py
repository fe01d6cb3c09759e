"""Captioner links over HTTP: what Zoom-, YouTube- and StreamText-style captioning tools post.

``POST /m/{slug}/s/{session_id}/ingest/{zoom|youtube|streamtext}?t=TOKEN&seq=N&lang=ll-CC`` answers ``200`` with the
server's UTC time as its body, for a new post and a repeated one alike (a repeat is not applied again).
``GET …/ingest/{kind}/seq?t=TOKEN`` answers the feed's last accepted ``seq``. Each captioner link and tool
convention is one feed with its own persisted sequence. Refusals are plain text: ``403`` for a wrong token or a
missing ``seq``, ``400`` when the session is not live or the language or body is wrong.
"""

from __future__ import annotations

import logging

from aiohttp import web

from ...clock import now_ms
from ...domain.captions.ingest import decode_body, parse_seq, parse_youtube, server_time, zoom_line
from ...domain.captions.stream import CaptionStream, SpeakerContext
from ...domain.errors import DomainError, InvalidInput
from ...domain.events import Event
from ...domain.meetings.models import Role
from ...storage import captions as captions_db
from ...storage.meetings import hash_secret
from .. import auth
from ..errors import Forbidden, text_refusal
from ..keys import db_key
from ..registry import LoadedMeeting
from .hub import caption_hub_key, captioner_for

log = logging.getLogger(__name__)

KINDS = ("zoom", "youtube", "streamtext")
#: Conventions whose posts must carry ``seq`` (StreamText-style pushes may).
SEQ_REQUIRED = frozenset({"zoom", "youtube"})


routes = web.RouteTableDef()


def _text(body: str) -> web.Response:
    return web.Response(text=body, content_type="text/plain", charset="utf-8")


def caption_language(loaded: LoadedMeeting, raw: str | None) -> str:
    """A tool's language tag (``en-US``, ``fr``) as one of the meeting's languages; raises ``InvalidInput``."""
    if raw is None or not raw.strip():
        return loaded.meeting.default_language
    tag = raw.strip().replace("_", "-")
    for candidate in (tag, tag.lower(), tag.split("-")[0].lower()):
        if candidate in loaded.meeting.languages:
            return candidate
    raise InvalidInput(f"this meeting has no caption language {raw!r} (it has {', '.join(loaded.meeting.languages)})",
                       code="unknown_language", field="lang")


async def feed_owner(request: web.Request) -> tuple[LoadedMeeting, str, captions_db.CaptionerLink]:
    """The meeting, session and captioner link of an ingest request; raises ``Forbidden``/``NotFound``."""
    loaded, session_id = await auth.session_of(request)
    token = request.query.get("t")
    header = request.headers.get("Authorization", "")
    if token is None and header.startswith("Bearer "):
        token = header[7:].strip()
    # Not auth.from_request: it would read a form-encoded body as a form, and bodies here are always text.
    access = await auth.resolve(request.app[db_key], loaded, token, None)
    auth.require(access, Role.CAPTIONER, session_id)
    link = await captions_db.captioner_link(request.app[db_key], loaded.id, hash_secret(token or ""))
    if link is None:
        raise Forbidden()
    return loaded, session_id, link


@routes.post(f"/m/{{slug}}/s/{{session_id}}/ingest/{{kind:{'|'.join(KINDS)}}}")
async def ingest(request: web.Request) -> web.Response:
    """Apply one post of a captioning tool (see the module docstring)."""
    kind = request.match_info["kind"]
    body = decode_body(await request.read())
    try:
        loaded, session_id, link = await feed_owner(request)
        raw_seq = request.query.get("seq")
        seq = parse_seq(raw_seq) if kind in SEQ_REQUIRED or raw_seq is not None else None
        lang = caption_language(loaded, request.query.get("lang") or request.query.get("language"))
        captioner = captioner_for(link.id, link.session_id, request.query.get("name"))
        if kind == "youtube":
            cues = parse_youtube(body)  # a malformed body is refused before anything changes

            def operation(stream: CaptionStream, ctx: SpeakerContext | None, now: int) -> list[Event]:
                events: list[Event] = []
                for cue in cues:
                    events += stream.append_line(cue.text, captioner, now, sender_ms=cue.sender_ms,
                                                 speaker_context=ctx)
                return events
        elif kind == "zoom":
            line = zoom_line(body)

            def operation(stream: CaptionStream, ctx: SpeakerContext | None, now: int) -> list[Event]:
                return [] if line is None else stream.append_line(line, captioner, now, speaker_context=ctx)
        else:
            def operation(stream: CaptionStream, ctx: SpeakerContext | None, now: int) -> list[Event]:
                return stream.append(body, captioner, now, speaker_context=ctx)

        feed = f"{link.id}:{kind}"
        outcome = await request.app[caption_hub_key].change(loaded, session_id, lang, operation,
                                                             feed=feed if seq is not None else None, seq=seq)
    except DomainError as exc:
        return text_refusal(exc)
    if not outcome.applied:
        log.info("caption post repeated", extra={"session": session_id, "feed": f"{link.id}:{kind}", "seq": seq})
    return _text(server_time(now_ms()))


@routes.get(f"/m/{{slug}}/s/{{session_id}}/ingest/{{kind:{'|'.join(KINDS)}}}/seq")
async def feed_seq(request: web.Request) -> web.Response:
    """The last accepted ``seq`` of this link's feed for one tool convention (0 before the first post)."""
    try:
        loaded, session_id, link = await feed_owner(request)
    except DomainError as exc:
        return text_refusal(exc)
    feed = f"{link.id}:{request.match_info['kind']}"
    last = await captions_db.feed_seq(request.app[db_key], loaded.id, session_id, feed)
    return _text(str(last or 0))

