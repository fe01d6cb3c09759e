"""Remote hubs: the admin registers a hub once (admin page or API) and sends it its link; the hub's page
registers people at the hub and lets the hub take part as itself (its floor requests speak for the hub)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ...clock import now_ms
from ...domain.errors import InvalidInput
from ...domain.meetings.hubs import hub_registration
from ...domain.meetings.models import Hub, Role, countries
from ...storage import meetings as meetings_db
from .. import auth, payloads
from ..keys import db_key, link_key_key
from ..pages import render
from ..registry import LoadedMeeting
from .admin import admin_context, hub_json, hub_rows

routes = web.RouteTableDef()


async def _admin(request: web.Request) -> tuple[LoadedMeeting, auth.Access]:
    loaded = await auth.meeting_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    auth.require(access, Role.ADMIN)
    return loaded, access


async def _add(request: web.Request, loaded: LoadedMeeting, access: auth.Access, data: dict[str, Any]) -> Hub:
    hub = hub_registration(loaded.meeting, data, {code for code, _ in countries()})
    return await meetings_db.add_hub(request.app[db_key], request.app[link_key_key], loaded.id, hub, now_ms(),
                                     access.label)


@routes.post("/m/{slug}/admin/hubs")
async def admin_add_hub(request: web.Request) -> web.StreamResponse:
    """Register a hub from the admin page, then go back to it (the form again, with the reason, if refused)."""
    loaded, access = await _admin(request)
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    try:
        await _add(request, loaded, access, form)
    except InvalidInput as exc:
        return render(request, "admin.html", status=400,
                      **await admin_context(request, loaded, form.get("t", ""), hub_form=form, hub_error=exc))
    url = request.app.router["admin"].url_for(slug=loaded.meeting.slug)
    raise web.HTTPSeeOther(url.with_query(t=form.get("t", ""), done="hub").with_fragment("hubs"))


@routes.post("/api/meetings/{slug}/hubs")
async def api_add_hub(request: web.Request) -> web.Response:
    """Register a hub (admin): ``{name, city, country, host_organisation?, group, expected_headcount}``."""
    loaded, access = await _admin(request)
    data = await payloads.json_body(request)
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    hub = await _add(request, loaded, access, data)
    row = next(r for r in await hub_rows(request, loaded) if r["id"] == hub.id)
    return web.json_response({"ok": True, "hub": row}, status=201)


@routes.get("/api/meetings/{slug}/hubs")
async def api_hubs(request: web.Request) -> web.Response:
    """Every hub with its counts and link (admin)."""
    loaded, _ = await _admin(request)
    return web.json_response({"hubs": await hub_rows(request, loaded)})


async def _hub_access(request: web.Request) -> tuple[LoadedMeeting, Hub, auth.Access]:
    loaded = await auth.meeting_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    auth.require(access, Role.HUB)
    if access.hub_id is None:
        raise InvalidInput("open this page with a hub's own link", code="not_a_hub_link")
    return loaded, await meetings_db.hub(request.app[db_key], loaded.id, access.hub_id), access


@routes.get("/m/{slug}/hub", name="hub")
async def hub_page(request: web.Request) -> web.Response:
    """A hub's page: register people at the hub, or take part as the hub."""
    loaded, hub, access = await _hub_access(request)
    counts = await meetings_db.hub_registrations(request.app[db_key], loaded.id)
    return render(request, "hub.html", meeting=loaded.meeting, hub=hub_json(hub, counts.get(hub.id, 0)),
                  token=request.query.get("t", ""), states=loaded.states(),
                  as_hub=access.participant is not None and access.participant.is_hub
                  and access.participant.hub_id == hub.id)


@routes.post("/m/{slug}/hub/enter")
async def enter_as_hub(request: web.Request) -> web.StreamResponse:
    """Make this browser the hub itself (its requests for the floor speak for the hub), then show the agenda."""
    loaded, hub, _ = await _hub_access(request)
    cookie = await meetings_db.hub_identity_cookie(request.app[db_key], request.app[link_key_key], loaded.id,
                                                   hub.id)
    response = web.HTTPSeeOther(request.app.router["meeting"].url_for(slug=loaded.meeting.slug)
                                .with_query(welcome="1"))
    auth.set_participant_cookie(request, loaded, cookie, response)
    raise response

