"""Session life in one place: start and end a session (from the moderator's socket, the admin page or the API),
tell every page, record who attends (a registered participant's ``/live`` connection to a session), and a
once-a-second loop for scheduled starts and ends and for meeting files loaded by another process.

Any process may start or end any session: the store serialises the changes (a start or an end is stored after the
number of changes the process's copy holds, or not at all), and the other processes hear of it through a notice
(with Redis) or at their next look at the stored versions, within a second.

``python run.py load`` writes to the database from its own process; the loop notices the new version and
refreshes the running meeting without a restart. Sessions whose meeting file asks for an automatic start go
live at their scheduled time, and every page hears of it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from aiohttp import web

from ..clock import now_ms
from ..domain.meetings.models import Role, SessionLife, SessionState
from ..storage import meetings as meetings_db
from ..storage.interface import StorageConflict
from . import auth, rooms
from .confirm import confirmation, confirmed
from .copies import Keeper, Key
from .keys import db_key, registry_key, sio_key
from .notices import SESSION, Notice, notices_key
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


class LiveFollower(Protocol):
    """A feature that keeps a copy of each live session on every process (the floor does: captions written through
    any process are attributed to whoever speaks, even on a process that has not served the floor yet)."""

    async def follow(self, loaded: LoadedMeeting, session_id: str) -> None:
        """The session is live: load this process's copy if it holds none (cheap when it does)."""


async def broadcast_state(app: web.Application, loaded: LoadedMeeting, life: SessionLife, *,
                          here_only: bool = False) -> None:
    """Tell every page of the meeting that a session went live or ended; ``here_only``: only this process's pages
    (when every process says it to its own, as for a change the clock made). Either way it reaches this process's
    pages after everything it sent them before (the last words of a session ending): the client manager hands an
    emit to this process's pages first, then publishes it for the others."""
    payload, sio = session_state(life, now_ms()), app[sio_key]
    for namespace in NAMESPACES:
        if here_only:
            sio.manager.deliver("session_state", payload, namespace, rooms.meeting(loaded.id))
        else:
            await sio.emit("session_state", payload, room=rooms.meeting(loaded.id), namespace=namespace)


async def change_session(app: web.Application, loaded: LoadedMeeting, session_id: str, action: str,
                         actor: str) -> dict[str, Any]:
    """Start or end a session, store it, and broadcast the change; ``actor`` names who did it in the log.

    The store serialises starts and ends from every process: the change is stored only after the number of changes
    this process's copy holds; when another process changed the session first, the copy is read again and the action
    re-validated against it (starting a session another process has just started is refused as already live).

    Ending finalises every live caption line first, at its real time, so the last words are in a transcript
    downloaded the moment the session is reported ended; lines a post added while the end was being stored are
    finalised right after it, before anyone hears of the end.
    """
    for attempt in range(1, TRIES + 1):
        try:
            async with loaded.lock:
                life = loaded.life(session_id)
                if action == "end" and life.is_live(now_ms()):
                    await app[tail_flusher_key].flush_session(loaded, session_id)
                now = now_ms()
                draft = dataclasses.replace(life)  # the copy changes only once the change is stored
                event = draft.start(now) if action == "start" else draft.end(now)
                changes = await meetings_db.save_session_life(app[db_key], loaded.id, draft, event.name, actor, now)
                life.state, life.started_ms, life.ended_ms = draft.state, draft.started_ms, draft.ended_ms
                life.changes = changes
            break
        except StorageConflict:
            if attempt == TRIES:
                raise
            await app[registry_key].reload_lives(loaded)
    if action == "end":
        await app[tail_flusher_key].flush_session(loaded, session_id)
    app[session_watch_key].record(loaded, session_id)
    await broadcast_state(app, loaded, life)
    await app[notices_key].publish(Notice(SESSION, loaded.id, session_id, life.changes))
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
    """Start or end a session (moderator). ``?name=`` says who, as on the pages: several people may hold one link,
    and the log names the link and, when given, the person."""
    loaded, session_id, access = await _moderator(request)
    name = display_name(request.query.get("name"))
    actor = f"{access.label} ({name})" if name else access.label
    reply = await change_session(request.app, loaded, session_id, request.match_info["action"], actor)
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
#: Attempts at one start or end when other processes keep changing the session first.
TRIES = 5


