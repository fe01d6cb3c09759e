"""Captioner links over HTTP: what Zoom-, YouTube- and StreamText-style captioning tools post.

``POST /m/{slug}/s/{sid}/ingest/{zoom|youtube|streamtext}?t=TOKEN&seq=N&lang=ll-CC`` answers ``200`` with the
server's UTC time as its body, for a new post and a repeated one alike (a repeat is not applied again).
``GET …/ingest/{kind}/seq?t=TOKEN`` answers the feed's last accepted ``seq``. Each captioner link and tool
convention is one feed with its own persisted sequence. Refusals are plain text: ``403`` for a wrong token or a
missing ``seq``, ``400`` when the session is not live or the language or body is wrong.
"""

from __future__ import annotations

import logging

from aiohttp import web

from ..domain.captions.stream import CaptionStream, SpeakerContext
from ..domain.errors import DomainError, InvalidInput
from ..domain.events import Event
from ..domain.meetings.models import Role
from ..domain.captions.ingest import decode_body, parse_seq, parse_youtube, server_time, zoom_line
from ..storage import captions as captions_db
from ..storage.meetings import hash_secret
from . import auth
from .captions import captioner_for, hub
from .keys import db_key, registry_key
from .live import MeetingLive, now_ms

log = logging.getLogger(__name__)

KINDS = ("zoom", "youtube", "streamtext")
#: Conventions whose posts must carry ``seq`` (StreamText-style pushes may).
SEQ_REQUIRED = frozenset({"zoom", "youtube"})


def _text(status: int, body: str) -> web.Response:
    return web.Response(status=status, text=body, content_type="text/plain", charset="utf-8")


def _refusal(exc: DomainError) -> web.Response:
    status = 403 if exc.code == "seq_required" else exc.status
    return _text(status, f"{exc.code}: {exc.message}\n")


def caption_language(live: MeetingLive, raw: str | None) -> str:
    """A tool's language tag (``en-US``, ``fr``) as one of the meeting's languages; raises ``InvalidInput``."""
    if raw is None or not raw.strip():
        return live.meeting.default_language
    tag = raw.strip().replace("_", "-")
    for candidate in (tag, tag.lower(), tag.split("-")[0].lower()):
        if candidate in live.meeting.languages:
            return candidate
    raise InvalidInput(f"this meeting has no caption language {raw!r} (it has {', '.join(live.meeting.languages)})",
                       code="unknown_language", field="lang")


async def _feed_owner(request: web.Request) -> tuple[MeetingLive, str, captions_db.CaptionerLink]:
    """The meeting, session and captioner link of an ingest request; raises ``Forbidden``/``NotFound``."""
    live = await request.app[registry_key].get(request.match_info["slug"])
    sid = request.match_info["sid"]
    live.meeting.session(sid)
    token = request.query.get("t")
    header = request.headers.get("Authorization", "")
    if token is None and header.startswith("Bearer "):
        token = header[7:].strip()
    # Not auth.from_request: it would read a form-encoded body as a form, and bodies here are always text.
    access = await auth.resolve(request.app[db_key], live, token, None)
    auth.require(access, Role.CAPTIONER, sid)
    link = await captions_db.captioner_link(request.app[db_key], live.id, hash_secret(token or ""))
    if link is None:
        raise auth.Forbidden()
    return live, sid, link


async def ingest(request: web.Request) -> web.Response:
    """Apply one post of a captioning tool (see the module docstring)."""
    kind = request.match_info["kind"]
    body = decode_body(await request.read())
    try:
        live, sid, link = await _feed_owner(request)
        raw_seq = request.query.get("seq")
        seq = parse_seq(raw_seq) if kind in SEQ_REQUIRED or raw_seq is not None else None
        lang = caption_language(live, request.query.get("lang") or request.query.get("language"))
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
        outcome = await hub(request.app).change(live, sid, lang, operation, feed=feed if seq is not None else None,
                                                seq=seq)
    except DomainError as exc:
        return _refusal(exc)
    if not outcome.applied:
        log.info("caption post repeated", extra={"session": sid, "feed": f"{link.id}:{kind}", "seq": seq})
    return _text(200, server_time(now_ms()))


async def feed_seq(request: web.Request) -> web.Response:
    """The last accepted ``seq`` of this link's feed for one tool convention (0 before the first post)."""
    try:
        live, sid, link = await _feed_owner(request)
    except DomainError as exc:
        return _refusal(exc)
    last = await captions_db.feed_seq(request.app[db_key], live.id, sid, f"{link.id}:{request.match_info['kind']}")
    return _text(200, str(last or 0))


def setup(app: web.Application) -> None:
    """Add the ingest routes (other methods on them answer 405)."""
    kinds = "|".join(KINDS)
    app.router.add_post(f"/m/{{slug}}/s/{{sid}}/ingest/{{kind:{kinds}}}", ingest)
    app.router.add_get(f"/m/{{slug}}/s/{{sid}}/ingest/{{kind:{kinds}}}/seq", feed_seq)
