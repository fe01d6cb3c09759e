"""The OpenAPI 3 document served at ``/api/openapi.json``."""

from __future__ import annotations

from typing import Any

from server import __version__

_ERROR = {"$ref": "#/components/schemas/Error"}
_TOKEN = {"name": "t", "in": "query", "required": False, "schema": {"type": "string"},
          "description": "Capability token from a role link (or send it as `Authorization: Bearer`)."}
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
_SID = {"name": "session_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _op(summary: str, params: list[dict[str, Any]], ok: dict[str, Any], errors: tuple[int, ...] = (403, 404),
        body: dict[str, Any] | None = None, ok_status: str = "200") -> dict[str, Any]:
    responses: dict[str, Any] = {ok_status: {"description": "Success", "content": {"application/json": {"schema": ok}}}}
    for status in errors:
        responses[str(status)] = {"description": "Error", "content": {"application/json": {"schema": _ERROR}}}
    op: dict[str, Any] = {"summary": summary, "parameters": params, "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


_STR, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
_NSTR, _NINT = {"type": ["string", "null"]}, {"type": ["integer", "null"]}
#: Who acted in an audit log: the stored label, and its parts for a link holder (a page says them in its language).
_ACTOR = _obj(role=_STR, label=_STR, participant_id=_NINT,
              parts={"oneOf": [_obj(role=_STR, scope=_NSTR, name=_STR), _obj(participant=_STR),
                               _obj(anonymous=_BOOL), {"type": "null"}]})


def openapi_document(base_url: str) -> dict[str, Any]:
    """The whole API description."""
    session_state = _obj(session_id=_STR, state={"type": "string", "enum": ["scheduled", "live", "ended"]},
                         started_ms=_NINT, ended_ms=_NINT)
    checks = _obj(ok=_BOOL, version=_STR, checks={"type": "object", "additionalProperties": _STR},
                  reasons={"type": "array", "items": _STR})
    health = _op("Readiness: the database takes writes; with Redis, Redis answers and the fan-out canary comes back",
                 [], checks, errors=())
    health["responses"]["503"] = {"description": "Unhealthy: reasons lists storage_full, storage_unavailable, "
                                  "redis_unreachable or fanout_stalled",
                                  "content": {"application/json": {"schema": checks}}}
    session = {"allOf": [session_state, _obj(id=_STR, title=_STR, room=_STR, start_ms=_INT, end_ms=_INT,
                                             themes={"type": "array", "items": _STR}, auto_start=_BOOL)]}
    meeting = _obj(slug=_STR, title=_STR, venue=_STR, timezone=_STR, start_date=_STR, end_date=_STR,
                   description=_STR, languages={"type": "array", "items": _STR},
                   groups={"type": "array", "items": _obj(slug=_STR, label=_STR)},
                   sessions={"type": "array", "items": session})
    country = {"type": "string", "description": "ISO 3166-1 alpha-2"}
    registration = {**_obj(name=_STR, organisation=_STR, country=country,
                           group=_STR, mode={"type": "string", "enum": ["onsite", "remote", "hub"]},
                           hub={"type": "integer", "description": "the hub a person at a hub registers at; with a "
                                "hub's own link, that hub"}, listed=_BOOL),
                    "required": ["name", "country", "group", "mode"]}
    participant = _obj(participant_id=_INT, name=_STR, organisation=_STR, country=_STR, group=_STR, mode=_STR,
                       hub_id=_NINT, listed=_BOOL)
    attendance_row = _obj(participant_id=_INT, name=_STR, organisation=_STR, country=_STR, group=_STR, mode=_STR,
                          kind={"type": "string", "enum": ["person", "hub"]}, hub_id=_NINT, listed=_BOOL,
                          presenter=_BOOL, join_ms=_INT, leave_ms=_NINT, attended_ms=_INT,
                          intervals={"type": "array", "items": {"type": "array", "items": _INT}})
    hub_form = {**_obj(name=_STR, city=_STR, country=country, host_organisation=_STR, group=_STR,
                       expected_headcount={"type": "integer", "minimum": 1, "maximum": 100_000}),
                "required": ["name", "city", "country", "group", "expected_headcount"]}
    hub = _obj(id=_INT, name=_STR, city=_STR, country=_STR, host_organisation=_STR, group=_STR,
               expected_headcount=_INT, registered=_INT, people=_INT, link=_NSTR)
    link = _obj(id=_INT, role=_STR, session_id=_NSTR, scope=_STR, label=_STR, url=_STR, created_ms=_INT, hub_id=_INT,
                ingest={"type": "object", "additionalProperties": _STR})
    paths: dict[str, Any] = {
        "/healthz": {"get": health},
        "/metrics": {"get": {
            "summary": "This node's counts in the Prometheus text format (a loopback peer, or the metrics token as a "
                       "bearer token when one is set)",
            "responses": {"200": {"description": "OK", "content": {"text/plain": {"schema": _STR}}},
                          "403": {"description": "Refused: not from this host, or without the metrics token",
                                  "content": {"text/html": {"schema": _STR}}}}}},
        "/api/meetings": {"get": _op("List meetings", [], _obj(meetings={"type": "array", "items": _obj(
            slug=_STR, title=_STR, venue=_STR, start_date=_STR, end_date=_STR)}), errors=())},
        "/api/meetings/{slug}": {"get": _op("A meeting, its agenda and live sessions", [_SLUG], meeting,
                                            errors=(404,))},
        "/api/meetings/{slug}/participants": {"post": _op(
            "Register a participant (join token); sets the participant cookie", [_SLUG, _TOKEN],
            _obj(ok=_BOOL, participant=participant), errors=(400, 403, 404, 429), body=registration, ok_status="201")},
        "/api/meetings/{slug}/hubs": {
            "get": _op("Every remote hub with its counts and link (admin token)", [_SLUG, _TOKEN],
                       _obj(hubs={"type": "array", "items": hub})),
            "post": _op("Register a remote hub once, with its own link (admin token)", [_SLUG, _TOKEN],
                        _obj(ok=_BOOL, hub=hub), errors=(400, 403, 404), body=hub_form, ok_status="201")},
        "/api/meetings/{slug}/links": {"get": _op("Every active role link (admin token)", [_SLUG, _TOKEN],
                                                  _obj(links={"type": "array", "items": link}))},
        "/api/meetings/{slug}/sessions/{session_id}/attendance": {"get": _op(
            "Attendance of a session, one row per person (rapporteur token)", [_SLUG, _SID, _TOKEN],
            _obj(session_id=_STR, attendance={"type": "array", "items": attendance_row}))},
    }
    paths.update(caption_paths())
    paths.update(question_paths())
    paths.update(floor_paths())
    paths.update(rapporteur_paths())
    for action in ("start", "end"):
        paths[f"/api/meetings/{{slug}}/sessions/{{session_id}}/{action}"] = {"post": _op(
            f"{action.capitalize()} a session (moderator token)",
            [_SLUG, _SID, _TOKEN, _query("name", "who acts for the link, shown in the audit log")],
            _obj(ok=_BOOL, session=session_state), errors=(400, 403, 404, 409))}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Floorcast", "version": __version__,
                 "description": "Live captions, moderated questions and floor queues for multistakeholder meetings."},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {"schemas": {"Error": _obj(ok=_BOOL, error=_obj(code=_STR, message=_STR, field=_STR))}},
    }


