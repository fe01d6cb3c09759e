"""HTTP answers shared by the features that keep an append-only audit log (questions, the floor)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from aiohttp import web

from ..domain.errors import InvalidInput
from . import auth
from .keys import db_key

AuditLoader = Callable[..., Awaitable[list[dict[str, Any]]]]


async def audit_response(request: web.Request, load: AuditLoader) -> web.Response:
    """A session's stored events after ``?after=N`` with who, what and when (moderator or rapporteur token)."""
    live, sid = await auth.session_of(request)
    await auth.require_records(request, live, sid)
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        raise InvalidInput("after must be an integer", field="after") from None
    if not 0 <= after < 2 ** 63:  # SQLite integers are 64-bit
        raise InvalidInput("after must be between 0 and 2^63 - 1", field="after")
    entries = await load(request.app[db_key], live.id, sid, after=after)
    return web.json_response({"session_id": sid, "entries": entries})
