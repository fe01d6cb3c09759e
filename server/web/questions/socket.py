"""Questions on Socket.IO: participants on ``/live``, moderators on ``/moderate``.

Handlers stay thin: read the payload, name the actor, run one board action through :meth:`Questions.perform`,
answer through the ACK. Pages ask for ``questions_list`` after every (re)connect: the connection is already in
its rooms by then, so nothing broadcast afterwards is missed, and ``seq`` orders the two.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from ...domain.errors import DomainError, InvalidInput
from ...domain.meetings.models import Role
from ...domain.questions.board import QuestionBoard
from ...domain.questions.events import BoardEvent
from ...domain.questions.models import Actor
from ...storage import questions as questions_db
from .. import payloads
from ..actors import with_parts
from ..keys import db_key
from ..sockets import LIVE, MODERATE, Commands, Context, Payload
from .service import questions_key
from .views import public_counts, settings_view, viewer_listing

log = logging.getLogger(__name__)
commands = Commands()
BoardAction = Callable[[QuestionBoard, Actor, int], list[BoardEvent]]


def question_id(data: Payload, field: str = "id") -> int:
    """A question id from a payload."""
    value = payloads.integer(data, field, low=1)
    if value is None:
        raise InvalidInput("{field} must be a question id", field=field, params={"field": field})
    return value


def _intervention(data: Payload) -> int | str:
    """A floor intervention id (the floor's ``i7`` or a number)."""
    value = data.get("intervention_id")
    if isinstance(value, str) and value.strip() and len(value) <= 40:
        return payloads.no_surrogates(value, "intervention_id")
    number = None if isinstance(value, str) else payloads.integer(data, "intervention_id", low=1)
    if number is None:
        raise InvalidInput("intervention_id must be an id", field="intervention_id")
    return number


async def _do(ctx: Context, action: BoardAction) -> dict[str, Any]:
    """Run one board action as the connection's actor; answer ``{seq, events, id?}``."""
    actor = ctx.actor()
    events, seq = await ctx.app[questions_key].perform(ctx.meeting, ctx.session_id,
                                                         lambda board: action(board, actor, ctx.now()))
    log.info("questions changed", extra={"meeting": ctx.conn.slug, "session": ctx.session_id, "actor": actor.label,
                                         "events": [e.name for e in events]})
    qid = getattr(events[0], "question_id", None) if events else None
    return {"seq": seq, "events": [e.name for e in events], **({"id": qid} if qid is not None else {})}


@commands.command("questions_list", LIVE)
async def questions_list(ctx: Context, data: Payload) -> dict[str, Any]:
    """The questions this connection may see (``seq`` orders it against broadcasts), counts and options."""
    state = await ctx.app[questions_key].session(ctx.meeting, ctx.session_id)
    board = state.board
    pid = ctx.conn.participant.id if ctx.conn.participant else None
    voted = [q.id for q in board.questions.values() if pid is not None and pid in q.voters]
    return {"seq": state.seq, "session_id": ctx.session_id,
            "questions": viewer_listing(board, ctx.meeting.group_labels(), pid),
            "counts": public_counts(board), "voted": voted, "registered": pid is not None,
            "closes_at": board.settings.closes_at, "max_length": board.settings.max_length}


@commands.command("question_submit", LIVE, registered=True)
async def question_submit(ctx: Context, data: Payload) -> dict[str, Any]:
    """Submit ``{text, theme?, language?, show_name?}``; the session must be live."""
    text = payloads.text(data, "text", 100_000)
    theme = payloads.optional_text(data, "theme", 200)
    language = payloads.optional_text(data, "language", 20) or ctx.conn.lang or ctx.meeting.meeting.default_language
    if language not in ctx.meeting.meeting.languages:
        raise InvalidInput("This meeting has no language \"{language}\".", code="unknown_language",
                           field="language", params={"language": language})
    show_name = payloads.flag(data, "show_name", True)
    author, life = ctx.participant, ctx.meeting.life(ctx.session_id)

    def submit(board: QuestionBoard, who: Actor, now: int) -> list[BoardEvent]:
        life.require_live(now)
        return board.submit(who, author, text, language=language, now=now, theme=theme, show_name=show_name)

    return await _do(ctx, submit)


@commands.command("question_edit", LIVE, registered=True)
@commands.command("question_edit", MODERATE, role=Role.MODERATOR)
async def question_edit(ctx: Context, data: Payload) -> dict[str, Any]:
    """Change a question's text: ``{id, text}`` (authors while it is pending; moderators keep every revision)."""
    qid, text = question_id(data), payloads.text(data, "text", 100_000)
    return await _do(ctx, lambda b, a, now: b.edit(a, qid, text, now=now))


@commands.command("question_withdraw", LIVE, registered=True)
async def question_withdraw(ctx: Context, data: Payload) -> dict[str, Any]:
    """The author withdraws a pending question: ``{id}``."""
    qid = question_id(data)
    return await _do(ctx, lambda b, a, now: b.withdraw(a, qid, now=now))


@commands.command("question_vote", LIVE, registered=True)
async def question_vote(ctx: Context, data: Payload) -> dict[str, Any]:
    """Upvote a published question, once: ``{id}``."""
    qid = question_id(data)
    return await _do(ctx, lambda b, a, now: b.vote(a, qid, now=now))


@commands.command("question_unvote", LIVE, registered=True)
async def question_unvote(ctx: Context, data: Payload) -> dict[str, Any]:
    """Take a vote back: ``{id}``."""
    qid = question_id(data)
    return await _do(ctx, lambda b, a, now: b.unvote(a, qid, now=now))


@commands.command("questions_list", MODERATE, role=Role.MODERATOR, reads=True)
async def moderator_list(ctx: Context, data: Payload) -> dict[str, Any]:
    """Every question in full, the counts and the session's question settings."""
    state = await ctx.app[questions_key].session(ctx.meeting, ctx.session_id)
    board = state.board
    return {"seq": state.seq, "session_id": ctx.session_id, "questions": board.records(),
            "counts": public_counts(board), "settings": settings_view(board.settings), "themes": list(board.themes)}


@commands.command("questions_audit", MODERATE, role=Role.MODERATOR, reads=True)
async def questions_audit(ctx: Context, data: Payload) -> dict[str, Any]:
    """The session's audit log (every stored event), after row ``after`` if given."""
    after = payloads.integer(data, "after", default=0) or 0
    entries = await questions_db.audit(ctx.app[db_key], ctx.meeting.id, ctx.session_id, after=after)
    return {"entries": with_parts(entries)}


@commands.command("question_publish", MODERATE, role=Role.MODERATOR)
async def question_publish(ctx: Context, data: Payload) -> dict[str, Any]:
    """Publish a pending question: ``{id}``."""
    qid = question_id(data)
    return await _do(ctx, lambda b, a, now: b.publish(a, qid, now=now))


@commands.command("question_merge", MODERATE, role=Role.MODERATOR)
async def question_merge(ctx: Context, data: Payload) -> dict[str, Any]:
    """Merge duplicate ``merged_id`` into ``id``, which takes its votes and authors."""
    kept, merged = question_id(data), question_id(data, "merged_id")
    return await _do(ctx, lambda b, a, now: b.merge(a, kept, merged, now=now))


@commands.command("question_dismiss", MODERATE, role=Role.MODERATOR)
async def question_dismiss(ctx: Context, data: Payload) -> dict[str, Any]:
    """Dismiss with a reason and an optional note to the author: ``{id, reason, note?}``."""
    qid, reason = question_id(data), payloads.text(data, "reason", 40)
    note = payloads.optional_text(data, "note", 500) or ""
    return await _do(ctx, lambda b, a, now: b.dismiss(a, qid, reason, now=now, note=note))


@commands.command("question_screen", MODERATE, role=Role.MODERATOR)
async def question_screen(ctx: Context, data: Payload) -> dict[str, Any]:
    """Put a published question on the room screen (the one there before goes back): ``{id}``."""
    qid = question_id(data)
    return await _do(ctx, lambda b, a, now: b.put_on_screen(a, qid, now=now))


@commands.command("question_unscreen", MODERATE, role=Role.MODERATOR)
async def question_unscreen(ctx: Context, data: Payload) -> dict[str, Any]:
    """Take the question off the room screen: ``{id}``."""
    qid = question_id(data)
    return await _do(ctx, lambda b, a, now: b.take_off_screen(a, qid, now=now))


@commands.command("question_answer", MODERATE, role=Role.MODERATOR)
async def question_answer(ctx: Context, data: Payload) -> dict[str, Any]:
    """Mark a question answered, optionally by a floor intervention: ``{id, intervention_id?}``."""
    qid, link = question_id(data), None if data.get("intervention_id") is None else _intervention(data)
    return await _do(ctx, lambda b, a, now: b.answer(a, qid, now=now, intervention_id=link))


@commands.command("question_reopen", MODERATE, role=Role.MODERATOR)
async def question_reopen(ctx: Context, data: Payload) -> dict[str, Any]:
    """Reopen an answered or dismissed question: ``{id, to?}`` (published or pending)."""
    qid, to = question_id(data), payloads.optional_text(data, "to", 20)
    return await _do(ctx, lambda b, a, now: b.reopen(a, qid, now=now, to=to))


@commands.command("question_link_intervention", MODERATE, role=Role.MODERATOR)
async def question_link_intervention(ctx: Context, data: Payload) -> dict[str, Any]:
    """Record the floor intervention that took up a question: ``{id, intervention_id}``."""
    qid, link = question_id(data), _intervention(data)
    return await _do(ctx, lambda b, a, now: b.link_intervention(a, qid, link, now=now))


@commands.command("question_hand_to_floor", MODERATE, role=Role.MODERATOR)
async def question_hand_to_floor(ctx: Context, data: Payload) -> dict[str, Any]:
    """``{id, how: author_speaks|read_aloud, reader?}``: store the hand-off, then queue it on the floor."""
    qid, how = question_id(data), payloads.text(data, "how", 20)
    reader = payloads.optional_text(data, "reader", 120)
    reply = await _do(ctx, lambda b, a, now: b.hand_to_floor(a, qid, how, now=now, reader=reader))
    try:
        # Outside the meeting's lock: the floor takes it itself for its own change.
        reply["floor_ref"] = await ctx.app[questions_key].hand_to_floor(ctx.meeting, ctx.session_id, qid,
                                                                        ctx.actor())
    except DomainError as exc:  # the hand-off is stored either way; say why the floor did not take it
        reply["floor_error"] = exc.as_dict()
    return reply


@commands.command("question_settings", MODERATE, role=Role.MODERATOR)
async def question_settings(ctx: Context, data: Payload) -> dict[str, Any]:
    """Change ``{auto_publish?, closes_at?}`` (UTC ms, or null to keep questions open)."""
    changes: dict[str, Any] = {}
    if "auto_publish" in data:
        changes["auto_publish"] = payloads.flag(data, "auto_publish", False)
    if "closes_at" in data:
        changes["closes_at"] = payloads.integer(data, "closes_at")

    def configure(board: QuestionBoard, actor: Actor, now: int) -> list[BoardEvent]:
        return board.configure(actor, dataclasses.replace(board.settings, **changes), now=now)

    reply = await _do(ctx, configure)
    state = await ctx.app[questions_key].session(ctx.meeting, ctx.session_id)
    return {**reply, "settings": settings_view(state.board.settings)}