#: An id or position that SQLite stores: a 64-bit integer, never negative.
_AFTER = {"type": "integer", "minimum": 0, "maximum": 2 ** 63 - 1}


def _query(name: str, description: str, schema: dict[str, Any] | None = None, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema or _STR, "description": description}


def _plain(summary: str, params: list[dict[str, Any]], ok_type: str | tuple[str, ...], errors: tuple[int, ...],
           body: str | None = None) -> dict[str, Any]:
    types = (ok_type,) if isinstance(ok_type, str) else ok_type
    content = {t: {"schema": {"type": ["object", "array"]} if t == "application/json" else _STR} for t in types}
    responses: dict[str, Any] = {"200": {"description": "Success", "content": content}}
    for status in errors:
        responses[str(status)] = {"description": "Refused"}
    op: dict[str, Any] = {"summary": summary, "parameters": params, "responses": responses}
    if body:
        op["requestBody"] = {"required": False, "description": body,
                             "content": {"text/plain": {"schema": _STR}, "*/*": {"schema": _STR}}}
    return op


def caption_paths() -> dict[str, Any]:
    """Caption ingest for captioning tools and the caption outputs."""
    lang = _query("lang", "Caption language (ll or ll-CC, mapped to the meeting's languages).")
    seq = _query("seq", "The tool's post counter, per link, tool and language (required for zoom and youtube).", _INT)
    window = _query("window", "1: the tool re-sends the end of its window with each post; lines already stored are "
                              "dropped (see docs/API.md).")
    kind = {"name": "kind", "in": "path", "required": True,
            "schema": {"type": "string", "enum": ["zoom", "youtube", "streamtext"]}}
    segment = _obj(session_id=_STR, lang=_STR, seq=_INT, text=_STR, first_ms=_INT, final_ms=_INT, sender_ms=_NINT,
                   captioner=_obj(id=_STR, label=_STR), speaker=_NSTR, new_turn=_BOOL,
                   intervention_id={"type": ["string", "integer", "null"]}, revision=_INT, writer=_NSTR)
    base = "/m/{slug}/s/{session_id}"
    return {
        f"{base}/ingest/{{kind}}": {"post": _plain(
            "Post captions from a captioning tool (captioner token); answers the server UTC time "
            "YYYY-MM-DDTHH:MM:SS.mmm. A repeated seq is answered 200 and not applied again. Every post continues "
            "the live line of this link and tool; only a line break (or the idle flush, or the session's end) "
            "finalises it.",
            [_SLUG, _SID, kind, _TOKEN, seq, lang, window], "text/plain", (400, 403, 404, 405),
            body="UTF-8 text whatever the Content-Type: zoom and streamtext the characters typed since the last "
                 "post, backspaces (0x08, 0x7F) and line breaks included; youtube timestamp/text pairs whose text "
                 "continues the line (<br> inside a cue: a space; <br> ending a cue: a line break).")},
        f"{base}/ingest/{{kind}}/seq": {"get": _plain(
            "The last accepted seq of this link's feed in one language (0 before the first post)",
            [_SLUG, _SID, kind, _TOKEN, lang], "text/plain", (403, 404))},
        "/captions": {"get": _op("StreamText-style caption pull", [
            _query("event", "MEETING_SLUG:SESSION_ID", required=True),
            _query("last", "Character position held; -1: answer the current position and no text", _INT),
            _query("length", "Most characters to return", _INT), _query("language", "Caption language")],
            _obj(content=_STR, lastPosition=_INT, languageCode=_STR), errors=(400, 404))},
        f"{base}/captions.xml": {"get": _plain(
            "The last lines as <caption><line1>…</line1></caption> (vMix, Tricaster)",
            [_SLUG, _SID, lang, _query("lines", "Number of lines (1-10)", _INT)], "application/xml", (400, 404))},
        f"{base}/captions.txt": {"get": _plain("Caption transcript as text", [_SLUG, _SID, lang], "text/plain",
                                               (400, 404))},
        f"{base}/captions.vtt": {"get": _plain("Captions as WebVTT", [_SLUG, _SID, lang], "text/vtt", (400, 404))},
        f"{base}/text": {"get": _plain("Captions without JavaScript: a small page that reloads itself",
                                       [_SLUG, _SID, lang], "text/html", (404,))},
        f"{base}/overlay": {"get": _plain("Transparent caption overlay for OBS browser sources",
                                          [_SLUG, _SID, lang, _query("lines", "Number of lines", _INT)],
                                          "text/html", (400, 404))},
        "/api/meetings/{slug}/sessions/{session_id}/captions": {"get": _op(
            "Final caption segments after a seq, and the live tail",
            [_SLUG, _SID, lang, _query("after", "Return segments after this seq", _INT),
             _query("limit", "Most segments (1-5000)", _INT)],
            _obj(session_id=_STR, lang=_STR, segments={"type": "array", "items": segment}, tail=_STR),
            errors=(400, 404))},
    }


def question_paths() -> dict[str, Any]:
    """Moderated questions: public counts and list, the audit log, and the rapporteurs' exports."""
    author = _obj(group=_STR, group_label=_STR, name=_STR, organisation=_STR, country=_STR)
    question = _obj(id=_INT, session_id=_STR, status={"type": "string", "enum": [
                        "published", "on_screen", "answered"]}, text=_STR, language=_STR, theme=_NSTR, votes=_INT,
                    submitted_at=_INT, author=author, also_asked_by={"type": "array", "items": author}, edited=_BOOL)
    reasons = {r: _INT for r in ("duplicate", "off_topic", "already_answered", "inappropriate", "out_of_time")}
    counts = _obj(session_id=_STR, received=_INT, pending=_INT, published=_INT, answered=_INT, withdrawn=_INT,
                  dismissed=_obj(**reasons))
    entry = _obj(id=_INT, name=_STR, question_id=_NINT, at_ms=_INT,
                 actor=_ACTOR, details={"type": "object"})
    base = "/api/meetings/{slug}/sessions/{session_id}/questions"
    fmt = {"name": "fmt", "in": "path", "required": True, "schema": {"type": "string", "enum": ["csv", "json"]}}
    return {
        base: {"get": _op(
            "Published, on-screen and answered questions of a session (anyone)",
            [_SLUG, _SID, _query("sort", "votes (default) or newest", {"type": "string", "enum": ["votes", "newest"]}),
             _query("theme", "Only questions on this agenda theme")],
            _obj(session_id=_STR, seq=_INT, questions={"type": "array", "items": question}), errors=(400, 404))},
        f"{base}/counts": {"get": _op(
            "How many questions were received, published, answered, and dismissed by reason (anyone)",
            [_SLUG, _SID], counts, errors=(404,))},
        f"{base}/audit": {"get": _op(
            "Every question action with who, what and when (moderator or rapporteur token)",
            [_SLUG, _SID, _TOKEN, _query("after", "Only entries after this id", _AFTER)],
            _obj(session_id=_STR, entries={"type": "array", "items": entry}), errors=(400, 403, 404))},
        "/m/{slug}/s/{session_id}/questions.{fmt}": {"get": _plain(
            "Every question with author, stakeholder group, country, mode, state-change times and votes, as a "
            "spreadsheet-safe CSV (UTF-8 with BOM) or JSON download (rapporteur or moderator token)",
            [_SLUG, _SID, fmt, _TOKEN], ("text/csv", "application/json"), (403, 404))},
    }


