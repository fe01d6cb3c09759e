"""The transcript editor's API: segments at a version, saving a version, differences, search and presenters.

Captioners and rapporteurs (and admins) edit; every save is a new version and the raw captions never change.
"""

from __future__ import annotations

from aiohttp import web

from ...clock import now_ms
from ...domain import revisions
from ...domain.errors import InvalidInput, InvalidTransition
from ...domain.meetings.models import Role
from ...exports import lines
from ...storage import revisions as revisions_db
from .. import auth, payloads
from ..errors import Forbidden
from ..i18n import render_html
from ..keys import db_key
from .http import diff_context, search_hits, session_access

routes = web.RouteTableDef()
EDITORS = (Role.RAPPORTEUR, Role.CAPTIONER)
BASE = "/api/meetings/{slug}/sessions/{session_id}/transcript"


class VersionConflict(InvalidTransition):
    """Someone saved another version since this editor loaded the transcript."""

    code = "version_conflict"


@routes.get(BASE)
async def transcript_json(request: web.Request) -> web.Response:
    """Every segment of a session at ``?version=`` (default latest), optionally one ``?lang=``."""
    loaded, session_id, _ = await session_access(request, *EDITORS)
    db = request.app[db_key]
    version = revisions.parse_version(request.query.get("version"))
    current, stored, used = await lines(db, loaded.id, session_id, version)
    times = {(lang, s.seq): s for lang, s in stored}
    lang = request.query.get("lang")
    segments = [{"lang": k[0], "seq": k[1], "text": line.text, "speaker": line.speaker,
                 "first_ms": times[k].first_ms, "final_ms": times[k].final_ms}
                for k, line in sorted(current.items()) if lang is None or k[0] == lang]
    return web.json_response({"session_id": session_id, "version": used,
                              "latest": await revisions_db.latest(db, loaded.id, session_id), "segments": segments})


@routes.get(f"{BASE}/versions")
async def list_versions(request: web.Request) -> web.Response:
    """Every saved version of the session's transcript (version 0, the raw captions, is implied)."""
    loaded, session_id, _ = await session_access(request, *EDITORS)
    versions = await revisions_db.versions(request.app[db_key], loaded.id, session_id)
    return web.json_response({"session_id": session_id, "latest": len(versions), "versions": versions})


@routes.post(f"{BASE}/versions")
async def save_version(request: web.Request) -> web.Response:
    """Save edits as the next version: ``{"edits": [{lang, seq, text, speaker}], "author", "note", "base"}``."""
    loaded, session_id, access = await session_access(request, *EDITORS)
    body = await payloads.json_body(request)
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    author = body.get("author") or access.label
    note = body.get("note") or ""
    if not isinstance(author, str) or len(author) > 100 or not isinstance(note, str) or len(note) > 500:
        raise InvalidInput("author (up to 100 characters) and note (up to 500) must be text", field="author")
    db = request.app[db_key]
    current, _, latest = await lines(db, loaded.id, session_id, None)
    base = body.get("base")
    if base is not None and base != latest:
        raise VersionConflict("Version {latest} was saved since you loaded version {base}: reload to edit it.",
                              params={"latest": latest, "base": base})
    edits = revisions.clean_edits(body.get("edits"), current)
    if not edits:
        raise InvalidInput("nothing changed: every edit matches the current text", code="no_changes", field="edits")
    number = await revisions_db.save(db, loaded.id, session_id, edits, author=" ".join(author.split()),
                                     role=access.label, note=note.strip(), now=now_ms())
    return web.json_response({"ok": True, "version": number, "changed": len(edits)}, status=201)


@routes.get(f"{BASE}/diff")
async def diff_json(request: web.Request) -> web.Response:
    """Segments that differ between ``?from=`` and ``?to=`` (defaults: the latest version and the one before)."""
    loaded, session_id, _ = await session_access(request, *EDITORS)
    return web.json_response(await diff_context(request, loaded, session_id, None, None))


@routes.get("/m/{slug}/s/{session_id}/transcript/diff", name="transcript_diff")
async def diff_fragment(request: web.Request) -> web.Response:
    """The same differences as an HTML fragment for the rapporteur page (text escaped by the template)."""
    loaded, session_id, _ = await session_access(request, *EDITORS)
    diff = await diff_context(request, loaded, session_id, None, None)
    html = render_html(request, "_transcript_diff.html", diff=diff)
    return web.Response(text=html, content_type="text/html", charset="utf-8")


@routes.get("/api/meetings/{slug}/search", name="search")
async def search(request: web.Request) -> web.Response:
    """Full-text search over the meeting's transcripts (a session-scoped link searches its session)."""
    loaded = await auth.meeting_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    if not (access.has(Role.RAPPORTEUR) or access.has(Role.CAPTIONER)):
        raise Forbidden()
    query = request.query.get("q", "")
    hits = await search_hits(request, loaded, access, query)
    return web.json_response({"query": query.strip(), "hits": hits})


@routes.post("/m/{slug}/s/{session_id}/presenters")
async def set_presenters(request: web.Request) -> web.StreamResponse:
    """Mark who presented in the session (form from the attendance table), then back to the page."""
    loaded, session_id, _ = await session_access(request, Role.RAPPORTEUR)
    form = await request.post()
    ids = [payloads.number_text(str(raw), "presenter", low=1) for raw in form.getall("presenter", [])]
    await revisions_db.set_presenters(request.app[db_key], loaded.id, session_id, ids)
    url = request.app.router["rapporteur"].url_for(slug=loaded.meeting.slug, session_id=session_id)
    raise web.HTTPSeeOther(url.with_query(t=str(form.get("t", ""))).with_fragment("att-h"))

