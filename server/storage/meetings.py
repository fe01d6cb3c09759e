"""Meetings, agenda sessions, capability tokens, participants and attendance."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import secrets
from typing import Any

from ..domain.errors import Country, InvalidInput, InvalidTransition, NotFound
from ..domain.meetings.models import (
    AgendaSession,
    Hub,
    Meeting,
    Mode,
    Participant,
    Role,
    SessionLife,
    SessionState,
    StakeholderGroup,
)
from . import audit
from .interface import Database, StorageConflict, Transaction

#: Roles a link can be issued for, at meeting scope and (for these) at session scope.
MEETING_ROLES = (Role.ADMIN, Role.PARTICIPANT, Role.MODERATOR, Role.CAPTIONER, Role.RAPPORTEUR)
SESSION_ROLES = (Role.MODERATOR, Role.CAPTIONER, Role.RAPPORTEUR)


def meeting_hash(meeting: Meeting) -> str:
    """A stable fingerprint of a meeting description: loading an unchanged file is a no-op."""
    blob = json.dumps(dataclasses.asdict(meeting), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def hash_secret(token: str) -> str:
    """SHA-256 hex of a token or cookie value: what the database keeps instead of the secret."""
    return hashlib.sha256(token.encode()).hexdigest()


async def save_meeting(db: Database, meeting: Meeting, now: int) -> tuple[int, bool]:
    """Create or update a meeting from its description; returns (meeting id, changed)."""
    digest = meeting_hash(meeting)
    row = await db.fetchone("SELECT id, source_hash FROM meetings WHERE slug = ?", (meeting.slug,))
    if row is not None and row["source_hash"] == digest:
        return row["id"], False
    groups = json.dumps([{"slug": g.slug, "label": g.label} for g in meeting.groups])
    values = (meeting.title, meeting.venue, meeting.timezone, meeting.start_date, meeting.end_date,
              json.dumps(list(meeting.languages)), groups, meeting.description, meeting.secretariat, digest)
    async with db.write() as conn:
        if row is None:
            meeting_id = await conn.insert(
                "INSERT INTO meetings (title, venue, timezone, start_date, end_date, languages, groups_json,"
                " description, secretariat, source_hash, slug, created_ms, updated_ms)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (*values, meeting.slug, now, now))
        else:
            meeting_id = row["id"]
            await conn.execute(
                "UPDATE meetings SET title=?, venue=?, timezone=?, start_date=?, end_date=?, languages=?,"
                " groups_json=?, description=?, secretariat=?, source_hash=?, updated_ms=? WHERE id=?",
                (*values, now, meeting_id))
        await conn.execute("UPDATE sessions SET in_agenda = 0 WHERE meeting_id = ?", (meeting_id,))
        for position, s in enumerate(meeting.sessions):
            await conn.execute(
                "INSERT INTO sessions (meeting_id, id, position, title, room, start_ms, end_ms, themes, auto_start,"
                " description, in_agenda) VALUES (?,?,?,?,?,?,?,?,?,?,1) ON CONFLICT (meeting_id, id) DO UPDATE SET"
                " position=excluded.position, title=excluded.title, room=excluded.room, start_ms=excluded.start_ms,"
                " end_ms=excluded.end_ms, themes=excluded.themes, auto_start=excluded.auto_start,"
                " description=excluded.description, in_agenda=1",
                (meeting_id, s.id, position, s.title, s.room, s.start_ms, s.end_ms, json.dumps(list(s.themes)),
                 int(s.auto_start), s.description))
    return meeting_id, True


def _meeting_from_rows(row: Any, sessions: list[Any]) -> Meeting:
    return Meeting(
        slug=row["slug"], title=row["title"], venue=row["venue"], timezone=row["timezone"],
        start_date=row["start_date"], end_date=row["end_date"],
        groups=tuple(StakeholderGroup(g["slug"], g["label"]) for g in json.loads(row["groups_json"])),
        languages=tuple(json.loads(row["languages"])),
        sessions=tuple(_session_from_row(s) for s in sessions), description=row["description"],
        secretariat=row["secretariat"])


def _session_from_row(s: Any) -> AgendaSession:
    return AgendaSession(id=s["id"], title=s["title"], room=s["room"], start_ms=s["start_ms"], end_ms=s["end_ms"],
                         themes=tuple(json.loads(s["themes"])), auto_start=bool(s["auto_start"]),
                         description=s["description"])


async def load_meeting(db: Database, slug: str) -> tuple[int, Meeting]:
    """The meeting with this slug and its current agenda; raises ``NotFound``."""
    row = await db.fetchone("SELECT * FROM meetings WHERE slug = ?", (slug,))
    if row is None:
        raise NotFound("There is no meeting \"{meeting}\".", params={"meeting": slug})
    sessions = await db.fetchall("SELECT * FROM sessions WHERE meeting_id = ? AND in_agenda = 1 ORDER BY position",
                                 (row["id"],))
    return row["id"], _meeting_from_rows(row, sessions)


async def list_meetings(db: Database) -> list[dict[str, Any]]:
    """Every meeting: id, slug, title, venue, dates."""
    rows = await db.fetchall("SELECT id, slug, title, venue, start_date, end_date FROM meetings"
                             " ORDER BY start_date, slug")
    return [dict(r) for r in rows]


async def meeting_versions(db: Database) -> dict[str, int]:
    """Each meeting's slug with the time its file was last loaded (a new value means a new version)."""
    rows = await db.fetchall("SELECT slug, updated_ms FROM meetings")
    return {r["slug"]: r["updated_ms"] for r in rows}