def floor_paths() -> dict[str, Any]:
    """The floor queue: public state and queue page, stats, records and audit log."""
    person = dict(name=_STR, organisation=_STR, country=_STR, country_name=_STR, group=_STR, group_label=_STR,
                  mode={"type": "string", "enum": ["onsite", "remote", "hub"]})
    kind = {"type": "string", "enum": ["normal", "point_of_order", "right_of_reply", "on_behalf", "presentation",
                                       "interposed_question"]}
    part = {"type": ["string", "null"], "enum": ["presentations", "panel", "debate", "closing", None]}
    timer = _obj(intervention_id=_STR, start_ms=_INT, limit_s=_NINT, elapsed_ms=_INT, remaining_ms=_NINT,
                 overrun_ms=_INT, state={"type": "string", "enum": ["running", "warning", "overrun"]})
    row = _obj(id=_STR, position=_INT, reason=_STR, reason_code=_STR,
               reason_params={"type": "object", "additionalProperties": _STR},
               tier={"type": "string", "enum": ["interposed", "point_of_order", "main", "end"]}, addressed_to=_NSTR,
               pinned=_BOOL, expected_wait_ms=_NINT, kind=kind, theme=_NSTR, language=_NSTR, reply_to=_NSTR,
               on_behalf_of=_NSTR, question_id={"type": ["integer", "string", "null"]}, read_by=_NSTR,
               added_by=_STR, requested_ms=_INT, status=_STR, **person)
    current = _obj(id=_STR, request_id=_STR, kind=kind, requested_ms=_INT, called_ms=_INT, start_ms=_INT,
                   end_ms=_NINT, limit_s=_NINT, timer=timer, on_behalf_of=_NSTR, language=_NSTR, theme=_NSTR,
                   reply_to=_NSTR, question_id={"type": ["integer", "string", "null"]}, read_by=_NSTR, part=part,
                   paused_ms=_INT, addressed_to=_NSTR, **person)
    paused = {k: v for k, v in current["properties"].items() if k != "timer"}
    state = _obj(seq=_INT, session_id=_STR, now_ms=_INT, part=part,
                 paused={"oneOf": [_obj(**paused), {"type": "null"}]}, open=_BOOL, policy=_STR, policy_label=_STR,
                 time_limit_s=_NINT, warn_fraction={"type": "number"}, warn_last_s=_INT,
                 current={"oneOf": [current, {"type": "null"}]}, queue={"type": "array", "items": row},
                 budgets={"type": "array", "items": _obj(group=_STR, label=_STR, budget_ms=_INT, used_ms=_INT,
                                                         remaining_ms=_INT, over=_BOOL)},
                 spoken={"type": "array", "items": _obj(id=_STR, name=_STR, organisation=_STR, group_label=_STR,
                                                        start_ms=_INT, end_ms=_NINT)})
    summary = dict(interventions=_INT, floor_ms=_INT, average_wait_ms=_INT)
    stats = _obj(session_id=_STR, at_ms=_INT, unserved=_INT, unserved_by_status={"type": "object"},
                 by_group={"type": "object", "additionalProperties": _obj(label=_STR, **summary)},
                 by_mode={"type": "object", "additionalProperties": _obj(**summary)},
                 by_kind={"type": "object", "additionalProperties": _obj(**summary)},
                 by_part={"type": "object", "additionalProperties": _obj(**summary)}, **summary)
    record = {"type": "object", "description": "The person as they were (participant_id null for someone added "
              "from the room), kind, times, linked question, moves and declines."}
    entry = _obj(id=_INT, name=_STR, request_id=_NSTR, intervention_id=_NSTR, at_ms=_INT,
                 actor=_ACTOR, details={"type": "object"})
    base = "/api/meetings/{slug}/sessions/{session_id}/floor"
    return {
        base: {"get": _op("Who has the floor, the speaking timer and the list of speakers in order (anyone)",
                          [_SLUG, _SID], state, errors=(404,))},
        f"{base}/stats": {"get": _op(
            "Interventions, floor time and average wait in total, by stakeholder group, mode, kind and session part, "
            "and requests never served (rapporteur or moderator token)", [_SLUG, _SID, _TOKEN], stats)},
        f"{base}/records": {"get": _op(
            "Every intervention and every unserved request with the person's snapshot (rapporteur or moderator "
            "token)", [_SLUG, _SID, _TOKEN],
            _obj(session_id=_STR, interventions={"type": "array", "items": record},
                 unserved={"type": "array", "items": record}))},
        f"{base}/audit": {"get": _op(
            "Every change to the list of speakers with who, what and when (moderator or rapporteur token)",
            [_SLUG, _SID, _TOKEN, _query("after", "Only entries after this id", _AFTER)],
            _obj(session_id=_STR, entries={"type": "array", "items": entry}), errors=(400, 403, 404))},
        "/m/{slug}/s/{session_id}/queue": {"get": _plain("The public list of speakers: speaker, timer and who is next",
                                                  [_SLUG, _SID], "text/html", (404,))},
    }


