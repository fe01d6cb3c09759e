"""Who is asking: capability tokens for roles, a session cookie for participants."""

from __future__ import annotations

import dataclasses
import secrets
from http.cookies import SimpleCookie

from aiohttp import web

from ..clock import now_ms
from ..domain.meetings.models import Participant, Role
from ..storage import meetings as meetings_db
from ..storage.interface import Database
from .errors import Forbidden
from .keys import db_key, registry_key, settings_key
from .registry import LoadedMeeting


@dataclasses.dataclass(frozen=True)
class Access:
    """What a caller may do in one meeting: a role (from a link) and who they are (from the cookie)."""

    role: Role | None
    session_scope: str | None
    participant: Participant | None = None
    #: The link the token belongs to (its connections are cut off when it is revoked).
    link_id: int | None = None
    #: The hub whose link this is (role ``hub``).
    hub_id: int | None = None

    def has(self, role: Role, session_id: str | None = None) -> bool:
        """True when the link grants ``role`` for ``session_id`` (meeting-wide links cover every session)."""
        if self.role is None or not self.role.can(role):
            return False
        return self.session_scope is None or session_id is None or self.session_scope == session_id

    @property
    def label(self) -> str:
        """How the audit log names this caller."""
        if self.role is not None:
            scope = self.session_scope or "meeting"
            return f"{self.role.value}@{scope}"
        if self.participant is not None:
            return f"participant:{self.participant.id}"
        return "anonymous"


#: How long a participant's browser stays registered.
COOKIE_MAX_AGE = 60 * 60 * 24 * 30


async def sign_up(request: web.Request, loaded: LoadedMeeting, participant: Participant,
                  response: web.StreamResponse) -> Participant:
    """Store a checked registration and give ``response`` the participant's new session cookie."""
    cookie = secrets.token_urlsafe(32)
    stored = await meetings_db.register_participant(request.app[db_key], loaded.id, participant, cookie, now_ms())
    set_participant_cookie(request, loaded, cookie, response)
    return stored


def set_participant_cookie(request: web.Request, loaded: LoadedMeeting, cookie: str,
                           response: web.StreamResponse) -> None:
    """Make ``response`` give the browser a participant session cookie (a person's, or a hub's own)."""
    response.set_cookie(cookie_name(loaded.meeting.slug), cookie, max_age=COOKIE_MAX_AGE, httponly=True,
                        samesite="Lax", secure=request.app[settings_key].secure_cookies(), path="/")


def cookie_name(slug: str) -> str:
    """The participant session cookie's name for a meeting."""
    return f"fc_p_{slug}"


async def resolve(db: Database, loaded: LoadedMeeting, token: str | None, cookie: str | None) -> Access:
    """Turn a token and a cookie into an Access; a wrong or revoked token raises ``Forbidden``."""
    grant = None
    if token:
        grant = await meetings_db.token_grant(db, loaded.id, token)
        if grant is None:
            raise Forbidden()
    participant = None
    if cookie:
        participant = await meetings_db.participant_by_cookie(db, loaded.id, cookie)
    if grant is None:
        return Access(None, None, participant)
    return Access(grant.role, grant.session_id, participant, grant.link_id, grant.hub_id)


def require(access: Access, role: Role, session_id: str | None = None) -> None:
    """Raise ``Forbidden`` unless the access grants ``role`` for the session."""
    if not access.has(role, session_id):
        raise Forbidden()


async def from_request(request: web.Request, db: Database, loaded: LoadedMeeting) -> Access:
    """The Access of an HTTP request: ``?t=`` token (or form field ``t``) and the meeting's cookie."""
    token = request.query.get("t")
    header = request.headers.get("Authorization", "")
    if token is None and header.startswith("Bearer "):
        token = header[7:].strip()
    if token is None and request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        field = (await request.post()).get("t")
        token = field if isinstance(field, str) else None
    return await resolve(db, loaded, token, request.cookies.get(cookie_name(loaded.meeting.slug)))


def cookie_from_environ(environ: dict, slug: str) -> str | None:
    """The participant cookie from a Socket.IO handshake's environ."""
    request = environ.get("aiohttp.request")
    if request is not None:
        return request.cookies.get(cookie_name(slug))
    raw = environ.get("HTTP_COOKIE", "")
    jar = SimpleCookie()
    jar.load(raw)
    morsel = jar.get(cookie_name(slug))
    return morsel.value if morsel else None


async def meeting_of(request: web.Request) -> LoadedMeeting:
    """The meeting named in a ``/m/{slug}`` or ``/api/meetings/{slug}`` URL; raises ``NotFound``."""
    return await request.app[registry_key].get(request.match_info["slug"])


async def session_of(request: web.Request) -> tuple[LoadedMeeting, str]:
    """The meeting and agenda session named in a ``…/s/{session_id}`` or ``…/sessions/{session_id}`` URL."""
    loaded = await meeting_of(request)
    session_id = request.match_info["session_id"]
    loaded.meeting.session(session_id)
    return loaded, session_id


async def require_records(request: web.Request, loaded: LoadedMeeting, session_id: str) -> None:
    """Records of a session are for its rapporteurs and moderators: raise ``Forbidden`` for anyone else."""
    access = await from_request(request, request.app[db_key], loaded)
    if not (access.has(Role.RAPPORTEUR, session_id) or access.has(Role.MODERATOR, session_id)):
        raise Forbidden()
