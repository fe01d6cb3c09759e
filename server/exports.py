"""The export service: builds the ``floorcast-transcript`` and ``floorcast-meeting`` dicts that the ``transcripts``
library reads (``transcripts.model``), from storage, replaying the floor and question logs through the core.

Everything a session recorded goes in: caption segments of every language (raw, or an edited version), the
floor log (each intervention with the session part it began in) and unserved requests, the parts the chair moved
through, the questions, attendance and the presenters the rapporteur marked.
"""

from __future__ import annotations

import asyncio
import collections
import re
from collections.abc import Callable, Mapping
from typing import Any

from .clock import now_ms
from .domain import revisions
from .domain.floor.queue import FloorQueue
from .domain.meetings.attendance import per_person
from .domain.meetings.models import Meeting, SessionLife
from .domain.questions.board import QuestionBoard
from .storage import captions as captions_db
from .storage import floor as floor_db
from .storage import meetings as meetings_db
from .storage import questions as questions_db
from .storage import revisions as revisions_db
from .storage.interface import Database

#: Question statuses the export format knows; a question its author withdrew is left out of the record.
_EXPORTED_STATUSES = ("pending", "published", "on_screen", "answered", "dismissed")
_PERSON = ("participant_id", "name", "organisation", "country", "group", "mode")
#: The export format's version (``transcripts.model.VERSION``; the server does not import the library).
FORMAT_VERSION = 2


def record_id(value: Any) -> int | None:
    """An export id (int) from a stored one: ``7`` and ``"i7"`` both give 7; anything else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    digits = re.sub(r"[^0-9]", "", str(value))  # ASCII digits only: int() also reads other scripts
    return int(digits) if digits and len(digits) < 16 else None


async def floor_records(db: Database, meeting_id: int, session_id: str,
                        labels: Mapping[str, str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """The floor queue's ``interventions`` and ``unserved`` records, rebuilt by replaying its stored events."""
    events = await floor_db.load_events(db, meeting_id, session_id)
    if not events:
        return {"interventions": [], "unserved": []}
    found = FloorQueue.replay(events, labels=dict(labels or {})).records()
    return {"interventions": list(found.get("interventions", [])), "unserved": list(found.get("unserved", []))}


def _intervention(i: Mapping[str, Any]) -> dict[str, Any] | None:
    iid = record_id(i.get("id"))
    if iid is None or i.get("start_ms") is None:
        return None
    return {"id": iid, **{k: i.get(k) for k in _PERSON}, "organisation": i.get("organisation") or "",
            "country": i.get("country") or "", "kind": i.get("kind") or "normal",
            "on_behalf_of": i.get("on_behalf_of"), "language": i.get("language"),
            "requested_ms": i.get("requested_ms"), "called_ms": i.get("called_ms"), "start_ms": i["start_ms"],
            "end_ms": i.get("end_ms"), "question_id": record_id(i.get("question_id")), "read_by": i.get("read_by"),
            "part": i.get("part"), "paused_ms": i.get("paused_ms") or 0,
            "addressed_to": record_id(i.get("addressed_to"))}


def _unserved(r: Mapping[str, Any]) -> dict[str, Any]:
    return {**{k: r.get(k) for k in _PERSON}, "organisation": r.get("organisation") or "",
            "country": r.get("country") or "", "kind": r.get("kind") or "normal",
            "on_behalf_of": r.get("on_behalf_of"), "requested_ms": r["requested_ms"],
            "withdrawn_ms": r.get("withdrawn_ms")}


def _question(q: Mapping[str, Any], known: set[int]) -> dict[str, Any]:
    a = q["author"]
    linked = [record_id(i) for i in q.get("intervention_ids", [])]
    return {"id": q["id"], "text": q["text"],
            "author": {"participant_id": a.get("participant_id"), "name": a.get("name", ""),
                       "organisation": a.get("organisation", ""), "country": a.get("country", ""),
                       "group": a["group"], "mode": a.get("mode", "onsite")},
            "show_name": bool(q["show_name"]), "theme": q.get("theme"), "language": q.get("language"),
            "status": q["status"], "dismiss_reason": q.get("dismiss_reason"), "votes": q["votes"],
            "submitted_ms": q["submitted_at"],
            "history": [{"status": h["status"], "at_ms": h["at"],
                         "by": (h.get("by") or {}).get("label") if isinstance(h.get("by"), dict) else h.get("by")}
                        for h in q.get("history", []) if h.get("status") in _EXPORTED_STATUSES],
            "intervention_id": next((i for i in linked if i in known), None)}


