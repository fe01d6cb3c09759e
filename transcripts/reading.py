"""Typed reading of untrusted JSON objects with error messages that name the offending field."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import Any

from .errors import TranscriptFormatError

_MISSING: Any = object()


class Fields:
    """One JSON object being read; every accessor checks the type and reports ``path.key`` on failure.

    The accessors are named after the types they read, so annotations below ``str()`` say ``builtins.str``.
    """

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise TranscriptFormatError(f"expected an object, got {_kind(data)}", path)
        self.data = data
        self.path = path

    def _get(self, key: str, default: Any) -> Any:
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise TranscriptFormatError("required field is missing", self._at(key))
        return default

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def str(self, key: str, default: Any = _MISSING, *, nullable: bool = False, choices: tuple[str, ...] = ()) -> Any:
        """A string field (``None`` allowed only when ``nullable``); ``choices`` restricts the values."""
        value = self._get(key, default)
        if value is None and (nullable or default is None):
            return None
        if not isinstance(value, str):
            raise TranscriptFormatError(f"expected a string, got {_kind(value)}", self._at(key))
        if choices and value not in choices:
            raise TranscriptFormatError(f"{value!r} is not one of {', '.join(choices)}", self._at(key))
        return value

    def int(
        self, key: builtins.str, default: Any = _MISSING, *, nullable: bool = False, minimum: int | None = None
    ) -> Any:
        """An integer field (booleans are refused even though Python treats them as integers)."""
        value = self._get(key, default)
        if value is None and (nullable or default is None):
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise TranscriptFormatError(f"expected an integer, got {_kind(value)}", self._at(key))
        if minimum is not None and value < minimum:
            raise TranscriptFormatError(f"must be at least {minimum}, got {value}", self._at(key))
        return value

    def bool(self, key: builtins.str, default: Any = _MISSING) -> bool:
        """A boolean field."""
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise TranscriptFormatError(f"expected true or false, got {_kind(value)}", self._at(key))
        return value

    def obj(self, key: builtins.str) -> Fields:
        """A nested object."""
        return Fields(self._get(key, _MISSING), self._at(key))

    def objects(self, key: builtins.str, default: Any = _MISSING) -> Iterator[Fields]:
        """Each object of a list field."""
        value = self._get(key, default)
        if not isinstance(value, list):
            raise TranscriptFormatError(f"expected a list, got {_kind(value)}", self._at(key))
        for i, item in enumerate(value):
            yield Fields(item, f"{self._at(key)}[{i}]")

    def strings(self, key: builtins.str, default: Any = _MISSING) -> tuple[builtins.str, ...]:
        """A list of strings."""
        value = self._get(key, default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TranscriptFormatError("expected a list of strings", self._at(key))
        return tuple(value)

    def fail(self, message: builtins.str, key: builtins.str = "") -> TranscriptFormatError:
        """An error about this object (or one of its fields) for the caller to raise."""
        return TranscriptFormatError(message, self._at(key) if key else self.path)


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )
