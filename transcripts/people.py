"""Records about people in an export: floor interventions, unserved requests, questions and attendance."""

from __future__ import annotations

import dataclasses

from .reading import Fields

MODES = ("onsite", "remote", "hub")
KINDS = ("normal", "point_of_order", "right_of_reply", "on_behalf", "presentation", "interposed_question")
PARTS = ("presentations", "panel", "debate", "closing")  # the session's parts; an intervention records its own
STATUSES = ("pending", "published", "on_screen", "answered", "dismissed")
#: An attendance record is a person's, or a hub's taking part as itself.
KINDS_OF_ATTENDEE = ("person", "hub")


@dataclasses.dataclass(frozen=True, slots=True)
class Intervention:
    """One floor intervention: who was given the floor, when they asked, were called, and spoke."""

    id: int
    participant_id: int | None
    name: str
    organisation: str
    group: str
    country: str
    mode: str
    kind: str
    on_behalf_of: str | None
    language: str | None
    requested_ms: int | None
    called_ms: int | None
    start_ms: int
    end_ms: int | None
    question_id: int | None
    read_by: str | None
    part: str | None = None  # version 2: the session part it began in
    paused_ms: int = 0  # version 2: time paused while interposed questions were put, not floor time
    addressed_to: int | None = None  # version 2: the intervention an interposed question was put to

    @classmethod
    def from_fields(cls, f: Fields) -> Intervention:
        """Read and check one exported intervention."""
        start = f.int("start_ms")
        end = f.int("end_ms", None)
        if end is not None and end < start:
            raise f.fail(f"ends ({end}) before it starts ({start})", "end_ms")
        return cls(id=f.int("id"), participant_id=f.int("participant_id", None), name=f.str("name"),
                   organisation=f.str("organisation", ""), group=f.str("group"), country=f.str("country", ""),
                   mode=f.str("mode", choices=MODES), kind=f.str("kind", "normal", choices=KINDS),
                   on_behalf_of=f.str("on_behalf_of", None), language=f.str("language", None),
                   requested_ms=f.int("requested_ms", None), called_ms=f.int("called_ms", None),
                   start_ms=start, end_ms=end, question_id=f.int("question_id", None), read_by=f.str("read_by", None),
                   part=f.str("part", None, choices=PARTS), paused_ms=f.int("paused_ms", 0, minimum=0),
                   addressed_to=f.int("addressed_to", None))


@dataclasses.dataclass(frozen=True, slots=True)
class UnservedRequest:
    """A request for the floor that was never granted (withdrawn, or still waiting when the session closed)."""

    participant_id: int | None
    name: str
    organisation: str
    group: str
    country: str
    mode: str
    kind: str
    on_behalf_of: str | None
    requested_ms: int
    withdrawn_ms: int | None

    @classmethod
    def from_fields(cls, f: Fields) -> UnservedRequest:
        """Read and check one exported unserved request."""
        return cls(participant_id=f.int("participant_id", None), name=f.str("name"),
                   organisation=f.str("organisation", ""), group=f.str("group"), country=f.str("country", ""),
                   mode=f.str("mode", choices=MODES), kind=f.str("kind", "normal", choices=KINDS),
                   on_behalf_of=f.str("on_behalf_of", None), requested_ms=f.int("requested_ms"),
                   withdrawn_ms=f.int("withdrawn_ms", None))


@dataclasses.dataclass(frozen=True, slots=True)
class Author:
    """Who submitted a question."""

    participant_id: int | None
    name: str
    organisation: str
    country: str
    group: str
    mode: str

    @classmethod
    def from_fields(cls, f: Fields) -> Author:
        """Read and check a question's author."""
        return cls(participant_id=f.int("participant_id", None), name=f.str("name", ""),
                   organisation=f.str("organisation", ""), country=f.str("country", ""), group=f.str("group", ""),
                   mode=f.str("mode", "remote", choices=MODES))


@dataclasses.dataclass(frozen=True, slots=True)
class StatusChange:
    """One moderation step of a question."""

    status: str
    at_ms: int
    by: str | None

    @classmethod
    def from_fields(cls, f: Fields) -> StatusChange:
        """Read one history entry."""
        return cls(status=f.str("status", choices=STATUSES), at_ms=f.int("at_ms"), by=f.str("by", None))


