"""Moderated questions on the server: each session's board in memory, and the one path every change takes.

A change runs :meth:`Questions.perform`: under the meeting's lock and in one store transaction holding the
session, the board catches up with the stored log, the pure board validates and applies the action, and the
resulting events are stored after the log's last (committed before anyone hears of them; as for the floor), then
each affected question goes to the rooms allowed to see it, and the other processes are told (``notices``).
Visibility is decided here, once, for every emit:

* moderators (``rooms.moderators``) get the full record of every question;
* the session room gets the public view only while a question is published, on screen or answered, and an
  id-only ``question_removed`` when a question it saw leaves those states (it never sees why);
* each author (``rooms.participant``) gets their own view, with the dismissal reason.

Every broadcast carries ``seq``, the number of stored events of the session after the change, so a client
drops an update older than what it already holds.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from aiohttp import web

from ...domain.errors import DomainError
from ...domain.meetings.models import Role
from ...domain.questions.board import QuestionBoard
from ...domain.questions.events import (
    BoardEvent,
    QuestionEvent,
    QuestionsMerged,
    QuestionUnvoted,
    QuestionVoted,
    event_to_dict,
)
from ...domain.questions.models import PUBLIC_STATUSES, Actor, BoardSettings, moderator_view, public_view
from ...settings import Settings
from ...storage import questions as questions_db
from .. import rooms
from ..copies import Copies, Key
from ..keys import db_key, registry_key, settings_key, sio_key
from ..notices import QUESTIONS, Notice, Publisher
from ..registry import LoadedMeeting
from ..retries import against_other_processes
from ..sockets import LIVE, MODERATE
from .views import own_view, public_counts, settings_view

log = logging.getLogger(__name__)
Action = Callable[[QuestionBoard], list[BoardEvent]]


class FloorHandoff(Protocol):
    """The floor's side of handing a question over: queue its author, or someone reading it aloud."""

    async def take_question(self, loaded: LoadedMeeting, session_id: str, question: Mapping[str, Any], how: str,
                            reader: str | None, actor: Actor) -> str | None:
        """Queue the question; returns the floor request id (``None`` when nothing was queued)."""


@dataclasses.dataclass
class SessionQuestions:
    """One session's board and the number of its stored events (the ``seq`` of the last change)."""

    board: QuestionBoard
    seq: int


def limits(settings: Settings) -> dict[str, Any]:
    """The server's question limits as BoardSettings fields (``question_rate`` is ``COUNT/SECONDS``)."""
    try:
        count, seconds = (int(part) for part in settings.question_rate.split("/"))
    except ValueError:
        raise ValueError(f"question_rate must be COUNT/SECONDS, got {settings.question_rate!r}") from None
    return {"max_length": settings.question_max_length, "rate_limit": count, "rate_window_ms": seconds * 1000}


