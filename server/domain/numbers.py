"""The one strict parser for whole numbers and ids that arrive as text (query strings, forms, path segments).

Only ASCII digits count: ``str.isdigit()`` and ``int()`` also take ``²``, ``١٢``, ``1_000``, `` 7`` or ``+3``,
which are either refused later with a server error or silently read as another number. Every value is bounded,
by default to what SQLite stores in an INTEGER (64-bit signed), so nothing reaches the database as an overflow.
"""

from __future__ import annotations

import re

from .errors import InvalidInput

#: The largest integer SQLite stores (64-bit signed).
MAX_INT = 2 ** 63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def whole_number(raw: str, name: str, *, low: int = 0, high: int = MAX_INT, code: str | None = None) -> int:
    """``raw`` as an int within ``low..high`` (``low`` ≥ 0): ASCII digits only, no sign, space or exponent.

    Raises ``InvalidInput`` (``code`` when given, else ``invalid_format``) naming the field ``name``.
    """
    if not isinstance(raw, str) or _DIGITS.fullmatch(raw) is None or not low <= int(raw) <= high:
        raise InvalidInput("{field} must be a whole number from {low} to {high}", code=code, field=name,
                           params={"field": name, "low": low, "high": high})
    return int(raw)


def is_whole_number(value: object, *, low: int = 0, high: int = MAX_INT) -> bool:
    """True for a JSON integer (not a boolean) within ``low..high``."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