async def questions(db: Database, meeting_id: int, meeting: Meeting, session_id: str,
                    known_interventions: set[int]) -> list[dict[str, Any]]:
    """The session's questions as export records, rebuilt from the stored board events."""
    events = await questions_db.load_events(db, meeting_id, session_id)
    board = QuestionBoard.replay(events, session_id=session_id, themes=meeting.session(session_id).themes)
    return [_question(q, known_interventions) for q in board.records() if q["status"] in _EXPORTED_STATUSES]


async def lines(db: Database, meeting_id: int, session_id: str,
                version: int | None = None) -> tuple[dict[revisions.Key, revisions.Line], list[tuple[str, Any]], int]:
    """Editable lines of a session at ``version`` (0: raw, ``None``: latest), the stored segments, and the
    version number actually used."""
    edited, stored, edits = await _versions(db, meeting_id, session_id, version)
    return edited, stored, len(edits)


async def _versions(db: Database, meeting_id: int, session_id: str, version: int | None
                    ) -> tuple[dict[revisions.Key, revisions.Line], list[tuple[str, Any]], list[list[dict]]]:
    stored = await captions_db.all_segments(db, meeting_id, session_id)
    raw = {(lang, s.seq): revisions.Line(lang, s.seq, s.text, s.speaker) for lang, s in stored}
    if version == 0:
        return raw, stored, []
    edits = await revisions_db.edits_upto(db, meeting_id, session_id, version)
    return revisions.apply(raw, edits), stored, edits


def segment_records(stored: list[tuple[str, Any]], edits: list[list[dict]], names: Mapping[int, str],
                    lang: str | None) -> list[dict[str, Any]]:
    """The export records of stored segments with saved versions' ``edits`` applied (``lang``: one language only).

    A corrected speaker outranks the floor log: the segment leaves the intervention (``names``: intervention id ->
    name) unless the correction names its speaker. ``revision`` counts live corrections (the stored revision starts
    at 1) and each saved version that changed the line.
    """
    raw = {(seg_lang, s.seq): revisions.Line(seg_lang, s.seq, s.text, s.speaker) for seg_lang, s in stored
           if lang is None or seg_lang == lang}
    edited = revisions.apply(raw, edits)
    saves = collections.Counter((e["lang"], e["seq"]) for saved in edits for e in saved)
    out = []
    for seg_lang, seg in stored:
        if lang is not None and seg_lang != lang:
            continue
        line = edited[(seg_lang, seg.seq)]
        text = f">> {line.text}" if seg.new_turn and not line.speaker and not line.text.startswith(">>") \
            else line.text
        iid = record_id(seg.intervention_id)
        iid = iid if iid in names else None
        if iid is not None and line.speaker != seg.speaker and not _same_name(line.speaker, names[iid]):
            iid = None
        out.append({"seq": seg.seq, "lang": seg_lang, "text": text, "first_ms": seg.first_ms,
                    "final_ms": max(seg.final_ms, seg.first_ms), "speaker": line.speaker, "intervention_id": iid,
                    "captioner": seg.captioner.label,
                    "revision": max(seg.revision - 1, 0) + saves[(seg_lang, seg.seq)]})
    return out


