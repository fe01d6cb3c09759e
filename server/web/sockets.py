"""Socket.IO: one namespace per audience, and every handler registered by its wire name.

``/live`` is everyone (participants, viewers, the room screen), ``/moderate`` the chair and ``/caption`` the
captioners; the last two refuse a connection without the role's link. Each feature declares its handlers in a
:class:`Commands` table::

    commands = Commands()

    @commands.command("floor_request", LIVE, registered=True)
    async def floor_request(ctx: Context, data: Payload) -> Reply: ...

and :func:`attach` wires every table once: it checks the caller (``role=``, ``registered=``), that the payload is
an object, and maps refusals to ACKs (``errors.ack_error``); an unexpected exception is logged and answered
``unknown_error``, and the socket stays open. An event registered on another namespace only is answered
``not_allowed``, an unknown one ``unknown_event``.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable
from http.cookies import SimpleCookie
from typing import Any

import socketio
from aiohttp import web
from socketio.exceptions import ConnectionRefusedError  # the builtin one reaches clients without its reason

from ..clock import now_ms
from ..domain.captions.events import Captioner
from ..domain.errors import DomainError, InvalidInput, NotAllowed
from ..domain.meetings.models import Participant, Role
from ..domain.questions.models import Actor
from ..storage import meetings as meetings_db
from . import auth, rooms
from .engineio_adapter import forget_parsed_cookies
from .errors import ack_error, unknown_error
from .i18n import COOKIE, DEFAULT_LOCALE, N_, catalogues_key, choose_locale
from .keys import db_key, limits_key, registry_key
from .registry import LoadedMeeting

log = logging.getLogger(__name__)

LIVE, MODERATE, CAPTION = "/live", "/moderate", "/caption"
#: The role a connection needs on each namespace (None: anyone may connect).
NAMESPACES: dict[str, Role | None] = {LIVE: None, MODERATE: Role.MODERATOR, CAPTION: Role.CAPTIONER}

Payload = dict[str, Any]
Reply = dict[str, Any] | None


@dataclasses.dataclass
class Conn:
    """What the server remembers about one Socket.IO connection (kept in its Socket.IO session)."""

    slug: str
    meeting_id: int
    session_id: str | None
    role: Role | None
    scope: str | None
    participant: Participant | None
    lang: str | None = None
    attendance_id: int | None = None
    #: The captioner a ``/caption`` connection writes as (from its link).
    captioner: Captioner | None = None
    #: The link the connection was opened with (None for a participant's cookie or a viewer).
    link_id: int | None = None
    #: The address the connection comes from (rate limits count per address too).
    remote: str = ""
    #: The display name a link holder gave (several moderators may share one link).
    name: str = ""

    @property
    def label(self) -> str:
        """How the audit log names this connection's person."""
        if self.role is not None:
            who = f"{self.role.value}@{self.scope or 'meeting'}"
            return f"{who} ({self.name})" if self.name else who
        if self.participant is not None:
            return f"participant:{self.participant.id}"
        return "anonymous"


@dataclasses.dataclass
class Context:
    """Everything a handler needs about the connection it answers."""

    app: web.Application
    sio: socketio.AsyncServer
    sid: str
    namespace: str
    conn: Conn
    meeting: LoadedMeeting

    @property
    def session_id(self) -> str:
        """The agenda session the connection opened; refuses a connection made without one."""
        if self.conn.session_id is None:
            raise InvalidInput("connect with a session to use this", field="session")
        return self.conn.session_id

    @property
    def participant(self) -> Participant:
        """The registered participant behind the connection (checked by ``registered=True``)."""
        assert self.conn.participant is not None
        return self.conn.participant

    def actor(self) -> Actor:
        """Who acts: the chair on ``/moderate`` (checked by ``role=``), the registered participant elsewhere."""
        if self.namespace == MODERATE:
            assert self.conn.role is not None
            return Actor(self.conn.role, self.conn.label)
        return Actor.of(self.participant)

    def now(self) -> int:
        """The server clock in UTC ms."""
        return now_ms()

    async def enter_room(self, room: str) -> None:
        """Put this connection in a room of its namespace."""
        await self.sio.enter_room(self.sid, room, namespace=self.namespace)

    async def leave_room(self, room: str) -> None:
        """Take this connection out of a room of its namespace."""
        await self.sio.leave_room(self.sid, room, namespace=self.namespace)

    async def emit(self, event: str, data: Any) -> None:
        """Send an event to this connection only."""
        await self.sio.emit(event, data, to=self.sid, namespace=self.namespace)