def rapporteur_paths() -> dict[str, Any]:
    """Transcript downloads, packs, edited versions and search (rapporteur or admin token)."""
    version = _query("version", "raw, latest or a version number", _STR)
    rules = [_query("igo", "persons or organisations", {"type": "string", "enum": ["persons", "organisations"]}),
             _query("on_behalf", "speaker or exclude", {"type": "string", "enum": ["speaker", "exclude"]})]
    line = _obj(lang=_STR, seq=_INT, text=_STR, speaker=_NSTR)
    fmt = {"name": "fmt", "in": "path", "required": True,
           "schema": {"type": "string", "enum": ["txt", "vtt", "srt", "json", "html", "docx"]}}
    summary_fmt = {"name": "fmt", "in": "path", "required": True,
                   "schema": {"type": "string", "enum": ["md", "html", "docx"]}}
    draft_lang = _query("lang", "Language of the summary draft",
                        {"type": "string", "enum": ["en", "ar", "zh", "fr", "ru", "es"]})
    base = "/api/meetings/{slug}/sessions/{session_id}/transcript"
    edit = {"allOf": [line, _obj(speaker=_NSTR)]}
    return {
        "/m/{slug}/s/{session_id}/transcript.{fmt}": {"get": _plain(
            "A session's transcript in one language, raw or edited (rapporteur, captioner or admin token)",
            [_SLUG, _SID, fmt, _TOKEN, _query("lang", "Caption language"), version],
            ("text/plain", "text/vtt", "application/x-subrip", "application/json", "text/html",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), (400, 403, 404))},
        "/m/{slug}/s/{session_id}/summary.{fmt}": {"get": _plain(
            "A session's summary draft (rapporteur or admin token), in the language of lang, else of the page "
            "(ui, the language cookie, Accept-Language)",
            [_SLUG, _SID, summary_fmt, _TOKEN, draft_lang, version, *rules],
            ("text/markdown", "text/html",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), (400, 403, 404, 500))},
        "/m/{slug}/s/{session_id}/pack.zip": {"get": _plain(
            "The rapporteur's zip for a session: transcripts, figures, annex and summary draft (in the language "
            "of lang, else of the page)",
            [_SLUG, _SID, _TOKEN, draft_lang, version, *rules], "application/zip", (400, 403, 404, 500))},
        "/m/{slug}/pack.zip": {"get": _plain(
            "The rapporteur's zip for the whole meeting (meeting-wide rapporteur or admin token)",
            [_SLUG, _TOKEN, draft_lang, version, *rules], "application/zip", (400, 403, 404, 500))},
        base: {"get": _op(
            "Every segment of a session at a version (default latest)",
            [_SLUG, _SID, _TOKEN, version, _query("lang", "Only this language")],
            _obj(session_id=_STR, version=_INT, latest=_INT, segments={"type": "array", "items": line}),
            errors=(400, 403, 404))},
        f"{base}/versions": {
            "get": _op("Saved versions of the transcript", [_SLUG, _SID, _TOKEN],
                       _obj(session_id=_STR, latest=_INT, versions={"type": "array", "items": _obj(
                           version=_INT, author=_STR, role=_STR, note=_STR, created_ms=_INT, edits=_INT,
                           languages={"type": "array", "items": _STR})}), errors=(403, 404)),
            "post": _op("Save segment edits as the next version", [_SLUG, _SID, _TOKEN],
                        _obj(ok=_BOOL, version=_INT, changed=_INT), errors=(400, 403, 404, 409),
                        body=_obj(edits={"type": "array", "items": edit}, author=_STR, note=_STR, base=_INT),
                        ok_status="201")},
        f"{base}/diff": {"get": _op(
            "Segments that differ between two versions, with word-level parts",
            [_SLUG, _SID, _TOKEN, _query("from", "raw or a version number"), _query("to", "raw, latest or N")],
            _obj(**{"from": _INT, "to": _INT, "changes": {"type": "array", "items": _obj(
                lang=_STR, seq=_INT, before=_obj(text=_STR, speaker=_NSTR), after=_obj(text=_STR, speaker=_NSTR),
                speaker_changed=_BOOL, parts={"type": "array", "items": _obj(op=_STR, text=_STR)})}}),
            errors=(400, 403, 404))},
        "/m/{slug}/s/{session_id}/presenters": {"post": {
            "summary": "Mark who presented in the session (the rapporteur page's attendance form); answers with a "
                       "redirect back to the page (rapporteur token)",
            "parameters": [_SLUG, _SID, _TOKEN],
            "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": _obj(
                t=_STR, presenter={"type": "array", "items": {"type": "string", "pattern": "^[0-9]{1,15}$"},
                                   "description": "Participant ids; those not listed are unmarked."})}}},
            "responses": {"303": {"description": "Saved: back to the rapporteur page"},
                          "200": {"description": "The rapporteur page, for a client that follows the redirect",
                                  "content": {"text/html": {"schema": _STR}}},
                          **{str(status): {"description": "Refused"} for status in (400, 403, 404)}}}},
        "/api/meetings/{slug}/search": {"get": _op(
            "Full-text search (SQLite FTS5 syntax) over the meeting's transcripts, raw and edited",
            [_SLUG, _TOKEN, _query("q", "Words, \"a phrase\", OR, NOT, prefix*", _STR)],
            _obj(query=_STR, hits={"type": "array", "items": _obj(
                session_id=_STR, session_title=_STR, lang=_STR, seq=_INT, version=_INT, text=_STR,
                snippet={"type": "array", "items": _obj(text=_STR, hit=_BOOL)}, snippet_html=_STR, url=_STR)}),
            errors=(400, 403, 404))},
    }
