"""Meetings, their agenda sessions, participants and roles."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from ..errors import InvalidInput, InvalidTransition, NotLive
from ..events import Event

#: The IGF's stakeholder groups, the default for a new meeting (slug, label).
DEFAULT_GROUPS: tuple[tuple[str, str], ...] = (
    ("government", "Governments"),
    ("igo", "Intergovernmental organisations"),
    ("private", "Private sector"),
    ("civil", "Civil society"),
    ("technical", "Technical community"),
    ("academic", "Academic community"),
)


class Role(str, enum.Enum):
    """What a capability link lets its holder do."""

    ADMIN = "admin"
    MODERATOR = "moderator"
    CAPTIONER = "captioner"
    RAPPORTEUR = "rapporteur"
    PARTICIPANT = "participant"

    def can(self, other: Role) -> bool:
        """True when this role includes ``other`` (admin includes every role, moderator includes participant)."""
        if self is other or self is Role.ADMIN:
            return True
        return self is Role.MODERATOR and other is Role.PARTICIPANT


class Mode(str, enum.Enum):
    """How a participant takes part."""

    ONSITE = "onsite"
    REMOTE = "remote"
    HUB = "hub"

    @property
    def side(self) -> str:
        """``room`` for onsite, ``remote`` for remote participants and hubs."""
        return "room" if self is Mode.ONSITE else "remote"


@dataclasses.dataclass(frozen=True)
class StakeholderGroup:
    """One stakeholder group of a meeting: a short slug and its label."""

    slug: str
    label: str


@dataclasses.dataclass(frozen=True)
class AgendaSession:
    """One agenda item / session of a meeting, with times as UTC milliseconds."""

    id: str
    title: str
    room: str
    start_ms: int
    end_ms: int
    themes: tuple[str, ...] = ()
    auto_start: bool = False
    description: str = ""


@dataclasses.dataclass(frozen=True)
class Meeting:
    """A meeting as described by its meeting file."""

    slug: str
    title: str
    venue: str
    timezone: str
    start_date: str
    end_date: str
    groups: tuple[StakeholderGroup, ...]
    languages: tuple[str, ...]
    sessions: tuple[AgendaSession, ...]
    description: str = ""
    secretariat: str = ""  # who runs the meeting: the author of its exported documents

    def session(self, session_id: str) -> AgendaSession:
        """The agenda session with this id; raises ``NotFound``."""
        for s in self.sessions:
            if s.id == session_id:
                return s
        from ..errors import NotFound

        raise NotFound(f"no session {session_id!r} in this meeting")

    def group(self, slug: str) -> StakeholderGroup:
        """The stakeholder group with this slug; raises ``InvalidInput``."""
        for g in self.groups:
            if g.slug == slug:
                return g
        raise InvalidInput(f"unknown stakeholder group {slug!r}", field="group")

    @property
    def default_language(self) -> str:
        """The first caption language."""
        return self.languages[0]


@dataclasses.dataclass(frozen=True)
class Participant:
    """A registered participant. ``hub_*`` fields are set only for mode ``hub``."""

    id: int
    name: str
    organisation: str
    country: str
    group: str
    mode: Mode
    hub_city: str = ""
    hub_country: str = ""
    hub_headcount: int = 0
    listed: bool = True

    def snapshot(self) -> dict[str, Any]:
        """Who this participant was at a moment: kept with questions and interventions."""
        return {
            "participant_id": self.id,
            "name": self.name,
            "organisation": self.organisation,
            "country": self.country,
            "group": self.group,
            "mode": self.mode.value,
        }


class SessionState(str, enum.Enum):
    """Life of a session: scheduled, then live between Start and End, then ended."""

    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


@dataclasses.dataclass(frozen=True)
class SessionStarted(Event):
    """The moderator started a session (or its scheduled start came)."""

    name = "session_started"
    session_id: str
    at_ms: int


@dataclasses.dataclass(frozen=True)
class SessionEnded(Event):
    """The moderator ended a session."""

    name = "session_ended"
    session_id: str
    at_ms: int


@dataclasses.dataclass
class SessionLife:
    """The live/ended state of one agenda session."""

    session: AgendaSession
    state: SessionState = SessionState.SCHEDULED
    started_ms: int | None = None
    ended_ms: int | None = None

    def effective_state(self, now: int) -> SessionState:
        """The state at ``now``, applying the meeting file's automatic start and end."""
        if self.state is SessionState.SCHEDULED and self.session.auto_start:
            if self.session.start_ms <= now < self.session.end_ms:
                return SessionState.LIVE
            if now >= self.session.end_ms:
                return SessionState.ENDED
        return self.state

    def is_live(self, now: int) -> bool:
        """True while captions, questions and the floor are open."""
        return self.effective_state(now) is SessionState.LIVE

    def require_live(self, now: int) -> None:
        """Raise ``NotLive`` unless the session is live."""
        if not self.is_live(now):
            raise NotLive(f"session {self.session.id!r} is not live")

    def start(self, now: int) -> SessionStarted:
        """Open the session; a session that ended can be restarted (resumed after a break)."""
        if self.effective_state(now) is SessionState.LIVE and self.state is SessionState.LIVE:
            raise InvalidTransition("the session is already live")
        self.state = SessionState.LIVE
        self.started_ms = self.started_ms or now
        self.ended_ms = None
        return SessionStarted(self.session.id, now)

    def end(self, now: int) -> SessionEnded:
        """Close the session."""
        if not self.is_live(now):
            raise InvalidTransition("the session is not live")
        if self.started_ms is None:
            self.started_ms = self.session.start_ms
        self.state = SessionState.ENDED
        self.ended_ms = now
        return SessionEnded(self.session.id, now)