async def ping(db: Database) -> None:
    """Raise unless the database answers a query."""
    await db.fetchone("SELECT 1")


async def load_session_lives(db: Database, meeting_id: int, meeting: Meeting) -> dict[str, SessionLife]:
    """The live/ended state of every agenda session."""
    rows = {r["id"]: r for r in await db.fetchall(
        "SELECT id, state, started_ms, ended_ms, life_seq FROM sessions WHERE meeting_id = ?", (meeting_id,))}
    lives = {}
    for s in meeting.sessions:
        r = rows[s.id]
        lives[s.id] = SessionLife(s, SessionState(r["state"]), r["started_ms"], r["ended_ms"], r["life_seq"])
    return lives


async def life_versions(db: Database) -> dict[tuple[int, str], int]:
    """How many life changes each session has stored, by (meeting id, session id): a process whose copy counts
    fewer reads the lives again."""
    rows = await db.fetchall("SELECT meeting_id, id, life_seq FROM sessions")
    return {(r["meeting_id"], r["id"]): r["life_seq"] for r in rows}


async def save_session_life(db: Database, meeting_id: int, life: SessionLife, event: str, actor: str, now: int) -> int:
    """Persist a session's state change and log who made it (session log and audit log); returns the new number
    of stored changes.

    The change is stored only if the session still has ``life.changes`` stored changes, the number the caller's copy
    was read with; otherwise another process changed it first and ``StorageConflict`` is raised, nothing stored.
    """
    async with db.write() as conn:
        changed = await conn.execute(
            "UPDATE sessions SET state=?, started_ms=?, ended_ms=?, life_seq=life_seq + 1 WHERE meeting_id=? AND id=?"
            " AND life_seq=?", (life.state.value, life.started_ms, life.ended_ms, meeting_id, life.session.id,
                                life.changes))
        if not changed:
            raise StorageConflict()
        await conn.execute("INSERT INTO session_log (meeting_id, session_id, event, actor, at_ms) VALUES (?,?,?,?,?)",
                           (meeting_id, life.session.id, event, actor, now))
        await audit.record(conn, meeting_id, life.session.id, event, actor, {}, now)
    return life.changes + 1


# --- capability links -------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Link:
    """An active capability link (the token itself is derived, never stored)."""

    id: int
    meeting_id: int
    session_id: str | None
    role: Role
    token: str
    created_ms: int
    hub_id: int | None = None


