"""Checks for what clients send: Socket.IO payload fields and HTTP query values. Each raises ``InvalidInput``
with the field's name, so every refusal is a coded ACK or a 400, never a server error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ..domain.errors import InvalidInput
from ..domain.numbers import MAX_INT, is_whole_number, whole_number


def text(data: Mapping[str, Any], name: str, max_len: int = 10_000, required: bool = True) -> str:
    """A string field; ``required`` refuses a blank one."""
    value = data.get(name, "")
    if not isinstance(value, str):
        raise InvalidInput("{field} must be text", field=name, params={"field": name})
    no_surrogates(value, name)
    if required and not value.strip():
        required_code = f"{name}_required"
        raise InvalidInput("{field} is required", code=required_code, field=name, params={"field": name})
    if len(value) > max_len:
        too_long_code = f"{name}_too_long"
        raise InvalidInput("{field} is longer than {max_length} characters", code=too_long_code, field=name,
                           params={"field": name, "max_length": max_len})
    return value


def optional_text(data: Mapping[str, Any], name: str, max_len: int) -> str | None:
    """A stripped string field, ``None`` when absent or blank."""
    if data.get(name) is None:
        return None
    return text(data, name, max_len, required=False).strip() or None


def flag(data: Mapping[str, Any], name: str, default: bool) -> bool:
    """A boolean field."""
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise InvalidInput("{field} must be true or false", field=name, params={"field": name})
    return value


def integer(data: Mapping[str, Any], name: str, *, low: int = 0, high: int = MAX_INT,
            default: int | None = None) -> int | None:
    """A whole number field within ``low..high`` (``default`` when absent); booleans are refused."""
    value = data.get(name)
    if value is None:
        return default
    if not is_whole_number(value, low=low, high=high):
        raise InvalidInput("{field} must be a whole number from {low} to {high}", field=name,
                           params={"field": name, "low": low, "high": high})
    assert isinstance(value, int)
    return value


def required_integer(data: Mapping[str, Any], name: str, *, low: int = 0, high: int = MAX_INT) -> int:
    """A whole number field that must be present."""
    value = integer(data, name, low=low, high=high)
    if value is None:
        raise InvalidInput("{field} is required", field=name, params={"field": name})
    return value


def query_int(raw: str | None, name: str, *, default: int, low: int = 0, high: int = MAX_INT) -> int:
    """A whole number from a query string (ASCII digits only) within ``low..high``."""
    if raw is None or raw == "":
        return default
    return whole_number(raw, name, low=low, high=high)


def number_text(raw: str, name: str, *, low: int = 0, high: int = MAX_INT) -> int:
    """A required whole number sent as text (a form field, a path segment): ASCII digits within ``low..high``."""
    return whole_number(raw, name, low=low, high=high)


def no_surrogates(value: str, name: str) -> str:
    """Refuse text with a lone UTF-16 surrogate (JSON ``"\\ud800"``): it cannot be stored or sent as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("{field} contains an invalid character", field=name, params={"field": name}) from None
    return value


async def json_body(request: web.Request) -> Any:
    """The request body as JSON; refuses a body that is not JSON or holds text that is not valid Unicode."""
    try:
        data = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the body must be JSON") from None
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("the body contains an invalid character (a lone surrogate)") from None
    return data


def seconds(data: Mapping[str, Any], name: str = "seconds") -> int | None:
    """A duration in seconds up to a day, or ``None``."""
    value = data.get(name)
    if value is None:
        return None
    if not is_whole_number(value, low=1, high=24 * 3600):
        raise InvalidInput("{field} must be a number of seconds from 1 to {high} or null", field=name,
                           params={"field": name, "high": 24 * 3600})
    return value
