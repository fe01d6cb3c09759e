"""The rapporteur's side: the rapporteur page, transcript downloads (raw or edited), summary drafts and the packs.

Every route needs a rapporteur or admin link (a captioner link may also edit, see ``rapporteur_api``). The
figures and the summary draft come from the ``transcripts`` library, rendered from the export dict that
``server.exports`` builds, so the page, the downloads and ``run.py export`` show the same numbers. The summary draft
(previewed, downloaded, in a pack) is in the language the page is in, or in the one ``?lang=`` names.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup

from transcripts import draft, markdown
from transcripts.formats import WRITERS
from transcripts.formats import html as html_format
from transcripts.model import Transcript
from transcripts.summary import CountingRules, figures

from ...clock import now_ms
from ...domain import revisions
from ...domain.errors import DomainError, InvalidInput, NotFound
from ...domain.meetings.models import Role
from ...exports import lines, meeting_block, roster, session_export
from ...settings import Settings
from ...storage import revisions as revisions_db
from ...storage import search as search_db
from .. import auth
from ..errors import Forbidden
from ..i18n import LOCALES, request_locale
from ..keys import db_key, settings_key
from ..pages import page_language, session_page
from ..registry import LoadedMeeting
from ..security import policy
from .render import SummaryTemplateError, stream

routes = web.RouteTableDef()
FORMATS = {name: (ext, binary) for name, _module, ext, binary in WRITERS}
MEDIA_TYPES = {"txt": "text/plain", "vtt": "text/vtt", "srt": "application/x-subrip", "json": "application/json",
               "html": "text/html", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
#: A summary draft's media type, and whether it is binary.
SUMMARY_MEDIA_TYPES = {"md": ("text/markdown", False), "html": ("text/html", False),
                       "docx": (MEDIA_TYPES["docx"], True)}


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


def draft_language(request: web.Request) -> str:
    """The language of a summary draft: ``?lang=`` (one of the six), else the language the page is in."""
    asked = request.query.get("lang")
    if asked is None:
        return request_locale(request)
    if asked not in LOCALES:
        raise InvalidInput("Choose the language of the summary draft from the list.", field="lang")
    return asked


def draft_args(request: web.Request, to: str, language: str) -> list[str]:
    """Command-line options of a summary or a pack: the counting rules, the summary template and the draft's
    language."""
    settings = request.app[settings_key]
    rules, template = counting_rules(settings, request.query), summary_template(settings)
    args = ["--to", to, "--igo", rules.igo_as, "--on-behalf", rules.on_behalf, "--lang", language]
    return args + (["--summary-template", str(template)] if template else [])


async def _docs(*docs: Mapping[str, Any]) -> AsyncIterator[Mapping[str, Any]]:
    for doc in docs:
        yield doc


async def session_access(request: web.Request, *roles: Role) -> tuple[LoadedMeeting, str, auth.Access]:
    """The meeting, the session id and the caller, who must hold one of ``roles`` for the session."""
    loaded, session_id = await auth.session_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    if not any(access.has(role, session_id) for role in roles or (Role.RAPPORTEUR,)):
        raise Forbidden()
    return loaded, session_id, access


async def export_of(request: web.Request, loaded: LoadedMeeting, session_id: str,
                    lang: str | None = None) -> dict[str, Any]:
    """The export dict of a session at ``?version=`` (raw, latest or N; default raw for downloads)."""
    version = revisions.parse_version(request.query.get("version", "raw"))
    export = await session_export(request.app[db_key], loaded.id, loaded.meeting, loaded.life(session_id), lang,
                                  version)
    return {**export, "exported_ms": now_ms()}


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


@routes.get(f"/m/{{slug}}/s/{{session_id}}/transcript.{{fmt:{'|'.join(FORMATS)}}}", name="transcript")
async def transcript_download(request: web.Request) -> web.StreamResponse:
    """One session's transcript in one language and format, raw or edited (the TXT with the pack's stamps)."""
    loaded, session_id, _ = await session_access(request, Role.RAPPORTEUR, Role.CAPTIONER)
    fmt = request.match_info["fmt"]
    lang = loaded.language(request.query.get("lang"))
    every_language = fmt == "json" and "lang" not in request.query
    export = await export_of(request, loaded, session_id, None if every_language else lang)
    args = ["--to", fmt, "--lang", lang, "--stamps"]
    if fmt == "html":
        # Shown in the browser so search hits can jump to #seg-N. The page holds no script; its one <style> element
        # is allowed by its hash, so the policy still refuses any other inline style.
        headers = {"Cache-Control": "no-store", "Content-Security-Policy": policy(html_format.style_source())}
        return await stream(request, _docs(export), args, headers, "text/html", "utf-8")
    tag = "raw" if export["transcript_version"] == 0 else f"v{export['transcript_version']}"
    name = f"{loaded.meeting.slug}-{session_id}-{lang}-{tag}.{FORMATS[fmt][0]}"
    return await stream(request, _docs(export), args, _attachment(name), MEDIA_TYPES[fmt],
                        None if FORMATS[fmt][1] else "utf-8")


@routes.get("/m/{slug}/s/{session_id}/summary.{fmt}", name="summary")
async def summary_download(request: web.Request) -> web.StreamResponse:
    """A session's summary draft as Markdown, HTML or Word, in the language of ``?lang=`` or of the page."""
    fmt = request.match_info["fmt"]
    if fmt not in SUMMARY_MEDIA_TYPES:
        raise NotFound("No such summary format: use md, html or docx.")
    loaded, session_id, _ = await session_access(request, Role.RAPPORTEUR)
    language = draft_language(request)
    args = draft_args(request, f"summary-{fmt}", language)
    export = await export_of(request, loaded, session_id)
    media, binary = SUMMARY_MEDIA_TYPES[fmt]
    name = f"{loaded.meeting.slug}-{session_id}-summary-{language}.{fmt}"
    return await stream(request, _docs(export), args, _attachment(name), media, None if binary else "utf-8")


