"""Parse and validate a hand-written meeting file (TOML) into a :class:`Meeting`.

Errors name the line and the field so a secretariat can fix the file; nothing is created from an invalid file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
import zoneinfo
from typing import Any

from ..errors import InvalidInput
from .hubs import hub_registration
from .models import DEFAULT_GROUPS, AgendaSession, Hub, Meeting, StakeholderGroup, countries

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


@dataclasses.dataclass(frozen=True)
class FileProblem:
    """One problem in a meeting file: where it is and what is wrong."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}: {self.field}: {self.message}"


class MeetingFileError(InvalidInput):
    """The meeting file is invalid; ``problems`` lists every problem found."""

    code = "invalid_meeting_file"

    def __init__(self, problems: list[FileProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class _Lines:
    """Maps (table, index, key) to the line number where it is written."""

    def __init__(self, text: str) -> None:
        self.keys: dict[tuple[str, int, str], int] = {}
        self.tables: dict[tuple[str, int], int] = {}
        counts: dict[str, int] = {}
        table, index = "", 0
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                table = header.group(2)
                index = counts.get(table, 0)
                counts[table] = index + 1
                self.tables[(table, index)] = number
                continue
            key = _KEY.match(line)
            if key:
                self.keys.setdefault((table, index, key.group(1)), number)

    def find(self, table: str, index: int, key: str) -> int:
        """The line of ``key`` in the ``index``-th ``table`` (0 when unknown)."""
        return self.keys.get((table, index, key)) or self.tables.get((table, index), 0)


def parse_meeting(text: str) -> Meeting:
    """Parse meeting-file text; raise :class:`MeetingFileError` listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise MeetingFileError([FileProblem(int(match.group(1)) if match else 0, "toml", str(exc))]) from None
    lines = _Lines(text)
    problems: list[FileProblem] = []

    def problem(table: str, index: int, key: str, message: str) -> None:
        label = key if not table else f"{table}[{index + 1}].{key}"
        problems.append(FileProblem(lines.find(table, index, key), label, message))

    def text_field(data: dict[str, Any], table: str, index: int, key: str, required: bool = True) -> str:
        value = data.get(key, "")
        if not isinstance(value, str):
            problem(table, index, key, "must be text")
            return ""
        if required and not value.strip():
            problem(table, index, key, "is required")
        return value.strip()

    slug = text_field(raw, "", 0, "slug")
    if slug and not _SLUG.match(slug):
        problem("", 0, "slug", "use lowercase letters, digits and '-' (at most 63)")
    title = text_field(raw, "", 0, "title")
    venue = text_field(raw, "", 0, "venue")
    secretariat = text_field(raw, "", 0, "secretariat", required=False)
    tz_name = text_field(raw, "", 0, "timezone")
    tz: dt.tzinfo = dt.UTC
    if tz_name:
        try:
            tz = zoneinfo.ZoneInfo(tz_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problem("", 0, "timezone", f"unknown time zone {tz_name!r} (use an IANA name such as 'Europe/Zurich')")
    dates = []
    for key in ("start_date", "end_date"):
        value = raw.get(key)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            dates.append(value)
        else:
            problem("", 0, key, "must be a date such as 2012-11-05")
    if len(dates) == 2 and dates[1] < dates[0]:
        problem("", 0, "end_date", "is before start_date")

    languages = raw.get("languages", ["en"])
    if (not isinstance(languages, list) or not languages
            or not all(isinstance(x, str) and _LANG.match(x) for x in languages)):
        problem("", 0, "languages", "must be a non-empty list of language codes such as [\"en\", \"fr\"]")
        languages = ["en"]
    elif len(set(languages)) != len(languages):
        problem("", 0, "languages", "lists a language twice")

    groups = _groups(raw, problem, text_field)
    sessions = _sessions(raw, tz, problem, text_field)
    hubs = _hubs(raw, groups, problem)
    known = set(raw) - {"slug", "title", "venue", "timezone", "start_date", "end_date", "languages", "groups",
                        "sessions", "description", "hubs", "secretariat"}
    for key in sorted(known):
        problem("", 0, key, "is not a meeting-file field")
    if problems:
        raise MeetingFileError(problems)
    return Meeting(slug=slug, title=title, venue=venue, timezone=tz_name, start_date=dates[0].isoformat(),
                   end_date=dates[1].isoformat(), groups=groups, languages=tuple(languages), sessions=sessions,
                   description=str(raw.get("description", "")).strip(), hubs=hubs,
                   secretariat=secretariat)


def _hubs(raw: dict[str, Any], groups: tuple[StakeholderGroup, ...], problem: Any) -> tuple[Hub, ...]:
    """``[[hubs]]`` tables: name, city, country, host_organisation, group, expected_headcount (as on the admin
    page's form)."""
    items = raw.get("hubs", [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        problem("", 0, "hubs", "must be [[hubs]] tables")
        return ()
    # Only the groups matter to a hub's checks; the rest of the meeting is not needed.
    frame = Meeting("", "", "", "", "", "", groups, (), ())
    valid = {code for code, _ in countries()}
    out: list[Hub] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        for key in sorted(set(item) - {"name", "city", "country", "host_organisation", "group",
                                        "expected_headcount"}):
            problem("hubs", i, key, "is not a hub field")
        try:
            hub = hub_registration(frame, item, valid)
        except InvalidInput as exc:
            problem("hubs", i, exc.field or "hubs", exc.message)
            continue
        if (hub.name.casefold(), hub.country) in seen:
            problem("hubs", i, "name", f"{hub.name!r} in {hub.country} is listed twice")
        seen.add((hub.name.casefold(), hub.country))
        out.append(hub)
    return tuple(out)


def _groups(raw: dict[str, Any], problem: Any, text_field: Any) -> tuple[StakeholderGroup, ...]:
    items = raw.get("groups")
    if items is None:
        return tuple(StakeholderGroup(s, label) for s, label in DEFAULT_GROUPS)
    if not isinstance(items, list) or not items:
        problem("", 0, "groups", "must be one or more [[groups]] tables")
        return ()
    out, seen = [], set()
    for i, item in enumerate(items):
        slug = text_field(item, "groups", i, "slug")
        label = text_field(item, "groups", i, "label")
        if slug and not _SLUG.match(slug):
            problem("groups", i, "slug", "use lowercase letters, digits and '-'")
        if slug in seen:
            problem("groups", i, "slug", f"{slug!r} is used twice")
        seen.add(slug)
        out.append(StakeholderGroup(slug, label))
    return tuple(out)


def _sessions(raw: dict[str, Any], tz: dt.tzinfo, problem: Any, text_field: Any) -> tuple[AgendaSession, ...]:
    items = raw.get("sessions")
    if not isinstance(items, list) or not items:
        problem("", 0, "sessions", "the agenda needs at least one [[sessions]] table")
        return ()
    out, seen = [], set()
    for i, item in enumerate(items):
        sid = text_field(item, "sessions", i, "id")
        if sid and not _SLUG.match(sid):
            problem("sessions", i, "id", "use lowercase letters, digits and '-'")
        if sid in seen:
            problem("sessions", i, "id", f"{sid!r} is used twice")
        seen.add(sid)
        title = text_field(item, "sessions", i, "title")
        room = text_field(item, "sessions", i, "room")
        times = []
        for key in ("start", "end"):
            value = item.get(key)
            if isinstance(value, dt.datetime):
                local = value if value.tzinfo else value.replace(tzinfo=tz)
                times.append(int(local.timestamp() * 1000))
            else:
                problem("sessions", i, key, "must be a date and time such as 2012-11-05T10:30:00")
        if len(times) == 2 and times[1] <= times[0]:
            problem("sessions", i, "end", "must be after start")
        themes = item.get("themes", [])
        if not isinstance(themes, list) or not all(isinstance(t, str) and t.strip() for t in themes):
            problem("sessions", i, "themes", "must be a list of theme names")
            themes = []
        auto = item.get("auto_start", False)
        if not isinstance(auto, bool):
            problem("sessions", i, "auto_start", "must be true or false")
            auto = False
        extra = set(item) - {"id", "title", "room", "start", "end", "themes", "auto_start", "description"}
        for key in sorted(extra):
            problem("sessions", i, key, "is not a session field")
        if len(times) == 2:
            out.append(AgendaSession(id=sid, title=title, room=room, start_ms=times[0], end_ms=times[1],
                                     themes=tuple(t.strip() for t in themes), auto_start=auto,
                                     description=str(item.get("description", "")).strip()))
    return tuple(out)
