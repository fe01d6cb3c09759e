"""What every HTML page shares: rendering a template, and the frame of a session's pages."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..domain.meetings.models import Role
from . import auth
from .i18n import render_html
from .keys import db_key
from .registry import LoadedMeeting


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """Render a template into an HTML response."""
    html = render_html(request, template, **context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def page_language(loaded: LoadedMeeting, raw: str | None) -> str:
    """The caption language a page shows: ``?lang=`` when the meeting has it, else the meeting's first."""
    return raw if raw is not None and raw in loaded.meeting.languages else loaded.meeting.default_language


async def session_page(request: web.Request, template: str, role: Role | None, **extra: Any) -> web.Response:
    """A page of one session: checks ``role`` (None: public), then renders with the meeting, session and state."""
    loaded, session_id = await auth.session_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    if role is not None:
        auth.require(access, role, session_id)
    return render(request, template, meeting=loaded.meeting, session=loaded.meeting.session(session_id),
                  state=loaded.states()[session_id], access=access, token=request.query.get("t", ""),
                  lang=page_language(loaded, request.query.get("lang")), **extra)
