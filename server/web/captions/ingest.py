"""Captioner links over HTTP: what Zoom-, YouTube- and StreamText-style captioning tools post.

``POST /m/{slug}/s/{session_id}/ingest/{zoom|youtube|streamtext}?t=TOKEN&seq=N&lang=ll-CC[&window=1]`` answers ``200``
with the server's UTC time as its body; a retry of a recent post (same ``seq``, same text) is not applied again and
answered with its original's time, and any other repeated ``seq`` is refused ``409`` (never a 200 for unstored text).
Every post continues the live line of its link and tool; only a line break, the idle flush or the session's end
finalises it (see ``docs/API.md``). ``seq`` counts per link, tool and language. ``window=1`` declares a tool that
re-sends the end of its window with each post. ``GET …/ingest/{kind}/seq?t=TOKEN&lang=ll-CC`` answers the feed's
last accepted ``seq``. Refusals are plain text: ``403`` for a wrong token or a missing ``seq``, ``400`` when the
session is not live, the language or body is wrong or ``seq`` is out of range, ``405`` with ``Allow`` for another
method, ``503`` when storage is full or failing.
"""

from __future__ import annotations

import logging

from aiohttp import web

from ...clock import now_ms
from ...domain.captions.ingest import continued, decode_body, parse_seq, parse_youtube, post_digest, server_time
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
_YES = frozenset({"1", "true", "yes", "on"})


routes = web.RouteTableDef()


def _text(body: str) -> web.Response:
    return web.Response(text=body, content_type="text/plain", charset="utf-8")


def flag(raw: str | None) -> bool:
    """A yes/no query parameter (``window=1``)."""
    return (raw or "").strip().lower() in _YES


def feed_name(link_id: int, kind: str, lang: str | None = None) -> str:
    """A feed's name: the writer (link and tool) and, for HTTP tools, the language its ``seq`` counts in."""
    return f"{link_id}:{kind}" if lang is None else f"{link_id}:{kind}:{lang}"


def caption_language(loaded: LoadedMeeting, raw: str | None) -> str:
    """A tool's language tag (``en-US``, ``fr``) as one of the meeting's languages; raises ``InvalidInput``."""
    if raw is None or not raw.strip():
        return loaded.meeting.default_language
    tag = raw.strip().replace("_", "-")
    for candidate in (tag, tag.lower(), tag.split("-")[0].lower()):
        if candidate in loaded.meeting.languages:
            return candidate
    raise InvalidInput("This meeting has no caption language \"{language}\" (it has {languages}).",
                       code="unknown_language", field="lang",
                       params={"language": raw, "languages": list(loaded.meeting.languages)})


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
        writer, window = feed_name(link.id, kind), flag(request.query.get("window"))
        if kind == "youtube":
            cues = parse_youtube(body)  # a malformed body is refused before anything changes

            def operation(stream: CaptionStream, ctx: SpeakerContext | None, now: int) -> list[Event]:
                events: list[Event] = []
                for cue in cues:
                    events += stream.append(continued(stream.tail_of(writer), cue.text), captioner, now,
                                            sender_ms=cue.sender_ms, speaker_context=ctx, writer=writer,
                                            window=window)
                return events
        else:
            def operation(stream: CaptionStream, ctx: SpeakerContext | None, now: int) -> list[Event]:
                return stream.append(body, captioner, now, speaker_context=ctx, writer=writer, window=window)

        outcome = await request.app[caption_hub_key].change(
            loaded, session_id, lang, operation, feed=feed_name(link.id, kind, lang) if seq is not None else None,
            seq=seq, writer=writer, digest=post_digest(body))
    except DomainError as exc:
        return text_refusal(request, exc)
    if not outcome.applied:
        log.info("caption post repeated", extra={"session": session_id, "feed": feed_name(link.id, kind, lang),
                                                 "seq": seq})
    # A retry is answered with its original's time, so the tool sees one answer per post.
    return _text(server_time(outcome.at_ms if outcome.at_ms is not None else now_ms()))


@routes.get(f"/m/{{slug}}/s/{{session_id}}/ingest/{{kind:{'|'.join(KINDS)}}}/seq")
async def feed_seq(request: web.Request) -> web.Response:
    """The last accepted ``seq`` of this link's feed for one tool convention and language (0 before the first)."""
    try:
        loaded, session_id, link = await feed_owner(request)
        lang = caption_language(loaded, request.query.get("lang") or request.query.get("language"))
    except DomainError as exc:
        return text_refusal(request, exc)
    feed = feed_name(link.id, request.match_info["kind"], lang)
    last = await captions_db.feed_seq(request.app[db_key], loaded.id, session_id, feed)
    return _text(str(last or 0))

