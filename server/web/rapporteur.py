"""The rapporteur's side: the rapporteur page, transcript downloads (raw or edited) and the packs.

Every route needs a rapporteur or admin link (a captioner link may also edit, see ``rapporteur_api``). The
figures and the summary draft come from the ``transcripts`` library, rendered from the export dict that
``storage.transcripts`` builds, so the page, the downloads and ``run.py export`` show the same numbers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Mapping

import jinja2
from aiohttp import web
from markupsafe import Markup

from transcripts import draft, markdown, pack
from transcripts.formats import WRITERS, writer
from transcripts.model import MeetingRecord, Transcript
from transcripts.summary import CountingRules, figures

from ..domain.errors import DomainError, InvalidInput
from ..domain.meetings.models import Role
from ..settings import Settings
from ..storage import meetings as meetings_db
from ..storage import revisions
from ..storage import search as search_db
from ..storage.transcripts import lines, meeting_export, session_export
from . import auth
from .keys import db_key, registry_key, settings_key
from .live import MeetingLive
from .views import _session_page

FORMATS = {name: (ext, binary) for name, _module, ext, binary in WRITERS}
MEDIA_TYPES = {"txt": "text/plain", "vtt": "text/vtt", "srt": "application/x-subrip", "json": "application/json",
               "html": "text/html", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


class SummaryTemplateError(DomainError):
    """The configured summary template cannot be used."""

    code = "summary_template_error"
    status = 500


def counting_rules(settings: Settings, query: Mapping[str, str]) -> CountingRules:
    """Counting rules from ``?igo=`` and ``?on_behalf=``, defaulting to the server's settings."""
    igo = query.get("igo") or settings.count_igo_as
    on_behalf = query.get("on_behalf") or settings.count_on_behalf
    if igo not in ("persons", "organisations"):
        raise InvalidInput("igo must be persons or organisations", field="igo")
    if on_behalf not in ("speaker", "exclude"):
        raise InvalidInput("on_behalf must be speaker or exclude", field="on_behalf")
    return CountingRules(igo_as=igo, on_behalf=on_behalf)


def summary_template(settings: Settings) -> Path | None:
    """The configured summary template, or ``None`` for the bundled one; a missing file is an error."""
    if not settings.summary_template:
        return None
    path = Path(settings.summary_template)
    if not path.is_file():
        raise SummaryTemplateError(f"the summary template {path} does not exist (setting summary_template)")
    return path


def build_pack(record: Transcript | MeetingRecord, rules: CountingRules, template: Path | None) -> bytes:
    """The zip, or ``SummaryTemplateError`` for a template that does not render."""
    try:
        return pack.build(record, rules=rules, template=template)
    except jinja2.TemplateError as exc:
        raise SummaryTemplateError(f"the summary template does not render: {exc}") from None


async def session_access(request: web.Request, *roles: Role) -> tuple[MeetingLive, str, auth.Access]:
    """The meeting, the session id and the caller, who must hold one of ``roles`` for the session."""
    live = await request.app[registry_key].get(request.match_info["slug"])
    sid = request.match_info["sid"]
    live.meeting.session(sid)
    access = await auth.from_request(request, request.app[db_key], live)
    if not any(access.has(role, sid) for role in roles or (Role.RAPPORTEUR,)):
        raise auth.Forbidden()
    return live, sid, access


async def export_of(request: web.Request, live: MeetingLive, sid: str, lang: str | None = None) -> dict[str, Any]:
    """The export dict of a session at ``?version=`` (raw, latest or N; default raw for downloads)."""
    version = revisions.parse_version(request.query.get("version", "raw"))
    return await session_export(request.app[db_key], live.id, live.meeting, live.life(sid), lang, version)