@dataclasses.dataclass(frozen=True, slots=True)
class Question:
    """A question submitted to the moderated board; ``show_name`` False means the author asked to stay anonymous."""

    id: int
    text: str
    author: Author
    show_name: bool
    theme: str | None
    language: str | None
    status: str
    dismiss_reason: str | None
    votes: int
    submitted_ms: int
    history: tuple[StatusChange, ...]
    intervention_id: int | None

    @classmethod
    def from_fields(cls, f: Fields) -> Question:
        """Read and check one exported question."""
        return cls(id=f.int("id"), text=f.str("text"), author=Author.from_fields(f.obj("author")),
                   show_name=f.bool("show_name", False), theme=f.str("theme", None), language=f.str("language", None),
                   status=f.str("status", choices=STATUSES), dismiss_reason=f.str("dismiss_reason", None),
                   votes=f.int("votes", 0, minimum=0), submitted_ms=f.int("submitted_ms"),
                   history=tuple(StatusChange.from_fields(h) for h in f.objects("history", [])),
                   intervention_id=f.int("intervention_id", None))

    @property
    def was_published(self) -> bool:
        """True if the question was ever shown to participants, even if dismissed later."""
        shown = ("published", "on_screen", "answered")
        return self.status in shown or any(h.status in shown for h in self.history)


@dataclasses.dataclass(frozen=True, slots=True)
class Attendee:
    """One person's attendance of a session (or a hub's, taking part as itself: ``kind`` ``hub``): first join,
    last leave, the time attended and the merged intervals. Older exports have one record per connection, with
    the hub described on each person (``hub_city``, ``hub_country``, ``hub_headcount``)."""

    participant_id: int
    name: str
    organisation: str
    country: str
    group: str
    mode: str
    hub_city: str | None
    hub_country: str | None
    hub_headcount: int | None
    listed: bool
    presenter: bool
    join_ms: int
    leave_ms: int | None
    kind: str = "person"
    hub_id: int | None = None
    attended_ms: int | None = None
    intervals: tuple[tuple[int, int], ...] = ()

    @classmethod
    def from_fields(cls, f: Fields) -> Attendee:
        """Read and check one exported attendance record."""
        intervals = []
        for i, pair in enumerate(f.data.get("intervals") or []):
            if (not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(x, int) and not isinstance(x, bool)
                                                                         for x in pair) or pair[1] < pair[0]):
                raise f.fail("expected [join_ms, leave_ms] with leave_ms >= join_ms", f"intervals[{i}]")
            intervals.append((pair[0], pair[1]))
        return cls(participant_id=f.int("participant_id"), name=f.str("name"), organisation=f.str("organisation", ""),
                   country=f.str("country", ""), group=f.str("group"), mode=f.str("mode", choices=MODES),
                   hub_city=f.str("hub_city", None), hub_country=f.str("hub_country", None),
                   hub_headcount=f.int("hub_headcount", None, minimum=0), listed=f.bool("listed", False),
                   presenter=f.bool("presenter", False), join_ms=f.int("join_ms"), leave_ms=f.int("leave_ms", None),
                   kind=f.str("kind", "person", choices=KINDS_OF_ATTENDEE), hub_id=f.int("hub_id", None),
                   attended_ms=f.int("attended_ms", None, minimum=0), intervals=tuple(intervals))


@dataclasses.dataclass(frozen=True, slots=True)
class Hub:
    """A remote hub registered for the meeting: where it is, who hosts it, how many people it expected and how
    many registered through its link."""

    id: int
    name: str
    city: str
    country: str
    host_organisation: str
    group: str
    expected_headcount: int
    registered: int

    @property
    def people(self) -> int:
        """How many people the hub gathered: its expected headcount, or those registered through it when more."""
        return max(self.expected_headcount, self.registered)

    @classmethod
    def from_fields(cls, f: Fields) -> Hub:
        """Read and check one exported hub."""
        return cls(id=f.int("id"), name=f.str("name"), city=f.str("city", ""), country=f.str("country", ""),
                   host_organisation=f.str("host_organisation", ""), group=f.str("group", ""),
                   expected_headcount=f.int("expected_headcount", 0, minimum=0),
                   registered=f.int("registered", 0, minimum=0))


@dataclasses.dataclass(frozen=True, slots=True)
class Registration:
    """A person registered for the meeting, whether or not they attended."""

    participant_id: int
    name: str
    organisation: str
    country: str
    group: str
    mode: str
    hub_id: int | None
    listed: bool

    @classmethod
    def from_fields(cls, f: Fields) -> Registration:
        """Read and check one exported registration."""
        return cls(participant_id=f.int("participant_id"), name=f.str("name"), organisation=f.str("organisation", ""),
                   country=f.str("country", ""), group=f.str("group"), mode=f.str("mode", choices=MODES),
                   hub_id=f.int("hub_id", None), listed=f.bool("listed", False))
