"""Moderated questions on the server: each session's board in memory, the one path every change takes, and views.

A change runs :func:`perform`: under the meeting's lock it lets the pure board validate and apply the action,
stores the resulting events (committed before anyone hears of them), then emits each affected question to the
rooms allowed to see it. Visibility is decided here, once, for every emit:

* moderators (``rooms.moderators``) get the full record of every question;
* the session room gets the public view only while a question is published, on screen or answered, and an
  id-only ``question_removed`` when a question it saw leaves those states (it never sees why);
* each author (``rooms.participant``) gets their own view, with the dismissal reason.

Every broadcast carries ``seq``, the number of stored events of the session after the change, so a client
drops an update older than what it already holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from ..domain.errors import InvalidInput
from ..domain.questions.events import BoardEvent, QuestionEvent, QuestionsMerged, event_to_dict
from ..domain.questions.models import (
    PUBLIC_STATUSES,
    BoardSettings,
    Question,
    moderator_view,
    public_view,
)
from ..domain.questions.board import QuestionBoard
from ..settings import Settings
from ..storage import questions as questions_db
from . import rooms
from .keys import db_key, settings_key, sio_key
from .live import MeetingLive

FEATURE = "questions"


@dataclasses.dataclass
class SessionQuestions:
    """One session's board and the number of its stored events (the ``seq`` of the last change)."""

    board: QuestionBoard
    seq: int


def limits(settings: Settings) -> dict[str, int]:
    """The server's question limits as BoardSettings fields (``question_rate`` is ``COUNT/SECONDS``)."""
    try:
        count, seconds = (int(part) for part in settings.question_rate.split("/"))
    except ValueError:
        raise ValueError(f"question_rate must be COUNT/SECONDS, got {settings.question_rate!r}") from None
    return {"max_length": settings.question_max_length, "rate_limit": count, "rate_window_ms": seconds * 1000}


async def session_questions(app: web.Application, live: MeetingLive, session_id: str) -> SessionQuestions:
    """The board of a session, rebuilt from its stored events on first use. Do not call it holding ``live.lock``."""
    session = live.meeting.session(session_id)
    boards = live.features.setdefault(FEATURE, {})
    found = boards.get(session_id)
    if found is None:
        async with live.lock:
            found = boards.get(session_id)
            if found is None:
                events = await questions_db.load_events(app[db_key], live.id, session_id)
                server_limits = limits(app[settings_key])
                board = QuestionBoard.replay(events, session_id=session_id, themes=session.themes,
                                             settings=BoardSettings(**server_limits))
                # Moderators choose auto-publish and the closing time (kept in the events); the limits are the
                # server's, so changing them in the settings applies to sessions that already have questions.
                board.settings = dataclasses.replace(board.settings, **server_limits)
                found = boards[session_id] = SessionQuestions(board, len(events))
    found.board.themes = tuple(session.themes)  # follows a reloaded meeting file
    return found


async def perform(app: web.Application, live: MeetingLive, session_id: str,
                  action: Callable[[QuestionBoard], list[BoardEvent]]) -> tuple[list[BoardEvent], SessionQuestions]:
    """Run one board action: validate and apply, store, then broadcast. Raises the board's ``DomainError``."""
    state = await session_questions(app, live, session_id)
    async with live.lock:
        before = {qid: q.status for qid, q in state.board.questions.items()}
        events = action(state.board)
        if not events:
            return events, state
        try:
            await questions_db.append(app[db_key], live.id, events)
        except BaseException:
            # The board applied events that were not stored: forget it, the next use replays storage.
            live.features[FEATURE].pop(session_id, None)
            raise
        state.seq += len(events)
        await broadcast(app, live, state, events, before)
    return events, state


def group_labels(live: MeetingLive) -> dict[str, str]:
    """Stakeholder group slug to label."""
    return {g.slug: g.label for g in live.meeting.groups}


def own_view(question: Question, labels: Mapping[str, str]) -> dict[str, Any]:
    """What an author sees of their question: the public view plus its status details and why it was dismissed."""
    last = question.handoffs[-1]["how"] if question.handoffs else None
    return {**public_view(question, labels), "mine": True, "show_name": question.show_name,
            "dismiss_reason": question.dismiss_reason.value if question.dismiss_reason else None,
            "dismiss_note": question.dismiss_note, "merged_into": question.merged_into, "handed_to_floor": last}


