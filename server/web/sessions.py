"""Session life in one place: start and end a session (from the moderator's socket, the admin page or the API),
tell every page, record who attends (a registered participant's ``/live`` connection to a session), and a
once-a-second loop for scheduled starts and ends and for meeting files loaded by another process.

``python run.py load`` writes to the database from its own process; the loop notices the new version and
refreshes the running meeting without a restart. Sessions whose meeting file asks for an automatic start go
live at their scheduled time, and every page hears of it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

from aiohttp import web

from ..clock import now_ms
from ..domain.meetings.models import Role, SessionLife, SessionState
from ..storage import meetings as meetings_db
from . import auth, rooms
from .confirm import confirmation, confirmed
from .keys import db_key, registry_key, sio_key
from .registry import LoadedMeeting, session_state
from .sockets import LIVE, MODERATE, NAMESPACES, Commands, Context, Payload, display_name

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
commands = Commands()


class TailFlusher(Protocol):
    """Finalises a session's live caption lines (the caption hub does): ending a session must lose no words."""

    async def flush_session(self, loaded: LoadedMeeting, session_id: str) -> int:
        """Finalise every live tail of the session in every language now; returns how many lines."""


tail_flusher_key: web.AppKey[TailFlusher] = web.AppKey("tail_flusher")


async def broadcast_state(app: web.Application, loaded: LoadedMeeting, life: SessionLife) -> None:
    """Tell every page of the meeting that a session went live or ended."""
    payload = session_state(life, now_ms())
    for namespace in NAMESPACES:
        await app[sio_key].emit("session_state", payload, room=rooms.meeting(loaded.id), namespace=namespace)


async def change_session(app: web.Application, loaded: LoadedMeeting, session_id: str, action: str,
                 actor: str) -> dict[str, Any]:
    """Start or end a session, store it, and broadcast the change; ``actor`` names who did it in the log.

    Ending finalises every live caption line first, at its real time, so the last words are in a transcript
    downloaded the moment the session is reported ended; lines a post added while the end was being stored are
    finalised right after it, before anyone hears of the end.
    """
    async with loaded.lock:
        life = loaded.life(session_id)
        if action == "end" and life.is_live(now_ms()):
            await app[tail_flusher_key].flush_session(loaded, session_id)
        now = now_ms()
        event = life.start(now) if action == "start" else life.end(now)
        await meetings_db.save_session_life(app[db_key], loaded.id, life, event.name, actor, now)
    if action == "end":
        await app[tail_flusher_key].flush_session(loaded, session_id)
    await broadcast_state(app, loaded, life)
    log.info(event.name, extra={"meeting": loaded.meeting.slug, "session": session_id, "actor": actor})
    return {"session": session_state(life, now)}


@commands.command("session_start", MODERATE)
async def session_start(ctx: Context, data: Payload) -> dict[str, Any]:
    """Open the session: captions, questions and the floor accept input."""
    return await change_session(ctx.app, ctx.meeting, ctx.session_id, "start", ctx.conn.label)


@commands.command("session_end", MODERATE)
async def session_end(ctx: Context, data: Payload) -> dict[str, Any]:
    """Close the session."""
    return await change_session(ctx.app, ctx.meeting, ctx.session_id, "end", ctx.conn.label)


async def _moderator(request: web.Request) -> tuple[LoadedMeeting, str, auth.Access]:
    loaded, session_id = await auth.session_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    auth.require(access, Role.MODERATOR, session_id)
    return loaded, session_id, access


@routes.post("/api/meetings/{slug}/sessions/{session_id}/{action:start|end}")
async def session_action(request: web.Request) -> web.Response:
    """Start or end a session (moderator)."""
    loaded, session_id, access = await _moderator(request)
    reply = await change_session(request.app, loaded, session_id, request.match_info["action"], access.label)
    return web.json_response({"ok": True, **reply})


