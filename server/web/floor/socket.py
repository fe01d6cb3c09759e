"""The floor on Socket.IO: participants on ``/live``, the chair on ``/moderate``, captioners on ``/caption``.

Handlers stay thin: read the payload, name the actor, run one queue action through :meth:`Floor.perform`, answer
through the ACK. Pages ask for ``floor_state`` after every (re)connect: the connection is already in its rooms
by then, so nothing pushed afterwards is missed, and ``seq`` orders the two.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...domain.errors import InvalidInput, NotFound
from ...domain.events import Event
from ...domain.floor.queue import FloorQueue
from ...domain.meetings.models import Mode, Role
from ...storage import floor as floor_db
from .. import payloads
from ..actors import with_parts
from ..keys import db_key
from ..sockets import CAPTION, LIVE, MODERATE, Commands, Context, Payload
from .service import floor_key
from .views import card, country_names, mine, moderator_view, public_view

commands = Commands()
QueueAction = Callable[[FloorQueue, int], list[Event]]


def _request_id(data: Payload) -> str:
    return payloads.text(data, "request_id", 40).strip()


def _options(data: Payload) -> dict[str, Any]:
    """The request options both audiences may send: kind, theme, language, reply and group statement fields."""
    return {"kind": payloads.optional_text(data, "kind", 20) or "normal",
            "theme": payloads.optional_text(data, "theme", 200),
            "language": payloads.optional_text(data, "language", 20),
            "reply_to": payloads.optional_text(data, "reply_to", 40),
            "on_behalf_of": payloads.optional_text(data, "on_behalf_of", 200)}


async def _do(ctx: Context, action: QueueAction, *, live_only: bool = False) -> dict[str, Any]:
    """Run one queue action as the connection's actor; answer ``{seq, events, request_id?, intervention_id?}``."""
    life = ctx.meeting.life(ctx.session_id)

    def checked(queue: FloorQueue, now: int) -> list[Event]:
        if live_only:
            life.require_live(now)
        return action(queue, now)

    events, seq = await ctx.app[floor_key].perform(ctx.meeting, ctx.session_id, ctx.actor(), checked)
    out: dict[str, Any] = {"seq": seq, "events": [e.name for e in events]}
    for key in ("request_id", "intervention_id"):
        found = next((getattr(e, key) for e in events if hasattr(e, key)), None)
        if found is not None:
            out[key] = found
    return out


@commands.command("floor_state", LIVE)
async def floor_state(ctx: Context, data: Payload) -> dict[str, Any]:
    """The public state of the floor, and which requests are the caller's."""
    state = await ctx.app[floor_key].session(ctx.meeting, ctx.session_id)
    participant = ctx.conn.participant
    pid = participant.id if participant else None
    me = card(participant.snapshot(), ctx.meeting.group_labels()) if participant else None
    return {"floor": public_view(ctx.meeting, ctx.session_id, state.queue, state.seq, ctx.now()),
            "mine": mine(state.queue, pid), "registered": pid is not None, "me": me}


@commands.command("floor_request", LIVE, registered=True)
async def floor_request(ctx: Context, data: Payload) -> dict[str, Any]:
    """Ask for the floor: ``{kind?, theme?, language?, reply_to?, on_behalf_of?}``; the session must be live."""
    person, options = ctx.participant.snapshot(), _options(data)
    return await _do(ctx, lambda q, now: q.request(person, now, **options), live_only=True)


@commands.command("floor_interpose", LIVE, registered=True)
async def floor_interpose(ctx: Context, data: Payload) -> dict[str, Any]:
    """Put a short question to whoever has the floor, ahead of the list: ``{language?}``; the session must be
    live and someone other than the caller must be speaking."""
    person, language = ctx.participant.snapshot(), payloads.optional_text(data, "language", 20)
    return await _do(ctx, lambda q, now: q.request(person, now, kind="interposed_question", language=language),
                     live_only=True)


@commands.command("floor_withdraw", LIVE, registered=True)
async def floor_withdraw(ctx: Context, data: Payload) -> dict[str, Any]:
    """Withdraw one's own waiting request: ``{request_id}``."""
    rid, pid = _request_id(data), ctx.participant.id
    return await _do(ctx, lambda q, now: q.withdraw(rid, now, by_participant=pid))


