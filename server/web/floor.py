"""The floor queue on the server: each session's list of speakers in memory, the one path every change takes, views.

A change runs :func:`perform`: under the meeting's lock the pure :class:`FloorQueue` validates and applies the
action, the resulting events are stored (committed before anyone hears of them), then the new state goes out:

* the session room on ``/live`` and ``/caption`` gets the public view (no participant ids);
* the moderators' room gets the full view with the stored events;
* each participant whose request changed gets ``floor_mine`` (their request ids), so their pages know which
  line of the public list is theirs.

Every push carries ``seq`` (the number of stored events of the session) and ``now_ms`` (the server clock), so a
client drops stale updates and runs the speaking timer from the server's start time, re-synced on every push.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from ..domain.captions.stream import SpeakerContext
from ..domain.errors import DomainError
from ..domain.events import Event
from ..domain.floor.queue import FloorQueue
from ..domain.floor.events import InterventionEnded, event_to_dict
from ..domain.floor.policies import POLICIES
from ..domain.meetings.models import Role, countries
from ..domain.questions.models import Actor
from ..storage import floor as floor_db
from . import rooms
from .keys import db_key, floor_handoff_key, sio_key
from .live import MeetingLive, now_ms

log = logging.getLogger(__name__)

FEATURE = "floor"
Action = Callable[[FloorQueue, int], list[Event]]


class SessionFloor:
    """One session's floor queue and the number of its stored events (the ``seq`` of the last change)."""

    def __init__(self, queue: FloorQueue, seq: int) -> None:
        self.queue = queue
        self.seq = seq

    def current_speaker_context(self) -> SpeakerContext | None:
        """Who holds the floor, for attributing caption segments (``None`` while the floor is free)."""
        current = self.queue.current
        if current is None:
            return None
        return SpeakerContext(current.id, current.read_by or current.person["name"])


def group_labels(live: MeetingLive) -> dict[str, str]:
    """Stakeholder group slug to label."""
    return {g.slug: g.label for g in live.meeting.groups}


@functools.cache
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code to English name (read once: the list never changes while serving)."""
    return dict(countries())


async def session_floor(app: web.Application, live: MeetingLive, session_id: str) -> SessionFloor:
    """The floor of a session, rebuilt from its stored events on first use. Do not call it holding ``live.lock``."""
    live.meeting.session(session_id)
    floors = live.features.setdefault(FEATURE, {})
    found = floors.get(session_id)
    if found is None:
        async with live.lock:
            found = floors.get(session_id)
            if found is None:
                events = await floor_db.load_events(app[db_key], live.id, session_id)
                queue = FloorQueue.replay(events, labels=group_labels(live))
                found = floors[session_id] = SessionFloor(queue, len(events))
    return found


async def perform(app: web.Application, live: MeetingLive, session_id: str, actor: Actor,
                  action: Action) -> tuple[list[Event], SessionFloor]:
    """Run one queue action: validate and apply, store, then broadcast. Raises the queue's ``DomainError``."""
    state = await session_floor(app, live, session_id)
    async with live.lock:
        events = action(state.queue, now_ms())
        if not events:
            return events, state
        try:
            await floor_db.append(app[db_key], live.id, session_id, events, actor.as_dict())
        except BaseException:
            # The queue applied events that were not stored: forget it, the next use replays storage.
            live.features[FEATURE].pop(session_id, None)
            raise
        state.seq += len(events)
        await broadcast(app, live, session_id, state, events)
    log.info("floor changed", extra={"meeting": live.meeting.slug, "session": session_id, "actor": actor.label,
                                     "events": [e.name for e in events]})
    await _answer_questions(app, live, session_id, state, events, actor)
    return events, state


async def _answer_questions(app: web.Application, live: MeetingLive, session_id: str, state: SessionFloor,
                            events: list[Event], actor: Actor) -> None:
    """An intervention that took up a question has ended: mark that question answered by it."""
    from . import questions  # the questions feature is optional to the floor; imported where used

    for event in events:
        if not isinstance(event, InterventionEnded):
            continue
        done = next(i for i in state.queue.interventions if i.id == event.intervention_id)
        qid = done.question_id
        if not isinstance(qid, int):
            continue
        chair = actor if actor.is_moderator else Actor(Role.MODERATOR, actor.label)
        try:
            await questions.perform(app, live, session_id, lambda board: board.answer(
                chair, qid, now=event.at_ms, intervention_id=done.id))
        except DomainError as exc:  # e.g. answered by hand already: the floor record stands either way
            log.info("question not marked answered", extra={"question": qid, "reason": exc.code})


# -- views ---------------------------------------------------------------------------------------