class Questions:
    """The question boards of this process: copies of the stored logs, loaded on first use and caught up with them
    before every change and when another process says it changed one (see ``Floor`` for the retries)."""

    def __init__(self, app: web.Application, floor: FloorHandoff, notices: Publisher) -> None:
        self.app = app
        self.floor = floor
        self.notices = notices
        self._boards: Copies[SessionQuestions] = Copies()

    feature = "questions"

    @property
    def held(self) -> int:
        """How many sessions' boards this process holds."""
        return len(self._boards)

    def release_idle(self, live: Callable[[Key], bool]) -> int:
        """Let go of the boards of sessions that are not live and were not used for a while (see ``copies``)."""
        return self._boards.release_idle(live)

    async def session(self, loaded: LoadedMeeting, session_id: str) -> SessionQuestions:
        """The board of a session, rebuilt from its stored events on first use. Do not call it holding the lock."""
        session = loaded.meeting.session(session_id)
        found = self._boards.get((loaded.id, session_id))
        if found is None:
            async with loaded.lock:
                found = await self._current(loaded, session_id, catch_up=False)
        found.board.themes = tuple(session.themes)  # follows a reloaded meeting file
        return found

    async def _current(self, loaded: LoadedMeeting, session_id: str, *,
                       catch_up: bool = True) -> SessionQuestions:
        """The board, loaded if this process has none and caught up with the stored log; hold the meeting's lock."""
        key = (loaded.id, session_id)
        found = self._boards.get(key)
        server_limits = limits(self.app[settings_key])
        if found is None:
            events = await questions_db.load_events(self.app[db_key], loaded.id, session_id)
            themes = loaded.meeting.session(session_id).themes
            board = QuestionBoard.replay(events, session_id=session_id, themes=themes,
                                         settings=BoardSettings(**server_limits))
            found = self._boards.put(key, SessionQuestions(board, len(events)))
        elif catch_up:
            missed = await questions_db.load_events(self.app[db_key], loaded.id, session_id, after_seq=found.seq)
            for event in missed:
                found.board.apply(event)
            found.seq += len(missed)
        else:
            return found
        # Moderators choose auto-publish and the closing time (kept in the events); the limits are the server's, so
        # changing them in the settings applies to sessions that have questions.
        found.board.settings = dataclasses.replace(found.board.settings, **server_limits)
        return found

    async def perform(self, loaded: LoadedMeeting, session_id: str,
                      action: Action) -> tuple[list[BoardEvent], int]:
        """Run one board action: catch up, validate and apply, store, then broadcast and tell the other processes.
        Returns the events and the number of the log's last event once they were stored.

        Raises the board's ``DomainError``; ``conflict`` only when other processes won the race ``retries.TRIES`` times.
        """
        events, state = await against_other_processes(
            self.app[registry_key], loaded, session_id, "questions",
            lambda: self._perform_once(loaded, session_id, action))
        seq = state.seq
        if events:
            await self.notices.publish(Notice(QUESTIONS, loaded.id, session_id, seq))
        return events, seq

    async def _perform_once(self, loaded: LoadedMeeting, session_id: str,
                            action: Action) -> tuple[list[BoardEvent], SessionQuestions]:
        loaded.meeting.session(session_id)
        async with loaded.lock:
            state = await self._current(loaded, session_id, catch_up=False)
            before: dict[int, Any] = {}
            decided: list[BoardEvent] = []

            def decide(missed: list[BoardEvent]) -> list[BoardEvent]:
                # Inside the store's transaction holding the session: no other process changes it meanwhile.
                for event in missed:
                    state.board.apply(event)
                state.seq += len(missed)
                if missed:
                    state.board.settings = dataclasses.replace(state.board.settings,
                                                               **limits(self.app[settings_key]))
                before.update({qid: q.status for qid, q in state.board.questions.items()})
                decided.extend(action(state.board))
                return decided

            try:
                events = await questions_db.change(self.app[db_key], loaded.id, session_id, state.seq, decide)
            except BaseException:
                if decided:
                    # The board applied events that were not stored: forget it, the next use replays storage.
                    self._boards.drop((loaded.id, session_id))
                raise
            if not events:
                return events, state
            state.seq += len(events)
            await broadcast(self.app, loaded, state, events, before)
        return events, state

    async def noticed(self, notice: Notice) -> None:
        """Another process changed a board: catch this process's copy up, if it holds one."""
        loaded = self.app[registry_key].loaded_by_id(notice.meeting_id)
        found = self._boards.get((notice.meeting_id, notice.session_id or ""))
        if loaded is None or found is None or found.seq >= notice.seq:
            return
        async with loaded.lock:
            await self._current(loaded, found.board.session_id)

    async def resync(self) -> None:
        """Notices may have been lost: catch every board up."""
        for meeting_id, session_id in self._boards.sessions():
            loaded = self.app[registry_key].loaded_by_id(meeting_id)
            if loaded is not None:
                async with loaded.lock:
                    await self._current(loaded, session_id)

    async def hand_to_floor(self, loaded: LoadedMeeting, session_id: str, question_id: int,
                            actor: Actor) -> str | None:
        """Queue a question that was handed to the floor (its hand-off is stored already)."""
        question = (await self.session(loaded, session_id)).board.get(question_id)
        handoff = question.handoffs[-1]
        return await self.floor.take_question(loaded, session_id, moderator_view(question), handoff["how"],
                                              handoff["reader"], actor)

    async def answered_by_floor(self, loaded: LoadedMeeting, session_id: str, question_id: int,
                                intervention_id: str, at_ms: int, actor: Actor) -> None:
        """An intervention that took up a question has ended: mark the question answered by it."""
        chair = actor if actor.is_moderator else Actor(Role.MODERATOR, actor.label)
        try:
            await self.perform(loaded, session_id, lambda board: board.answer(
                chair, question_id, now=at_ms, intervention_id=intervention_id))
        except DomainError as exc:  # e.g. answered by hand already: the floor record stands either way
            log.info("question not marked answered", extra={"question": question_id, "reason": exc.code})