@commands.command("floor_decline", LIVE, registered=True)
async def floor_decline(ctx: Context, data: Payload) -> dict[str, Any]:
    """Called but not ready: keep one's place once (``{request_id}``); a second decline leaves the list."""
    rid, pid = _request_id(data), ctx.participant.id
    return await _do(ctx, lambda q, now: q.decline(rid, now, by_participant=pid))


@commands.command("floor_state", MODERATE, role=Role.MODERATOR, reads=True)
async def moderator_state(ctx: Context, data: Payload) -> dict[str, Any]:
    """The full state: list with reasons, speaker and timer, interventions so far, policies and groups;
    ``countries`` ([code, name] pairs) for the form that adds someone from the room."""
    state = await ctx.app[floor_key].session(ctx.meeting, ctx.session_id)
    return {"floor": moderator_view(ctx.meeting, ctx.session_id, state.queue, state.seq, ctx.now()),
            "countries": sorted(country_names().items(), key=lambda item: item[1]),
            "candidates": await floor_db.candidates(ctx.app[db_key], ctx.meeting.id, ctx.session_id)}


def _room_person(data: Payload) -> dict[str, Any]:
    """Someone who raised a hand in the room, as the chair typed them (onsite unless said otherwise)."""
    mode = payloads.optional_text(data, "mode", 10) or Mode.ONSITE.value
    country = (payloads.optional_text(data, "country", 2) or "").upper()
    if country and country not in country_names():
        raise InvalidInput("choose a country from the list (ISO 3166 code)", code="invalid_country", field="country")
    return {"participant_id": None, "name": payloads.text(data, "name", 120).strip(),
            "organisation": payloads.optional_text(data, "organisation", 200) or "", "country": country,
            "group": payloads.optional_text(data, "group", 40) or "", "mode": mode}


async def _someone(ctx: Context, data: Payload) -> dict[str, Any]:
    """A registered participant (``participant_id``) as they are now, or someone from the room as the chair
    typed them."""
    if data.get("participant_id") is None:
        return _room_person(data)
    pid = payloads.required_integer(data, "participant_id", low=1)
    found = await floor_db.participant(ctx.app[db_key], ctx.meeting.id, pid)
    if found is None:
        raise NotFound("no participant {id}", field="participant_id", params={"id": str(pid)})
    return found


@commands.command("floor_present", MODERATE, role=Role.MODERATOR)
async def floor_present(ctx: Context, data: Payload) -> dict[str, Any]:
    """Call a presentation now: ``{participant_id}`` or someone from the room ``{name, group, …}``; ``theme?``."""
    person, theme = await _someone(ctx, data), payloads.optional_text(data, "theme", 200)
    return await _do(ctx, lambda q, now: q.present(person, now, theme=theme), live_only=True)


@commands.command("floor_interpose", MODERATE, role=Role.MODERATOR)
async def chair_interpose(ctx: Context, data: Payload) -> dict[str, Any]:
    """Put an interposed question for someone: ``{participant_id}`` or ``{name, group, …}``."""
    person = await _someone(ctx, data)
    return await _do(ctx, lambda q, now: q.add_from_room(person, now, kind="interposed_question"), live_only=True)


@commands.command("floor_part", MODERATE, role=Role.MODERATOR)
async def floor_part(ctx: Context, data: Payload) -> dict[str, Any]:
    """Move the session to a part: ``{part: presentations|panel|debate|closing}``."""
    part = payloads.text(data, "part", 20).strip()
    return await _do(ctx, lambda q, now: q.set_part(part, now))


@commands.command("floor_add", MODERATE, role=Role.MODERATOR)
async def floor_add(ctx: Context, data: Payload) -> dict[str, Any]:
    """Add someone from the room: ``{name, organisation?, group, country?, mode?, kind?, placement?, …}``."""
    person, options = _room_person(data), _options(data)
    if options["kind"] == "right_of_reply":
        options["placement"] = payloads.optional_text(data, "placement", 10)
    return await _do(ctx, lambda q, now: q.add_from_room(person, now, **options), live_only=True)


@commands.command("floor_call_next", MODERATE, role=Role.MODERATOR)
async def floor_call_next(ctx: Context, data: Payload) -> dict[str, Any]:
    """Give the floor to the first of the list (ending the running intervention): ``{seen_first?}``, the request the
    chair's page shows first; when it has the floor already (another chair was quicker), nothing changes."""
    seen_first = payloads.optional_text(data, "seen_first", 40)
    return await _do(ctx, lambda q, now: q.call_next(now, seen_first=seen_first), live_only=True)


