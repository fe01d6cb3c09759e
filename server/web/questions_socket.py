"""Question events on Socket.IO: participants on ``/live``, moderators on ``/moderate``.

Handlers stay thin: read the payload, name the actor, call :func:`questions.perform` with one board action,
answer through the ACK. Pages ask for ``questions_list`` after every (re)connect: the connection is already in
its rooms by then, so nothing broadcast afterwards is missed, and ``seq`` orders the two.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from ..domain.errors import DomainError, InvalidInput, NotAllowed
from ..domain.meetings.models import Role
from ..domain.questions.models import Actor, moderator_view
from ..domain.questions.board import QuestionBoard
from ..storage import questions as questions_db
from . import questions
from .keys import db_key, floor_handoff_key
from .live import MeetingLive, now_ms
from .sockets import Conn, ack, text_field

log = logging.getLogger(__name__)


def _flag(data: dict[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false", field=name)
    return value


def _optional_text(data: dict[str, Any], name: str, max_len: int) -> str:
    if data.get(name) is None:
        return ""
    return text_field(data, name, max_len, required=False).strip()


class _QuestionsBase:
    """What both audiences share: the connection's session and its board."""

    async def _q_context(self, sid: str) -> tuple[Conn, MeetingLive, str]:
        conn: Conn = await self.conn(sid)  # type: ignore[attr-defined]
        if conn.session_id is None:
            raise InvalidInput("connect with a session to use its questions", field="session")
        return conn, await self.live(conn), conn.session_id  # type: ignore[attr-defined]

    async def _q_do(self, sid: str, actor_of: Any, action: Any) -> dict[str, Any]:
        conn, live, session_id = await self._q_context(sid)
        actor = actor_of(conn)
        events, state = await questions.perform(self.app, live, session_id,  # type: ignore[attr-defined]
                                                lambda board: action(board, actor, now_ms()))
        log.info("questions changed", extra={"meeting": conn.slug, "session": session_id, "actor": actor.label,
                                             "events": [e.name for e in events]})
        qid = getattr(events[0], "question_id", None) if events else None
        return {"seq": state.seq, "events": [e.name for e in events], **({"id": qid} if qid is not None else {})}


def _participant_actor(conn: Conn) -> Actor:
    if conn.participant is None:
        raise NotAllowed("Register with the join link the organisers sent you to ask questions and vote.",
                         code="not_registered")
    return Actor.of(conn.participant)


