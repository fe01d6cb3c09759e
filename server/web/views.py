"""HTML pages. Each view checks access, reads live state, and ends in a template."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..domain.errors import DomainError
from ..domain.meetings.models import Role, countries, registration
from ..storage import meetings as meetings_db
from . import auth
from .keys import db_key, jinja_key, link_key_key, registry_key, settings_key
from .links import link_rows
from .live import MeetingLive, now_ms
from .realtime import change_session, session_state
from .sockets import Conn



def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """Render a template into an HTML response."""
    html = request.app[jinja_key].get_template(template).render(request=request, **context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


async def _live(request: web.Request) -> MeetingLive:
    return await request.app[registry_key].get(request.match_info["slug"])


def _states(live: MeetingLive) -> dict[str, dict[str, Any]]:
    now = now_ms()
    return {sid: session_state(life, now) for sid, life in live.lives.items()}


async def index(request: web.Request) -> web.Response:
    """Every meeting on this server."""
    return render(request, "index.html", meetings=await meetings_db.list_meetings(request.app[db_key]))


async def meeting_home(request: web.Request) -> web.Response:
    """The agenda with each session's live status."""
    live = await _live(request)
    access = await auth.from_request(request, request.app[db_key], live)
    return render(request, "meeting.html", live=live, meeting=live.meeting, states=_states(live), access=access)


def _country_list() -> list[tuple[str, str]]:
    return countries()


async def join_form(request: web.Request) -> web.Response:
    """The registration form behind the participant join link."""
    live = await _live(request)
    access = await auth.from_request(request, request.app[db_key], live)
    auth.require(access, Role.PARTICIPANT)
    return render(request, "join.html", meeting=live.meeting, token=request.query["t"], form={}, error=None,
                  countries=_country_list(), current=access.participant)


async def join_submit(request: web.Request) -> web.StreamResponse:
    """Register a participant, give them a session cookie, and send them to the meeting."""
    live = await _live(request)
    form = dict(await request.post())
    access = await auth.resolve(request.app[db_key], live, str(form.get("t", "")), None)
    auth.require(access, Role.PARTICIPANT)
    valid = {code for code, _ in _country_list()}
    try:
        participant = registration(live.meeting, form, valid)
    except DomainError as exc:
        return render(request, "join.html", status=400, meeting=live.meeting, token=form.get("t", ""), form=form,
                      error=exc, countries=_country_list(), current=None)
    response = web.HTTPSeeOther(request.app.router["meeting"].url_for(slug=live.meeting.slug).with_query(welcome="1"))
    await auth.sign_up(request, live, participant, response)
    raise response


async def admin_page(request: web.Request) -> web.Response:
    """Every link of the meeting, with revoke and rotate, and every session's Start/End."""
    live = await _live(request)
    access = await auth.from_request(request, request.app[db_key], live)
    auth.require(access, Role.ADMIN)
    links = await meetings_db.active_links(request.app[db_key], request.app[link_key_key], live.id)
    base = request.app[settings_key].public_base_url()
    return render(request, "admin.html", meeting=live.meeting, token=request.query["t"], states=_states(live),
                  links=link_rows(base, live.meeting, links), done=request.query.get("done"))


async def admin_link_action(request: web.Request) -> web.StreamResponse:
    """Revoke or rotate one link (admin only)."""
    live = await _live(request)
    access = await auth.from_request(request, request.app[db_key], live)
    auth.require(access, Role.ADMIN)
    link_id, action = int(request.match_info["link_id"]), request.match_info["action"]
    db, now = request.app[db_key], now_ms()
    if action == "revoke":
        await meetings_db.revoke_link(db, live.id, link_id, now)
    else:
        await meetings_db.rotate_link(db, request.app[link_key_key], live.id, link_id, now)
    # After rotating the admin's own link, the old token no longer works: the form says which token to go back with.
    token = str((await request.post()).get("t", ""))
    if await meetings_db.find_token(db, live.id, token) is None:
        raise web.HTTPSeeOther(request.app.router["meeting"].url_for(slug=live.meeting.slug))
    url = request.app.router["admin"].url_for(slug=live.meeting.slug).with_query(t=token, done=action)
    raise web.HTTPSeeOther(url)


async def admin_issue_links(request: web.Request) -> web.StreamResponse:
    """Issue a link for every (scope, role) left without one, e.g. after a revoke."""
    live = await _live(request)
    access = await auth.from_request(request, request.app[db_key], live)
    auth.require(access, Role.ADMIN)
    await meetings_db.ensure_links(request.app[db_key], request.app[link_key_key], live.id, live.meeting, now_ms())
    token = str((await request.post()).get("t", ""))
    raise web.HTTPSeeOther(request.app.router["admin"].url_for(slug=live.meeting.slug).with_query(t=token, done="issue"))


async def admin_session_action(request: web.Request) -> web.StreamResponse:
    """Start or end a session from the admin page."""
    live = await _live(request)
    access = await auth.from_request(request, request.app[db_key], live)
    sid = request.match_info["sid"]
    auth.require(access, Role.MODERATOR, sid)
    conn = Conn(live.meeting.slug, live.id, sid, access.role, access.session_scope, None)
    await change_session(request.app, conn, request.match_info["action"], sid)
    token = str((await request.post()).get("t", ""))
    back = str((await request.post()).get("back", "admin"))
    route = "moderate" if back == "moderate" else "admin"
    kwargs = {"slug": live.meeting.slug, **({"sid": sid} if route == "moderate" else {})}
    raise web.HTTPSeeOther(request.app.router[route].url_for(**kwargs).with_query(t=token))


async def _session_page(request: web.Request, template: str, role: Role | None, **extra: Any) -> web.Response:
    live = await _live(request)
    sid = request.match_info["sid"]
    session = live.meeting.session(sid)
    access = await auth.from_request(request, request.app[db_key], live)
    if role is not None:
        auth.require(access, role, sid)
    lang = request.query.get("lang", live.meeting.default_language)
    if lang not in live.meeting.languages:
        lang = live.meeting.default_language
    return render(request, template, meeting=live.meeting, live=live, session=session, state=_states(live)[sid],
                  access=access, token=request.query.get("t", ""), lang=lang, **extra)


async def participant_page(request: web.Request) -> web.Response:
    """A session for a participant or a viewer: live captions and, once registered, questions and the floor."""
    return await _session_page(request, "session.html", None)


async def moderator_page(request: web.Request) -> web.Response:
    """The moderator's view of a session."""
    return await _session_page(request, "moderate.html", Role.MODERATOR)


async def captioner_page(request: web.Request) -> web.Response:
    """The captioner's page: type captions, correct them, and the ingest URLs for captioning software."""
    base = request.app[settings_key].public_base_url()
    return await _session_page(request, "caption.html", Role.CAPTIONER, base_url=base)


async def screen_page(request: web.Request) -> web.Response:
    """The room screen for the venue projector."""
    return await _session_page(request, "screen.html", None)
