"""Socket.IO plumbing shared by every namespace: the ACK error mapper and connection context."""

from __future__ import annotations

import dataclasses
import functools
import logging
from typing import Any, Awaitable, Callable

from ..domain.errors import DomainError, InvalidInput
from ..domain.meetings.models import Participant, Role

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Conn:
    """What the server remembers about one Socket.IO connection (kept in its session)."""

    slug: str
    meeting_id: int
    session_id: str | None
    role: Role | None
    scope: str | None
    participant: Participant | None
    lang: str | None = None
    attendance_id: int | None = None

    @property
    def label(self) -> str:
        """How the audit log names this connection's person."""
        if self.role is not None:
            return f"{self.role.value}@{self.scope or 'meeting'}"
        if self.participant is not None:
            return f"participant:{self.participant.id}"
        return "anonymous"


def ack(handler: Callable[..., Awaitable[dict[str, Any] | None]]) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Wrap an ``on_<event>`` handler: its result becomes ``{"ok": True, ...}``; refusals become error ACKs.

    An unexpected exception is logged with its traceback and answered ``unknown_error``; the socket stays open.
    """

    @functools.wraps(handler)
    async def wrapper(self: Any, sid: str, data: Any = None, *rest: Any) -> dict[str, Any]:
        try:
            if data is not None and not isinstance(data, dict):
                raise InvalidInput("the payload must be an object")
            result = await handler(self, sid, data or {}, *rest)
        except DomainError as exc:
            return {"ok": False, "error": exc.as_dict()}
        except Exception:
            log.exception("unhandled error in socket handler", extra={"handler": handler.__name__})
            return {"ok": False, "error": {"code": "unknown_error", "message": "Something went wrong on the server."}}
        out = {"ok": True}
        if result:
            out.update(result)
        return out

    return wrapper


def text_field(data: dict[str, Any], name: str, max_len: int = 10_000, required: bool = True) -> str:
    """A string field of a payload, checked."""
    value = data.get(name, "")
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", field=name)
    if required and not value.strip():
        raise InvalidInput(f"{name} is required", code=f"{name}_required", field=name)
    if len(value) > max_len:
        raise InvalidInput(f"{name} is longer than {max_len} characters", code=f"{name}_too_long", field=name)
    return value
