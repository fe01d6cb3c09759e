"""Floor events on Socket.IO: participants on ``/live``, moderators on ``/moderate``, captioners on ``/caption``.

Handlers stay thin: read the payload, name the actor, call :func:`floor.perform` with one queue action, answer
through the ACK. Pages ask for ``floor_state`` after every (re)connect: the connection is already in its rooms
by then, so nothing pushed afterwards is missed, and ``seq`` orders the two.
"""

from __future__ import annotations

from typing import Any

from ..domain.errors import InvalidInput, NotAllowed
from ..domain.floor.queue import FloorQueue
from ..domain.meetings.models import Mode, Role
from ..domain.questions.models import Actor
from ..storage import floor as floor_db
from . import floor
from .keys import db_key
from .live import MeetingLive, now_ms
from .sockets import Conn, ack, text_field

#: Moderator events a participant might try on ``/live``: answered ``not_allowed`` rather than left unanswered.
MODERATOR_ONLY = ("floor_add", "floor_call_next", "floor_call", "floor_end", "floor_move", "floor_close",
                  "floor_reopen", "floor_policy", "floor_time_limit", "floor_group_budget", "floor_audit")


def _text(data: dict[str, Any], name: str, max_len: int) -> str | None:
    """An optional text field: ``None`` when absent or blank."""
    if data.get(name) is None:
        return None
    return text_field(data, name, max_len, required=False).strip() or None


def _request_id(data: dict[str, Any]) -> str:
    return text_field(data, "request_id", 40).strip()


def _seconds(data: dict[str, Any], name: str = "seconds") -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 24 * 3600:
        raise InvalidInput(f"{name} must be a number of seconds or null", field=name)
    return value


def _options(data: dict[str, Any]) -> dict[str, Any]:
    """The request options both audiences may send: kind, theme, language, reply and group statement fields."""
    return {"kind": _text(data, "kind", 20) or "normal", "theme": _text(data, "theme", 200),
            "language": _text(data, "language", 20), "reply_to": _text(data, "reply_to", 40),
            "on_behalf_of": _text(data, "on_behalf_of", 200)}


class _FloorBase:
    """What every audience shares: the connection's session, its floor, and running one action."""

    async def _f_context(self, sid: str) -> tuple[Conn, MeetingLive, str]:
        conn: Conn = await self.conn(sid)  # type: ignore[attr-defined]
        if conn.session_id is None:
            raise InvalidInput("connect with a session to use its list of speakers", field="session")
        return conn, await self.live(conn), conn.session_id  # type: ignore[attr-defined]

    async def _f_do(self, sid: str, actor: Actor, action: Any, *, live_only: bool = False) -> dict[str, Any]:
        conn, live, session_id = await self._f_context(sid)

        def checked(queue: FloorQueue, now: int) -> list[Any]:
            if live_only:
                live.life(session_id).require_live(now)
            return action(queue, now)

        events, state = await floor.perform(self.app, live, session_id, actor, checked)  # type: ignore[attr-defined]
        out: dict[str, Any] = {"seq": state.seq, "events": [e.name for e in events]}
        for key in ("request_id", "intervention_id"):
            found = next((getattr(e, key) for e in events if hasattr(e, key)), None)
            if found is not None:
                out[key] = found
        return out


def _participant(conn: Conn) -> Actor:
    if conn.participant is None:
        raise NotAllowed("Register with the join link the organisers sent you to ask for the floor.",
                         code="not_registered")
    return Actor.of(conn.participant)


