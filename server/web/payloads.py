"""Checks for what clients send: Socket.IO payload fields and HTTP query values. Each raises ``InvalidInput``
with the field's name, so every refusal is a coded ACK or a 400, never a server error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..domain.errors import InvalidInput

#: The largest integer SQLite stores (64-bit signed).
MAX_INT = 2 ** 63 - 1


def text(data: Mapping[str, Any], name: str, max_len: int = 10_000, required: bool = True) -> str:
    """A string field; ``required`` refuses a blank one."""
    value = data.get(name, "")
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", field=name)
    if required and not value.strip():
        raise InvalidInput(f"{name} is required", code=f"{name}_required", field=name)
    if len(value) > max_len:
        raise InvalidInput(f"{name} is longer than {max_len} characters", code=f"{name}_too_long", field=name)
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
        raise InvalidInput(f"{name} must be true or false", field=name)
    return value


def integer(data: Mapping[str, Any], name: str, *, low: int = 0, high: int = MAX_INT,
            default: int | None = None) -> int | None:
    """A whole number field within ``low..high`` (``default`` when absent); booleans are refused."""
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{name} must be a whole number from {low} to {high}", field=name)
    return value


def required_integer(data: Mapping[str, Any], name: str, *, low: int = 0, high: int = MAX_INT) -> int:
    """A whole number field that must be present."""
    value = integer(data, name, low=low, high=high)
    if value is None:
        raise InvalidInput(f"{name} is required", field=name)
    return value


def query_int(raw: str | None, name: str, *, default: int, low: int = 0, high: int = MAX_INT) -> int:
    """A whole number from a query string (ASCII digits only) within ``low..high``."""
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise InvalidInput(f"{name} must be a whole number from {low} to {high}", field=name)
    return int(raw)


def seconds(data: Mapping[str, Any], name: str = "seconds") -> int | None:
    """A duration in seconds up to a day, or ``None``."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 24 * 3600:
        raise InvalidInput(f"{name} must be a number of seconds or null", field=name)
    return value
