"""The floor on the server: each session's list of speakers in memory, and the one path every change takes.

A change runs :meth:`Floor.perform`: under the meeting's lock and in one store transaction holding the session,
the copy catches up with the stored log, the pure :class:`FloorQueue` validates and applies the action, and the
resulting events are stored after the log's last (committed before anyone hears of them), then the new state goes
out:

* the session room on ``/live`` and ``/caption`` gets the public view (no participant ids);
* the moderators' room gets the full view with the stored events;
* each participant whose request changed gets ``floor_mine`` (their request ids), so their pages know which
  line of the public list is theirs.

Every push carries ``seq`` (the number of stored events of the session) and ``now_ms`` (the server clock), so a
client drops stale updates and runs the speaking timer from the server's start time, re-synced on every push.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from aiohttp import web

from ...clock import now_ms
from ...domain.captions.stream import SpeakerContext
from ...domain.events import Event
from ...domain.floor.events import FloorRequested, InterventionEnded, event_to_dict
from ...domain.floor.queue import FloorQueue
from ...domain.questions.models import Actor
from ...storage import floor as floor_db
from .. import rooms
from ..copies import Copies, Key
from ..keys import db_key, registry_key, sio_key
from ..notices import FLOOR, Notice, Publisher
from ..registry import LoadedMeeting
from ..retries import against_other_processes
from ..sockets import CAPTION, LIVE, MODERATE
from .views import mine, moderator_view, public_view

log = logging.getLogger(__name__)
Action = Callable[[FloorQueue, int], list[Event]]


class QuestionAnswers(Protocol):
    """The questions' side: an intervention that took up a question has ended, so the question is answered."""

    async def answered_by_floor(self, loaded: LoadedMeeting, session_id: str, question_id: int,
                                intervention_id: str, at_ms: int, actor: Actor) -> None:
        """Mark the question answered by that intervention (a refusal is logged, not raised)."""


class SessionFloor:
    """One session's floor queue and the number of its stored events (the ``seq`` of the last change)."""

    def __init__(self, queue: FloorQueue, seq: int) -> None:
        self.queue = queue
        self.seq = seq