def derive_token(key: bytes, nonce: str) -> str:
    """The link token for a nonce: 192 bits of HMAC-SHA256 under the data directory's secret key.

    The database keeps the nonce and the token's hash; without the key file neither yields a working token.
    """
    digest = hmac.new(key, f"floorcast-link:{nonce}".encode(), hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def ensure_links(db: Database, key: bytes, meeting_id: int, meeting: Meeting, now: int,
                       actor: str = "meeting file") -> int:
    """Issue a link for every (scope, role) that has no active one; returns how many were issued."""
    rows = await db.fetchall("SELECT session_id, role FROM tokens WHERE meeting_id = ? AND revoked_ms IS NULL",
                             (meeting_id,))
    have = {(r["session_id"], r["role"]) for r in rows}
    wanted = [(None, r) for r in MEETING_ROLES] + [(s.id, r) for s in meeting.sessions for r in SESSION_ROLES]
    missing = [(sid, role) for sid, role in wanted if (sid, role.value) not in have]
    hubs_without = [r["id"] for r in await db.fetchall(
        "SELECT id FROM hubs h WHERE meeting_id = ? AND NOT EXISTS (SELECT 1 FROM tokens t WHERE t.hub_id = h.id"
        " AND t.revoked_ms IS NULL) ORDER BY id", (meeting_id,))]
    if missing or hubs_without:
        async with db.write() as conn:
            for sid, role in missing:
                link_id = await _insert_link(conn, key, meeting_id, sid, role, now)
                await audit.record(conn, meeting_id, sid, "link_issued", actor, _link_detail(link_id, role), now)
            for hub_id in hubs_without:
                link_id = await _insert_link(conn, key, meeting_id, None, Role.HUB, now, hub_id)
                await audit.record(conn, meeting_id, None, "link_issued", actor,
                                   _link_detail(link_id, Role.HUB, hub_id=hub_id), now)
    return len(missing) + len(hubs_without)


def _link_detail(link_id: int, role: Role | str, **more: Any) -> dict[str, Any]:
    return {"link_id": link_id, "role": role.value if isinstance(role, Role) else role, **more}


async def _insert_link(conn: Transaction, key: bytes, meeting_id: int, session_id: str | None, role: Role, now: int,
                       hub_id: int | None = None) -> int:
    nonce = secrets.token_hex(16)
    return await conn.insert(
        "INSERT INTO tokens (meeting_id, session_id, role, token_hash, created_ms, nonce, hub_id)"
        " VALUES (?,?,?,?,?,?,?)",
        (meeting_id, session_id, role.value, hash_secret(derive_token(key, nonce)), now, nonce, hub_id))


async def issue_link(db: Database, key: bytes, meeting_id: int, session_id: str | None, role: Role, now: int,
                     actor: str) -> int:
    """Issue one more link for a scope and role (a second captioner's own link, for instance); returns its id."""
    async with db.write() as conn:
        link_id = await _insert_link(conn, key, meeting_id, session_id, role, now)
        await audit.record(conn, meeting_id, session_id, "link_issued", actor, _link_detail(link_id, role), now)
    return link_id


async def active_links(db: Database, key: bytes, meeting_id: int) -> list[Link]:
    """Every active link of a meeting, meeting-wide ones first."""
    rows = await db.fetchall(
        "SELECT t.* FROM tokens t LEFT JOIN sessions s ON s.meeting_id = t.meeting_id AND s.id = t.session_id"
        " WHERE t.meeting_id = ? AND t.revoked_ms IS NULL AND (t.session_id IS NULL OR s.in_agenda = 1)"
        " ORDER BY t.session_id IS NOT NULL, s.position, t.id", (meeting_id,))
    return [Link(r["id"], r["meeting_id"], r["session_id"], Role(r["role"]), derive_token(key, r["nonce"]),
                 r["created_ms"], r["hub_id"]) for r in rows]


@dataclasses.dataclass(frozen=True)
class Grant:
    """What an active token grants: its link, role and session scope and, for a hub's link, the hub."""

    link_id: int
    role: Role
    session_id: str | None
    hub_id: int | None = None


async def token_grant(db: Database, meeting_id: int, token: str) -> Grant | None:
    """The link, role, session scope and hub an active token grants in this meeting, or None."""
    row = await db.fetchone(
        "SELECT id, role, session_id, hub_id FROM tokens WHERE meeting_id = ? AND token_hash = ?"
        " AND revoked_ms IS NULL", (meeting_id, hash_secret(token)))
    return None if row is None else Grant(row["id"], Role(row["role"]), row["session_id"], row["hub_id"])


async def find_token(db: Database, meeting_id: int, token: str) -> tuple[Role, str | None] | None:
    """The (role, session scope) an active token grants in this meeting, or None."""
    grant = await token_grant(db, meeting_id, token)
    return None if grant is None else (grant.role, grant.session_id)


async def revoke_link(db: Database, meeting_id: int, link_id: int, now: int, actor: str) -> Link | None:
    """Revoke a link; returns its (scope, role) as a Link without token, or None if it was not active."""
    row = await db.fetchone("SELECT * FROM tokens WHERE id = ? AND meeting_id = ? AND revoked_ms IS NULL",
                            (link_id, meeting_id))
    if row is None:
        raise NotFound("no such active link")
    async with db.write() as conn:
        if row["role"] == Role.ADMIN.value:
            # Counted in the revocation's own transaction, not before it.
            counted = await conn.fetchone("SELECT COUNT(*) AS n FROM tokens WHERE meeting_id = ? AND role = ? AND "
                                          "revoked_ms IS NULL AND id <> ?", (meeting_id, Role.ADMIN.value, link_id))
            if counted is None or not counted["n"]:
                raise InvalidTransition(
                    "This is the meeting's last admin link: without it nobody could manage the meeting. Rotate it "
                    "to replace it with a new one; whoever runs the server can always print the current links "
                    "with: python run.py links", code="last_admin_link")
        await conn.execute("UPDATE tokens SET revoked_ms = ? WHERE id = ?", (now, link_id))
        await _forget_hub_identity(conn, row["hub_id"])
        await audit.record(conn, meeting_id, row["session_id"], "link_revoked", actor,
                           _link_detail(link_id, row["role"]), now)
    return Link(row["id"], meeting_id, row["session_id"], Role(row["role"]), "", row["created_ms"], row["hub_id"])


async def rotate_link(db: Database, key: bytes, meeting_id: int, link_id: int, now: int, actor: str) -> int:
    """Revoke a link and issue a new one for the same scope and role, in one transaction; returns the new id."""
    row = await db.fetchone("SELECT * FROM tokens WHERE id = ? AND meeting_id = ? AND revoked_ms IS NULL",
                            (link_id, meeting_id))
    if row is None:
        raise NotFound("no such active link")
    async with db.write() as conn:
        await conn.execute("UPDATE tokens SET revoked_ms = ? WHERE id = ?", (now, link_id))
        await _forget_hub_identity(conn, row["hub_id"])
        new_id = await _insert_link(conn, key, meeting_id, row["session_id"], Role(row["role"]), now, row["hub_id"])
        await audit.record(conn, meeting_id, row["session_id"], "link_rotated", actor,
                           _link_detail(link_id, row["role"], new_link_id=new_id), now)
    return new_id


async def _forget_hub_identity(conn: Transaction, hub_id: int | None) -> None:
    """A hub's link revoked or rotated: browsers that took the hub's identity with the old link lose it (a new
    nonce derives a new cookie, set the first time someone opens the new link)."""
    if hub_id is None:
        return
    nonce = secrets.token_hex(16)
    await conn.execute("UPDATE hubs SET nonce = ? WHERE id = ?", (nonce, hub_id))
    await conn.execute("UPDATE participants SET cookie_hash = ? WHERE id = (SELECT participant_id FROM hubs"
                       " WHERE id = ?)", (f"unset:{nonce}", hub_id))


async def revoked_since(db: Database, since_ms: int) -> list[tuple[int, int]]:
    """(meeting id, link id) of every link revoked at or after ``since_ms``."""
    rows = await db.fetchall("SELECT meeting_id, id FROM tokens WHERE revoked_ms >= ? ORDER BY revoked_ms",
                             (since_ms,))
    return [(r["meeting_id"], r["id"]) for r in rows]


# --- participants and attendance --------------------------------------------------------------------------------

def _participant(row: Any) -> Participant:
    return Participant(id=row["id"], name=row["name"], organisation=row["organisation"], country=row["country"],
                       group=row["group_slug"], mode=Mode(row["mode"]), listed=bool(row["listed"]),
                       hub_id=row["hub_id"], is_hub=bool(row["is_hub"]))


async def register_participant(db: Database, meeting_id: int, p: Participant, cookie: str, now: int) -> Participant:
    """Store a new participant with the hash of their session cookie; returns it with its id."""
    async with db.write() as conn:
        if p.hub_id is not None:
            await _hub_row(conn, meeting_id, p.hub_id)
        new_id = await conn.insert(
            "INSERT INTO participants (meeting_id, name, organisation, country, group_slug, mode, listed, hub_id,"
            " cookie_hash, created_ms) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (meeting_id, p.name, p.organisation, p.country, p.group, p.mode.value, int(p.listed), p.hub_id,
             hash_secret(cookie), now))
    return dataclasses.replace(p, id=new_id)


