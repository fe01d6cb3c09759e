"""The chair's summary draft: the figures put into sentences by a Jinja2 template, as Markdown, HTML or Word.

The default template is ``templates/summary.md.j2``; the secretariat can pass its own (``template=``). Templates run
in Jinja2's sandbox, and every ``{{ value }}`` is escaped for Markdown, so a participant's name or question can
never become markup in any of the three outputs.

A draft is written in one of the six UN languages (``language=``, see ``language.py``): the template's phrases are
marked with ``_``/``ngettext``/``pgettext`` (or ``{% trans %}``) and translated from ``transcripts/locales``, with
their values escaped as they are put in; numbers, dates, times and country names follow the language; an Arabic
draft is laid out right to left in HTML and Word.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from . import language as languages
from . import markdown
from .formats import wordml
from .formats.docx import new_document, save, xml_safe
from .language import N_, SMALL_NUMBERS, Language, Phrase
from .model import MeetingInfo, Transcript
from .summary import CountingRules, figures

#: Labels the record carries in English, translated in a draft when the meeting uses them unchanged: the IGF's
#: stakeholder groups, the units of the figures and the sides the floor is taken from (``summary.py``).
LABELS = (N_("Governments"), N_("Intergovernmental organisations"), N_("Private sector"), N_("Civil society"),
          N_("Technical community"), N_("Academic community"),
          N_("countries"), N_("organisations"), N_("persons"),
          N_("In the room"), N_("Remote"), N_("Remote hubs"))


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """The word that agrees with ``n``: ``plural(1, "government")`` is ``government``, otherwise ``governments``."""
    return singular if n == 1 else (plural_form or singular + "s")


def counted(n: int, singular: str, plural_form: str | None = None) -> str:
    """A number and its noun in agreement: ``54 governments``, ``1 government``."""
    return f"{n} {plural(n, singular, plural_form)}"


def spell(n: int) -> str:
    """Numbers up to ten in words, as UN editors write them (``seven presentations``); larger ones in figures
    (English; a template gets its draft's language's ``spell``)."""
    return SMALL_NUMBERS[n] if 0 <= n < len(SMALL_NUMBERS) else str(n)


def join_and(items: Sequence[Any]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [str(i) for i in items]
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]


def _finalizer(lang: Language) -> Any:
    def finalize(value: Any) -> Any:
        if isinstance(value, Markup):
            return str(value)  # the template author marked it as Markdown on purpose
        return lang.markdown(value)  # a phrase as it is, a number in the language's digits, other text escaped

    return finalize


def environment(lang: Language | None = None) -> SandboxedEnvironment:
    """The sandboxed environment every summary template runs in, with the phrases and formats of ``lang``."""
    lang = lang or languages.get()
    env = SandboxedEnvironment(loader=jinja2.PackageLoader("transcripts", "templates"), autoescape=False,
                               undefined=jinja2.StrictUndefined, finalize=_finalizer(lang), trim_blocks=True,
                               lstrip_blocks=True, keep_trailing_newline=True,
                               extensions=["jinja2.ext.do", "jinja2.ext.i18n"])
    # {% trans %} blocks call these with their values as keywords, as Jinja2's "newstyle" gettext does.
    env.newstyle_gettext = True  # type: ignore[attr-defined]  # an attribute the i18n extension reads
    env.globals.update(_=lang.gettext, gettext=lang.gettext, ngettext=lang.ngettext, pgettext=lang.pgettext,
                       npgettext=lang.npgettext, join=lang.join, series=lang.series,
                       person=functools.partial(person, lang), speaker=functools.partial(speaker, lang),
                       question=functools.partial(question, lang),
                       language_code=lang.code, direction=lang.direction,
                       plural=plural, counted=counted, spell=lang.spell, join_and=join_and)
    env.filters.update(minutes=lang.duration, spell=lang.spell, number=lang.number, country=lang.country,
                       language=lang.language, label=lang.label, humanize=lambda s: str(s).replace("_", " "))
    return env


def bracketed(lang: Language, text: Any, note: Any) -> Phrase:
    """``text (note)``, with the brackets of the language."""
    return lang.pgettext("in brackets", "%(text)s (%(note)s)", text=text, note=note)


def person(lang: Language, x: dict[str, Any], country: bool = True) -> Phrase:
    """``Name, Organisation (country)``: a speaker, presenter or author as a draft names them."""
    text = lang.series([x["name"], x["organisation"]] if x.get("organisation") else [x["name"]])
    return bracketed(lang, text, lang.country(x["country"])) if country and x.get("country") else text


def speaker(lang: Language, s: dict[str, Any]) -> Phrase:
    """One line of the list of speakers: who, their group, how they took part, what kind of statement."""
    parts: list[Any] = [person(lang, s), lang.label(s["group_label"])]
    if s["mode"] == "remote":
        parts.append(lang.gettext("remote"))
    elif s["mode"] != "onsite":
        parts.append(lang.gettext("remote hub"))
    if s["on_behalf_of"]:
        parts.append(lang.gettext("on behalf of %(group)s", group=s["on_behalf_of"]))
    line = lang.series(parts)
    kinds = {"point_of_order": lang.pgettext("kind of statement", "point of order"),
             "right_of_reply": lang.pgettext("kind of statement", "right of reply"),
             "presentation": lang.pgettext("kind of statement", "presentation"),
             "interposed_question": lang.pgettext("kind of statement", "interposed question")}
    if s["kind"] in kinds:
        line = bracketed(lang, line, kinds[s["kind"]])
    if s["read_by"]:
        line = lang.series([line, lang.gettext("read by %(name)s", name=s["read_by"])])
    return line


def question(lang: Language, x: dict[str, Any]) -> Phrase:
    """One question put: its words in quotation marks, who asked it and whether it was answered."""
    asked_by = person(lang, {"name": x["author"], "organisation": x["organisation"]}, country=False) \
        if x["author"] else lang.gettext("a participant from %(group)s", group=lang.label(x["group_label"]))
    line = bracketed(lang, lang.pgettext("quotation", '"%(text)s"', text=x["text"]), asked_by)
    return lang.series([line, lang.gettext("answered")]) if x["status"] == "answered" else line


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


def _when(t: Transcript, lang: Language) -> dict[str, Any]:
    """A session's day and hours in the meeting's time zone (held, else as scheduled)."""
    s = t.session
    start = t.local(s.started_ms if s.started_ms is not None else s.scheduled_start_ms)
    end = t.local(s.ended_ms if s.ended_ms is not None else s.scheduled_end_ms)
    hours = lang.hours(start, end)
    return {"date": lang.date(start.date()), "hours": hours, "time": bracketed(lang, hours, t.meeting.timezone)}


def context(meeting: MeetingInfo, transcripts: Sequence[Transcript], rules: CountingRules,
            lang: Language | None = None) -> dict[str, Any]:
    """What a summary template can use: ``meeting``, ``sessions``, ``figures``, ``speakers``, ``questions_put``
    (dates and times already written in ``lang``)."""
    lang = lang or languages.get()
    sessions: list[dict[str, Any]] = []
    for t in transcripts:
        sessions.append({"id": t.session.id, "title": t.session.title, "room": t.session.room, "held": t.held,
                         **_when(t, lang), "themes": list(t.session.themes),
                         "speakers": _speakers(meeting, t), "questions_put": _questions_put(meeting, t)})
    days = [t.local(t.reference_ms).date() for t in transcripts]
    return {"scope": "session" if len(transcripts) == 1 else "meeting",
            "meeting": {"title": meeting.title, "venue": meeting.venue, "timezone": meeting.timezone},
            "dates": lang.dates(days), "sessions": sessions,
            "session": sessions[0] if len(sessions) == 1 else None,
            "figures": figures(meeting, transcripts, rules),
            "speakers": [x for s in sessions for x in s["speakers"]],
            "questions_put": [x for s in sessions for x in s["questions_put"]]}


class Drafter:
    """Renders summary drafts in one language with a template compiled once (a pack renders one per session)."""

    def __init__(self, template: str | Path | None = None, rules: CountingRules | None = None,
                 language: str | None = None) -> None:
        self.language = languages.get(language)
        env = environment(self.language)
        self.template = env.from_string(Path(template).read_text(encoding="utf-8")) if template else \
            env.get_template("summary.md.j2")
        self.page = jinja2.Environment(loader=jinja2.PackageLoader("transcripts", "templates"),
                                       autoescape=True).get_template("summary.html.j2")
        self.rules = rules or CountingRules()

    def markdown(self, meeting: MeetingInfo, transcripts: Sequence[Transcript]) -> str:
        """The draft as Markdown; raises ``jinja2.TemplateError`` for a broken custom template."""
        return self.template.render(context(meeting, transcripts, self.rules, self.language))

    def title(self, meeting: MeetingInfo, transcripts: Sequence[Transcript]) -> str:
        """The document title of a draft."""
        name = transcripts[0].session.title if len(transcripts) == 1 else meeting.title
        return self.language.phrase("Summary: %(title)s", title=name)

    def html(self, title: str, source: str) -> str:
        """A Markdown draft as a complete HTML page, in the draft's language and direction."""
        return self.page.render(title=title, body=Markup(markdown.to_html(source)), lang=self.language.code,
                                dir=self.language.direction)

    def docx(self, title: str, source: str, *, author: str = "", made_ms: int = 0) -> bytes:
        """A Markdown draft as a Word document (``author`` and ``made_ms`` go in its properties); a right-to-left
        language's paragraphs and tables run right to left."""
        document = new_document(xml_safe(title), author=author, made_ms=made_ms)
        markdown.to_docx(source, document)
        if self.language.direction == "rtl":
            wordml.right_to_left(document, self.language.code)
        return save(document)