@routes.get("/m/{slug}/s/{session_id}/pack.zip", name="session_pack")
async def session_pack(request: web.Request) -> web.StreamResponse:
    """The rapporteur's zip for one session: transcripts, figures, annex and the summary draft."""
    loaded, session_id, _ = await session_access(request, Role.RAPPORTEUR)
    args = draft_args(request, "pack", draft_language(request))
    export = await export_of(request, loaded, session_id)
    return await stream(request, _docs(export), args, _attachment(f"{loaded.meeting.slug}-{session_id}-pack.zip"),
                        "application/zip")


@routes.get("/m/{slug}/pack.zip", name="meeting_pack")
async def meeting_pack(request: web.Request) -> web.StreamResponse:
    """The zip for the whole meeting (meeting-wide rapporteur or admin link), streamed one session at a time."""
    loaded = await auth.meeting_of(request)
    access = await auth.from_request(request, request.app[db_key], loaded)
    if access.session_scope is not None or not access.has(Role.RAPPORTEUR):
        raise Forbidden("a meeting-wide rapporteur or admin link is needed for the whole meeting")
    args = draft_args(request, "pack", draft_language(request))
    version = revisions.parse_version(request.query.get("version", "raw"))
    if version not in (0, None):
        raise InvalidInput("a meeting pack is raw or latest: version numbers belong to one session", field="version")
    db, meeting, made = request.app[db_key], loaded.meeting, now_ms()

    async def docs() -> AsyncIterator[Mapping[str, Any]]:
        yield {"format": "floorcast-meeting", "version": 1, "meeting": meeting_block(meeting),
               **await roster(db, loaded.id), "sessions": [], "exported_ms": made}
        for session in meeting.sessions:
            doc = await session_export(db, loaded.id, meeting, loaded.lives[session.id], version=version,
                                       with_roster=False)
            del doc["meeting"]
            yield {**doc, "exported_ms": made}

    return await stream(request, docs(), args, _attachment(f"{meeting.slug}-pack.zip"), "application/zip")


