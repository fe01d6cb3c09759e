"""Meetings, their agenda sessions, participants and roles."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Collection
from typing import Any

from ..errors import N_, InvalidInput, InvalidTransition, NotLive
from ..events import Event
from ..numbers import is_whole_number, whole_number

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
    #: A remote hub's own link: registers people at the hub and lets the hub take part as itself.
    HUB = "hub"

    def can(self, other: Role) -> bool:
        """True when this role includes ``other`` (admin includes every role; moderator and hub include
        participant)."""
        if self is other or self is Role.ADMIN:
            return True
        return self in (Role.MODERATOR, Role.HUB) and other is Role.PARTICIPANT


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
    #: Remote hubs the meeting file registers (created once, when the file is loaded; the database keeps them).
    hubs: tuple[Hub, ...] = ()
    secretariat: str = ""  # who runs the meeting: the author of its exported documents

    def session(self, session_id: str) -> AgendaSession:
        """The agenda session with this id; raises ``NotFound``."""
        for s in self.sessions:
            if s.id == session_id:
                return s
        from ..errors import NotFound

        raise NotFound("There is no session \"{session}\" in this meeting.", params={"session": session_id})

    def group(self, slug: str) -> StakeholderGroup:
        """The stakeholder group with this slug; raises ``InvalidInput``."""
        for g in self.groups:
            if g.slug == slug:
                return g
        raise InvalidInput("Unknown stakeholder group \"{group}\".", field="group", params={"group": slug})

    @property
    def default_language(self) -> str:
        """The first caption language."""
        return self.languages[0]


@dataclasses.dataclass(frozen=True)
class Participant:
    """A registered participant: a person, or a remote hub's own identity (``is_hub``) when the hub takes part
    as itself. ``hub_id`` is the hub a person registered at (mode ``hub``), or the hub an identity stands for."""

    id: int
    name: str
    organisation: str
    country: str
    group: str
    mode: Mode
    listed: bool = True
    hub_id: int | None = None
    is_hub: bool = False

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


@dataclasses.dataclass(frozen=True)
class Hub:
    """A remote hub: where it is, who hosts it, how many people it expects, and the stakeholder group its own
    statements count in (the host organisation's)."""

    id: int
    name: str
    city: str
    country: str
    host_organisation: str
    group: str
    expected_headcount: int

    def identity(self) -> Participant:
        """The hub taking part as itself (its floor requests speak for the hub); never listed in the annex."""
        return Participant(0, self.name, self.host_organisation, self.country, self.group, Mode.HUB, listed=False,
                           hub_id=self.id, is_hub=True)


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
    #: How many starts and ends are stored: a change is stored only after exactly this many (the copy is current).
    changes: int = 0

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
        state = self.effective_state(now)
        if state is SessionState.SCHEDULED:
            raise NotLive("This session has not started yet.")
        if state is SessionState.ENDED:
            raise NotLive("This session has ended.")

    def held(self, now: int) -> tuple[int, int] | None:
        """The time the session was held, from its start to its end (``now`` while live); None if never started."""
        state = self.effective_state(now)
        if self.started_ms is not None:
            start = self.started_ms
        elif state is not SessionState.SCHEDULED:
            start = self.session.start_ms  # started automatically at its scheduled time
        else:
            return None
        ended = self.ended_ms if self.ended_ms is not None else self.session.end_ms
        return start, max(start, now if state is SessionState.LIVE else ended)

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


def _chosen_hub(raw: Any, hub_ids: Collection[int]) -> int:
    try:
        chosen = whole_number(str(raw).strip() if is_whole_number(raw) or isinstance(raw, str) else "", "hub")
    except InvalidInput:
        chosen = -1
    if chosen not in hub_ids:
        raise InvalidInput("Choose your hub from the list.", code="invalid_hub", field="hub")
    return chosen


def form_text(data: dict[str, Any], name: str, max_len: int, *, missing: str = "", too_long: str = "") -> str:
    """A form field as text with its spaces collapsed; ``InvalidInput`` names the field.

    ``missing``: what an empty field is told (marked with ``N_``); without it the field may be empty.
    ``too_long``: what a field longer than ``max_len`` is told (``{max_length}`` is the limit).
    """
    value = data.get(name, "")
    if not isinstance(value, str):
        raise InvalidInput("{field} must be text", field=name, params={"field": name})
    value = " ".join(value.split())
    # (codes built beside the calls: the message extractor reads every argument of a refusal)
    required_code, too_long_code = f"{name}_required", f"{name}_too_long"
    if missing and not value:
        raise InvalidInput(missing, code=required_code, field=name)
    if len(value) > max_len:
        raise InvalidInput(too_long or N_("This field holds at most {max_length} characters."),
                           code=too_long_code, field=name, params={"max_length": max_len})
    return value


def registration(meeting: Meeting, data: dict[str, Any], valid_countries: set[str],
                 hub_id: int | None = None, hub_ids: Collection[int] = ()) -> Participant:
    """Check a registration form and return the (not yet stored) participant; raises ``InvalidInput``.

    ``hub_id``: the hub whose link the person registers with; they take part through it (mode ``hub``).
    Otherwise a person taking part through a hub names it in ``hub`` (one of ``hub_ids``, the meeting's hubs).
    Only while a meeting has no hub may ``mode: hub`` name none: the person is counted as following from a hub,
    but creates none. Hubs are registered once, by the admin.
    """
    name = form_text(data, "name", 120, missing=N_("Please give your name."),
                     too_long=N_("The name holds at most {max_length} characters."))
    organisation = form_text(data, "organisation", 200,
                             too_long=N_("The name of the organisation holds at most {max_length} characters."))
    country = form_text(data, "country", 2, missing=N_("Choose a country from the list (ISO 3166 code)."),
                        too_long=N_("Choose a country from the list (ISO 3166 code).")).upper()
    if country not in valid_countries:
        raise InvalidInput("Choose a country from the list (ISO 3166 code).", code="invalid_country", field="country")
    group = form_text(data, "group", 40, missing=N_("Choose your stakeholder group."),
                      too_long=N_("Choose your stakeholder group."))
    meeting.group(group)
    if hub_id is not None:
        mode = Mode.HUB
    else:
        try:
            mode = Mode(form_text(data, "mode", 10, missing=N_("Mode must be onsite, remote or hub.")))
        except ValueError:
            raise InvalidInput("Mode must be onsite, remote or hub.", code="invalid_mode", field="mode") from None
        if mode is Mode.HUB and (hub_ids or data.get("hub") not in (None, "")):
            hub_id = _chosen_hub(data.get("hub"), hub_ids)
    listed = data.get("listed") in (True, "1", "on", "true", "yes")
    return Participant(0, name, organisation, country, group, mode, listed, hub_id)