questions_key = web.AppKey("questions", Questions)


def _affected(events: list[BoardEvent]) -> list[int]:
    ids: list[int] = []
    for e in events:
        if isinstance(e, QuestionEvent):
            for qid in (e.question_id, e.merged_id if isinstance(e, QuestionsMerged) else None):
                if qid is not None and qid not in ids:
                    ids.append(qid)
    return ids


async def broadcast(app: web.Application, loaded: LoadedMeeting, state: SessionQuestions,
                    events: list[BoardEvent], before: Mapping[int, Any]) -> None:
    """Emit a stored change to each audience, as allowed by the question's state (see the module docstring)."""
    sio, board, seq = app[sio_key], state.board, state.seq
    session_id, labels = board.session_id, loaded.group_labels()
    public_room, mod_room = rooms.session(loaded.id, session_id), rooms.moderators(loaded.id, session_id)
    wire = [event_to_dict(e) for e in events]
    for qid in _affected(events):
        q = board.get(qid)
        mine = [w for w in wire if qid in (w.get("question_id"), w.get("merged_id"))]
        await sio.emit("question_changed", {"seq": seq, "question": moderator_view(q), "events": mine},
                       room=mod_room, namespace=MODERATE)
        if q.status in PUBLIC_STATUSES:
            await sio.emit("question_changed", {"seq": seq, "question": public_view(q, labels)},
                           room=public_room, namespace=LIVE)
        elif before.get(qid) in PUBLIC_STATUSES:
            await sio.emit("question_removed", {"seq": seq, "session_id": session_id, "id": q.id},
                           room=public_room, namespace=LIVE)
        # Authors last, so their own view wins over the public one they may also have received.
        for author_id in sorted(q.author_ids()):
            if author_id == q.author["participant_id"]:
                view = own_view(q, labels)
            else:
                view = {**public_view(q, labels), "mine": True, "co_author": True}
            await sio.emit("question_changed", {"seq": seq, "question": view},
                           room=rooms.participant(loaded.id, author_id), namespace=LIVE)
    for e in events:
        if isinstance(e, (QuestionVoted, QuestionUnvoted)):
            await sio.emit("question_my_vote", {"session_id": session_id, "id": e.question_id,
                                                "voted": e.name == "question_voted"},
                           room=rooms.participant(loaded.id, e.voter_id), namespace=LIVE)
        if e.name == "question_settings_changed":
            await sio.emit("question_settings", {"seq": seq, "session_id": session_id,
                                                 "settings": settings_view(board.settings)},
                           room=mod_room, namespace=MODERATE)
    counts = {"seq": seq, **public_counts(board)}
    await sio.emit("questions_counts", counts, room=public_room, namespace=LIVE)
    await sio.emit("questions_counts", counts, room=mod_room, namespace=MODERATE)