@routes.post("/m/{slug}/admin/sessions/{session_id}/{action:start|end}")
async def session_form(request: web.Request) -> web.StreamResponse:
    """Start or end a session from the admin or moderator page, then go back to it."""
    loaded, session_id, access = await _moderator(request)
    form = await request.post()
    action = request.match_info["action"]
    token, back = str(form.get("t", "")), str(form.get("back", "admin"))
    if back == "moderate":
        url = request.app.router["moderate"].url_for(slug=loaded.meeting.slug, session_id=session_id)
    else:
        url = request.app.router["admin"].url_for(slug=loaded.meeting.slug)
    # Ending stops everyone at once; starting an ended session reopens it: both are asked about first.
    ended = loaded.lives[session_id].effective_state(now_ms()) is SessionState.ENDED
    if (action == "end" or ended) and not confirmed(form):
        return confirmation(request, form, "end" if action == "end" else "reopen", str(url.with_query(t=token)),
                            session=loaded.meeting.session(session_id))
    name = display_name(form.get("name"))  # several moderators may share a link: the page sends its holder's name
    actor = f"{access.label} ({name})" if name else access.label
    await change_session(request.app, loaded, session_id, action, actor)
    raise web.HTTPSeeOther(url.with_query(t=token))


async def _announce_attendance(ctx: Context, change: str, now: int) -> None:
    """Tell the session's moderators that a participant joined or left (stored already)."""
    assert ctx.conn.participant is not None
    await ctx.sio.emit("attendance_changed", {"session_id": ctx.session_id, "change": change, "at_ms": now,
                                              "participant": ctx.conn.participant.snapshot()},
                       room=rooms.moderators(ctx.meeting.id, ctx.session_id), namespace=MODERATE)


@commands.on_join(LIVE)
async def attendance_join(ctx: Context, data: Payload) -> None:
    """A registered participant who opens a session attends it from now on."""
    if ctx.conn.participant is None or ctx.conn.session_id is None:
        return
    now = now_ms()
    ctx.conn.attendance_id = await meetings_db.record_join(ctx.app[db_key], ctx.meeting.id, ctx.session_id,
                                                           ctx.conn.participant.id, now)
    await _announce_attendance(ctx, "join", now)


@commands.on_leave(LIVE)
async def attendance_leave(ctx: Context, data: Payload) -> None:
    """Close the connection's attendance interval."""
    if ctx.conn.attendance_id is None:
        return
    now = now_ms()
    await meetings_db.record_leave(ctx.app[db_key], ctx.conn.attendance_id, now)
    await _announce_attendance(ctx, "leave", now)


async def close_sockets(app: web.Application) -> None:
    """Tell every connected client that the server is going away, so browsers reconnect elsewhere or later."""
    sio = app[sio_key]
    for namespace in list(sio.manager.get_namespaces()):
        for sid, _ in list(sio.manager.get_participants(namespace, None)):
            await sio.disconnect(sid, namespace=namespace)


TICK_SECONDS = 1.0


async def tick(app: web.Application, seen_versions: dict[str, int], seen_states: dict[tuple[str, str], str]) -> None:
    """One pass: refresh meetings whose file changed, announce automatic state changes."""
    registry = app[registry_key]
    for slug, version in (await meetings_db.meeting_versions(app[db_key])).items():
        previous = seen_versions.get(slug)
        seen_versions[slug] = version
        if previous is not None and previous != version:
            await registry.refresh(slug)
            log.info("meeting file reloaded", extra={"meeting": slug})
            await app[sio_key].emit("agenda_changed", {"meeting": slug}, namespace="/live")
    now = now_ms()
    for loaded in registry.loaded():
        for session_id, life in loaded.lives.items():
            state = life.effective_state(now).value
            key = (loaded.meeting.slug, session_id)
            if seen_states.get(key, state) != state:
                if state == SessionState.ENDED.value:  # a scheduled end: the last words first, as for a manual one
                    await app[tail_flusher_key].flush_session(loaded, session_id)
                await broadcast_state(app, loaded, life)
            seen_states[key] = state


async def schedule_context(app: web.Application) -> AsyncIterator[None]:
    """Run :func:`tick` every second for the life of the app."""

    async def loop() -> None:
        versions: dict[str, int] = {}
        states: dict[tuple[str, str], str] = {}
        while True:
            try:
                await tick(app, versions, states)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("schedule tick failed")
            await asyncio.sleep(TICK_SECONDS)

    task = asyncio.create_task(loop(), name="floorcast-schedule")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
