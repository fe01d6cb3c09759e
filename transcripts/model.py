"""The exported record of a session (``Transcript``) or a meeting (``MeetingRecord``), read from and written to JSON.

The format is documented in ``docs/TRANSCRIPT-FORMAT.md``. Reading validates every field and raises
``TranscriptFormatError`` naming the offending one; ``to_dict()`` writes the same format back, so
``Transcript.from_dict(t.to_dict()) == t``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import clock
from .errors import TranscriptFormatError
from .people import PARTS, Attendee, Author, Hub, Intervention, Question, Registration, StatusChange, UnservedRequest
from .reading import Fields
from .segments import Segment
from .turns import SpeakerTurn, TurnPart, build_turns

__all__ = ["AgendaPart", "Attendee", "Author", "Group", "Hub", "Intervention", "MeetingInfo", "MeetingRecord",
           "Question", "Registration", "Roster", "Segment", "SessionInfo", "SpeakerTurn", "StatusChange", "Transcript",
           "TurnPart", "UnservedRequest", "load"]

SESSION_FORMAT = "floorcast-transcript"
MEETING_FORMAT = "floorcast-meeting"
VERSION = 2
#: Versions this library reads. Version 2 added the session's ``parts``, the intervention kinds ``presentation`` and
#: ``interposed_question`` and the intervention fields ``part``, ``paused_ms`` and ``addressed_to``; a version 1
#: document is read as it always was (no parts, nothing paused).
READABLE = (1, 2)

@dataclasses.dataclass(frozen=True, slots=True)
class Group:
    """A stakeholder group of the meeting."""

    slug: str
    label: str


@dataclasses.dataclass(frozen=True)
class MeetingInfo:
    """The meeting a session belongs to."""

    slug: str
    title: str
    venue: str
    timezone: str
    groups: tuple[Group, ...]
    secretariat: str = ""

    @classmethod
    def from_fields(cls, f: Fields) -> MeetingInfo:
        """Read and check the meeting block, including that the time zone exists."""
        tz = f.str("timezone", "UTC")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise f.fail(f"unknown IANA time zone {tz!r}", "timezone") from exc
        groups = tuple(Group(g.str("slug"), g.str("label")) for g in f.objects("groups", []))
        return cls(slug=f.str("slug"), title=f.str("title"), venue=f.str("venue", ""), timezone=tz, groups=groups,
                   secretariat=f.str("secretariat", ""))

    def to_dict(self) -> dict[str, Any]:
        """The meeting block (``secretariat`` only when there is one, as the field is optional)."""
        out: dict[str, Any] = plain(self)
        if not self.secretariat:
            del out["secretariat"]
        return out

    @functools.cached_property
    def tz(self) -> ZoneInfo:
        """The meeting's time zone."""
        return ZoneInfo(self.timezone)

    def group_label(self, slug: str) -> str:
        """The label of a group slug (the slug itself when the meeting does not list it)."""
        return next((g.label for g in self.groups if g.slug == slug), slug)

    def group_order(self, slug: str) -> int:
        """Position of a group in the meeting's list, for sorting (unknown groups last)."""
        return next((i for i, g in enumerate(self.groups) if g.slug == slug), len(self.groups))


@dataclasses.dataclass(frozen=True)
class SessionInfo:
    """The agenda session a transcript records."""

    id: str
    title: str
    room: str
    scheduled_start_ms: int
    scheduled_end_ms: int
    started_ms: int | None
    ended_ms: int | None
    themes: tuple[str, ...]

    @classmethod
    def from_fields(cls, f: Fields) -> SessionInfo:
        """Read and check the session block."""
        sid = f.data.get("id")
        # Numeric ids are common in exports; the library treats ids as text.
        sid = str(sid) if isinstance(sid, int) and not isinstance(sid, bool) else f.str("id")
        return cls(id=sid, title=f.str("title"), room=f.str("room", ""), scheduled_start_ms=f.int("scheduled_start_ms"),
                   scheduled_end_ms=f.int("scheduled_end_ms"), started_ms=f.int("started_ms", None),
                   ended_ms=f.int("ended_ms", None), themes=f.strings("themes", []))

    @property
    def reference_ms(self) -> int:
        """Time zero of relative timestamps: the actual start, else the scheduled one."""
        return self.started_ms if self.started_ms is not None else self.scheduled_start_ms


@dataclasses.dataclass(frozen=True)
class Roster:
    """The meeting's registered hubs and people: what attendance is compared with (empty in older exports)."""

    hubs: tuple[Hub, ...] = ()
    registrations: tuple[Registration, ...] = ()

    @classmethod
    def from_fields(cls, f: Fields) -> Roster:
        """Read the top-level ``hubs`` and ``registrations`` lists (both optional)."""
        return cls(hubs=tuple(Hub.from_fields(h) for h in f.objects("hubs", [])),
                   registrations=tuple(Registration.from_fields(r) for r in f.objects("registrations", [])))

    def to_dict(self) -> dict[str, Any]:
        """The two lists as export fields (left out when empty, as in older exports)."""
        return {name: plain(getattr(self, name)) for name in ("hubs", "registrations") if getattr(self, name)}