def title(meeting: MeetingInfo, transcripts: Sequence[Transcript], language: str | None = None) -> str:
    """The document title of a draft."""
    lang = languages.get(language)
    name = transcripts[0].session.title if len(transcripts) == 1 else meeting.title
    return lang.phrase("Summary: %(title)s", title=name)


def render_markdown(meeting: MeetingInfo, transcripts: Sequence[Transcript], rules: CountingRules | None = None,
                    template: str | Path | None = None, language: str | None = None) -> str:
    """The draft as Markdown; raises ``jinja2.TemplateError`` for a broken custom template."""
    return Drafter(template, rules, language).markdown(meeting, transcripts)


def render_html(meeting: MeetingInfo, transcripts: Sequence[Transcript], rules: CountingRules | None = None,
                template: str | Path | None = None, language: str | None = None) -> str:
    """The draft as a complete HTML page."""
    drafter = Drafter(template, rules, language)
    return drafter.html(drafter.title(meeting, transcripts), drafter.markdown(meeting, transcripts))


def render_docx(meeting: MeetingInfo, transcripts: Sequence[Transcript], rules: CountingRules | None = None,
                template: str | Path | None = None, language: str | None = None) -> bytes:
    """The draft as a Word document."""
    drafter = Drafter(template, rules, language)
    return drafter.docx(drafter.title(meeting, transcripts), drafter.markdown(meeting, transcripts),
                        author=meeting.secretariat or meeting.title, made_ms=made_ms(transcripts))


def made_ms(transcripts: Sequence[Transcript]) -> int:
    """When a draft of these sessions was made: their latest export (or end) time."""
    return max((t.made_ms for t in transcripts), default=0)
