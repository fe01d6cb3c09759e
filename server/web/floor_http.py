"""The floor over HTTP: the public queue page and state, and the records for rapporteurs and moderators."""

from __future__ import annotations



from aiohttp import web

from ..storage import floor as floor_db
from . import auth, floor
from .records import audit_response
from .live import now_ms




async def state(request: web.Request) -> web.Response:
    """The public state: who has the floor, the timer, and the list in order (anyone)."""
    live, sid = await auth.session_of(request)
    found = await floor.session_floor(request.app, live, sid)
    return web.json_response(floor.public_view(live, sid, found, now_ms()))


async def stats(request: web.Request) -> web.Response:
    """Interventions, floor time and average wait, in total, by group and by mode, and requests never served."""
    live, sid = await auth.session_of(request)
    await auth.require_records(request, live, sid)
    found = await floor.session_floor(request.app, live, sid)
    now = now_ms()
    unserved = found.queue.records()["unserved"]
    by_status: dict[str, int] = {}
    for row in unserved:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    return web.json_response({"session_id": sid, "at_ms": now, **found.queue.stats(now),
                              "unserved": len(unserved), "unserved_by_status": by_status})


async def records(request: web.Request) -> web.Response:
    """Every intervention (person as they were, times, kind, linked question) and every unserved request."""
    live, sid = await auth.session_of(request)
    await auth.require_records(request, live, sid)
    found = await floor.session_floor(request.app, live, sid)
    return web.json_response({"session_id": sid, **found.queue.records()})


async def audit(request: web.Request) -> web.Response:
    """Every stored floor event of the session with who, what and when (moderator or rapporteur token)."""
    return await audit_response(request, floor_db.audit)


async def queue_page(request: web.Request) -> web.Response:
    """The public list of speakers, for the room screen and everyone: speaker, timer and who is next."""
    from .views import _session_page

    return await _session_page(request, "floor_queue.html", None)


def setup(app: web.Application) -> None:
    """Add the routes."""
    r = app.router
    base = "/api/meetings/{slug}/sessions/{sid}/floor"
    r.add_get(base, state)
    r.add_get(base + "/stats", stats)
    r.add_get(base + "/records", records)
    r.add_get(base + "/audit", audit)
    r.add_get("/m/{slug}/s/{sid}/queue", queue_page, name="queue")
