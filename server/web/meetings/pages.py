"""The meeting's pages: every meeting, a meeting's agenda, the registration form and the admin page."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ...clock import now_ms
from ...domain.errors import DomainError, NotFound
from ...domain.meetings.models import Role, countries, registration
from ...domain.meetings.screen import SHOWS
from ...storage import meetings as meetings_db
from .. import auth, payloads
from ..confirm import confirmation, confirmed
from ..i18n import country_choices
from ..keys import db_key, limits_key, link_key_key, settings_key
from ..links import link_rows
from ..pages import render, session_page
from ..registry import LoadedMeeting
from ..revocation import revoked
from . import screen
from .admin import admin_context

routes = web.RouteTableDef()


@routes.get("/", name="index")
async def index(request: web.Request) -> web.Response:
    """Every meeting on this server."""
    return render(request, "index.html", meetings=await meetings_db.list_meetings(request.app[db_key]))


@routes.get("/m/{slug}", name="meeting")
async def meeting_home(request: web.Request) -> web.Response:
    """The agenda with each session's live status."""
    loaded = await auth.meeting_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    return render(request, "meeting.html", meeting=loaded.meeting, states=loaded.states(), access=access)


@routes.get("/m/{slug}/join", name="join")
async def join_form(request: web.Request) -> web.Response:
    """The registration form behind the participant join link."""
    loaded = await auth.meeting_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    auth.require(access, Role.PARTICIPANT)
    return render(request, "join.html", **await _join_context(request, loaded, access, request.query["t"]),
                  form={}, error=None, current=access.participant)


async def _join_context(request: web.Request, loaded: LoadedMeeting, access: auth.Access,
                        token: str) -> dict[str, Any]:
    """The join form's context: the hub whose link this is (if any), else the hubs a person may choose."""
    found = await meetings_db.hubs(request.app[db_key], loaded.id)
    at = next((h for h in found if h.id == access.hub_id), None)
    return {"meeting": loaded.meeting, "token": token, "countries": country_choices(request), "at_hub": at,
            "hubs": [] if at else found}


@routes.post("/m/{slug}/join")
async def join_submit(request: web.Request) -> web.StreamResponse:
    """Register a participant (at the hub, with a hub's link), give them a session cookie, and send them to the
    meeting."""
    loaded = await auth.meeting_of(request)
    form = dict(await request.post())
    access = await auth.resolve(request.app[db_key], loaded, str(form.get("t", "")), None)
    auth.require(access, Role.PARTICIPANT)
    await count_registration(request, loaded.id, access)
    context = await _join_context(request, loaded, access, str(form.get("t", "")))
    try:
        participant = registration(loaded.meeting, form, {code for code, _ in countries()}, access.hub_id,
                                   {h.id for h in context["hubs"]})
    except DomainError as exc:
        return render(request, "join.html", status=400, **context, form=form, error=exc, current=None)
    url = request.app.router["meeting"].url_for(slug=loaded.meeting.slug).with_query(welcome="1")
    response = web.HTTPSeeOther(url)
    await auth.sign_up(request, loaded, participant, response)
    raise response


async def count_registration(request: web.Request, meeting_id: int, access: auth.Access) -> None:
    """Count a registration against the limits per address and per join link (raises ``RateLimited``)."""
    limits = request.app[limits_key]
    await limits.hit("register_ip", meeting_id, request.remote or "")
    await limits.hit("register_link", meeting_id, access.link_id or 0)


@routes.get("/m/{slug}/admin", name="admin")
async def admin_page(request: web.Request) -> web.Response:
    """Every link of the meeting, with revoke and rotate, and every session's Start/End."""
    loaded = await auth.meeting_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    auth.require(access, Role.ADMIN)
    return render(request, "admin.html", **await admin_context(request, loaded, request.query["t"]))