def _same_name(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


async def session_export(db: Database, meeting_id: int, meeting: Meeting, life: SessionLife,
                         lang: str | None = None, version: int | None = 0, with_roster: bool = True) -> dict[str, Any]:
    """The export dict of one session (``lang``: only that caption language; ``version``: 0 raw, N, or
    ``None`` for the latest edited version; ``with_roster``: with the meeting's hubs and registrations).

    A segment that starts a turn without a known speaker gets the captioners' ``>>`` mark back, so the
    transcript shows the speaker change; intervention ids are kept only for interventions in the export.
    The dict carries ``transcript_version`` (unknown keys are ignored by the library).
    """
    session = life.session
    floor = await floor_records(db, meeting_id, session.id, {g.slug: g.label for g in meeting.groups})
    interventions = [x for x in (_intervention(i) for i in floor["interventions"]) if x is not None]
    names = {i["id"]: i["name"] for i in interventions}
    stored = await captions_db.all_segments(db, meeting_id, session.id)
    edits = [] if version == 0 else await revisions_db.edits_upto(db, meeting_id, session.id, version)
    used = len(edits)
    # Thousands of segments are CPU work: assembled beside the event loop, so captions keep flowing meanwhile.
    segments = await asyncio.to_thread(segment_records, stored, edits, names, lang)
    marked = await revisions_db.presenters(db, meeting_id, session.id)
    now = now_ms()
    held = life.held(now)
    return {
        "format": "floorcast-transcript", "version": FORMAT_VERSION, "transcript_version": used,
        "meeting": meeting_block(meeting),
        "session": {"id": session.id, "title": session.title, "room": session.room,
                    "scheduled_start_ms": session.start_ms, "scheduled_end_ms": session.end_ms,
                    "started_ms": held[0] if held else None,
                    "ended_ms": held[1] if held and not life.is_live(now) else None, "themes": list(session.themes)},
        "segments": segments, "interventions": interventions,
        "unserved_requests": [_unserved(r) for r in floor["unserved"] if r.get("requested_ms") is not None],
        "questions": await questions(db, meeting_id, meeting, session.id, set(names)),
        "attendance": await attendance(db, meeting_id, life, now, marked),
        "parts": await floor_db.parts(db, meeting_id, session.id),
        **(await roster(db, meeting_id) if with_roster else {}),
    }


async def attendance(db: Database, meeting_id: int, life: SessionLife, now: int,
                     presenters: set[int] | frozenset[int] = frozenset()) -> list[dict[str, Any]]:
    """One record per person (or hub taking part as itself) who attended the session while it was held: the
    connections of one person merged, with the total time, first join and last leave (``leave_ms`` null for
    someone still there). A session never started has none."""
    rows = await meetings_db.connections(db, meeting_id, life.session.id)
    presences = per_person(rows, life.held(now), now)
    people = await meetings_db.participants_by_id(db, meeting_id, {p.participant_id for p in presences})
    live = life.is_live(now)
    still = {pid for pid, _, leave in rows if leave is None} if live else set()
    out = []
    for p in presences:
        who = people[p.participant_id]
        out.append({"participant_id": who.id, "name": who.name, "organisation": who.organisation,
                    "country": who.country, "group": who.group, "mode": who.mode.value, "hub_id": who.hub_id,
                    "kind": "hub" if who.is_hub else "person", "listed": who.listed,
                    "presenter": who.id in presenters, "join_ms": p.first_join_ms,
                    "leave_ms": None if who.id in still else p.last_leave_ms, "attended_ms": p.attended_ms,
                    "intervals": [list(i) for i in p.intervals]})
    return out


async def roster(db: Database, meeting_id: int) -> dict[str, list[dict[str, Any]]]:
    """The meeting's ``hubs`` (with how many people registered at each) and ``registrations`` (every registered
    person, attended or not): what the figures compare attendance with."""
    counts = await meetings_db.hub_registrations(db, meeting_id)
    hubs = [{"id": h.id, "name": h.name, "city": h.city, "country": h.country,
             "host_organisation": h.host_organisation, "group": h.group,
             "expected_headcount": h.expected_headcount, "registered": counts.get(h.id, 0)}
            for h in await meetings_db.hubs(db, meeting_id)]
    people = [{"participant_id": p.id, "name": p.name, "organisation": p.organisation, "country": p.country,
               "group": p.group, "mode": p.mode.value, "hub_id": p.hub_id, "listed": p.listed}
              for p in await meetings_db.participants(db, meeting_id)]
    return {"hubs": hubs, "registrations": people}


def meeting_block(meeting: Meeting) -> dict[str, Any]:
    """The ``meeting`` block of an export."""
    block = {"slug": meeting.slug, "title": meeting.title, "venue": meeting.venue, "timezone": meeting.timezone,
             "groups": [{"slug": g.slug, "label": g.label} for g in meeting.groups]}
    return {**block, "secretariat": meeting.secretariat} if meeting.secretariat else block


async def meeting_export(db: Database, meeting_id: int, meeting: Meeting, lives: Mapping[str, SessionLife],
                         version: int | None = 0,
                         progress: Callable[[int, int, str], None] | None = None) -> dict[str, Any]:
    """The ``floorcast-meeting`` dict: every agenda session in order (``progress(done, total, session_id)`` is
    called before each session, for a progress bar)."""
    sessions = []
    for n, session in enumerate(meeting.sessions, start=1):
        if progress is not None:
            progress(n, len(meeting.sessions), session.id)
        doc = await session_export(db, meeting_id, meeting, lives[session.id], version=version, with_roster=False)
        del doc["meeting"]
        sessions.append(doc)
    return {"format": "floorcast-meeting", "version": FORMAT_VERSION, "meeting": meeting_block(meeting),
            **await roster(db, meeting_id), "sessions": sessions}