class SessionWatch:
    """What this process last knew of each session's life, and what it does when that changes without it.

    * another process started or ended a session (its notice, or the once-a-second look at the stored versions):
      this process reads the lives again and, when the session ended, finalises its own live caption lines (the
      other process told every page already, through the client manager);
    * the clock started or ended a session with ``auto_start``: every process tells its own pages (so each page
      hears of it once), the last words first;
    * a meeting file was loaded again (by ``run.py load``): the agenda is read again and pages are told;
    * a session is live: the :class:`LiveFollower` (the floor) holds a copy of it on this process;
    * a session is not live and its copies (floor, questions: the ``keepers``) were not used for a while: they are
      let go (``copies``), so a process that serves a week of sessions holds only the ones in use.
    """

    def __init__(self, app: web.Application, follower: LiveFollower, keepers: Sequence[Keeper] = ()) -> None:
        self.app = app
        self.follower = follower
        self.keepers = tuple(keepers)
        self.versions: dict[str, int] = {}
        #: (meeting id, session id) -> (stored changes, effective state) as last seen.
        self.seen: dict[tuple[int, str], tuple[int, str]] = {}

    def record(self, loaded: LoadedMeeting, session_id: str) -> None:
        """This process changed the session itself (and announced it): nothing more to do for it."""
        life = loaded.lives[session_id]
        self.seen[(loaded.id, session_id)] = (life.changes, life.effective_state(now_ms()).value)

    def _first_look(self, loaded: LoadedMeeting) -> None:
        """Take the lives of a meeting loaded since the last look as they were loaded, before reading them again."""
        now = now_ms()
        for session_id, life in loaded.lives.items():
            self.seen.setdefault((loaded.id, session_id), (life.changes, life.effective_state(now).value))

    async def _reload(self, loaded: LoadedMeeting) -> None:
        self._first_look(loaded)
        await self.app[registry_key].reload_lives(loaded)
        await self.settle(loaded)

    async def settle(self, loaded: LoadedMeeting) -> None:
        """Act on every session of the meeting whose life changed since the last look (see the class docstring)."""
        now = now_ms()
        for session_id, life in list(loaded.lives.items()):
            state = life.effective_state(now).value
            if state == SessionState.LIVE.value:
                await self.follower.follow(loaded, session_id)
            key = (loaded.id, session_id)
            seen = self.seen.get(key)
            self.seen[key] = (life.changes, state)
            if seen is None or seen[1] == state:
                continue
            if state == SessionState.ENDED.value:  # the last words first, as for an end made here
                await self.app[tail_flusher_key].flush_session(loaded, session_id)
            if seen[0] == life.changes:  # the clock changed it, not a stored change: every process tells its pages
                await broadcast_state(self.app, loaded, life, here_only=True)

    async def tick(self) -> None:
        """One pass: refresh meetings whose file changed, read lives other processes changed, settle them all."""
        registry, db = self.app[registry_key], self.app[db_key]
        for slug, version in (await meetings_db.meeting_versions(db)).items():
            previous = self.versions.get(slug)
            self.versions[slug] = version
            if previous is not None and previous != version:
                await registry.refresh(slug)
                log.info("meeting file reloaded", extra={"meeting": slug})
                await self.app[sio_key].emit("agenda_changed", {"meeting": slug}, namespace="/live")
        stored = await meetings_db.life_versions(db)
        for loaded in registry.loaded():
            if any(stored.get((loaded.id, sid), life.changes) != life.changes for sid, life in loaded.lives.items()):
                await self._reload(loaded)
            else:
                await self.settle(loaded)
        self.release_idle()

    def release_idle(self) -> int:
        """Let the keepers go of the idle copies of sessions that are not live; returns how many were let go."""
        now, registry = now_ms(), self.app[registry_key]

        def live(key: Key) -> bool:
            loaded = registry.loaded_by_id(key[0])
            life = loaded.lives.get(key[1]) if loaded is not None else None
            return life is not None and life.effective_state(now) is SessionState.LIVE

        return sum(keeper.release_idle(live) for keeper in self.keepers)

    async def noticed(self, notice: Notice) -> None:
        """Another process started or ended a session: read the lives again now rather than at the next tick."""
        loaded = self.app[registry_key].loaded_by_id(notice.meeting_id)
        life = loaded.lives.get(notice.session_id or "") if loaded is not None else None
        if loaded is None or life is None:
            return
        if life.changes >= notice.seq:  # read already (a retried start or end of this process's did)
            await self.settle(loaded)
        else:
            await self._reload(loaded)

    async def resync(self) -> None:
        """Notices may have been lost: read every loaded meeting's lives again."""
        for loaded in self.app[registry_key].loaded():
            await self._reload(loaded)


session_watch_key = web.AppKey("session_watch", SessionWatch)


async def schedule_context(app: web.Application) -> AsyncIterator[None]:
    """Run :meth:`SessionWatch.tick` every second for the life of the app."""

    async def loop() -> None:
        watch = app[session_watch_key]
        while True:
            try:
                await watch.tick()
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
