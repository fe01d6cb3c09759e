"""A once-a-second loop: scheduled session starts and ends, and meeting files loaded by another process.

``python run.py load`` writes to the database from its own process; this loop notices the new version and
refreshes the running meeting without a restart. Sessions whose meeting file asks for an automatic start go
live at their scheduled time, and every page hears of it at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from ..clock import now_ms
from ..storage import meetings as meetings_db
from .keys import db_key, registry_key, sio_key
from .sessions import broadcast_state

log = logging.getLogger(__name__)
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
    try:
        await task
    except asyncio.CancelledError:
        pass
