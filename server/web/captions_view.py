"""Caption outputs over HTTP: the OBS overlay, the no-JavaScript text page, a StreamText-style pull feed,
a vMix/Tricaster XML feed, TXT and WebVTT downloads, and the JSON list of segments.

All of them are public, like the captions on the session page. Caption text is untrusted: templates
autoescape it and the XML feed escapes it.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from transcripts.formats import writer
from transcripts.model import Transcript

from ..domain.errors import InvalidInput
from ..domain.meetings.models import Role
from ..storage import captions as captions_db
from ..storage import meetings as meetings_db
from ..storage.transcripts import session_export
from . import auth
from .captions import hub
from .keys import db_key, link_key_key, registry_key
from .live import MeetingLive, now_ms
from .realtime import session_state
from .views import render

#: Lines on the no-JavaScript text page, and how often it reloads (seconds).
TEXT_LINES = 20
TEXT_REFRESH = 5
_PUBLIC_FEED = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}




def _count(raw: str | None, default: int, low: int, high: int, field: str) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(f"{field} must be a whole number from {low} to {high}", field=field)
    return int(raw)


async def current_text(app: web.Application, live: MeetingLive, sid: str, lang: str,
                       count: int) -> tuple[list[dict[str, Any]], str]:
    """The last ``count`` final segments and the live tail (the stream is restored on first use)."""
    h = hub(app)
    async with h.lock(live.id, sid):
        stream = await h.stream(live, sid, lang)
        tail = stream.tail
    rows = await captions_db.latest_segments(app[db_key], live.id, sid, lang, count)
    return rows, tail


async def overlay_page(request: web.Request) -> web.Response:
    """A transparent page with the last lines at the bottom, for an OBS browser source."""
    live, sid = await auth.session_of(request)
    lang = request.query.get("lang") if request.query.get("lang") in live.meeting.languages else \
        live.meeting.default_language
    lines = _count(request.query.get("lines"), 2, 1, 10, "lines")
    return render(request, "overlay.html", meeting=live.meeting, session=live.meeting.session(sid), lang=lang,
                  lines=lines)


async def text_page(request: web.Request) -> web.Response:
    """Captions without JavaScript: the last lines in a page of a few KB that reloads itself."""
    live, sid = await auth.session_of(request)
    lang = request.query.get("lang") if request.query.get("lang") in live.meeting.languages else \
        live.meeting.default_language
    rows, tail = await current_text(request.app, live, sid, lang, TEXT_LINES)
    state = session_state(live.life(sid), now_ms())
    return render(request, "captions_text.html", meeting=live.meeting, session=live.meeting.session(sid), lang=lang,
                  segments=rows, tail=tail, state=state, refresh=TEXT_REFRESH, paused="pause" in request.query)


async def pull(request: web.Request) -> web.Response:
    """StreamText-style polling: ``/captions?event=SLUG:SID&last=N&length=M&language=en``."""
    try:
        event = request.query.get("event", "")
        slug, _, sid = event.partition(":")
        if not slug or not sid:
            raise InvalidInput("event must be MEETING:SESSION", field="event")
        live = await request.app[registry_key].get(slug)
        live.meeting.session(sid)
        lang = live.language(request.query.get("language") or request.query.get("lang"))
        last = _count(request.query.get("last"), 0, 0, 10 ** 12, "last")
        length = _count(request.query.get("length"), 0, 0, 10 ** 7, "length")
    except InvalidInput as exc:
        return web.json_response({"ok": False, "error": exc.as_dict()}, status=400, headers=_PUBLIC_FEED)
    content, end = await captions_db.pull_text(request.app[db_key], live.id, sid, lang, last)
    if length and len(content) > length:
        content = content[:length]
        end = last + length
    return web.json_response({"content": content, "lastPosition": end, "languageCode": lang}, headers=_PUBLIC_FEED)


async def xml_feed(request: web.Request) -> web.Response:
    """The last lines (live tail included) as ``<caption><line1>…</line1>…</caption>`` for vMix or Tricaster."""
    live, sid = await auth.session_of(request)
    lang = live.language(request.query.get("lang"))
    count = _count(request.query.get("lines"), 2, 1, 10, "lines")
    rows, tail = await current_text(request.app, live, sid, lang, count)
    lines = [r["text"] for r in rows] + ([tail.strip()] if tail.strip() else [])
    lines = lines[-count:]
    lines += [""] * (count - len(lines))
    body = "".join(f"<line{i}>{escape(text)}</line{i}>" for i, text in enumerate(lines, start=1))
    return web.Response(text=f'<?xml version="1.0" encoding="UTF-8"?>\n<caption>{body}</caption>\n',
                        content_type="application/xml", charset="utf-8", headers=_PUBLIC_FEED)


async def download(request: web.Request) -> web.Response:
    """The session's captions in one language as TXT or WebVTT, rendered by the transcripts library."""
    live, sid = await auth.session_of(request)
    lang = live.language(request.query.get("lang"))
    fmt = request.match_info["fmt"]
    export = await session_export(request.app[db_key], live.id, live.meeting, live.life(sid), lang)
    text = writer(fmt).render(Transcript.from_dict(export), lang=lang)
    name = f"{live.meeting.slug}-{sid}-{lang}.{fmt}"
    return web.Response(text=text, content_type="text/vtt" if fmt == "vtt" else "text/plain", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def segments_json(request: web.Request) -> web.Response:
    """Final segments after ``after`` (default 0) in one language, with the live tail."""
    live, sid = await auth.session_of(request)
    lang = live.language(request.query.get("lang"))
    after = _count(request.query.get("after"), 0, 0, 10 ** 12, "after")
    limit = _count(request.query.get("limit"), 1000, 1, 5000, "limit")
    rows = await captions_db.segments_after(request.app[db_key], live.id, sid, lang, after, limit)
    _, tail = await current_text(request.app, live, sid, lang, 0)
    return web.json_response({"session_id": sid, "lang": lang, "segments": rows, "tail": tail})


async def issue_captioner_link(request: web.Request) -> web.StreamResponse:
    """Issue one more captioner link for a session (admin): a second captioner gets a feed of their own."""
    live, sid = await auth.session_of(request)
    access = await auth.from_request(request, request.app[db_key], live)
    auth.require(access, Role.ADMIN)
    await meetings_db.issue_link(request.app[db_key], request.app[link_key_key], live.id, sid, Role.CAPTIONER, now_ms())
    token = str((await request.post()).get("t", ""))
    url = request.app.router["admin"].url_for(slug=live.meeting.slug).with_query(t=token, done="captioner")
    raise web.HTTPSeeOther(url)


def setup(app: web.Application) -> None:
    """Add the caption output routes."""
    r = app.router
    r.add_get("/captions", pull)
    r.add_get("/m/{slug}/s/{sid}/overlay", overlay_page, name="caption_overlay")
    r.add_get("/m/{slug}/s/{sid}/text", text_page, name="caption_text")
    r.add_get("/m/{slug}/s/{sid}/captions.xml", xml_feed)
    r.add_get("/m/{slug}/s/{sid}/captions.{fmt:txt|vtt}", download)
    r.add_get("/api/meetings/{slug}/sessions/{sid}/captions", segments_json)
    r.add_post("/m/{slug}/admin/sessions/{sid}/captioner-links", issue_captioner_link)
