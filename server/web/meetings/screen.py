"""The room screen's layout: the chair chooses what it shows next to the captions (``screen_layout`` on
/moderate); the choice is stored and pushed to the session's screens, and a screen opened later starts with it."""

from __future__ import annotations

from typing import Any

from ...clock import now_ms
from ...domain.meetings.models import Role
from ...domain.meetings.screen import DEFAULT_SHOWS, screen_shows
from ...storage import meetings as meetings_db
from ...storage.interface import Database
from .. import rooms
from ..keys import db_key
from ..registry import LoadedMeeting
from ..sockets import LIVE, MODERATE, Commands, Context, Payload

commands = Commands()


async def shows(db: Database, loaded: LoadedMeeting, session_id: str) -> str:
    """What the room screen of a session shows now."""
    return await meetings_db.screen_shows(db, loaded.id, session_id) or DEFAULT_SHOWS


@commands.command("screen_state", LIVE)
async def screen_state(ctx: Context, data: Payload) -> dict[str, Any]:
    """What the room screen shows now (a screen asks again after a reconnection, in case it missed a change)."""
    return {"shows": await shows(ctx.app[db_key], ctx.meeting, ctx.session_id)}


@commands.command("screen_layout", MODERATE, role=Role.MODERATOR)
async def screen_layout(ctx: Context, data: Payload) -> dict[str, Any]:
    """Choose what the room screen shows: ``{shows: "captions" | "speaker" | "all"}``."""
    chosen = screen_shows(data.get("shows"))
    await meetings_db.set_screen_shows(ctx.app[db_key], ctx.meeting.id, ctx.session_id, chosen, now_ms())
    payload = {"session_id": ctx.session_id, "shows": chosen}
    for namespace in (LIVE, MODERATE):
        await ctx.sio.emit("screen_layout", payload, room=rooms.session(ctx.meeting.id, ctx.session_id),
                           namespace=namespace)
    return {"shows": chosen}
