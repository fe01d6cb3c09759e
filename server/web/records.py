"""The HTTP answer shared by the features that keep an append-only audit log (questions, the floor)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import actors, auth
from .keys import db_key
from .payloads import query_int

AuditLoader = Callable[..., Awaitable[list[dict[str, Any]]]]


async def audit_response(request: web.Request, load: AuditLoader) -> web.Response:
    """A session's stored events after ``?after=N`` with who, what and when (moderator or rapporteur token)."""
    loaded, session_id = await auth.session_of(request)
    await auth.require_records(request, loaded, session_id)
    after = query_int(request.query.get("after"), "after", default=0)
    entries = await load(request.app[db_key], loaded.id, session_id, after=after)
    return web.json_response({"session_id": session_id, "entries": actors.with_parts(entries)})