async def participant_by_cookie(db: Database, meeting_id: int, cookie: str) -> Participant | None:
    """The participant whose session cookie this is, or None."""
    row = await db.fetchone("SELECT * FROM participants WHERE meeting_id = ? AND cookie_hash = ?",
                            (meeting_id, hash_secret(cookie)))
    return None if row is None else _participant(row)


async def participants(db: Database, meeting_id: int) -> list[Participant]:
    """Every registered person of a meeting (hubs' own identities left out), in order of registration."""
    rows = await db.fetchall("SELECT * FROM participants WHERE meeting_id = ? AND is_hub = 0 ORDER BY id",
                             (meeting_id,))
    return [_participant(r) for r in rows]


async def record_join(db: Database, meeting_id: int, session_id: str, participant_id: int, now: int) -> int:
    """Open an attendance interval (one per connection); returns its id."""
    async with db.write() as conn:
        return await conn.insert(
            "INSERT INTO attendance (participant_id, meeting_id, session_id, join_ms) VALUES (?,?,?,?)",
            (participant_id, meeting_id, session_id, now))


async def record_leave(db: Database, attendance_id: int, now: int) -> None:
    """Close an attendance interval."""
    async with db.write() as conn:
        await conn.execute("UPDATE attendance SET leave_ms = ? WHERE id = ? AND leave_ms IS NULL", (now, attendance_id))