@routes.get("/m/{slug}/s/{session_id}/rapporteur", name="rapporteur")
async def page(request: web.Request) -> web.Response:
    """Attendance, figures, summary preview, downloads, the transcript editor, versions and search."""
    loaded, session_id, access = await session_access(request, Role.RAPPORTEUR, Role.CAPTIONER)
    db, settings = request.app[db_key], request.app[settings_key]
    lang = page_language(loaded, request.query.get("lang"))
    rules = counting_rules(settings, request.query)
    export = await session_export(db, loaded.id, loaded.meeting, loaded.life(session_id), None, None)
    try:
        template, template_error = summary_template(settings), None
    except SummaryTemplateError as exc:
        template, template_error = None, str(exc)
    # Reading the record and drafting the summary is CPU work: done beside the event loop, not on it.
    figs, preview, preview_error = await asyncio.to_thread(page_summary, export, rules, template, template_error,
                                                           request_locale(request))
    current, _, latest = await lines(db, loaded.id, session_id, None)
    versions = await revisions_db.versions(db, loaded.id, session_id)
    diff_to = request.query.get("diff")
    diff = await diff_context(request, loaded, session_id, latest - 1 if diff_to is None else None, diff_to) \
        if versions else None
    hits = None
    query = request.query.get("q", "").strip()
    search_error = None
    if query:
        try:
            hits = await search_hits(request, loaded, access, query)
        except search_db.InvalidQuery as exc:
            search_error = exc.message
    rows = export["attendance"]
    marked = await revisions_db.presenters(db, loaded.id, session_id)
    return await session_page(
        request, "rapporteur.html", None, attendance=rows, presenters=marked, figures=figs, preview=preview,
        preview_error=preview_error, rules=rules, edit_lang=lang, latest=latest, versions=versions, diff=diff,
        segments=[current[k] for k in sorted(current) if k[0] == lang], formats=list(FORMATS),
        query=query, hits=hits, search_error=search_error, meeting_wide=access.session_scope is None,
        can_pack=access.has(Role.RAPPORTEUR, session_id))


def page_summary(export: dict[str, Any], rules: CountingRules, template: Path | None,
                 template_error: str | None, language: str | None = None) -> tuple[dict[str, Any], Markup, str | None]:
    """The figures and the summary preview of a session's export in ``language`` (with the error of a template
    that fails)."""
    transcript = Transcript.from_dict(export)
    figs = figures(transcript.meeting, [transcript], rules)
    if template_error is not None:
        return figs, Markup(""), template_error
    try:
        source = draft.Drafter(template, rules, language).markdown(transcript.meeting, [transcript])
    except jinja2.TemplateError as exc:
        return figs, Markup(""), str(exc)
    # The Markdown renderer escapes every character of text; only its own tags are markup.
    return figs, Markup(markdown.to_html(source)), None


async def diff_context(request: web.Request, loaded: LoadedMeeting, session_id: str, start: int | None,
                       end: str | None) -> dict[str, Any]:
    """Changes between two versions (``from``/``to`` query values or the given ones) for ``_transcript_diff``."""
    db = request.app[db_key]
    latest = await revisions_db.latest(db, loaded.id, session_id)
    to = revisions.parse_version(end if end is not None else request.query.get("to"))
    to = latest if to is None else to
    frm = revisions.parse_version(request.query.get("from")) if start is None else max(start, 0)
    frm = max(to - 1, 0) if frm is None else frm
    before, _, _ = await lines(db, loaded.id, session_id, frm)
    after, _, _ = await lines(db, loaded.id, session_id, to)
    return {"from": frm, "to": to, "changes": revisions.diff(before, after)}


def snippet_html(parts: list[dict[str, Any]]) -> str:
    """Search snippet parts as HTML: every character of caption text escaped, matches in ``<mark>``."""
    return "".join(f"<mark>{html.escape(p['text'])}</mark>" if p["hit"] else html.escape(p["text"]) for p in parts)


async def search_hits(request: web.Request, loaded: LoadedMeeting, access: auth.Access, query: str) -> list[dict]:
    """Search hits with their session titles and links; a session-scoped link searches its own session only."""
    found = await search_db.search(request.app[db_key], loaded.id, query)
    token = request.query.get("t", "")
    hits = []
    for h in found:
        if access.session_scope is not None and h["session_id"] != access.session_scope:
            continue
        try:
            title = loaded.meeting.session(h["session_id"]).title
        except DomainError:
            title = h["session_id"]  # dropped from the agenda; its records stay searchable
        version = "raw" if h["version"] == 0 else str(h["version"])
        url = request.app.router["transcript"].url_for(slug=loaded.meeting.slug, session_id=h["session_id"], fmt="html")
        url = url.with_query(lang=h["lang"], version=version, t=token).with_fragment(f"seg-{h['seq']}")
        hits.append({**h, "snippet_html": snippet_html(h["snippet"]), "session_title": title, "url": str(url)})
    return hits

