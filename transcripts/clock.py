"""Time formatting: export times are integer UTC milliseconds, shown relative to the session or on a local clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def hms(ms: int) -> str:
    """``HH:MM:SS`` for a non-negative duration (hours may exceed 99)."""
    seconds = max(ms, 0) // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def vtt_timestamp(ms: int) -> str:
    """``HH:MM:SS.mmm`` as WebVTT requires (always with hours, so every reader accepts it)."""
    ms = max(ms, 0)
    return f"{hms(ms)}.{ms % 1000:03d}"


def srt_timestamp(ms: int) -> str:
    """``HH:MM:SS,mmm`` as SubRip requires."""
    ms = max(ms, 0)
    return f"{hms(ms)},{ms % 1000:03d}"


def utc(ms: int) -> dt.datetime:
    """The aware UTC datetime of an export timestamp."""
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def local(ms: int, tz: ZoneInfo) -> dt.datetime:
    """The aware datetime of an export timestamp in the meeting's time zone."""
    return utc(ms).astimezone(tz)


def long_date(day: dt.date) -> str:
    """UN style date, e.g. ``18 May 2012`` (no locale dependency)."""
    return f"{day.day} {day.strftime('%B')} {day.year}"


def minutes(ms: int | float) -> str:
    """A duration for people: ``1 h 05 min``, ``4 min 20 s`` or ``35 s``."""
    seconds = round(max(ms, 0) / 1000)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds // 60 % 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"