def _refuse(event: str) -> Any:
    @ack
    async def handler(self: Any, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        raise NotAllowed("only the chair can do this")

    handler.__name__ = f"on_{event}"
    handler.__doc__ = f"``{event}`` is the chair's: refused on ``/live``."
    return handler


class LiveFloorMixin(_FloorBase):
    """``/live``: registered participants ask for the floor, withdraw, decline when called; everyone follows it."""

    @ack
    async def on_floor_state(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """The public state of the floor, and which requests are the caller's."""
        conn, live, session_id = await self._f_context(sid)
        state = await floor.session_floor(self.app, live, session_id)  # type: ignore[attr-defined]
        pid = conn.participant.id if conn.participant else None
        me = conn.participant.snapshot() if conn.participant else None
        return {"floor": floor.public_view(live, session_id, state, now_ms()), "mine": floor.mine(state, pid),
                "registered": pid is not None, "me": me and floor._card(me, floor.group_labels(live))}

    @ack
    async def on_floor_request(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Ask for the floor: ``{kind?, theme?, language?, reply_to?, on_behalf_of?}``; the session must be live."""
        conn, _, _ = await self._f_context(sid)
        actor = _participant(conn)
        assert conn.participant is not None
        person, options = conn.participant.snapshot(), _options(data)
        return await self._f_do(sid, actor, lambda q, now: q.request(person, now, **options), live_only=True)

    @ack
    async def on_floor_withdraw(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Withdraw one's own waiting request: ``{request_id}``."""
        conn, _, _ = await self._f_context(sid)
        actor, rid = _participant(conn), _request_id(data)
        return await self._f_do(sid, actor, lambda q, now: q.withdraw(rid, now, by_participant=actor.participant_id))

    @ack
    async def on_floor_decline(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Called but not ready: keep one's place once (``{request_id}``); a second decline leaves the list."""
        conn, _, _ = await self._f_context(sid)
        actor, rid = _participant(conn), _request_id(data)
        return await self._f_do(sid, actor, lambda q, now: q.decline(rid, now, by_participant=actor.participant_id))



for _name in MODERATOR_ONLY:
    setattr(LiveFloorMixin, f"on_{_name}", _refuse(_name))


def _chair(conn: Conn) -> Actor:
    if conn.role is None or not conn.role.can(Role.MODERATOR):
        raise NotAllowed("only the chair can do this")
    return Actor(conn.role, conn.label)


def _room_person(data: dict[str, Any], live: MeetingLive) -> dict[str, Any]:
    """Someone who raised a hand in the room, as the chair typed them (onsite unless said otherwise)."""
    mode = _text(data, "mode", 10) or Mode.ONSITE.value
    country = (_text(data, "country", 2) or "").upper()
    if country and country not in floor.country_names():
        raise InvalidInput("choose a country from the list (ISO 3166 code)", code="invalid_country", field="country")
    return {"participant_id": None, "name": text_field(data, "name", 120).strip(),
            "organisation": _text(data, "organisation", 200) or "", "country": country,
            "group": _text(data, "group", 40) or "", "mode": mode}


class ModerateFloorMixin(_FloorBase):
    """``/moderate``: add from the room, call, end, move, close and reopen, policy, time limit and budgets."""

    async def _chair_do(self, sid: str, action: Any, *, live_only: bool = False) -> dict[str, Any]:
        conn, _, _ = await self._f_context(sid)
        return await self._f_do(sid, _chair(conn), action, live_only=live_only)

    @ack
    async def on_floor_state(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """The full state: list with reasons, speaker and timer, interventions so far, policies and groups;
        ``countries`` ([code, name] pairs) for the form that adds someone from the room."""
        conn, live, session_id = await self._f_context(sid)
        state = await floor.session_floor(self.app, live, session_id)  # type: ignore[attr-defined]
        return {"floor": floor.moderator_view(live, session_id, state, now_ms()),
                "countries": sorted(floor.country_names().items(), key=lambda item: item[1])}

    @ack
    async def on_floor_add(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Add someone from the room: ``{name, organisation?, group, country?, mode?, kind?, placement?, …}``."""
        _, live, _ = await self._f_context(sid)
        person, options = _room_person(data, live), _options(data)
        placement = _text(data, "placement", 10)
        if options["kind"] == "right_of_reply":
            options["placement"] = placement
        return await self._chair_do(sid, lambda q, now: q.add_from_room(person, now, **options), live_only=True)

    @ack
    async def on_floor_call_next(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Give the floor to the first of the list (ending the running intervention)."""
        return await self._chair_do(sid, lambda q, now: q.call_next(now), live_only=True)

    @ack
    async def on_floor_call(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Give the floor to anyone waiting: ``{request_id}``."""
        rid = _request_id(data)
        return await self._chair_do(sid, lambda q, now: q.call(rid, now), live_only=True)

    @ack
    async def on_floor_end(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """End the running intervention (its end time is recorded)."""
        return await self._chair_do(sid, lambda q, now: q.end(now))

    @ack
    async def on_floor_decline(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """The person called is not ready: ``{request_id}``; they keep their place once."""
        rid = _request_id(data)
        return await self._chair_do(sid, lambda q, now: q.decline(rid, now))

    @ack
    async def on_floor_withdraw(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Take a waiting request off the list: ``{request_id}``."""
        rid = _request_id(data)
        return await self._chair_do(sid, lambda q, now: q.withdraw(rid, now))

    @ack
    async def on_floor_move(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Place a waiting request at ``position`` (1 = next), with an optional ``reason``; it holds there."""
        rid, position, reason = _request_id(data), data.get("position"), _text(data, "reason", 300) or ""
        return await self._chair_do(sid, lambda q, now: q.move(rid, position, now, reason=reason))

    @ack
    async def on_floor_close(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Close the list to new requests (points of order and rights of reply are still taken)."""
        return await self._chair_do(sid, lambda q, now: q.close(now))

    @ack
    async def on_floor_reopen(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Open the list again."""
        return await self._chair_do(sid, lambda q, now: q.reopen(now))

    @ack
    async def on_floor_policy(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Switch the ordering: ``{policy: fcfs|alternate|groups|new_voices}``."""
        key = text_field(data, "policy", 20).strip()
        return await self._chair_do(sid, lambda q, now: q.set_policy(key, now))

    @ack
    async def on_floor_time_limit(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Speaking time for interventions granted from now on: ``{seconds}`` (``null``: no limit)."""
        seconds = _seconds(data)
        return await self._chair_do(sid, lambda q, now: q.set_time_limit(seconds, now))

    @ack
    async def on_floor_group_budget(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """A stakeholder group's floor time for the session: ``{group, seconds}`` (``null`` removes it)."""
        group, seconds = text_field(data, "group", 40).strip(), _seconds(data)
        return await self._chair_do(sid, lambda q, now: q.set_group_budget(group, seconds, now))

    @ack
    async def on_floor_audit(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Every stored floor event of the session with who and when, after row ``after`` if given."""
        _, live, session_id = await self._f_context(sid)
        after = data.get("after", 0)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise InvalidInput("after must be a non-negative integer", field="after")
        entries = await floor_db.audit(self.app[db_key], live.id, session_id, after=after)  # type: ignore[attr-defined]
        return {"entries": entries}


class CaptionFloorMixin(_FloorBase):
    """``/caption``: the captioner sees who has the floor (their new lines are attributed to that speaker)."""

    @ack
    async def on_floor_state(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """The public state of the floor."""
        _, live, session_id = await self._f_context(sid)
        state = await floor.session_floor(self.app, live, session_id)  # type: ignore[attr-defined]
        return {"floor": floor.public_view(live, session_id, state, now_ms())}
