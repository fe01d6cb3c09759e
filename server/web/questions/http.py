"""Questions over HTTP: public counts and list, the moderators' audit log, and the rapporteurs' exports.

Exports are for spreadsheets: the CSV starts with a UTF-8 byte order mark, and any cell a spreadsheet would read
as a formula (starting with ``= + - @``, a tab or a carriage return) is prefixed with ``'`` so it stays text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from transcripts import tables

from ...domain.errors import InvalidInput
from ...domain.questions.models import CSV_COLUMNS, PUBLIC_STATUSES, csv_row, public_view
from ...storage import questions as questions_db
from .. import auth
from ..records import audit_response
from .service import questions_key
from .views import public_counts

routes = web.RouteTableDef()
BASE = "/api/meetings/{slug}/sessions/{session_id}/questions"

#: Columns the export adds to the board's own: when each state change last happened (UTC) and the full history.
TIME_COLUMNS = ("submitted_utc", "published_utc", "on_screen_utc", "answered_utc", "dismissed_utc", "withdrawn_utc")
_ACTION_COLUMN = {"question_published": "published_utc", "question_put_on_screen": "on_screen_utc",
                  "question_answered": "answered_utc", "question_dismissed": "dismissed_utc",
                  "question_withdrawn": "withdrawn_utc", "questions_merged": "dismissed_utc"}


def iso(ms: int | None) -> str:
    """UTC ISO 8601 with seconds, or empty."""
    if ms is None:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_rows(records: list[dict[str, Any]]) -> list[list[str]]:
    """One row per question: the board's columns, the state-change times, and the history."""
    rows = []
    for record in records:
        times = {c: "" for c in TIME_COLUMNS}
        times["submitted_utc"] = iso(record["submitted_at"])
        steps = []
        for entry in record["history"]:
            column = _ACTION_COLUMN.get(entry["action"])
            if column == "dismissed_utc" and entry["action"] == "questions_merged" and "merged_into" not in entry:
                column = None  # the kept question's side of a merge is not a dismissal
            if column:
                times[column] = iso(entry["at"])
            steps.append(f"{iso(entry['at'])} {entry['action'].removeprefix('question_')} by {entry['by']['label']}")
        rows.append([*csv_row(record), *(times[c] for c in TIME_COLUMNS), "; ".join(steps)])
    return rows


@routes.get(BASE + "/counts")
async def counts(request: web.Request) -> web.Response:
    """Public transparency figures of a session's questions."""
    loaded, session_id = await auth.session_of(request)
    state = await request.app[questions_key].session(loaded, session_id)
    return web.json_response(public_counts(state.board))


@routes.get(BASE)
async def public_list(request: web.Request) -> web.Response:
    """Published, on-screen and answered questions; ``sort=votes|newest``, ``theme=``."""
    loaded, session_id = await auth.session_of(request)
    state = await request.app[questions_key].session(loaded, session_id)
    sort = request.query.get("sort", "votes")
    theme = request.query.get("theme") or None
    if sort not in ("votes", "newest"):
        raise InvalidInput("sort must be votes or newest", field="sort")
    found = state.board.listing(None, False, sort=sort, theme=theme, statuses=PUBLIC_STATUSES)
    labels = loaded.group_labels()
    return web.json_response({"session_id": session_id, "seq": state.seq,
                              "questions": [public_view(q, labels) for q in found]})


@routes.get(BASE + "/audit")
async def audit(request: web.Request) -> web.Response:
    """Every stored question event of the session with who, what and when (moderator or rapporteur token)."""
    return await audit_response(request, questions_db.audit)


@routes.get("/m/{slug}/s/{session_id}/questions.{fmt:csv|json}")
async def export(request: web.Request) -> web.StreamResponse:
    """Every question of the session as CSV or JSON, for rapporteurs (rapporteur or moderator token)."""
    loaded, session_id = await auth.session_of(request)
    await auth.require_records(request, loaded, session_id)
    state = await request.app[questions_key].session(loaded, session_id)
    records = state.board.records()
    name = f"{loaded.meeting.slug}-{session_id}-questions.{request.match_info['fmt']}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if request.match_info["fmt"] == "json":
        body = {"meeting": loaded.meeting.slug, "session_id": session_id,
                "session_title": loaded.meeting.session(session_id).title,
                "counts": public_counts(state.board), "questions": records}
        return web.json_response(body, headers=headers)
    # The one escaping writer of every CSV export: no cell can run as a spreadsheet formula.
    text = tables.csv_text([*CSV_COLUMNS, *TIME_COLUMNS, "history"], export_rows(records), line_end="\r\n", bom=True)
    return web.Response(text=text, content_type="text/csv", charset="utf-8", headers=headers)