@dataclasses.dataclass(frozen=True, slots=True)
class AgendaPart:
    """A part of the session the chair moved to (presentations, panel, debate, closing), from ``start_ms`` on."""

    part: str
    start_ms: int

    @classmethod
    def from_fields(cls, f: Fields) -> AgendaPart:
        """Read and check one part."""
        return cls(part=f.str("part", choices=PARTS), start_ms=f.int("start_ms"))


@dataclasses.dataclass(frozen=True, eq=True)
class Transcript:
    """Everything recorded about one session: captions, floor log, questions and attendance."""

    meeting: MeetingInfo
    session: SessionInfo
    segments: tuple[Segment, ...]
    interventions: tuple[Intervention, ...] = ()
    unserved_requests: tuple[UnservedRequest, ...] = ()
    questions: tuple[Question, ...] = ()
    attendance: tuple[Attendee, ...] = ()
    parts: tuple[AgendaPart, ...] = ()
    roster: Roster = Roster()
    exported_ms: int | None = None

    @classmethod
    def from_dict(cls, data: Any, meeting: MeetingInfo | None = None, path: str = "",
                  roster: Roster | None = None) -> Transcript:
        """Read a ``floorcast-transcript`` dict (``meeting``/``roster``: a meeting export's, when the session
        document leaves them out); raises ``TranscriptFormatError`` naming the bad field."""
        f = Fields(data, path)
        _check_header(f, SESSION_FORMAT)
        meeting = meeting or MeetingInfo.from_fields(f.obj("meeting"))
        segments = tuple(Segment.from_fields(s) for s in f.objects("segments", []))
        seen: set[tuple[str, int]] = set()
        for i, seg in enumerate(segments):
            if (seg.lang, seg.seq) in seen:
                raise f.fail(f"duplicate seq {seg.seq} for language {seg.lang!r}", f"segments[{i}].seq")
            seen.add((seg.lang, seg.seq))
        interventions = tuple(Intervention.from_fields(i) for i in f.objects("interventions", []))
        known = {i.id for i in interventions}
        for i, seg in enumerate(segments):
            if seg.intervention_id is not None and seg.intervention_id not in known:
                raise f.fail(f"unknown intervention {seg.intervention_id}", f"segments[{i}].intervention_id")
        return cls(meeting=meeting, session=SessionInfo.from_fields(f.obj("session")), segments=segments,
                   interventions=interventions,
                   unserved_requests=tuple(UnservedRequest.from_fields(u) for u in f.objects("unserved_requests", [])),
                   questions=tuple(Question.from_fields(q) for q in f.objects("questions", [])),
                   attendance=tuple(Attendee.from_fields(a) for a in f.objects("attendance", [])),
                   parts=tuple(AgendaPart.from_fields(p) for p in f.objects("parts", [])),
                   roster=roster if roster is not None and "hubs" not in f.data and "registrations" not in f.data
                   else Roster.from_fields(f),
                   exported_ms=f.int("exported_ms", None))

    def to_dict(self, *, with_meeting: bool = True) -> dict[str, Any]:
        """The export dict (the inverse of ``from_dict``)."""
        out: dict[str, Any] = {"format": SESSION_FORMAT, "version": VERSION}
        if with_meeting:
            out["meeting"] = self.meeting.to_dict()
        out["session"] = plain(self.session)
        for name in ("segments", "interventions", "unserved_requests", "questions", "attendance", "parts"):
            out[name] = plain(getattr(self, name))
        if with_meeting:
            out.update(self.roster.to_dict())
        if self.exported_ms is not None:
            out["exported_ms"] = self.exported_ms
        return out

    @property
    def made_ms(self) -> int:
        """When the documents were made: the export time, else the session's end (so a file stays reproducible)."""
        return self.exported_ms if self.exported_ms is not None else self.end_ms

    @property
    def reference_ms(self) -> int:
        """Time zero of relative timestamps."""
        return self.session.reference_ms

    def relative(self, ms: int) -> int:
        """Milliseconds since the session start (negative for captions before it)."""
        return ms - self.session.reference_ms

    def local(self, ms: int) -> dt.datetime:
        """The time of an export timestamp in the meeting's time zone."""
        return clock.local(ms, self.meeting.tz)

    def languages(self) -> list[str]:
        """Caption languages, the one with most segments first."""
        counts: dict[str, int] = {}
        for seg in self.segments:
            counts[seg.lang] = counts.get(seg.lang, 0) + 1
        return sorted(counts, key=lambda lang: (-counts[lang], lang))

    def language(self, lang: str | None) -> str:
        """Resolve a requested language (``None``: the main one); raises for one without captions."""
        langs = self.languages()
        if lang is None:
            return langs[0] if langs else "en"
        if langs and lang not in langs:
            raise TranscriptFormatError(f"no captions in language {lang!r} (available: {', '.join(langs)})")
        return lang

    def segments_in(self, lang: str) -> list[Segment]:
        """The segments of one language in ``seq`` order."""
        return sorted((s for s in self.segments if s.lang == lang), key=lambda s: s.seq)

    def seq_gaps(self, lang: str) -> list[int]:
        """Sequence numbers missing between the first and last segment of a language (lost captions)."""
        seqs = [s.seq for s in self.segments_in(lang)]
        present = set(seqs)
        return [n for n in range(seqs[0], seqs[-1]) if n not in present] if seqs else []

    @functools.cached_property
    def interventions_by_id(self) -> dict[int, Intervention]:
        """Interventions keyed by id."""
        return {i.id: i for i in self.interventions}

    def turns(self, lang: str | None = None) -> list[SpeakerTurn]:
        """Consecutive segments of one language grouped into speaker turns (see ``transcripts.turns``)."""
        return build_turns(self.segments_in(self.language(lang)), self.interventions_by_id)

    @property
    def held(self) -> bool:
        """True when the session was started (a session never started was not held, whatever its schedule)."""
        return self.session.started_ms is not None

    @property
    def end_ms(self) -> int:
        """When the session ended: actual end, else the last caption, else the scheduled end."""
        if self.session.ended_ms is not None:
            return self.session.ended_ms
        finals = [s.final_ms for s in self.segments]
        return max(finals) if finals else self.session.scheduled_end_ms


