"""Caption outputs over HTTP: the captioner page, the OBS overlay, the no-JavaScript text page, a
StreamText-style pull feed, a vMix/Tricaster XML feed, TXT and WebVTT downloads, and the JSON list of segments.

All outputs are public, like the captions on the session page. Caption text is untrusted: templates
autoescape it and the XML feed escapes it.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from transcripts.formats import writer
from transcripts.model import Transcript

from ...clock import now_ms
from ...domain.captions.stream import turn_lead
from ...domain.errors import DomainError, InvalidInput
from ...domain.meetings.models import Role
from ...exports import session_export
from ...storage import captions as captions_db
from .. import auth
from ..errors import status_for
from ..keys import db_key, registry_key, settings_key
from ..pages import page_language, render, session_page
from ..payloads import query_int
from ..registry import LoadedMeeting, session_state
from .hub import caption_hub_key

routes = web.RouteTableDef()
#: Lines on the no-JavaScript text page, and how often it reloads (seconds).
TEXT_LINES = 20
TEXT_REFRESH = 5
_PUBLIC_FEED = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}


async def current_text(app: web.Application, loaded: LoadedMeeting, session_id: str, lang: str,
                       count: int) -> tuple[list[dict[str, Any]], str]:
    """The last ``count`` final segments and the live tail (the stream is restored on first use)."""
    hub = app[caption_hub_key]
    async with hub.lock(loaded.id, session_id):
        tail = (await hub.stream(loaded, session_id, lang)).tail
    rows = await captions_db.latest_segments(app[db_key], loaded.id, session_id, lang, count)
    return rows, tail


@routes.get("/m/{slug}/s/{session_id}/caption", name="caption")
async def captioner_page(request: web.Request) -> web.Response:
    """The captioner's page: type captions, correct them, and the ingest URLs for captioning software."""
    base = request.app[settings_key].public_base_url()
    return await session_page(request, "caption.html", Role.CAPTIONER, base_url=base)


@routes.get("/m/{slug}/s/{session_id}/overlay", name="caption_overlay")
async def overlay_page(request: web.Request) -> web.Response:
    """A transparent page with the last lines at the bottom, for an OBS browser source."""
    loaded, session_id = await auth.session_of(request)
    lines = query_int(request.query.get("lines"), "lines", default=2, low=1, high=10)
    return render(request, "overlay.html", meeting=loaded.meeting, session=loaded.meeting.session(session_id),
                  lang=page_language(loaded, request.query.get("lang")), lines=lines)


@routes.get("/m/{slug}/s/{session_id}/text", name="caption_text")
async def text_page(request: web.Request) -> web.Response:
    """Captions without JavaScript: the last lines in a page of a few KB that reloads itself."""
    loaded, session_id = await auth.session_of(request)
    lang = page_language(loaded, request.query.get("lang"))
    rows, tail = await current_text(request.app, loaded, session_id, lang, TEXT_LINES)
    state = session_state(loaded.life(session_id), now_ms())
    return render(request, "captions_text.html", meeting=loaded.meeting, session=loaded.meeting.session(session_id),
                  lang=lang, segments=rows, tail=tail, state=state, refresh=TEXT_REFRESH,
                  paused="pause" in request.query)


@routes.get("/captions")
async def pull(request: web.Request) -> web.Response:
    """StreamText-style polling: ``/captions?event=SLUG:SESSION&last=N&length=M&language=en``.

    ``last=-1`` (as StreamText) answers the current position and no text, so a client can start from "now".
    A refusal is JSON like the answer: ``400`` for a malformed query, ``404`` for an unknown event or language.
    """
    try:
        slug, _, session_id = request.query.get("event", "").partition(":")
        if not slug or not session_id:
            raise InvalidInput("event must be MEETING:SESSION", field="event")
        loaded = await request.app[registry_key].get(slug)
        loaded.meeting.session(session_id)
        lang = loaded.language(request.query.get("language") or request.query.get("lang"))
        raw_last = request.query.get("last")
        last = -1 if raw_last == "-1" else query_int(raw_last, "last", default=0, high=10 ** 12)
        length = query_int(request.query.get("length"), "length", default=0, high=10 ** 7)
    except DomainError as exc:
        return web.json_response({"ok": False, "error": exc.as_dict()}, status=status_for(exc), headers=_PUBLIC_FEED)
    content, end = await captions_db.pull_text(request.app[db_key], loaded.id, session_id, lang, last)
    if length and len(content) > length:
        content = content[:length]
        end = last + length
    return web.json_response({"content": content, "lastPosition": end, "languageCode": lang}, headers=_PUBLIC_FEED)


@routes.get("/m/{slug}/s/{session_id}/captions.xml")
async def xml_feed(request: web.Request) -> web.Response:
    """The last lines (live tail included) as ``<caption><line1>…</line1>…</caption>`` for vMix or Tricaster."""
    loaded, session_id = await auth.session_of(request)
    lang = loaded.language(request.query.get("lang"))
    count = query_int(request.query.get("lines"), "lines", default=2, low=1, high=10)
    rows, tail = await current_text(request.app, loaded, session_id, lang, count)
    lines = [turn_lead(r["speaker"], r["new_turn"]) + r["text"] for r in rows]
    lines += [tail.strip()] if tail.strip() else []
    lines = lines[-count:]
    lines += [""] * (count - len(lines))
    body = "".join(f"<line{i}>{escape(text)}</line{i}>" for i, text in enumerate(lines, start=1))
    return web.Response(text=f'<?xml version="1.0" encoding="UTF-8"?>\n<caption>{body}</caption>\n',
                        content_type="application/xml", charset="utf-8", headers=_PUBLIC_FEED)


@routes.get("/m/{slug}/s/{session_id}/captions.{fmt:txt|vtt}")
async def download(request: web.Request) -> web.Response:
    """The session's captions in one language as TXT or WebVTT, rendered by the transcripts library."""
    loaded, session_id = await auth.session_of(request)
    lang = loaded.language(request.query.get("lang"))
    fmt = request.match_info["fmt"]
    export = await session_export(request.app[db_key], loaded.id, loaded.meeting, loaded.life(session_id), lang)
    text = writer(fmt).render(Transcript.from_dict(export), lang=lang)
    name = f"{loaded.meeting.slug}-{session_id}-{lang}.{fmt}"
    return web.Response(text=text, content_type="text/vtt" if fmt == "vtt" else "text/plain", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@routes.get("/api/meetings/{slug}/sessions/{session_id}/captions")
async def segments_json(request: web.Request) -> web.Response:
    """Final segments after ``after`` (default 0) in one language, with the live tail."""
    loaded, session_id = await auth.session_of(request)
    lang = loaded.language(request.query.get("lang"))
    after = query_int(request.query.get("after"), "after", default=0, high=10 ** 12)
    limit = query_int(request.query.get("limit"), "limit", default=1000, low=1, high=5000)
    rows = await captions_db.segments_after(request.app[db_key], loaded.id, session_id, lang, after, limit)
    _, tail = await current_text(request.app, loaded, session_id, lang, 0)
    return web.json_response({"session_id": session_id, "lang": lang, "segments": rows, "tail": tail})