class Floor:
    """The floor queues of this process: copies of the stored logs, loaded on first use and caught up with them.

    Any process may change any floor, and the store serialises the changes of one session (``floor_db.change``):
    in one transaction holding the session, the copy catches up with the events other processes stored since
    (incrementally), the action is validated against that, and its events are appended after them. Should an append
    still lose its number to another process (``StorageConflict``), the copy the action had changed is dropped, the
    log read again and the action run once more, up to ``retries.TRIES`` times. After a commit the other processes
    are told (:class:`Notice`) and catch their copies up, so what they give a newly connecting page, and who speaks for
    caption attribution, is current.

    It answers the caption side who is speaking (``SpeakerSource``) and takes questions handed to the floor
    (``FloorHandoff``); it tells the questions (:class:`QuestionAnswers`, wired in ``create_app``) when an
    intervention that took up a question ends.
    """

    questions: QuestionAnswers

    def __init__(self, app: web.Application, notices: Publisher) -> None:
        self.app = app
        self.notices = notices
        self._floors: Copies[SessionFloor] = Copies()

    feature = "floor"

    @property
    def held(self) -> int:
        """How many sessions' floors this process holds."""
        return len(self._floors)

    def release_idle(self, live: Callable[[Key], bool]) -> int:
        """Let go of the floors of sessions that are not live and were not used for a while (see ``copies``)."""
        return self._floors.release_idle(live)

    async def session(self, loaded: LoadedMeeting, session_id: str) -> SessionFloor:
        """The floor of a session, rebuilt from its stored events on first use. Do not call it holding the lock."""
        loaded.meeting.session(session_id)
        found = self._floors.get((loaded.id, session_id))
        if found is None:
            async with loaded.lock:
                found = await self._current(loaded, session_id, catch_up=False)
        return found

    async def _current(self, loaded: LoadedMeeting, session_id: str, *, catch_up: bool = True) -> SessionFloor:
        """The copy, loaded if this process has none and caught up with the stored log; hold the meeting's lock."""
        key = (loaded.id, session_id)
        found = self._floors.get(key)
        if found is None:
            events = await floor_db.load_events(self.app[db_key], loaded.id, session_id)
            queue = FloorQueue.replay(events, labels=loaded.group_labels())
            found = self._floors.put(key, SessionFloor(queue, len(events)))
        elif catch_up:
            # Numbers are consecutive per session: the copy built from ``seq`` events applies the ones after it.
            missed = await floor_db.load_events(self.app[db_key], loaded.id, session_id, after_seq=found.seq)
            for event in missed:
                found.queue.apply(event)
            found.seq += len(missed)
        return found

    def current_speaker(self, meeting_id: int, session_id: str) -> SpeakerContext | None:
        """Who holds the floor, for attributing caption segments (``None`` while it is free or not loaded)."""
        found = self._floors.get((meeting_id, session_id))
        current = found.queue.current if found is not None else None
        if current is None:
            return None
        return SpeakerContext(current.id, current.read_by or current.person["name"])

    async def perform(self, loaded: LoadedMeeting, session_id: str, actor: Actor,
                      action: Action) -> tuple[list[Event], int]:
        """Run one queue action: catch up, validate and apply, store, then broadcast and tell the other processes.
        Returns the events and the number of the log's last event once they were stored (the copy's may be further
        on by the time the caller reads it).

        Raises the queue's ``DomainError``; ``conflict`` only when other processes won the race ``retries.TRIES`` times.
        """
        events, state = await against_other_processes(
            self.app[registry_key], loaded, session_id, "floor",
            lambda: self._perform_once(loaded, session_id, actor, action))
        seq = state.seq
        if not events:
            return events, seq
        await self.notices.publish(Notice(FLOOR, loaded.id, session_id, seq))
        log.info("floor changed", extra={"meeting": loaded.meeting.slug, "session": session_id,
                                         "actor": actor.label, "events": [e.name for e in events]})
        await self._answer_questions(loaded, session_id, state, events, actor)
        return events, seq

    async def _perform_once(self, loaded: LoadedMeeting, session_id: str, actor: Actor,
                            action: Action) -> tuple[list[Event], SessionFloor]:
        loaded.meeting.session(session_id)
        async with loaded.lock:
            state = await self._current(loaded, session_id, catch_up=False)
            decided: list[Event] = []

            def decide(missed: list[Event]) -> list[Event]:
                # Inside the store's transaction holding the session: no other process changes it meanwhile.
                for event in missed:
                    state.queue.apply(event)
                state.seq += len(missed)
                decided.extend(action(state.queue, now_ms()))
                return decided

            try:
                events = await floor_db.change(self.app[db_key], loaded.id, session_id, state.seq, decide,
                                               actor.as_dict())
            except BaseException:
                if decided:
                    # The queue applied events that were not stored: forget it, the next use replays storage.
                    self._floors.drop((loaded.id, session_id))
                raise
            if not events:
                return events, state
            state.seq += len(events)
            await self._broadcast(loaded, session_id, state, events)
        return events, state

    async def follow(self, loaded: LoadedMeeting, session_id: str) -> None:
        """The session is live: hold its floor here, so captions written through this process are attributed to
        whoever speaks even before anyone asks this process about the floor (``LiveFollower``)."""
        if (loaded.id, session_id) not in self._floors:
            await self.session(loaded, session_id)

    async def noticed(self, notice: Notice) -> None:
        """Another process changed a floor: catch this process's copy up (loading it if the meeting is loaded here,
        so that captions written through this process are attributed to the new speaker)."""
        loaded = self.app[registry_key].loaded_by_id(notice.meeting_id)
        if loaded is None or notice.session_id not in loaded.lives:
            return
        found = self._floors.get((loaded.id, notice.session_id))
        if found is not None and found.seq >= notice.seq:
            return
        async with loaded.lock:
            await self._current(loaded, notice.session_id)

    async def resync(self) -> None:
        """Notices may have been lost: catch every copy up."""
        for meeting_id, session_id in self._floors.sessions():
            loaded = self.app[registry_key].loaded_by_id(meeting_id)
            if loaded is not None:
                async with loaded.lock:
                    await self._current(loaded, session_id)

    async def take_question(self, loaded: LoadedMeeting, session_id: str, question: Mapping[str, Any], how: str,
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
        life = loaded.life(session_id)

        def add(queue: FloorQueue, now: int) -> list[Event]:
            life.require_live(now)
            return queue.add_from_room(author, now, **options)

        events, _ = await self.perform(loaded, session_id, actor, add)
        added = next((e for e in events if isinstance(e, FloorRequested)), None)
        return added.request_id if added is not None else None

    async def _answer_questions(self, loaded: LoadedMeeting, session_id: str, state: SessionFloor,
                                events: list[Event], actor: Actor) -> None:
        """An intervention that took up a question has ended: mark that question answered by it."""
        for event in events:
            if not isinstance(event, InterventionEnded):
                continue
            done = next(i for i in state.queue.interventions if i.id == event.intervention_id)
            if isinstance(done.question_id, int):
                await self.questions.answered_by_floor(loaded, session_id, done.question_id, done.id, event.at_ms,
                                                       actor)

    async def _broadcast(self, loaded: LoadedMeeting, session_id: str, state: SessionFloor,
                         events: list[Event]) -> None:
        """Emit a stored change to each audience (see the module docstring): one emit per room."""
        sio, now = self.app[sio_key], now_ms()
        public = {"seq": state.seq, "session_id": session_id, "events": [e.name for e in events],
                  "floor": public_view(loaded, session_id, state.queue, state.seq, now)}
        room = rooms.session(loaded.id, session_id)
        await sio.emit("floor_changed", public, room=room, namespace=LIVE)
        await sio.emit("floor_changed", public, room=room, namespace=CAPTION)
        await sio.emit("floor_changed", {"seq": state.seq, "session_id": session_id,
                                         "events": [event_to_dict(e) for e in events],
                                         "floor": moderator_view(loaded, session_id, state.queue, state.seq, now)},
                       room=rooms.moderators(loaded.id, session_id), namespace=MODERATE)
        for pid in _participants(state.queue, events):
            await sio.emit("floor_mine", {"seq": state.seq, "session_id": session_id,
                                          "requests": mine(state.queue, pid)},
                           room=rooms.participant(loaded.id, pid), namespace=LIVE)


floor_key = web.AppKey("floor", Floor)


def _participants(queue: FloorQueue, events: list[Event]) -> list[int]:
    """Registered participants whose requests these events changed."""
    ids: list[int] = []
    by_intervention = {i.id: i.request_id for i in queue.interventions}
    for e in events:
        request_id = getattr(e, "request_id", None) or by_intervention.get(getattr(e, "intervention_id", ""))
        if request_id is None:
            continue
        pid = queue.get(request_id).participant_id
        if pid is not None and pid not in ids:
            ids.append(pid)
    return ids