@dataclasses.dataclass(frozen=True)
class MeetingRecord:
    """A whole meeting: its description and the transcript of each session."""

    meeting: MeetingInfo
    sessions: tuple[Transcript, ...]
    exported_ms: int | None = None

    @classmethod
    def from_dict(cls, data: Any) -> MeetingRecord:
        """Read a ``floorcast-meeting`` dict."""
        f = Fields(data, "")
        _check_header(f, MEETING_FORMAT)
        meeting = MeetingInfo.from_fields(f.obj("meeting"))
        roster = Roster.from_fields(f)
        sessions = tuple(Transcript.from_dict(s.data, meeting, s.path, roster) for s in f.objects("sessions"))
        ids = [t.session.id for t in sessions]
        if len(set(ids)) != len(ids):
            raise TranscriptFormatError("session ids must be unique", "sessions")
        return cls(meeting=meeting, sessions=sessions, exported_ms=f.int("exported_ms", None))

    def to_dict(self) -> dict[str, Any]:
        """The export dict (the inverse of ``from_dict``)."""
        roster = self.sessions[0].roster if self.sessions else Roster()
        out = {"format": MEETING_FORMAT, "version": VERSION, "meeting": self.meeting.to_dict(), **roster.to_dict(),
               "sessions": [t.to_dict(with_meeting=False) for t in self.sessions]}
        if self.exported_ms is not None:
            out["exported_ms"] = self.exported_ms
        return out

    def session(self, session_id: str) -> Transcript:
        """The transcript of one session; raises ``TranscriptFormatError`` listing the ids when unknown."""
        for t in self.sessions:
            if t.session.id == session_id:
                return t
        known = ", ".join(t.session.id for t in self.sessions) or "none"
        raise TranscriptFormatError(f"no session {session_id!r} in this meeting (sessions: {known})")


def load(data: Any) -> Transcript | MeetingRecord:
    """Read either export kind, chosen by its ``format`` field."""
    if isinstance(data, dict) and data.get("format") == MEETING_FORMAT:
        return MeetingRecord.from_dict(data)
    return Transcript.from_dict(data)


def plain(value: Any) -> Any:
    """Dataclasses and tuples as JSON-ready dicts and lists, keeping field order."""
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _check_header(f: Fields, expected: str) -> None:
    fmt = f.data.get("format")
    if fmt != expected:
        other = {SESSION_FORMAT: MEETING_FORMAT, MEETING_FORMAT: SESSION_FORMAT}[expected]
        hint = f" (this is a {other} export)" if fmt == other else ""
        raise f.fail(f"expected {expected!r}, got {fmt!r}{hint}", "format")
    version = f.data.get("version")
    if isinstance(version, bool) or version not in READABLE:
        readable = " and ".join(str(v) for v in READABLE)
        raise f.fail(f"unsupported version {version!r}; this library reads versions {readable}", "version")