def _back_to_admin(request: web.Request, slug: str, token: str, done: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(request.app.router["admin"].url_for(slug=slug).with_query(t=token, done=done))


@routes.post("/m/{slug}/admin/links/{link_id}/{action:revoke|rotate}")
async def admin_link_action(request: web.Request) -> web.StreamResponse:
    """Revoke or rotate one link (admin only)."""
    loaded = await auth.meeting_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    auth.require(access, Role.ADMIN)
    link_id = payloads.number_text(request.match_info["link_id"], "link_id", low=1)
    action = request.match_info["action"]
    db, now = request.app[db_key], now_ms()
    form = await request.post()
    if not confirmed(form):
        rows = link_rows(request.app[settings_key].public_base_url(), loaded.meeting,
                         await meetings_db.active_links(db, request.app[link_key_key], loaded.id))
        link = next((row for row in rows if row["id"] == link_id), None)
        if link is None:
            raise NotFound("no such active link")
        cancel = request.app.router["admin"].url_for(slug=loaded.meeting.slug).with_query(t=str(form.get("t", "")))
        return confirmation(request, form, action, str(cancel), link=link)
    if action == "revoke":
        await meetings_db.revoke_link(db, loaded.id, link_id, now, access.label)
    else:
        await meetings_db.rotate_link(db, request.app[link_key_key], loaded.id, link_id, now, access.label)
    await revoked(request.app, loaded.id, link_id)
    # After rotating the admin's own link the old token no longer works: go back to the meeting instead.
    token = str(form.get("t", ""))
    if await meetings_db.find_token(db, loaded.id, token) is None:
        raise web.HTTPSeeOther(request.app.router["meeting"].url_for(slug=loaded.meeting.slug))
    raise _back_to_admin(request, loaded.meeting.slug, token, action)


@routes.post("/m/{slug}/admin/links/issue")
async def admin_issue_links(request: web.Request) -> web.StreamResponse:
    """Issue a link for every (scope, role) left without one, e.g. after a revoke."""
    loaded = await auth.meeting_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    auth.require(access, Role.ADMIN)
    await meetings_db.ensure_links(request.app[db_key], request.app[link_key_key], loaded.id, loaded.meeting,
                                   now_ms(), access.label)
    raise _back_to_admin(request, loaded.meeting.slug, str((await request.post()).get("t", "")), "issue")


@routes.post("/m/{slug}/admin/sessions/{session_id}/captioner-links")
async def issue_captioner_link(request: web.Request) -> web.StreamResponse:
    """Issue one more captioner link for a session (admin): a second captioner gets a feed of their own."""
    loaded, session_id = await auth.session_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    auth.require(access, Role.ADMIN)
    await meetings_db.issue_link(request.app[db_key], request.app[link_key_key], loaded.id, session_id,
                                 Role.CAPTIONER, now_ms(), access.label)
    raise _back_to_admin(request, loaded.meeting.slug, str((await request.post()).get("t", "")), "captioner")


@routes.get("/m/{slug}/s/{session_id}", name="session")
async def participant_page(request: web.Request) -> web.Response:
    """A session for a participant or a viewer: live captions and, once registered, questions and the floor."""
    return await session_page(request, "session.html", None)


@routes.get("/m/{slug}/s/{session_id}/moderate", name="moderate")
async def moderator_page(request: web.Request) -> web.Response:
    """The moderator's view of a session."""
    loaded, session_id = await auth.session_of(request)
    return await session_page(request, "moderate.html", Role.MODERATOR, screen_choices=SHOWS,
                              shows=await screen.shows(request.app[db_key], loaded, session_id))


@routes.get("/m/{slug}/s/{session_id}/screen", name="screen")
async def screen_page(request: web.Request) -> web.Response:
    """The room screen for the venue projector (``?lines=N``: at most N live lines, 1 to 10)."""
    lines = payloads.query_int(request.query.get("lines"), "lines", default=0, low=1, high=10)
    loaded, session_id = await auth.session_of(request)
    return await session_page(request, "screen.html", None, lines=lines or "",
                              shows=await screen.shows(request.app[db_key], loaded, session_id))
