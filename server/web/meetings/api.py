"""The meeting's JSON API under ``/api/`` (described by ``/api/openapi.json``); ``/healthz`` is in ``health``."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ... import exports
from ...clock import now_ms
from ...domain.errors import InvalidInput
from ...domain.meetings.models import Role, countries, registration
from ...storage import meetings as meetings_db
from .. import auth, payloads
from ..keys import db_key, link_key_key, settings_key
from ..links import link_rows
from ..openapi import openapi_document
from ..registry import LoadedMeeting
from .pages import count_registration

routes = web.RouteTableDef()


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3 description of this API."""
    return web.json_response(openapi_document(request.app[settings_key].public_base_url()))


def meeting_json(loaded: LoadedMeeting) -> dict[str, Any]:
    """A meeting with its agenda and each session's state."""
    m, state = loaded.meeting, loaded.states()
    return {
        "slug": m.slug, "title": m.title, "venue": m.venue, "timezone": m.timezone, "start_date": m.start_date,
        "end_date": m.end_date, "languages": list(m.languages), "description": m.description,
        "groups": [{"slug": g.slug, "label": g.label} for g in m.groups],
        "sessions": [{"id": s.id, "title": s.title, "room": s.room, "start_ms": s.start_ms, "end_ms": s.end_ms,
                      "themes": list(s.themes), "auto_start": s.auto_start, **state[s.id]} for s in m.sessions],
    }


@routes.get("/api/meetings")
async def list_meetings(request: web.Request) -> web.Response:
    """Every meeting."""
    rows = await meetings_db.list_meetings(request.app[db_key])
    return web.json_response({"meetings": [{k: r[k] for k in ("slug", "title", "venue", "start_date", "end_date")}
                                           for r in rows]})


@routes.get("/api/meetings/{slug}")
async def get_meeting(request: web.Request) -> web.Response:
    """One meeting and its agenda."""
    return web.json_response(meeting_json(await auth.meeting_of(request)))


@routes.post("/api/meetings/{slug}/participants")
async def register(request: web.Request) -> web.Response:
    """Register a participant with the join token; answers the participant and sets the session cookie."""
    loaded = await auth.meeting_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    auth.require(access, Role.PARTICIPANT)
    await count_registration(request, loaded.id, access)
    data = await payloads.json_body(request)
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    hub_ids = {h.id for h in await meetings_db.hubs(request.app[db_key], loaded.id)}
    participant = registration(loaded.meeting, data, {c for c, _ in countries()}, access.hub_id, hub_ids)
    response = web.json_response(status=201)
    participant = await auth.sign_up(request, loaded, participant, response)
    response.text = json.dumps({"ok": True, "participant": {
        **participant.snapshot(), "hub_id": participant.hub_id, "listed": participant.listed}})
    return response


@routes.get("/api/meetings/{slug}/sessions/{session_id}/attendance")
async def attendance(request: web.Request) -> web.Response:
    """Attendance of a session (rapporteur): one row per person, their connections merged, within the time the
    session was held (none for a session never started)."""
    loaded, session_id = await auth.session_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    auth.require(access, Role.RAPPORTEUR, session_id)
    rows = await exports.attendance(request.app[db_key], loaded.id, loaded.life(session_id), now_ms())
    return web.json_response({"session_id": session_id, "attendance": rows})


@routes.get("/api/meetings/{slug}/links")
async def links(request: web.Request) -> web.Response:
    """Every active link of the meeting as absolute URLs (admin)."""
    loaded = await auth.meeting_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    auth.require(access, Role.ADMIN)
    found = await meetings_db.active_links(request.app[db_key], request.app[link_key_key], loaded.id)
    names = {h.id: h.name for h in await meetings_db.hubs(request.app[db_key], loaded.id)}
    return web.json_response({"links": link_rows(request.app[settings_key].public_base_url(), loaded.meeting, found,
                                                 names)})