def viewer_listing(board: QuestionBoard, labels: Mapping[str, str], participant_id: int | None) -> list[dict[str, Any]]:
    """Every question one participant (or anonymous viewer) may see, newest first, their own in full."""
    out = []
    for q in board.listing(participant_id, False, sort="newest"):
        mine = participant_id is not None and participant_id in q.author_ids()
        out.append(own_view(q, labels) if mine else public_view(q, labels))
    return out


def public_counts(board: QuestionBoard) -> dict[str, Any]:
    """The transparency figures of a session's questions."""
    return {"session_id": board.session_id, **board.counts()}


def settings_view(settings: BoardSettings) -> dict[str, Any]:
    """The board settings as sent to moderators."""
    return dataclasses.asdict(settings)


def _affected(events: list[BoardEvent]) -> list[int]:
    ids: list[int] = []
    for e in events:
        if isinstance(e, QuestionEvent):
            for qid in (e.question_id, e.merged_id if isinstance(e, QuestionsMerged) else None):
                if qid is not None and qid not in ids:
                    ids.append(qid)
    return ids


async def broadcast(app: web.Application, live: MeetingLive, state: SessionQuestions, events: list[BoardEvent],
                    before: Mapping[int, Any]) -> None:
    """Emit a stored change to each audience, as allowed by the question's state (see the module docstring)."""
    sio, board, seq = app[sio_key], state.board, state.seq
    sid, labels = board.session_id, group_labels(live)
    public_room, mod_room = rooms.session(live.id, sid), rooms.moderators(live.id, sid)
    wire = [event_to_dict(e) for e in events]
    for qid in _affected(events):
        q = board.get(qid)
        await sio.emit("question_changed", {"seq": seq, "question": moderator_view(q),
                                            "events": [w for w in wire if qid in (w.get("question_id"),
                                                                                  w.get("merged_id"))]},
                       room=mod_room, namespace="/moderate")
        was_public = before.get(qid) in PUBLIC_STATUSES
        if q.status in PUBLIC_STATUSES:
            await sio.emit("question_changed", {"seq": seq, "question": public_view(q, labels)},
                           room=public_room, namespace="/live")
        elif was_public:
            await sio.emit("question_removed", {"seq": seq, "session_id": sid, "id": q.id},
                           room=public_room, namespace="/live")
        # Authors last, so their own view wins over the public one they may also have received.
        for author_id in sorted(q.author_ids()):
            view = own_view(q, labels) if author_id == q.author["participant_id"] else public_view(q, labels)
            if author_id != q.author["participant_id"]:
                view = {**view, "mine": True, "co_author": True}
            await sio.emit("question_changed", {"seq": seq, "question": view},
                           room=rooms.participant(live.id, author_id), namespace="/live")
    for e in events:
        if e.name in ("question_voted", "question_unvoted"):
            voter = e.voter_id  # type: ignore[attr-defined]
            await sio.emit("question_my_vote", {"session_id": sid, "id": e.question_id,  # type: ignore[attr-defined]
                                                "voted": e.name == "question_voted"},
                           room=rooms.participant(live.id, voter), namespace="/live")
        if e.name == "question_settings_changed":
            await sio.emit("question_settings", {"seq": seq, "session_id": sid,
                                                 "settings": settings_view(board.settings)},
                           room=mod_room, namespace="/moderate")
    counts = {"seq": seq, **public_counts(board)}
    await sio.emit("questions_counts", counts, room=public_room, namespace="/live")
    await sio.emit("questions_counts", counts, room=mod_room, namespace="/moderate")


def question_id(data: Mapping[str, Any], field: str = "id") -> int:
    """A question id from a payload."""
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"{field} must be a question id", field=field)
    return value


def setup(app: web.Application) -> None:
    """Add the questions' HTTP routes (counts, public list, audit log, exports)."""
    from . import questions_http

    questions_http.setup(app)