def countries() -> list[tuple[str, str]]:
    """ISO 3166-1 (alpha-2 code, English name) pairs, sorted by name."""
    import pycountry  # data only; imported lazily so the core starts fast

    return sorted(((c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries), key=lambda x: x[1])


def registration(meeting: Meeting, data: dict[str, Any], valid_countries: set[str]) -> Participant:
    """Check a registration form and return the (not yet stored) participant; raises ``InvalidInput``."""

    def text(name: str, max_len: int, required: bool = True) -> str:
        value = data.get(name, "")
        if not isinstance(value, str):
            raise InvalidInput(f"{name} must be text", field=name)
        value = " ".join(value.split())
        if required and not value:
            raise InvalidInput(f"Please give your {name.replace('_', ' ')}.", code=f"{name}_required", field=name)
        if len(value) > max_len:
            raise InvalidInput(f"{name} is longer than {max_len} characters", code=f"{name}_too_long", field=name)
        return value

    name = text("name", 120)
    organisation = text("organisation", 200, required=False)
    country = text("country", 2).upper()
    if country not in valid_countries:
        raise InvalidInput("Choose a country from the list (ISO 3166 code).", code="invalid_country", field="country")
    group = text("group", 40)
    meeting.group(group)
    try:
        mode = Mode(text("mode", 10))
    except ValueError:
        raise InvalidInput("Mode must be onsite, remote or hub.", code="invalid_mode", field="mode") from None
    hub_city = hub_country = ""
    headcount = 0
    if mode is Mode.HUB:
        hub_city = text("hub_city", 120)
        hub_country = text("hub_country", 2).upper()
        if hub_country not in valid_countries:
            raise InvalidInput("Choose the hub's country from the list.", code="invalid_country", field="hub_country")
        raw = data.get("hub_headcount", "")
        try:
            headcount = int(str(raw).strip())
        except ValueError:
            raise InvalidInput("Give the number of people at the hub.", code="invalid_headcount",
                               field="hub_headcount") from None
        if not 1 <= headcount <= 100_000:
            raise InvalidInput("The hub headcount must be between 1 and 100000.", code="invalid_headcount",
                               field="hub_headcount")
    listed = data.get("listed") in (True, "1", "on", "true", "yes")
    return Participant(0, name, organisation, country, group, mode, hub_city, hub_country, headcount, listed)
