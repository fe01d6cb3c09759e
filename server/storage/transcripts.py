"""Build the ``floorcast-transcript`` export dict of a session from storage (see ``transcripts.model``).

Downloads (TXT, WebVTT) render it with the ``transcripts`` library; the rapporteur pack can reuse it.
Features that store nothing yet contribute empty lists.
"""

from __future__ import annotations

from typing import Any

from ..domain.meetings import Meeting, SessionLife
from . import captions as captions_db
from . import meetings as meetings_db
from .db import Database


async def session_export(db: Database, meeting_id: int, meeting: Meeting, life: SessionLife,
                         lang: str | None = None) -> dict[str, Any]:
    """The export dict of one session (``lang``: only that caption language).

    A segment that starts a turn without a known speaker gets the captioners' ``>>`` mark back, so the
    transcript shows the speaker change; intervention ids are kept only for interventions in the export.
    """
    session = life.session
    interventions: list[dict[str, Any]] = []
    known = {i["id"] for i in interventions}
    segments = []
    for seg_lang, seg in await captions_db.all_segments(db, meeting_id, session.id):
        if lang is not None and seg_lang != lang:
            continue
        text = f">> {seg.text}" if seg.new_turn and not seg.speaker else seg.text
        segments.append({"seq": seg.seq, "lang": seg_lang, "text": text, "first_ms": seg.first_ms,
                         "final_ms": max(seg.final_ms, seg.first_ms), "speaker": seg.speaker,
                         "intervention_id": seg.intervention_id if seg.intervention_id in known else None,
                         "captioner": seg.captioner.label, "revision": seg.revision})
    attendance = [{"participant_id": a["participant_id"], "name": a["name"], "organisation": a["organisation"],
                   "country": a["country"], "group": a["group"], "mode": a["mode"],
                   "hub_city": a["hub_city"] or None, "hub_country": a["hub_country"] or None,
                   "hub_headcount": a["hub_headcount"] if a["mode"] == "hub" else None, "listed": bool(a["listed"]),
                   "presenter": False, "join_ms": a["join_ms"], "leave_ms": a["leave_ms"]}
                  for a in await meetings_db.attendance(db, meeting_id, session.id)]
    return {
        "format": "floorcast-transcript", "version": 1,
        "meeting": {"slug": meeting.slug, "title": meeting.title, "venue": meeting.venue, "timezone": meeting.timezone,
                    "groups": [{"slug": g.slug, "label": g.label} for g in meeting.groups]},
        "session": {"id": session.id, "title": session.title, "room": session.room,
                    "scheduled_start_ms": session.start_ms, "scheduled_end_ms": session.end_ms,
                    "started_ms": life.started_ms, "ended_ms": life.ended_ms, "themes": list(session.themes)},
        "segments": segments, "interventions": interventions, "unserved_requests": [], "questions": [],
        "attendance": attendance,
    }
