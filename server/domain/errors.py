"""Refusals raised by the core. Each carries a stable ``code``; each transport maps it to its own reply (the web
layer's mapper gives the HTTP status)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal with a stable machine-readable code and a human message."""

    code: str = "domain_error"

    def __init__(self, message: str = "", *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)
        if code is not None:
            self.code = code
        self.message = message or (self.__class__.__doc__ or self.code).strip()
        self.field = field

    def as_dict(self) -> dict[str, Any]:
        """The wire form: ``{"code", "message"}`` plus ``field`` when one is known."""
        out = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out


class InvalidInput(DomainError):
    """The request is malformed or a field is out of range."""

    code = "invalid_format"


class NotFound(DomainError):
    """No such object."""

    code = "not_found"


class NotAllowed(DomainError):
    """The caller's role does not allow this."""

    code = "not_allowed"


class InvalidTransition(DomainError):
    """The object is not in a state that allows this."""

    code = "invalid_transition"


class NotLive(DomainError):
    """The session is not live."""

    code = "session_not_live"


class Unavailable(DomainError):
    """The server cannot store this now (its storage is full or failing); nothing was stored: send it again."""

    code = "storage_unavailable"


class RateLimited(DomainError):
    """Too many requests; try again shortly."""

    code = "rate_limited"

    def __init__(self, message: str = "", *, retry_after: int | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        #: Whole seconds until another try may succeed, when known.
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, Any]:
        """The wire form, with ``retry_after`` (seconds) when known."""
        out = super().as_dict()
        if self.retry_after is not None:
            out["retry_after"] = self.retry_after
        return out
