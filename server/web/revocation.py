"""Cutting off a revoked link: every open connection made with it goes within a second, on every process.

Each Socket.IO connection made with a link is in the link's room (``rooms.link``), and each caption bridge is
registered with its link. Revoking (or rotating) a link:

1. tells this process's pages in the link's room why (``access_revoked``, written to them at once, before they are
   disconnected), then disconnects them and closes this process's bridges of that link;
2. it tells the other processes (a ``link`` notice, with Redis), which do the same for their own connections at
   once;
3. every process also looks twice a second for links revoked in the shared database and does the same for its
   own connections, so a link revoked through another process is cut off here even if the notice was lost.

Each process tells only its own pages: every process telling every page (through Redis) would say it once per
process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from ..clock import now_ms
from ..storage import meetings as meetings_db
from . import rooms
from .captions.bridge import close_link_bridges
from .keys import db_key, sio_key
from .notices import LINK, Notice, notices_key
from .sockets import NAMESPACES

log = logging.getLogger(__name__)

#: What a page shows when its link is revoked (one place for the text).
REVOKED_MESSAGE = "This link has been revoked by the organisers. Ask them for a new one."
#: How often each process looks for links revoked elsewhere (seconds).
POLL_INTERVAL = 0.5
#: How far back each look reaches, so that a revocation committed just before the last look is not missed.
OVERLAP_MS = 5_000


async def cut_off(app: web.Application, link_ids: set[int]) -> int:
    """Tell and disconnect every connection of these links on this process, close their bridges; returns how many."""
    sio = app[sio_key]
    count = 0
    for link_id in link_ids:
        room = rooms.link(link_id)
        for namespace in NAMESPACES:
            sio.manager.fast_emit_local("access_revoked", {"code": "link_revoked", "message": REVOKED_MESSAGE},
                                        namespace, room)
            for sid, _ in list(sio.manager.get_participants(namespace, room)):
                await sio.disconnect(sid, namespace=namespace)
                count += 1
    count += await close_link_bridges(app, link_ids)
    if count:
        log.info("connections of revoked links closed", extra={"links": sorted(link_ids), "connections": count})
    return count


async def revoked(app: web.Application, meeting_id: int, link_id: int) -> int:
    """A link was revoked or rotated here: cut off its connections on this process and tell the other processes."""
    count = await cut_off(app, {link_id})
    await app[notices_key].publish(Notice(LINK, meeting_id, None, link_id))
    return count


class Revocations:
    """Cuts off, on this process, the connections of a link another process revoked (told by its notice)."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    async def noticed(self, notice: Notice) -> None:
        """Another process revoked the link ``notice.seq``."""
        await cut_off(self.app, {notice.seq})

    async def resync(self) -> None:
        """Nothing to catch up: the twice-a-second look at the database finds what a lost notice said."""


async def _watch(app: web.Application) -> None:
    seen: dict[int, int] = {}  # link id -> when this process first saw it revoked
    since = now_ms()
    while True:
        await asyncio.sleep(POLL_INTERVAL)
        try:
            now = now_ms()
            found = {link_id for _, link_id in await meetings_db.revoked_since(app[db_key], since - OVERLAP_MS)}
            new = found - seen.keys()
            for link_id in new:
                seen[link_id] = now
            for link_id in [k for k, at in seen.items() if at < now - 2 * OVERLAP_MS]:
                del seen[link_id]
            since = now
            if new:
                await cut_off(app, new)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("looking for revoked links failed")


async def revocation_context(app: web.Application) -> AsyncIterator[None]:
    """Run the watch for revoked links while the app serves."""
    task = asyncio.create_task(_watch(app))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