async def close_open_attendance(db: Database, now: int) -> int:
    """Close every open interval (at start-up after a crash, or at shutdown); returns how many."""
    async with db.write() as conn:
        return await conn.execute("UPDATE attendance SET leave_ms = ? WHERE leave_ms IS NULL", (now,))


async def connections(db: Database, meeting_id: int, session_id: str) -> list[tuple[int, int, int | None]]:
    """Every connection interval of a session as ``(participant_id, join_ms, leave_ms)``, in order of joining."""
    rows = await db.fetchall("SELECT participant_id, join_ms, leave_ms FROM attendance WHERE meeting_id = ?"
                             " AND session_id = ? ORDER BY join_ms, id", (meeting_id, session_id))
    return [(r["participant_id"], r["join_ms"], r["leave_ms"]) for r in rows]


async def participants_by_id(db: Database, meeting_id: int, ids: set[int]) -> dict[int, Participant]:
    """The participants (people and hub identities) with these ids."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = await db.fetchall(f"SELECT * FROM participants WHERE meeting_id = ? AND id IN ({marks})",
                             (meeting_id, *sorted(ids)))
    return {r["id"]: _participant(r) for r in rows}


# --- remote hubs ------------------------------------------------------------------------------------------------

def _hub(row: Any) -> Hub:
    return Hub(id=row["id"], name=row["name"], city=row["city"], country=row["country"],
               host_organisation=row["host_organisation"], group=row["group_slug"],
               expected_headcount=row["expected_headcount"])


async def _hub_row(conn: Transaction, meeting_id: int, hub_id: int) -> Any:
    row = await conn.fetchone("SELECT * FROM hubs WHERE id = ? AND meeting_id = ?", (hub_id, meeting_id))
    if row is None:
        raise NotFound("no such hub in this meeting")
    return row


async def add_hub(db: Database, key: bytes, meeting_id: int, hub: Hub, now: int, actor: str) -> Hub:
    """Register a hub once: the hub, its own identity and its link, in one transaction (``actor`` names who did
    it in the audit log); refuses a second hub of the same name in the same country (``hub_exists``)."""
    async with db.write() as conn:
        # lower(): ASCII case folding in both dialects, as the unique index on hubs has it.
        if await conn.fetchone("SELECT 1 FROM hubs WHERE meeting_id = ? AND lower(name) = lower(?) AND country = ?",
                               (meeting_id, hub.name, hub.country)) is not None:
            raise InvalidInput("A hub named \"{name}\" in {country} is already registered.", code="hub_exists",
                               field="name", params={"name": hub.name, "country": Country(hub.country)})
        nonce = secrets.token_hex(16)
        hub_id = await conn.insert(
            "INSERT INTO hubs (meeting_id, name, city, country, host_organisation, group_slug, expected_headcount,"
            " nonce, created_ms) VALUES (?,?,?,?,?,?,?,?,?)",
            (meeting_id, hub.name, hub.city, hub.country, hub.host_organisation, hub.group, hub.expected_headcount,
             nonce, now))
        stored = dataclasses.replace(hub, id=hub_id)
        me = stored.identity()
        identity_id = await conn.insert(
            "INSERT INTO participants (meeting_id, name, organisation, country, group_slug, mode, listed, hub_id,"
            " is_hub, cookie_hash, created_ms) VALUES (?,?,?,?,?,?,0,?,1,?,?)",
            (meeting_id, me.name, me.organisation, me.country, me.group, me.mode.value, stored.id,
             hash_secret(_hub_cookie(key, nonce)), now))
        await conn.execute("UPDATE hubs SET participant_id = ? WHERE id = ?", (identity_id, stored.id))
        link_id = await _insert_link(conn, key, meeting_id, None, Role.HUB, now, stored.id)
        await audit.record(conn, meeting_id, None, "link_issued", actor,
                           _link_detail(link_id, Role.HUB, hub_id=stored.id), now)
    return stored


async def ensure_hubs(db: Database, key: bytes, meeting_id: int, wanted: tuple[Hub, ...], now: int,
                      actor: str = "meeting file") -> int:
    """Register the hubs a meeting file lists that the meeting does not have yet (same name and country);
    returns how many were added. Hubs already registered are left as they are."""
    have = {(h.name.casefold(), h.country) for h in await hubs(db, meeting_id)}
    added = 0
    for hub in wanted:
        if (hub.name.casefold(), hub.country) not in have:
            await add_hub(db, key, meeting_id, hub, now, actor)
            have.add((hub.name.casefold(), hub.country))
            added += 1
    return added


async def hubs(db: Database, meeting_id: int) -> list[Hub]:
    """Every hub of a meeting, in order of registration."""
    return [_hub(r) for r in await db.fetchall("SELECT * FROM hubs WHERE meeting_id = ? ORDER BY id", (meeting_id,))]


async def hub(db: Database, meeting_id: int, hub_id: int) -> Hub:
    """One hub; raises ``NotFound``."""
    row = await db.fetchone("SELECT * FROM hubs WHERE id = ? AND meeting_id = ?", (hub_id, meeting_id))
    if row is None:
        raise NotFound("no such hub in this meeting")
    return _hub(row)


async def hub_registrations(db: Database, meeting_id: int) -> dict[int, int]:
    """How many people registered at each hub (hub id to count)."""
    rows = await db.fetchall("SELECT hub_id, COUNT(*) AS n FROM participants WHERE meeting_id = ? AND is_hub = 0"
                             " AND hub_id IS NOT NULL GROUP BY hub_id", (meeting_id,))
    return {r["hub_id"]: r["n"] for r in rows}


def _hub_cookie(key: bytes, nonce: str) -> str:
    return derive_token(key, f"hub-identity:{nonce}")


async def hub_identity_cookie(db: Database, key: bytes, meeting_id: int, hub_id: int) -> str:
    """The session cookie that makes a browser the hub itself (derived, like link tokens, so every device of the
    hub gets the same one); stores its hash on first use."""
    row = await db.fetchone("SELECT nonce, participant_id FROM hubs WHERE id = ? AND meeting_id = ?",
                            (hub_id, meeting_id))
    if row is None:
        raise NotFound("no such hub in this meeting")
    cookie = _hub_cookie(key, row["nonce"])
    async with db.write() as conn:
        await conn.execute("UPDATE participants SET cookie_hash = ? WHERE id = ? AND cookie_hash <> ?",
                           (hash_secret(cookie), row["participant_id"], hash_secret(cookie)))
    return cookie


async def screen_shows(db: Database, meeting_id: int, session_id: str) -> str | None:
    """What the chair last chose the room screen to show for a session (None: never chosen)."""
    row = await db.fetchone("SELECT shows FROM screen_settings WHERE meeting_id = ? AND session_id = ?",
                            (meeting_id, session_id))
    return None if row is None else str(row["shows"])


async def set_screen_shows(db: Database, meeting_id: int, session_id: str, shows: str, now: int) -> None:
    """Store what the room screen shows for a session."""
    async with db.write() as conn:
        await conn.execute("INSERT INTO screen_settings (meeting_id, session_id, shows, changed_ms) VALUES (?, ?, ?, ?)"
                           " ON CONFLICT (meeting_id, session_id) DO UPDATE SET shows = excluded.shows,"
                           " changed_ms = excluded.changed_ms", (meeting_id, session_id, shows, now))