@commands.command("floor_call", MODERATE, role=Role.MODERATOR)
async def floor_call(ctx: Context, data: Payload) -> dict[str, Any]:
    """Give the floor to anyone waiting: ``{request_id}``."""
    rid = _request_id(data)
    return await _do(ctx, lambda q, now: q.call(rid, now), live_only=True)


@commands.command("floor_end", MODERATE, role=Role.MODERATOR)
async def floor_end(ctx: Context, data: Payload) -> dict[str, Any]:
    """End the running intervention (its end time is recorded)."""
    return await _do(ctx, lambda q, now: q.end(now))


@commands.command("floor_decline", MODERATE, role=Role.MODERATOR)
async def chair_decline(ctx: Context, data: Payload) -> dict[str, Any]:
    """The person called is not ready: ``{request_id}``; they keep their place once."""
    rid = _request_id(data)
    return await _do(ctx, lambda q, now: q.decline(rid, now))


@commands.command("floor_withdraw", MODERATE, role=Role.MODERATOR)
async def chair_withdraw(ctx: Context, data: Payload) -> dict[str, Any]:
    """Take a waiting request off the list: ``{request_id}``."""
    rid = _request_id(data)
    return await _do(ctx, lambda q, now: q.withdraw(rid, now))


@commands.command("floor_move", MODERATE, role=Role.MODERATOR)
async def floor_move(ctx: Context, data: Payload) -> dict[str, Any]:
    """Place a waiting request at ``position`` (1 = next), with an optional ``reason``; it holds there."""
    rid, position = _request_id(data), payloads.required_integer(data, "position", low=1, high=100_000)
    reason = payloads.optional_text(data, "reason", 300) or ""
    return await _do(ctx, lambda q, now: q.move(rid, position, now, reason=reason))


@commands.command("floor_close", MODERATE, role=Role.MODERATOR)
async def floor_close(ctx: Context, data: Payload) -> dict[str, Any]:
    """Close the list to new requests (points of order and rights of reply are still taken)."""
    return await _do(ctx, lambda q, now: q.close(now))


@commands.command("floor_reopen", MODERATE, role=Role.MODERATOR)
async def floor_reopen(ctx: Context, data: Payload) -> dict[str, Any]:
    """Open the list again."""
    return await _do(ctx, lambda q, now: q.reopen(now))


@commands.command("floor_policy", MODERATE, role=Role.MODERATOR)
async def floor_policy(ctx: Context, data: Payload) -> dict[str, Any]:
    """Switch the ordering: ``{policy: fcfs|alternate|groups|new_voices}``."""
    key = payloads.text(data, "policy", 20).strip()
    return await _do(ctx, lambda q, now: q.set_policy(key, now))


@commands.command("floor_time_limit", MODERATE, role=Role.MODERATOR)
async def floor_time_limit(ctx: Context, data: Payload) -> dict[str, Any]:
    """Speaking time for interventions granted from now on: ``{seconds}`` (``null``: no limit)."""
    seconds = payloads.seconds(data)
    return await _do(ctx, lambda q, now: q.set_time_limit(seconds, now))


@commands.command("floor_group_budget", MODERATE, role=Role.MODERATOR)
async def floor_group_budget(ctx: Context, data: Payload) -> dict[str, Any]:
    """A stakeholder group's floor time for the session: ``{group, seconds}`` (``null`` removes it)."""
    group, seconds = payloads.text(data, "group", 40).strip(), payloads.seconds(data)
    return await _do(ctx, lambda q, now: q.set_group_budget(group, seconds, now))


@commands.command("floor_audit", MODERATE, role=Role.MODERATOR, reads=True)
async def floor_audit(ctx: Context, data: Payload) -> dict[str, Any]:
    """Every stored floor event of the session with who and when, after row ``after`` if given."""
    after = payloads.integer(data, "after", default=0) or 0
    return {"entries": with_parts(await floor_db.audit(ctx.app[db_key], ctx.meeting.id, ctx.session_id, after=after))}


@commands.command("floor_state", CAPTION)
async def captioner_state(ctx: Context, data: Payload) -> dict[str, Any]:
    """The public state of the floor: the captioner's new lines are attributed to whoever holds it."""
    state = await ctx.app[floor_key].session(ctx.meeting, ctx.session_id)
    return {"floor": public_view(ctx.meeting, ctx.session_id, state.queue, state.seq, ctx.now())}
