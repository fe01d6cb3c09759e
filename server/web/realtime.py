"""Socket.IO namespaces, one per audience: ``/live`` (everyone), ``/moderate`` and ``/caption``.

Each feature adds its ``on_<event>`` handlers as a mixin so that a namespace class stays a list of features.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from aiohttp import web
from socketio.exceptions import ConnectionRefusedError  # the builtin one reaches clients without its reason

from ..domain.errors import DomainError
from ..domain.meetings.models import Role, SessionLife
from ..storage import meetings as meetings_db
from . import auth, rooms
from .captions_socket import CaptionerMixin, LiveCaptionsMixin
from .floor_socket import CaptionFloorMixin, LiveFloorMixin, ModerateFloorMixin
from .keys import db_key, registry_key, sio_key
from .live import MeetingLive, now_ms
from .questions_socket import LiveQuestionsMixin, ModerateQuestionsMixin
from .sockets import Conn, ack

log = logging.getLogger(__name__)


class BaseNamespace(socketio.AsyncNamespace):
    """Authenticates a connection from its ``auth`` payload and the participant cookie."""

    #: The role a connection needs (None: anyone may connect).
    required_role: Role | None = None

    def __init__(self, namespace: str, app: web.Application) -> None:
        super().__init__(namespace)
        self.app = app

    @property
    def db(self) -> Any:
        """The database."""
        return self.app[db_key]

    async def live(self, conn: Conn) -> MeetingLive:
        """The live state of the connection's meeting."""
        return await self.app[registry_key].get(conn.slug)

    async def conn(self, sid: str) -> Conn:
        """The stored context of a connection."""
        return (await self.get_session(sid))["conn"]

    async def on_connect(self, sid: str, environ: dict[str, Any], auth_data: Any = None) -> None:
        """Check the meeting, session and token; join the rooms; refuse with a reason otherwise."""
        data = auth_data if isinstance(auth_data, dict) else {}
        slug, session_id, token = data.get("meeting"), data.get("session"), data.get("t")
        if not isinstance(slug, str) or (session_id is not None and not isinstance(session_id, str)):
            raise ConnectionRefusedError("invalid_format")
        try:
            live = await self.app[registry_key].get(slug)
            if session_id is not None:
                live.meeting.session(session_id)
            access = await auth.resolve(self.db, live, token if isinstance(token, str) else None,
                                        auth.cookie_from_environ(environ, slug))
        except DomainError as exc:
            raise ConnectionRefusedError(exc.code) from None
        if self.required_role is not None and not access.has(self.required_role, session_id):
            raise ConnectionRefusedError("forbidden")
        lang = data.get("lang") if isinstance(data.get("lang"), str) else None
        conn = Conn(slug, live.id, session_id, access.role, access.session_scope, access.participant, lang)
        await self.save_session(sid, {"conn": conn})
        await self.enter_room(sid, rooms.meeting(live.id))
        if session_id is not None:
            await self.enter_room(sid, rooms.session(live.id, session_id))
        if conn.participant is not None:
            await self.enter_room(sid, rooms.participant(live.id, conn.participant.id))
        await self.joined(sid, conn, live, data)

    async def joined(self, sid: str, conn: Conn, live: MeetingLive, data: dict[str, Any]) -> None:
        """Hook for features: the connection is in its rooms (send backlogs from here)."""

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        """Close the connection's attendance interval."""
        session = await self.get_session(sid)
        conn = session.get("conn") if session else None
        if conn is not None and conn.attendance_id is not None:
            now = now_ms()
            await meetings_db.record_leave(self.db, conn.attendance_id, now)
            await announce_attendance(self.app, conn, "leave", now)


async def announce_attendance(app: web.Application, conn: Conn, change: str, now: int) -> None:
    """Tell the session's moderators that a participant joined or left (written to storage already)."""
    assert conn.participant is not None and conn.session_id is not None
    await app[sio_key].emit("attendance_changed", {"session_id": conn.session_id, "change": change, "at_ms": now,
                                                   "participant": conn.participant.snapshot()},
                            room=rooms.moderators(conn.meeting_id, conn.session_id), namespace="/moderate")


def session_state(life: SessionLife, now: int) -> dict[str, Any]:
    """The wire form of a session's state."""
    return {"session_id": life.session.id, "state": life.effective_state(now).value,
            "started_ms": life.started_ms, "ended_ms": life.ended_ms}


async def broadcast_session_state(app: web.Application, live: MeetingLive, life: SessionLife) -> None:
    """Tell every page of the meeting that a session went live or ended."""
    payload = session_state(life, now_ms())
    for ns in ("/live", "/moderate", "/caption"):
        await app[sio_key].emit("session_state", payload, room=rooms.meeting(live.id), namespace=ns)


class LiveNamespace(LiveCaptionsMixin, LiveQuestionsMixin, LiveFloorMixin, BaseNamespace):
    """Everyone: participants, anonymous caption viewers, the room screen. Records attendance."""

    async def joined(self, sid: str, conn: Conn, live: MeetingLive, data: dict[str, Any]) -> None:
        """Record attendance when a registered participant opens a session."""
        if conn.participant is not None and conn.session_id is not None:
            now = now_ms()
            conn.attendance_id = await meetings_db.record_join(self.db, live.id, conn.session_id,
                                                               conn.participant.id, now)
            await announce_attendance(self.app, conn, "join", now)
        await super().joined(sid, conn, live, data)


class ModerateNamespace(ModerateQuestionsMixin, ModerateFloorMixin, BaseNamespace):
    """Moderators of a session: start and end it, and (through feature mixins) run questions and the floor."""

    required_role = Role.MODERATOR

    async def joined(self, sid: str, conn: Conn, live: MeetingLive, data: dict[str, Any]) -> None:
        """Moderators of a session also join its moderators' room."""
        if conn.session_id is not None:
            await self.enter_room(sid, rooms.moderators(live.id, conn.session_id))
        await super().joined(sid, conn, live, data)

    @ack
    async def on_session_start(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Open the session: captions, questions and the floor accept input."""
        return await change_session(self.app, await self.conn(sid), "start")

    @ack
    async def on_session_end(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Close the session."""
        return await change_session(self.app, await self.conn(sid), "end")


async def change_session(app: web.Application, conn: Conn, action: str, session_id: str | None = None) -> dict[str, Any]:
    """Start or end a session, persist it, and broadcast the change (used by sockets and HTTP forms)."""
    session_id = session_id or conn.session_id
    live = await app[registry_key].get(conn.slug)
    now = now_ms()
    async with live.lock:
        life = live.life(session_id or "")
        event = life.start(now) if action == "start" else life.end(now)
        await meetings_db.save_session_life(app[db_key], live.id, life, event.name, conn.label, now)
    await broadcast_session_state(app, live, life)
    log.info(event.name, extra={"meeting": conn.slug, "session": life.session.id, "actor": conn.label})
    return {"session": session_state(life, now)}


class CaptionNamespace(CaptionerMixin, CaptionFloorMixin, BaseNamespace):
    """Captioners of a session."""

    required_role = Role.CAPTIONER


def register(app: web.Application, sio: socketio.AsyncServer) -> None:
    """Register every namespace on the Socket.IO server."""
    sio.register_namespace(LiveNamespace("/live", app))
    sio.register_namespace(ModerateNamespace("/moderate", app))
    sio.register_namespace(CaptionNamespace("/caption", app))
