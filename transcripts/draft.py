"""The chair's summary draft: the figures put into sentences by a Jinja2 template, as Markdown, HTML or Word.

The default template is ``templates/summary.md.j2``; the secretariat can pass its own (``template=``). Templates run
in Jinja2's sandbox, and every ``{{ value }}`` is escaped for Markdown, so a participant's name or question can
never become markup in any of the three outputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from . import clock, markdown
from .formats.common import title_block
from .formats.docx import new_document, save, xml_safe
from .model import MeetingInfo, Transcript
from .summary import CountingRules, figures

SMALL_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """The word that agrees with ``n``: ``plural(1, "government")`` is ``government``, otherwise ``governments``."""
    return singular if n == 1 else (plural_form or singular + "s")


def counted(n: int, singular: str, plural_form: str | None = None) -> str:
    """A number and its noun in agreement: ``54 governments``, ``1 government``."""
    return f"{n} {plural(n, singular, plural_form)}"


def spell(n: int) -> str:
    """Numbers up to ten in words, as UN editors write them (``seven presentations``); larger ones in figures."""
    return SMALL_NUMBERS[n] if 0 <= n < len(SMALL_NUMBERS) else str(n)


def join_and(items: Sequence[Any]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [str(i) for i in items]
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]


def _finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return str(value)  # the template author marked it as Markdown on purpose
    return "" if value is None else markdown.escape(str(value))


def environment() -> SandboxedEnvironment:
    """The sandboxed environment every summary template runs in."""
    env = SandboxedEnvironment(loader=jinja2.PackageLoader("transcripts", "templates"), autoescape=False,
                               undefined=jinja2.StrictUndefined, finalize=_finalize, trim_blocks=True,
                               lstrip_blocks=True, keep_trailing_newline=True,
                               extensions=["jinja2.ext.do"])
    env.globals.update(plural=plural, counted=counted, spell=spell, join_and=join_and)
    env.filters.update(minutes=clock.minutes, spell=spell, humanize=lambda s: str(s).replace("_", " "))
    return env


def _dates(days: Sequence[dt.date]) -> str:
    first, last = min(days), max(days)
    if first == last:
        return clock.long_date(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}-{clock.long_date(last)}"
    return f"{clock.long_date(first)} - {clock.long_date(last)}"


def _speakers(meeting: MeetingInfo, t: Transcript) -> list[dict[str, Any]]:
    out = []
    for i in sorted(t.interventions, key=lambda i: (i.start_ms, i.id)):
        end = i.end_ms if i.end_ms is not None else t.end_ms
        out.append({"session": t.session.title, "id": i.id, "name": i.name, "organisation": i.organisation,
                    "country": i.country, "group": i.group, "group_label": meeting.group_label(i.group),
                    "mode": i.mode, "kind": i.kind, "on_behalf_of": i.on_behalf_of, "read_by": i.read_by,
                    "part": i.part, "floor_ms": max(end - i.start_ms - i.paused_ms, 0)})
    return out


def _questions_put(meeting: MeetingInfo, t: Transcript) -> list[dict[str, Any]]:
    """Questions shown to the room and not withdrawn from it afterwards, in order of submission."""
    out = []
    for q in sorted(t.questions, key=lambda q: (q.submitted_ms, q.id)):
        if q.was_published and q.status != "dismissed":
            # An author who asked to stay anonymous is described by stakeholder group only.
            out.append({"session": t.session.title, "text": q.text, "theme": q.theme,
                        "author": q.author.name if q.show_name else None,
                        "organisation": q.author.organisation if q.show_name else None,
                        "group_label": meeting.group_label(q.author.group), "status": q.status, "votes": q.votes})
    return out


def context(meeting: MeetingInfo, transcripts: Sequence[Transcript], rules: CountingRules) -> dict[str, Any]:
    """What a summary template can use: ``meeting``, ``sessions``, ``figures``, ``speakers``, ``questions_put``."""
    sessions: list[dict[str, Any]] = []
    for t in transcripts:
        block = title_block(t)
        sessions.append({"id": t.session.id, "title": t.session.title, "room": t.session.room, "held": t.held,
                         "date": block.date,
                         "hours": block.hours, "time": block.time, "themes": list(t.session.themes),
                         "speakers": _speakers(meeting, t), "questions_put": _questions_put(meeting, t)})
    days = [t.local(t.reference_ms).date() for t in transcripts]
    return {"scope": "session" if len(transcripts) == 1 else "meeting",
            "meeting": {"title": meeting.title, "venue": meeting.venue, "timezone": meeting.timezone},
            "dates": _dates(days) if days else "", "sessions": sessions,
            "session": sessions[0] if len(sessions) == 1 else None,
            "figures": figures(meeting, transcripts, rules),
            "speakers": [x for s in sessions for x in s["speakers"]],
            "questions_put": [x for s in sessions for x in s["questions_put"]]}


class Drafter:
    """Renders summary drafts with a template compiled once (a pack renders one per session)."""

    def __init__(self, template: str | Path | None = None, rules: CountingRules | None = None) -> None:
        env = environment()
        self.template = env.from_string(Path(template).read_text(encoding="utf-8")) if template else \
            env.get_template("summary.md.j2")
        self.page = jinja2.Environment(loader=jinja2.PackageLoader("transcripts", "templates"),
                                       autoescape=True).get_template("summary.html.j2")
        self.rules = rules or CountingRules()

    def markdown(self, meeting: MeetingInfo, transcripts: Sequence[Transcript]) -> str:
        """The draft as Markdown; raises ``jinja2.TemplateError`` for a broken custom template."""
        return self.template.render(context(meeting, transcripts, self.rules))

    def html(self, title: str, source: str) -> str:
        """A Markdown draft as a complete HTML page."""
        return self.page.render(title=title, body=Markup(markdown.to_html(source)))

    @staticmethod
    def docx(title: str, source: str, *, author: str = "", made_ms: int = 0) -> bytes:
        """A Markdown draft as a Word document (``author`` and ``made_ms`` go in its properties)."""
        return save(_filled(new_document(xml_safe(title), author=author, made_ms=made_ms), source))


def _filled(document: Any, source: str) -> Any:
    markdown.to_docx(source, document)
    return document


def title(meeting: MeetingInfo, transcripts: Sequence[Transcript]) -> str:
    """The document title of a draft."""
    if len(transcripts) == 1:
        return f"Summary: {transcripts[0].session.title}"
    return f"Summary: {meeting.title}"


def render_markdown(meeting: MeetingInfo, transcripts: Sequence[Transcript], rules: CountingRules | None = None,
                    template: str | Path | None = None) -> str:
    """The draft as Markdown; raises ``jinja2.TemplateError`` for a broken custom template."""
    return Drafter(template, rules).markdown(meeting, transcripts)


def render_html(meeting: MeetingInfo, transcripts: Sequence[Transcript], rules: CountingRules | None = None,
                template: str | Path | None = None) -> str:
    """The draft as a complete HTML page."""
    drafter = Drafter(template, rules)
    return drafter.html(title(meeting, transcripts), drafter.markdown(meeting, transcripts))


def render_docx(meeting: MeetingInfo, transcripts: Sequence[Transcript], rules: CountingRules | None = None,
                template: str | Path | None = None) -> bytes:
    """The draft as a Word document."""
    drafter = Drafter(template, rules)
    return drafter.docx(title(meeting, transcripts), drafter.markdown(meeting, transcripts),
                        author=meeting.secretariat or meeting.title, made_ms=made_ms(transcripts))


def made_ms(transcripts: Sequence[Transcript]) -> int:
    """When a draft of these sessions was made: their latest export (or end) time."""
    return max((t.made_ms for t in transcripts), default=0)