def _card(row: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    """A person row with the labels a card shows: group label and country name."""
    return {**row, "group_label": labels.get(row["group"], row["group"]),
            "country_name": country_names().get(row.get("country") or "", row.get("country") or "")}


def moderator_view(live: MeetingLive, session_id: str, state: SessionFloor, now: int) -> dict[str, Any]:
    """Everything the chair sees: the live view with reasons, who spoke so far, and the options."""
    labels = group_labels(live)
    view = state.queue.view(now)
    queue = state.queue
    return {
        **view,
        "seq": state.seq, "session_id": session_id, "now_ms": now,
        "warn_fraction": queue.warn_fraction, "warn_last_s": queue.warn_last_s,
        "current": None if view["current"] is None else _card(view["current"], labels),
        "queue": [_card(row, labels) for row in view["queue"]],
        "interventions": [_card({k: v for k, v in i.as_dict().items()}, labels) for i in queue.interventions],
        "policies": [{"key": k, "label": cls.label} for k, cls in POLICIES.items()],
        "groups": [{"slug": g.slug, "label": g.label} for g in live.meeting.groups],
    }


def public_view(live: MeetingLive, session_id: str, state: SessionFloor, now: int) -> dict[str, Any]:
    """What everyone sees: the speaker, the timer and the list in order, without participant ids."""
    labels = group_labels(live)
    view = state.queue.view(now)

    def strip(row: Mapping[str, Any]) -> dict[str, Any]:
        keep = {k: v for k, v in row.items() if k not in ("participant_id", "moves", "declines", "called_from",
                                                          "seq", "pin_reason")}
        return _card(keep, labels)

    return {
        **view,
        "seq": state.seq, "session_id": session_id, "now_ms": now,
        "warn_fraction": state.queue.warn_fraction, "warn_last_s": state.queue.warn_last_s,
        "current": None if view["current"] is None else strip(view["current"]),
        "queue": [strip(row) for row in view["queue"]],
        # Who has spoken, so a participant can name the intervention a right of reply answers.
        "spoken": [{"id": i.id, "name": i.person["name"], "organisation": i.person["organisation"],
                    "group_label": labels.get(i.person["group"], i.person["group"]), "start_ms": i.start_ms,
                    "end_ms": i.end_ms} for i in state.queue.interventions],
    }


def mine(state: SessionFloor, participant_id: int | None) -> list[str]:
    """The ids of every request a participant made in this session."""
    if participant_id is None:
        return []
    return [r.id for r in state.queue.requests if r.participant_id == participant_id]


def _participants(state: SessionFloor, events: list[Event]) -> list[int]:
    """Registered participants whose requests these events changed."""
    ids: list[int] = []
    by_intervention = {i.id: i.request_id for i in state.queue.interventions}
    for e in events:
        request_id = getattr(e, "request_id", None) or by_intervention.get(getattr(e, "intervention_id", ""))
        if request_id is None:
            continue
        pid = state.queue.get(request_id).participant_id
        if pid is not None and pid not in ids:
            ids.append(pid)
    return ids


async def broadcast(app: web.Application, live: MeetingLive, session_id: str, state: SessionFloor,
                    events: list[Event]) -> None:
    """Emit a stored change to each audience (see the module docstring): one emit per room."""
    sio, now = app[sio_key], now_ms()
    names = [e.name for e in events]
    public = {"seq": state.seq, "session_id": session_id, "events": names,
              "floor": public_view(live, session_id, state, now)}
    await sio.emit("floor_changed", public, room=rooms.session(live.id, session_id), namespace="/live")
    await sio.emit("floor_changed", public, room=rooms.session(live.id, session_id), namespace="/caption")
    await sio.emit("floor_changed", {"seq": state.seq, "session_id": session_id,
                                     "events": [event_to_dict(e) for e in events],
                                     "floor": moderator_view(live, session_id, state, now)},
                   room=rooms.moderators(live.id, session_id), namespace="/moderate")
    for pid in _participants(state, events):
        await sio.emit("floor_mine", {"seq": state.seq, "session_id": session_id, "requests": mine(state, pid)},
                       room=rooms.participant(live.id, pid), namespace="/live")


# -- the hand-off from questions ---------------------------------------------------------------------


async def handoff(app: web.Application, live: MeetingLive, session_id: str, question: Mapping[str, Any], how: str,
                  reader: str | None, actor: Actor) -> str | None:
    """A moderator handed a question to the floor: queue its author, or a reading of it; returns the request id.

    ``author_speaks`` queues the author as they were when asking; ``read_aloud`` queues the question as read by
    ``reader`` (the author is kept as whose words they are, but not as a participant taking the floor, so their
    own request, if any, stays theirs).
    """
    author = dict(question["author"])
    if how == "read_aloud":
        author["participant_id"] = None
    options = {"question_id": question["id"], "theme": question.get("theme") or None,
               "language": question.get("language") or None,
               "read_by": (reader or actor.label) if how == "read_aloud" else None}

    def add(queue: FloorQueue, now: int) -> list[Event]:
        live.life(session_id).require_live(now)
        return queue.add_from_room(author, now, **options)

    events, _ = await perform(app, live, session_id, actor, add)
    return str(events[0].request_id) if events else None  # type: ignore[attr-defined]


def setup(app: web.Application) -> None:
    """Add the floor's HTTP routes and take question hand-offs."""
    from . import floor_http

    floor_http.setup(app)
    app[floor_handoff_key] = handoff
