"""Refusals raised by the core. Each carries a stable ``code``; each transport maps it to its own reply (the web
layer's mapper gives the HTTP status)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Country:
    """A country (ISO 3166-1 alpha-2) among a message's values: the edge names it in the reader's language."""

    code: str

    def __str__(self) -> str:
        return self.code


class Term(str):
    """A word or phrase from the catalogue among a message's values (a status, an action): the edge translates it
    before putting it in its place. Mark its literal with ``N_`` where it is written."""


def _english(value: object) -> object:
    """A value as the English message shows it (a list as "a, b"; the edge formats each language its own way)."""
    return ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else value


class DomainError(Exception):
    """A refusal with a stable machine-readable code and a human message.

    A message that names values is a template with named placeholders (``"at most {max_length} characters"``) and
    its ``params``: the edge translates the template and fills it in the reader's language, numbers included. The
    English ``message`` is the template filled as it is.
    """

    code: str = "domain_error"

    def __init__(self, message: str = "", *, code: str | None = None, field: str | None = None,
                 params: Mapping[str, object] | None = None) -> None:
        if code is not None:
            self.code = code
        #: The English message with its ``{name}`` placeholders, as the catalogues hold it.
        self.template = message or (self.__class__.__doc__ or self.code).strip()
        #: The values the placeholders stand for.
        self.params: dict[str, object] = dict(params or {})
        self.message = self.template.format_map({k: _english(v) for k, v in self.params.items()}) if params \
            else self.template
        super().__init__(self.message)
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