def _attachment(body: bytes, name: str, media_type: str) -> web.Response:
    return web.Response(body=body, content_type=media_type, charset=None if media_type.endswith("zip") or
                        "officedocument" in media_type else "utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "Cache-Control": "no-store"})


async def transcript_download(request: web.Request) -> web.Response:
    """One session's transcript in one language and format, raw or edited."""
    live, sid, _ = await session_access(request, Role.RAPPORTEUR, Role.CAPTIONER)
    fmt = request.match_info["fmt"]
    lang = live.language(request.query.get("lang"))
    export = await export_of(request, live, sid, None if fmt == "json" and "lang" not in request.query else lang)
    transcript = Transcript.from_dict(export)
    data = writer(fmt).render(transcript, lang=lang)
    tag = "raw" if export["transcript_version"] == 0 else f"v{export['transcript_version']}"
    name = f"{live.meeting.slug}-{sid}-{lang}-{tag}.{FORMATS[fmt][0]}"
    if fmt == "html":
        # Shown in the browser so search hits can jump to #seg-N; the page holds no script at all.
        return web.Response(text=data, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-store"})
    return _attachment(data if isinstance(data, bytes) else data.encode(), name, MEDIA_TYPES[fmt])


async def session_pack(request: web.Request) -> web.Response:
    """The rapporteur's zip for one session: transcripts, figures, annex and the summary draft."""
    live, sid, _ = await session_access(request, Role.RAPPORTEUR)
    settings = request.app[settings_key]
    rules, template = counting_rules(settings, request.query), summary_template(settings)
    record = Transcript.from_dict(await export_of(request, live, sid))
    body = await asyncio.to_thread(build_pack, record, rules, template)
    return _attachment(body, f"{live.meeting.slug}-{sid}-pack.zip", "application/zip")


async def meeting_pack(request: web.Request) -> web.Response:
    """The zip for the whole meeting (meeting-wide rapporteur or admin link)."""
    live = await request.app[registry_key].get(request.match_info["slug"])
    access = await auth.from_request(request, request.app[db_key], live)
    if access.session_scope is not None or not access.has(Role.RAPPORTEUR):
        raise auth.Forbidden("a meeting-wide rapporteur or admin link is needed for the whole meeting")
    settings = request.app[settings_key]
    rules, template = counting_rules(settings, request.query), summary_template(settings)
    version = revisions.parse_version(request.query.get("version", "raw"))
    if version not in (0, None):
        raise InvalidInput("a meeting pack is raw or latest: version numbers belong to one session", field="version")
    export = await meeting_export(request.app[db_key], live.id, live.meeting, live.lives, version)
    body = await asyncio.to_thread(build_pack, MeetingRecord.from_dict(export), rules, template)
    return _attachment(body, f"{live.meeting.slug}-pack.zip", "application/zip")


async def page(request: web.Request) -> web.Response:
    """Attendance, figures, summary preview, downloads, the transcript editor, versions and search."""
    live, sid, access = await session_access(request, Role.RAPPORTEUR, Role.CAPTIONER)
    db, settings = request.app[db_key], request.app[settings_key]
    lang = request.query.get("lang") if request.query.get("lang") in live.meeting.languages else \
        live.meeting.default_language
    rules = counting_rules(settings, request.query)
    export = await session_export(db, live.id, live.meeting, live.life(sid), None, None)
    transcript = Transcript.from_dict(export)
    figs = figures(transcript.meeting, [transcript], rules)
    try:
        source = draft.Drafter(summary_template(settings), rules).markdown(transcript.meeting, [transcript])
        # The Markdown renderer escapes every character of text; only its own tags are markup.
        preview, preview_error = Markup(markdown.to_html(source)), None
    except (SummaryTemplateError, jinja2.TemplateError) as exc:
        preview, preview_error = Markup(""), str(exc)
    current, _, latest = await lines(db, live.id, sid, None)
    versions = await revisions.versions(db, live.id, sid)
    diff_to = request.query.get("diff")
    diff = await diff_context(request, live, sid, latest - 1 if diff_to is None else None, diff_to) \
        if versions else None
    hits = None
    query = request.query.get("q", "").strip()
    search_error = None
    if query:
        try:
            hits = await search_hits(request, live, access, query)
        except search_db.InvalidQuery as exc:
            search_error = exc.message
    rows = await meetings_db.attendance(db, live.id, sid)
    marked = await revisions.presenters(db, live.id, sid)
    return await _session_page(
        request, "rapporteur.html", None, attendance=rows, presenters=marked, figures=figs, preview=preview,
        preview_error=preview_error, rules=rules, edit_lang=lang, latest=latest, versions=versions, diff=diff,
        segments=[current[k] for k in sorted(current) if k[0] == lang], formats=list(FORMATS),
        query=query, hits=hits, search_error=search_error, meeting_wide=access.session_scope is None,
        can_pack=access.has(Role.RAPPORTEUR, sid))


async def diff_context(request: web.Request, live: MeetingLive, sid: str, start: int | None,
                       end: str | None) -> dict[str, Any]:
    """Changes between two versions (``from``/``to`` query values or the given ones) for ``_transcript_diff``."""
    db = request.app[db_key]
    latest = await revisions.latest(db, live.id, sid)
    to = revisions.parse_version(end if end is not None else request.query.get("to"))
    to = latest if to is None else to
    frm = revisions.parse_version(request.query.get("from")) if start is None else max(start, 0)
    frm = max(to - 1, 0) if frm is None else frm
    before, _, _ = await lines(db, live.id, sid, frm)
    after, _, _ = await lines(db, live.id, sid, to)
    return {"from": frm, "to": to, "changes": revisions.diff(before, after)}


async def search_hits(request: web.Request, live: MeetingLive, access: auth.Access, query: str) -> list[dict]:
    """Search hits with their session titles and links; a session-scoped link searches its own session only."""
    found = await search_db.search(request.app[db_key], live.id, query)
    token = request.query.get("t", "")
    hits = []
    for h in found:
        if access.session_scope is not None and h["session_id"] != access.session_scope:
            continue
        try:
            title = live.meeting.session(h["session_id"]).title
        except DomainError:
            title = h["session_id"]  # dropped from the agenda; its records stay searchable
        version = "raw" if h["version"] == 0 else str(h["version"])
        url = request.app.router["transcript"].url_for(slug=live.meeting.slug, sid=h["session_id"], fmt="html")
        url = url.with_query(lang=h["lang"], version=version, t=token).with_fragment(f"seg-{h['seq']}")
        hits.append({**h, "session_title": title, "url": str(url)})
    return hits


def setup(app: web.Application) -> None:
    """Add the rapporteur page, downloads and packs."""
    r = app.router
    fmts = "|".join(FORMATS)
    r.add_get("/m/{slug}/s/{sid}/rapporteur", page, name="rapporteur")
    r.add_get(f"/m/{{slug}}/s/{{sid}}/transcript.{{fmt:{fmts}}}", transcript_download, name="transcript")
    r.add_get("/m/{slug}/s/{sid}/pack.zip", session_pack, name="session_pack")
    r.add_get("/m/{slug}/pack.zip", meeting_pack, name="meeting_pack")
