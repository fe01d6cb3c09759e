"""The floor over HTTP: the public list of speakers (page and state), and the records for rapporteurs and chairs."""

from __future__ import annotations

from aiohttp import web

from ...clock import now_ms
from ...storage import floor as floor_db
from .. import auth
from ..pages import session_page
from ..records import audit_response
from .service import floor_key
from .views import public_view

routes = web.RouteTableDef()
BASE = "/api/meetings/{slug}/sessions/{session_id}/floor"


@routes.get(BASE)
async def state(request: web.Request) -> web.Response:
    """The public state: who has the floor, the timer, and the list in order (anyone)."""
    loaded, session_id = await auth.session_of(request)
    found = await request.app[floor_key].session(loaded, session_id)
    return web.json_response(public_view(loaded, session_id, found.queue, found.seq, now_ms()))


@routes.get(BASE + "/stats")
async def stats(request: web.Request) -> web.Response:
    """Interventions, floor time and average wait, in total, by group and by mode, and requests never served."""
    loaded, session_id = await auth.session_of(request)
    await auth.require_records(request, loaded, session_id)
    found = await request.app[floor_key].session(loaded, session_id)
    now = now_ms()
    unserved = found.queue.records()["unserved"]
    by_status: dict[str, int] = {}
    for row in unserved:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    return web.json_response({"session_id": session_id, "at_ms": now, **found.queue.stats(now),
                              "unserved": len(unserved), "unserved_by_status": by_status})


@routes.get(BASE + "/records")
async def records(request: web.Request) -> web.Response:
    """Every intervention (person as they were, times, kind, linked question) and every unserved request."""
    loaded, session_id = await auth.session_of(request)
    await auth.require_records(request, loaded, session_id)
    found = await request.app[floor_key].session(loaded, session_id)
    return web.json_response({"session_id": session_id, **found.queue.records()})


@routes.get(BASE + "/audit")
async def audit(request: web.Request) -> web.Response:
    """Every stored floor event of the session with who, what and when (moderator or rapporteur token)."""
    return await audit_response(request, floor_db.audit)


@routes.get("/m/{slug}/s/{session_id}/queue", name="queue")
async def queue_page(request: web.Request) -> web.Response:
    """The public list of speakers, for the room screen and everyone: speaker, timer and who is next."""
    return await session_page(request, "floor_queue.html", None)
