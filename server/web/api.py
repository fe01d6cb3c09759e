"""The JSON HTTP API under ``/api/`` (described by ``/api/openapi.json``) and ``/healthz``."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from server import __version__
from ..domain.errors import InvalidInput
from ..domain.meetings.models import Role, countries, registration
from ..storage import meetings as meetings_db
from . import auth
from .keys import db_key, link_key_key, registry_key, settings_key
from .links import link_rows
from .live import MeetingLive, now_ms
from .openapi import openapi_document
from .realtime import change_session, session_state
from .sockets import Conn


async def healthz(request: web.Request) -> web.Response:
    """Liveness and readiness: the database answers."""
    await request.app[db_key].fetchone("SELECT 1")
    return web.json_response({"ok": True, "version": __version__})


async def _live(request: web.Request) -> MeetingLive:
    return await request.app[registry_key].get(request.match_info["slug"])


def meeting_json(live: MeetingLive) -> dict[str, Any]:
    """A meeting with its agenda and each session's state."""
    m, now = live.meeting, now_ms()
    return {
        "slug": m.slug, "title": m.title, "venue": m.venue, "timezone": m.timezone, "start_date": m.start_date,
        "end_date": m.end_date, "languages": list(m.languages), "description": m.description,
        "groups": [{"slug": g.slug, "label": g.label} for g in m.groups],
        "sessions": [{"id": s.id, "title": s.title, "room": s.room, "start_ms": s.start_ms, "end_ms": s.end_ms,
                      "themes": list(s.themes), "auto_start": s.auto_start, **session_state(live.lives[s.id], now)}
                     for s in m.sessions],
    }


async def list_meetings(request: web.Request) -> web.Response:
    """Every meeting."""
    rows = await meetings_db.list_meetings(request.app[db_key])
    return web.json_response({"meetings": [{k: r[k] for k in ("slug", "title", "venue", "start_date", "end_date")}
                                           for r in rows]})


async def get_meeting(request: web.Request) -> web.Response:
    """One meeting and its agenda."""
    return web.json_response(meeting_json(await _live(request)))


async def session_action(request: web.Request) -> web.Response:
    """Start or end a session (moderator)."""
    live = await _live(request)
    sid = request.match_info["sid"]
    live.meeting.session(sid)
    access = await auth.from_request(request, request.app[db_key], live)
    auth.require(access, Role.MODERATOR, sid)
    conn = Conn(live.meeting.slug, live.id, sid, access.role, access.session_scope, None)
    return web.json_response({"ok": True, **await change_session(request.app, conn, request.match_info["action"])})


async def register(request: web.Request) -> web.Response:
    """Register a participant with the join token; answers the participant and sets the session cookie."""
    live = await _live(request)
    access = await auth.from_request(request, request.app[db_key], live)
    auth.require(access, Role.PARTICIPANT)
    try:
        data = await request.json()
    except ValueError:
        raise InvalidInput("the body must be JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    participant = registration(live.meeting, data, {c for c, _ in countries()})
    response = web.json_response(status=201)
    participant = await auth.sign_up(request, live, participant, response)
    response.text = json.dumps({"ok": True, "participant": {
        **participant.snapshot(), "hub_city": participant.hub_city, "hub_country": participant.hub_country,
        "hub_headcount": participant.hub_headcount, "listed": participant.listed}})
    return response


async def attendance(request: web.Request) -> web.Response:
    """Attendance intervals of a session (rapporteur)."""
    live = await _live(request)
    sid = request.match_info["sid"]
    live.meeting.session(sid)
    access = await auth.from_request(request, request.app[db_key], live)
    auth.require(access, Role.RAPPORTEUR, sid)
    rows = await meetings_db.attendance(request.app[db_key], live.id, sid)
    for row in rows:
        row["listed"] = bool(row["listed"])
    return web.json_response({"session_id": sid, "attendance": rows})


async def links(request: web.Request) -> web.Response:
    """Every active link of the meeting as absolute URLs (admin)."""
    live = await _live(request)
    access = await auth.from_request(request, request.app[db_key], live)
    auth.require(access, Role.ADMIN)
    found = await meetings_db.active_links(request.app[db_key], request.app[link_key_key], live.id)
    return web.json_response({"links": link_rows(request.app[settings_key].public_base_url(), live.meeting, found)})


async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3 description of this API."""
    return web.json_response(openapi_document(request.app[settings_key].public_base_url()))


def setup(app: web.Application) -> None:
    """Add the API routes."""
    r = app.router
    r.add_get("/api/openapi.json", openapi)
    r.add_get("/api/meetings", list_meetings)
    r.add_get("/api/meetings/{slug}", get_meeting)
    r.add_post("/api/meetings/{slug}/participants", register)
    r.add_get("/api/meetings/{slug}/links", links)
    r.add_post("/api/meetings/{slug}/sessions/{sid}/{action:start|end}", session_action)
    r.add_get("/api/meetings/{slug}/sessions/{sid}/attendance", attendance)