Handler = Callable[[Context, Payload], Awaitable[Reply]]
Hook = Callable[[Context, Payload], Awaitable[None]]


@dataclasses.dataclass(frozen=True)
class Command:
    """One handler for one wire event on one namespace, with who may send it."""

    event: str
    namespace: str
    handler: Handler
    role: Role | None = None
    registered: bool = False
    #: Only reads (``/moderate`` answers it to a connection that gave no display name).
    reads: bool = False


class Commands:
    """A feature's table of Socket.IO handlers and connection hooks, attached by :func:`attach`."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.joins: list[tuple[str, Hook]] = []
        self.leaves: list[tuple[str, Hook]] = []

    def command(self, event: str, *namespaces: str, role: Role | None = None, registered: bool = False,
                reads: bool = False) -> Callable[[Handler], Handler]:
        """Register ``handler`` for ``event`` on each namespace; ``role``/``registered`` say who may send it,
        ``reads`` that it changes nothing (on ``/moderate``, every other event needs a display name)."""
        def add(handler: Handler) -> Handler:
            for ns in namespaces:
                self.commands.append(Command(event, ns, handler, role, registered, reads))
            return handler
        return add

    def on_join(self, namespace: str) -> Callable[[Hook], Hook]:
        """Run ``hook`` when a connection is accepted and in its rooms (receives the ``auth`` payload)."""
        def add(hook: Hook) -> Hook:
            self.joins.append((namespace, hook))
            return hook
        return add

    def on_leave(self, namespace: str) -> Callable[[Hook], Hook]:
        """Run ``hook`` when a connection goes away."""
        def add(hook: Hook) -> Hook:
            self.leaves.append((namespace, hook))
            return hook
        return add


#: Participants' events with limits of their own (settings ``<name>_rate``); ``*_ip`` count per address, the
#: others per participant.
EVENT_LIMITS: dict[str, tuple[str, ...]] = {
    "question_submit": ("question_ip",),
    "question_vote": ("vote",), "question_unvote": ("vote",),
    "floor_request": ("floor",), "floor_withdraw": ("floor",),
}
#: The longest display name kept for the log.
NAME_LENGTH = 60


def display_name(raw: Any) -> str:
    """The display name sent with a connection, trimmed to one line of at most ``NAME_LENGTH`` characters."""
    if not isinstance(raw, str):
        return ""
    return " ".join(raw.split())[:NAME_LENGTH]


def _remote(environ: dict[str, Any]) -> str:
    request = environ.get("aiohttp.request")
    if request is not None and request.remote:
        return str(request.remote)
    return str(environ.get("REMOTE_ADDR", ""))


#: What a connection without the role an event needs is told.
ONLY_ROLE = {
    Role.ADMIN: N_("Only the admin link allows this."),
    Role.MODERATOR: N_("Only a moderator link allows this."),
    Role.CAPTIONER: N_("Only a captioner link allows this."),
    Role.RAPPORTEUR: N_("Only a rapporteur link allows this."),
    Role.PARTICIPANT: N_("Only a participant may do this."),
    Role.HUB: N_("Only a hub link allows this."),
}


def _check(command: Command, conn: Conn) -> None:
    if command.role is not None and (conn.role is None or not conn.role.can(command.role)):
        raise NotAllowed(ONLY_ROLE.get(command.role, N_("Your link does not allow this.")))
    if command.registered and conn.participant is None:
        raise NotAllowed("Register with the join link the organisers sent you to take part.", code="not_registered")
    # Several moderators may share one link: the audit log must say which of them acted.
    if command.namespace == MODERATE and not command.reads and not conn.name:
        raise NotAllowed("Give your name first: several people may share this link, and the log records who did "
                         "what.", code="display_name_required")


class _Server:
    """The connect, disconnect and event handlers of every namespace, built from the feature tables."""

    def __init__(self, app: web.Application, sio: socketio.AsyncServer, tables: Iterable[Commands]) -> None:
        self.app, self.sio = app, sio
        tables = list(tables)
        self.commands = {(c.namespace, c.event): c for t in tables for c in t.commands}
        self.joins = [j for t in tables for j in t.joins]
        self.leaves = [x for t in tables for x in t.leaves]
        self.events = {event for _, event in self.commands}

    async def context(self, sid: str, namespace: str) -> Context:
        conn: Conn = (await self.sio.get_session(sid, namespace=namespace))["conn"]
        loaded = await self.app[registry_key].get(conn.slug)
        return Context(self.app, self.sio, sid, namespace, conn, loaded)

    async def connect(self, namespace: str, sid: str, environ: dict[str, Any], data: Any) -> None:
        """Check the meeting, session and token; join the rooms; refuse with a reason otherwise."""
        data = data if isinstance(data, dict) else {}
        slug, session_id, token = data.get("meeting"), data.get("session"), data.get("t")
        if not isinstance(slug, str) or (session_id is not None and not isinstance(session_id, str)):
            raise ConnectionRefusedError("invalid_format")
        try:
            loaded = await self.app[registry_key].get(slug)
            if session_id is not None:
                loaded.meeting.session(session_id)
            access = await auth.resolve(self.app[db_key], loaded, token if isinstance(token, str) else None,
                                        auth.cookie_from_environ(environ, slug))
        except DomainError as exc:
            raise ConnectionRefusedError(exc.code) from None
        required = NAMESPACES[namespace]
        if required is not None and not access.has(required, session_id):
            raise ConnectionRefusedError("forbidden")
        lang = data.get("lang") if isinstance(data.get("lang"), str) else None
        # Interned: thousands of viewers of one session share these strings instead of each keeping a copy.
        slug, lang = sys.intern(slug), sys.intern(lang) if lang is not None else None
        session_id = sys.intern(session_id) if session_id is not None else None
        conn = Conn(slug, loaded.id, session_id, access.role, access.session_scope, access.participant, lang,
                    link_id=access.link_id, remote=_remote(environ), name=display_name(data.get("name")))
        await self.sio.save_session(sid, {"conn": conn, "locale": _handshake_locale(environ)}, namespace=namespace)
        forget_parsed_cookies(environ.get("aiohttp.request"))  # read again (parsed anew) if another namespace joins
        ctx = Context(self.app, self.sio, sid, namespace, conn, loaded)
        if conn.link_id is not None:
            await ctx.enter_room(rooms.link(conn.link_id))
            # A revocation committed after the check above but before this connection was in the link's room
            # would miss it: look again now that it is in the room.
            if not isinstance(token, str) or await meetings_db.token_grant(self.app[db_key], loaded.id, token) is None:
                raise ConnectionRefusedError("forbidden")
        await ctx.enter_room(rooms.meeting(loaded.id))
        if session_id is not None:
            await ctx.enter_room(rooms.session(loaded.id, session_id))
            if namespace == MODERATE:
                await ctx.enter_room(rooms.moderators(loaded.id, session_id))
        if conn.participant is not None:
            await ctx.enter_room(rooms.participant(loaded.id, conn.participant.id))
        try:
            for ns, hook in self.joins:
                if ns == namespace:
                    await hook(ctx, data)
        except DomainError as exc:
            # Undo what the hooks that ran did (an attendance interval opened), then refuse with the code.
            await self.disconnect(namespace, sid)
            raise ConnectionRefusedError(exc.code) from None

    async def disconnect(self, namespace: str, sid: str) -> None:
        """Run the leave hooks of a connection that was accepted."""
        session = await self.sio.get_session(sid, namespace=namespace)
        if not session or "conn" not in session:
            return
        ctx = await self.context(sid, namespace)
        for ns, hook in self.leaves:
            if ns == namespace:
                await hook(ctx, {})

    async def locale(self, sid: str, namespace: str) -> str:
        """The interface language of a connection, chosen when it connected."""
        session = await self.sio.get_session(sid, namespace=namespace)
        return str((session or {}).get("locale", DEFAULT_LOCALE))

    async def call(self, command: Command, sid: str, data: Any) -> dict[str, Any]:
        """Run one command and turn its result or refusal into the ACK (messages in the connection's language)."""
        try:
            if data is not None and not isinstance(data, dict):
                raise InvalidInput("the payload must be an object")
            ctx = await self.context(sid, command.namespace)
            _check(command, ctx.conn)
            await self.limit(command, ctx)
            result = await command.handler(ctx, data or {})
        except DomainError as exc:
            return ack_error(exc, self.app[catalogues_key], await self.locale(sid, command.namespace))
        except Exception:
            log.exception("unhandled error in socket handler", extra={"event": command.event})
            locale = await self.locale(sid, command.namespace)
            return {"ok": False, "error": unknown_error(self.app[catalogues_key], locale)}
        return {"ok": True, **(result or {})}

    async def limit(self, command: Command, ctx: Context) -> None:
        """Count the event against the connection's limit and the event's own (raises ``RateLimited``)."""
        limits = self.app[limits_key]
        await limits.hit("socket_event", ctx.sid)
        if command.namespace != LIVE:
            return
        for name in EVENT_LIMITS.get(command.event, ()):
            if name.endswith("_ip"):
                await limits.hit(name, ctx.meeting.id, ctx.conn.remote)
            elif ctx.conn.participant is not None:
                await limits.hit(name, ctx.meeting.id, ctx.conn.participant.id)

    async def other(self, namespace: str, event: str, sid: str, data: Any = None) -> dict[str, Any]:
        """An event this namespace has no handler for."""
        catalogues, locale = self.app[catalogues_key], await self.locale(sid, namespace)
        try:
            await self.app[limits_key].hit("socket_event", sid)  # unknown events count against the connection too
        except DomainError as exc:
            return ack_error(exc, catalogues, locale)
        if event in self.events:
            return ack_error(NotAllowed("this connection may not do this"), catalogues, locale)
        return ack_error(InvalidInput("This connection has no event \"{event}\".", code="unknown_event",
                                     params={"event": event}), catalogues, locale)


def _handshake_locale(environ: dict[str, Any]) -> str:
    """The interface language of a Socket.IO handshake: the page's cookie, else Accept-Language."""
    request = environ.get("aiohttp.request")
    if request is not None:
        return choose_locale(request.cookies.get(COOKIE), request.headers.get("Accept-Language"))
    jar: SimpleCookie = SimpleCookie()
    jar.load(environ.get("HTTP_COOKIE", ""))
    morsel = jar.get(COOKIE)
    return choose_locale(morsel.value if morsel else None, environ.get("HTTP_ACCEPT_LANGUAGE"))


def attach(app: web.Application, sio: socketio.AsyncServer, tables: Iterable[Commands]) -> None:
    """Register every namespace and every command of ``tables`` on the Socket.IO server."""
    server = _Server(app, sio, tables)
    for namespace in NAMESPACES:
        sio.on("connect", _bind(server.connect, namespace), namespace=namespace)
        sio.on("disconnect", _bind_disconnect(server.disconnect, namespace), namespace=namespace)
        sio.on("*", _bind_other(server.other, namespace), namespace=namespace)
    for command in server.commands.values():
        sio.on(command.event, _bind_call(server.call, command), namespace=command.namespace)


# Small closures so that each registered handler has the signature python-socketio calls it with.

def _bind(connect: Callable[..., Awaitable[None]], namespace: str) -> Callable[..., Awaitable[None]]:
    async def on_connect(sid: str, environ: dict[str, Any], data: Any = None) -> None:
        await connect(namespace, sid, environ, data)
    return on_connect


def _bind_disconnect(disconnect: Callable[..., Awaitable[None]], namespace: str) -> Callable[..., Awaitable[None]]:
    async def on_disconnect(sid: str, reason: Any = None) -> None:
        await disconnect(namespace, sid)
    return on_disconnect


def _bind_other(other: Callable[..., Awaitable[dict[str, Any]]], namespace: str) -> Callable[..., Awaitable[Any]]:
    async def on_other(event: str, sid: str, data: Any = None, *rest: Any) -> dict[str, Any]:
        return await other(namespace, event, sid, data)
    return on_other


def _bind_call(call: Callable[..., Awaitable[dict[str, Any]]], command: Command) -> Callable[..., Awaitable[Any]]:
    async def on_event(sid: str, data: Any = None, *rest: Any) -> dict[str, Any]:
        return await call(command, sid, data)
    return on_event