class LiveQuestionsMixin(_QuestionsBase):
    """``/live``: registered participants ask, edit, withdraw and vote; everyone reads published questions."""

    @ack
    async def on_questions_list(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """The questions this connection may see (``seq`` orders it against broadcasts), counts and options."""
        conn, live, session_id = await self._q_context(sid)
        state = await questions.session_questions(self.app, live, session_id)  # type: ignore[attr-defined]
        board = state.board
        pid = conn.participant.id if conn.participant else None
        voted = [q.id for q in board.questions.values() if pid is not None and pid in q.voters]
        return {"seq": state.seq, "session_id": session_id,
                "questions": questions.viewer_listing(board, questions.group_labels(live), pid),
                "counts": questions.public_counts(board), "voted": voted, "registered": pid is not None,
                "closes_at": board.settings.closes_at, "max_length": board.settings.max_length}

    @ack
    async def on_question_submit(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Submit ``{text, theme?, language?, show_name?}``; the session must be live."""
        conn, live, session_id = await self._q_context(sid)
        actor = _participant_actor(conn)
        text = text_field(data, "text", 100_000)
        theme = _optional_text(data, "theme", 200) or None
        language = _optional_text(data, "language", 20) or conn.lang or live.meeting.default_language
        if language not in live.meeting.languages:
            raise InvalidInput(f"unknown language {language!r}", code="unknown_language", field="language")
        show_name = _flag(data, "show_name", True)
        author = conn.participant
        assert author is not None

        def submit(board: QuestionBoard, who: Actor, now: int) -> list[Any]:
            live.life(session_id).require_live(now)
            return board.submit(who, author, text, language=language, now=now, theme=theme, show_name=show_name)

        return await self._q_do(sid, lambda c: actor, submit)

    @ack
    async def on_question_edit(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """The author changes a pending question's text: ``{id, text}``."""
        qid, text = questions.question_id(data), text_field(data, "text", 100_000)
        return await self._q_do(sid, _participant_actor, lambda b, a, now: b.edit(a, qid, text, now=now))

    @ack
    async def on_question_withdraw(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """The author withdraws a pending question: ``{id}``."""
        qid = questions.question_id(data)
        return await self._q_do(sid, _participant_actor, lambda b, a, now: b.withdraw(a, qid, now=now))

    @ack
    async def on_question_vote(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Upvote a published question, once: ``{id}``."""
        qid = questions.question_id(data)
        return await self._q_do(sid, _participant_actor, lambda b, a, now: b.vote(a, qid, now=now))

    @ack
    async def on_question_unvote(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Take a vote back: ``{id}``."""
        qid = questions.question_id(data)
        return await self._q_do(sid, _participant_actor, lambda b, a, now: b.unvote(a, qid, now=now))


def _moderator_actor(conn: Conn) -> Actor:
    if conn.role is None or not conn.role.can(Role.MODERATOR):
        raise NotAllowed("only moderators may do this")
    return Actor(conn.role, conn.label)


class ModerateQuestionsMixin(_QuestionsBase):
    """``/moderate``: screen, publish, edit, merge, dismiss, show on screen, answer, reopen, hand to the floor."""

    @ack
    async def on_questions_list(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Every question in full, the counts and the session's question settings."""
        conn, live, session_id = await self._q_context(sid)
        state = await questions.session_questions(self.app, live, session_id)  # type: ignore[attr-defined]
        board = state.board
        return {"seq": state.seq, "session_id": session_id, "questions": board.records(),
                "counts": questions.public_counts(board), "settings": questions.settings_view(board.settings),
                "themes": list(board.themes)}

    @ack
    async def on_questions_audit(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """The session's audit log (every stored event), after row ``after`` if given."""
        conn, live, session_id = await self._q_context(sid)
        after = data.get("after", 0)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise InvalidInput("after must be a non-negative integer", field="after")
        entries = await questions_db.audit(self.app[db_key], live.id, session_id, after=after)  # type: ignore[attr-defined]
        return {"entries": entries}

    async def _mod(self, sid: str, action: Any) -> dict[str, Any]:
        return await self._q_do(sid, _moderator_actor, action)

    @ack
    async def on_question_publish(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Publish a pending question: ``{id}``."""
        qid = questions.question_id(data)
        return await self._mod(sid, lambda b, a, now: b.publish(a, qid, now=now))

    @ack
    async def on_question_edit(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Change a question's text (every revision is kept): ``{id, text}``."""
        qid, text = questions.question_id(data), text_field(data, "text", 100_000)
        return await self._mod(sid, lambda b, a, now: b.edit(a, qid, text, now=now))

    @ack
    async def on_question_merge(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Merge duplicate ``merged_id`` into ``id``, which takes its votes and authors."""
        kept, merged = questions.question_id(data), questions.question_id(data, "merged_id")
        return await self._mod(sid, lambda b, a, now: b.merge(a, kept, merged, now=now))

    @ack
    async def on_question_dismiss(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Dismiss with a reason and an optional note to the author: ``{id, reason, note?}``."""
        qid, reason = questions.question_id(data), text_field(data, "reason", 40)
        note = _optional_text(data, "note", 500)
        return await self._mod(sid, lambda b, a, now: b.dismiss(a, qid, reason, now=now, note=note))

    @ack
    async def on_question_screen(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Put a published question on the room screen (the one there before goes back): ``{id}``."""
        qid = questions.question_id(data)
        return await self._mod(sid, lambda b, a, now: b.put_on_screen(a, qid, now=now))

    @ack
    async def on_question_unscreen(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Take the question off the room screen: ``{id}``."""
        qid = questions.question_id(data)
        return await self._mod(sid, lambda b, a, now: b.take_off_screen(a, qid, now=now))

    @ack
    async def on_question_answer(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Mark a question answered, optionally by a floor intervention: ``{id, intervention_id?}``."""
        qid, link = questions.question_id(data), _intervention(data, required=False)
        return await self._mod(sid, lambda b, a, now: b.answer(a, qid, now=now, intervention_id=link))

    @ack
    async def on_question_reopen(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Reopen an answered or dismissed question: ``{id, to?}`` (published or pending)."""
        qid, to = questions.question_id(data), _optional_text(data, "to", 20) or None
        return await self._mod(sid, lambda b, a, now: b.reopen(a, qid, now=now, to=to))

    @ack
    async def on_question_link_intervention(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Record the floor intervention that took up a question: ``{id, intervention_id}``."""
        qid, link = questions.question_id(data), _intervention(data, required=True)
        return await self._mod(sid, lambda b, a, now: b.link_intervention(a, qid, link, now=now))

    @ack
    async def on_question_hand_to_floor(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """``{id, how: author_speaks|read_aloud, reader?}``: store the hand-off, then tell the floor queue."""
        qid, how = questions.question_id(data), text_field(data, "how", 20)
        reader = _optional_text(data, "reader", 120) or None
        reply = await self._mod(sid, lambda b, a, now: b.hand_to_floor(a, qid, how, now=now, reader=reader))
        hook = self.app.get(floor_handoff_key)  # type: ignore[attr-defined]
        if hook is not None:
            conn, live, session_id = await self._q_context(sid)
            state = await questions.session_questions(self.app, live, session_id)  # type: ignore[attr-defined]
            question = state.board.get(qid)
            try:
                # Outside live.lock: the floor queue takes the lock itself for its own change.
                reply["floor_ref"] = await hook(self.app, live, session_id, moderator_view(question),  # type: ignore[attr-defined]
                                                how, question.handoffs[-1]["reader"], _moderator_actor(conn))
            except DomainError as exc:  # the hand-off is stored either way; say why the floor did not take it
                reply["floor_error"] = exc.as_dict()
        return reply

    @ack
    async def on_question_settings(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Change ``{auto_publish?, closes_at?}`` (UTC ms, or null to keep questions open)."""
        conn, live, session_id = await self._q_context(sid)
        changes: dict[str, Any] = {}
        if "auto_publish" in data:
            changes["auto_publish"] = _flag(data, "auto_publish", False)
        if "closes_at" in data:
            closes = data["closes_at"]
            if closes is not None and (isinstance(closes, bool) or not isinstance(closes, int) or closes < 0):
                raise InvalidInput("closes_at must be a time in UTC milliseconds or null", field="closes_at")
            changes["closes_at"] = closes

        def configure(board: QuestionBoard, actor: Actor, now: int) -> list[Any]:
            return board.configure(actor, dataclasses.replace(board.settings, **changes), now=now)

        reply = await self._mod(sid, configure)
        state = await questions.session_questions(self.app, live, session_id)  # type: ignore[attr-defined]
        return {**reply, "settings": questions.settings_view(state.board.settings)}


def _intervention(data: dict[str, Any], *, required: bool) -> int | str | None:
    value = data.get("intervention_id")
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or (isinstance(value, str) and not value.strip()):
        raise InvalidInput("intervention_id must be an id", field="intervention_id")
    return value
