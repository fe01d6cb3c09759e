"""Every user-facing string of the templates and the browser's modules is marked for translation, and every
catalogue has every message, translated and not fuzzy."""

from __future__ import annotations

import importlib.util
import re
import warnings
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest
from babel.messages.jslexer import tokenize

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "server" / "web" / "templates"
CLIENT = ROOT / "client" / "web"
_spec = importlib.util.spec_from_file_location("messages", ROOT / "scripts" / "messages.py")
assert _spec is not None and _spec.loader is not None
messages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(messages)

#: Attributes people read or hear (screen readers announce labels and titles).
READ_ATTRIBUTES = {"aria-label", "placeholder", "title", "alt", "aria-description"}
#: Elements whose content is code, key names in code, or not text at all.
CODE_ELEMENTS = {"code", "script", "style", "kbd"}
#: Text that is not language: the product's name, format names, symbols.
NOT_LANGUAGE = {"Floorcast", "WebVTT", "JSON", "CSV", "#"}
LETTERS = re.compile(r"[^\W\d_]{2,}")
HOLE = "\x00"
ATTRIBUTES = re.compile(r'^\s*[\w-]+="[^"]*"(\s+[\w-]+="[^"]*")*\s*$')  # where a Jinja expression was


# --- templates --------------------------------------------------------------------------------------------------

def _template_text(source: str) -> tuple[str, list[str]]:
    """The template as HTML with every Jinja expression replaced by a hole and every trans block removed, and the
    string literals of its output expressions that are not arguments of ``_``/``gettext``/``ngettext``."""
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    out: list[str] = []
    literals: list[str] = []
    in_trans = False
    stack: list[str] = []  # the kind of each open bracket inside an expression: "call" of a gettext name or "other"
    previous = ""
    kind = ""
    skipping = False  # inside {% block body_class %}: a class name, not text
    for _, token, value in env.lex(source):
        if token in ("variable_begin", "block_begin"):
            kind = token
            stack, previous = [], ""
            continue
        if token in ("variable_end", "block_end"):
            if kind == "variable_begin" and not in_trans:
                out.append(HOLE)
            kind = ""
            continue
        if kind == "block_begin":
            if token == "name" and previous == "" and value in ("trans", "pluralize", "endtrans"):
                in_trans = value != "endtrans"
            if token == "name" and previous == "block":
                skipping = value == "body_class"
            if token == "name" and previous == "" and value == "endblock":
                skipping = False
            if token == "name" and previous == "":
                previous = value
            continue
        if kind == "variable_begin":
            if token == "operator" and value in "([{":
                stack.append("call" if previous in ("_", "gettext", "ngettext") else "other")
            elif token == "operator" and value in ")]}":
                stack.pop() if stack else None
            elif token == "string" and not in_trans and "call" not in stack:
                literals.append(value)
            previous = value if token == "name" else ""
            continue
        if token == "data" and not in_trans and not skipping:
            out.append(value)
        elif token == "comment_begin":
            continue
    return "".join(out), literals


class _TextFinder(HTMLParser):
    """Collects text nodes and read attributes that still hold words once the holes are removed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.code_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in CODE_ELEMENTS:
            self.code_depth += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self._check(value, f"<{tag} {name}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in CODE_ELEMENTS and self.code_depth:
            self.code_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.code_depth:
            self._check(data, "text")

    def _check(self, text: str, where: str) -> None:
        words = text.replace(HOLE, " ").strip()
        if ATTRIBUTES.match(words):  # a macro that writes attributes
            return
        if set(LETTERS.findall(words)) - NOT_LANGUAGE:
            self.found.append(f"{where}: {words!r}")


def unmarked_in_template(source: str) -> list[str]:
    """User-facing text of a template that is not marked for translation."""
    html, literals = _template_text(source)
    while re.search(r"(<[A-Za-z][^<>]*)\x00", html):  # an expression inside a tag writes attributes
        html = re.sub(r"(<[A-Za-z][^<>]*)\x00", r"\1 ", html)
    finder = _TextFinder()
    finder.feed(html)
    prose = [f"string {s}" for s in literals if LETTERS.search(s) and (" " in s.strip("'\"") or re.search(r"[A-Z]", s))]
    return finder.found + prose


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_every_template_string_is_marked_for_translation(name: str) -> None:
    found = unmarked_in_template((TEMPLATES / name).read_text(encoding="utf-8"))
    assert not found, f"{name}: text not marked for translation:\n" + "\n".join(found)


@pytest.mark.parametrize("source, expected", [
    ("<p>Live captions</p>", ["text: 'Live captions'"]),
    ('<input placeholder="e.g. Brazil">', ["<input placeholder>: 'e.g. Brazil'"]),
    ("<button>{{ 'End' if live else 'Start' }}</button>", ["string 'End'", "string 'Start'"]),
    ("<p>{{ _('Live captions') }}</p>", []),
    ("<p>{% trans n=3 %}{{ n }} votes{% endtrans %}</p>", []),
    ('<input aria-label="{{ _(\'Name\') }}"><code>python run.py</code>', []),
    ("<a class=\"{{ 'danger' if x else '' }}\">{{ user.name }}</a>", []),
])
def test_the_unmarked_string_check_finds_what_it_should(source: str, expected: list[str]) -> None:
    assert unmarked_in_template(source) == expected


# --- the browser's modules --------------------------------------------------------------------------------------

#: Where a string reaches people: the property or attribute it is assigned to, or the argument it is passed as.
_SINK_BEFORE = [
    ("textContent", "="), ("innerText", "="), ("placeholder", "="), ("title", "="), ("value", "="),
    ("text", ":"), ("placeholder", ":"), ("title", ":"), ("label", ":"), ('"aria-label"', ":"), ("message", ":"),
]
_COMPARISONS = {"===", "!==", "==", "!="}
_SINK_CALLS = {"say": 1, "tell": 0, "showStatus": 0, "append": None, "prepend": None, "createTextNode": 0, "alert": 0,
               "confirm": 0, "setAttribute": 1, "button": 0}


def unmarked_in_script(source: str) -> list[str]:
    """String literals with words that reach the page (textContent, ``text:``, ``aria-label``, status lines...)
    without going through ``t()``/``tn()``."""
    with warnings.catch_warnings():  # Babel's own JavaScript lexer, which its extractor uses: the same reading
        warnings.simplefilter("ignore", DeprecationWarning)
        tokens = [tok for tok in tokenize(source) if tok.type not in ("linecomment", "multilinecomment")]
    found = [f"line {tok.lineno}: {tok.value}" for i, tok in enumerate(tokens)
             if tok.type == "string" and LETTERS.search(tok.value) and _reaches_people(tokens, i)]
    return found


def _reaches_people(tokens: list, i: int) -> bool:
    """Walk back from a string to where its expression goes: a sink (shown), ``t(`` (marked) or anything else."""
    # Babel's lexer reads "===" as "==" then "=": a string compared with a value is never shown.
    around = [tokens[k].value for k in (i - 2, i - 1, i + 1) if 0 <= k < len(tokens)]
    if any(v in _COMPARISONS for v in around):
        return False
    depth, commas = 0, 0
    for j in range(i - 1, -1, -1):
        value = tokens[j].value
        before = tokens[j - 1] if j else None
        if value in (")", "]", "}"):
            depth += 1
            continue
        if value in ("(", "[", "{") and depth:
            depth -= 1
            continue
        if depth:
            continue
        if not commas and before is not None and (before.value.split(".")[-1], value) in _SINK_BEFORE:
            return True
        if value == ";" or value == "{" or value == "[":
            return False
        if value == ",":
            commas += 1
            continue
        if value == "(":
            callee = before.value.split(".")[-1] if before is not None and before.type == "name" else None
            if callee is None:  # a grouping parenthesis: the expression goes on outside it
                continue
            if callee in ("t", "tn"):
                return False
            position = _SINK_CALLS.get(callee, -1)
            if callee == "setAttribute":
                return commas == 1 and _reads(tokens[j + 1].value)
            return position is None or position == commas
    return False


def _reads(attribute: str) -> bool:
    return attribute.strip("\"'") in READ_ATTRIBUTES


@pytest.mark.parametrize("name", sorted(p.name for p in CLIENT.glob("*.js")))
def test_every_script_string_shown_to_people_is_marked_for_translation(name: str) -> None:
    found = unmarked_in_script((CLIENT / name).read_text(encoding="utf-8"))
    assert not found, f"{name}: strings shown to people but not marked with t():\n" + "\n".join(found)


@pytest.mark.parametrize("source, expected", [
    ('el.textContent = "Live now";', ['line 1: "Live now"']),
    ('el.textContent = ok ? t("Live now") : "Ended";', ['line 1: "Ended"']),
    ('node.append(a, " by " + who);', ['line 1: " by "']),
    ('x = el("span", { class: "q-tag", text: "Your question" });', ['line 1: "Your question"']),
    ('b.setAttribute("aria-label", "Edit line " + n);', ['line 1: "Edit line "']),
    ('say(status, "Saved.", "ok");', ['line 1: "Saved."']),
    ('el.textContent = t("Live now: {sessions}", { sessions: live.join(", ") });', []),
    ('x = el("span", { class: "small secondary", "data-x": "a b" });', []),
    ('say(status, t("Saved."), "error");', []),
    ('b.setAttribute("data-kind", "Not shown");', []),
])
def test_the_script_check_finds_what_it_should(source: str, expected: list[str]) -> None:
    assert unmarked_in_script(source) == expected


# --- catalogues ---------------------------------------------------------------------------------------------------

def test_every_catalogue_has_every_message_translated() -> None:
    template = messages.extract(quiet=True)
    assert len(template) > 100  # the extraction found the sources
    problems = [p for locale in messages.LOCALES for p in messages.problems(template, messages.read(locale))]
    assert not problems, "run scripts/messages.py and translate:\n" + "\n".join(problems[:50])


def test_the_catalogue_check_finds_missing_fuzzy_and_empty_messages() -> None:
    from babel.messages.catalog import Catalog

    template = Catalog()
    for text in ("Live now", "Ended", "Scheduled", "Remote"):
        template.add(text)
    catalog = Catalog(locale="fr")
    catalog.add("Live now", "En direct")
    catalog.add("Ended", "Terminée", flags=["fuzzy"])
    catalog.add("Scheduled", "")
    assert messages.problems(template, catalog) == [
        "fr: fuzzy 'Ended'", "fr: untranslated 'Scheduled'", "fr: missing 'Remote'"]


# --- style sheets -----------------------------------------------------------------------------------------------

CSS = ROOT / "client" / "web"
PHYSICAL = re.compile(r"(?<![\w-])(?:margin|padding|border)-(?:left|right)\b|(?<![\w-])(?:left|right)\s*:|"
                      r"text-align\s*:\s*(?:left|right)|float\s*:\s*(?:left|right)|clear\s*:\s*(?:left|right)")


def css_problems(source: str) -> list[str]:
    """Physical left/right (which do not mirror for right-to-left pages) and words written by ``content``."""
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    found = [f"physical direction: {m.group(0)}" for m in PHYSICAL.finditer(source)]
    found += [f"text in content: {m.group(1)}" for m in re.finditer(r"content\s*:\s*(\"[^\"]*\"|'[^']*')", source)
              if LETTERS.search(m.group(1))]
    return found


@pytest.mark.parametrize("name", sorted(p.name for p in CSS.glob("*.css")))
def test_style_sheets_mirror_for_right_to_left_and_write_no_words(name: str) -> None:
    found = css_problems((CSS / name).read_text(encoding="utf-8"))
    assert not found, f"{name}:\n" + "\n".join(found)


@pytest.mark.parametrize("source, expected", [
    (".a { margin-left: 1rem; }", ["physical direction: margin-left"]),
    (".a { left: 0; text-align: right; }", ["physical direction: left:", "physical direction: text-align: right"]),
    ('.a::after { content: "None yet"; }', ['text in content: "None yet"']),
    ('.a { margin-inline-start: 1rem; inset-inline-end: 0; text-align: start; } .b::before { content: "— "; }', []),
    (".fl-budget-left { color: red; }", []),
])
def test_the_style_sheet_check_finds_what_it_should(source: str, expected: list[str]) -> None:
    assert css_problems(source) == expected


# --- no translation of a variable through _() -------------------------------------------------------------------

def gettext_of_variables(source: str) -> list[str]:
    """Calls of ``_``/``gettext``/``ngettext`` whose message is not a literal: the i18n extension marks what they
    return as safe markup, so a variable (a name, a title) would reach the page unescaped. Use ``| message``."""
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    tokens = [(kind, value) for _, kind, value in env.lex(source) if kind not in ("whitespace",)]
    found = []
    calls = (("name", "_"), ("name", "gettext"), ("name", "ngettext"))
    for i in range(len(tokens) - 2):
        if tokens[i] in calls and tokens[i + 1] == ("operator", "(") and tokens[i + 2][0] != "string":
            found.append(f"{tokens[i][1]}({tokens[i + 2][1]} …)")
    return found


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_translate_only_literal_messages(name: str) -> None:
    found = gettext_of_variables((TEMPLATES / name).read_text(encoding="utf-8"))
    assert not found, f"{name}: " + ", ".join(found)


def test_the_variable_check_finds_what_it_should() -> None:
    assert gettext_of_variables("{{ _(hub.name) }} {{ _('Hub') }} {{ hub.name | message }}") == ["_(hub …)"]


# --- the summary draft (transcripts/, its own catalogue) --------------------------------------------------------

SUMMARY_TEMPLATES = ROOT / "transcripts" / "templates"
GETTEXT = ("_", "gettext", "ngettext", "pgettext", "npgettext")


def unmarked_in_summary(source: str) -> list[str]:
    """Words of a Markdown summary template that reach the draft without being marked for translation: text
    between the tags, and string literals with a space or a capital letter outside a gettext call (in ``{{ }}`` and
    in ``{% %}``, where the draft builds its lists of phrases)."""
    env = jinja2.Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do"])
    found: list[str] = []
    stack: list[str] = []
    previous, kind, in_trans = "", "", False
    for lineno, token, value in env.lex(source):
        if token in ("variable_begin", "block_begin"):
            kind, stack, previous = token, [], ""
        elif token in ("variable_end", "block_end"):
            kind = ""
        elif kind:
            if kind == "block_begin" and token == "name" and previous == "" and value in ("trans", "pluralize",
                                                                                           "endtrans"):
                in_trans = value != "endtrans"
            if token == "operator" and value in "([{":
                stack.append("call" if previous in GETTEXT else "other")
            elif token == "operator" and value in ")]}":
                stack.pop() if stack else None
            elif token == "string" and "call" not in stack and LETTERS.search(value) and \
                    (" " in value.strip("'\"") or re.search(r"[A-Z]", value)):
                found.append(f"line {lineno}: string {value}")
            previous = value if token == "name" else ""
        elif token == "data" and not in_trans and LETTERS.search(value):
            found.append(f"line {lineno}: text {value.strip()!r}")
    return found


@pytest.mark.parametrize("name", sorted(p.name for p in SUMMARY_TEMPLATES.glob("summary.md.j2")))
def test_every_summary_phrase_is_marked_for_translation(name: str) -> None:
    found = unmarked_in_summary((SUMMARY_TEMPLATES / name).read_text(encoding="utf-8"))
    assert not found, f"{name}: phrases not marked for translation:\n" + "\n".join(found)


@pytest.mark.parametrize("source, expected", [
    ("## Agenda\n", ["line 1: text '## Agenda'"]),
    ('{{ "was held" if held else _("was not held") }}', ['line 1: string "was held"']),
    ('{% do made.append("by " ~ counted(n, "government")) %}', ['line 1: string "by "']),
    ('{{ counted(n, "Government") }}', ['line 1: string "Government"']),
    ("## {{ _('Agenda') }}\n| {{ g.label | label }} | {{ '-' }} |\n", []),
    ('{% do made.append(npgettext("contributions made", "by %(num)s government", "by %(num)s governments", n)) %}',
     []),
    ('{% set closing = speakers | selectattr("part", "equalto", "closing") | list %}', []),
    ("{% trans n=3 %}{{ n }} questions{% endtrans %}", []),
    ("{# a comment with words #}- {{ question(x) }}\n", []),
])
def test_the_summary_check_finds_what_it_should(source: str, expected: list[str]) -> None:
    assert unmarked_in_summary(source) == expected


def test_every_summary_draft_catalogue_has_every_phrase_translated() -> None:
    template = messages.extract(quiet=True, domain=messages.TRANSCRIPTS)
    assert len(template) > 80  # the extraction found the template's and the library's phrases
    problems = [p for locale in messages.LOCALES for p in messages.problems(template, messages.read(
        locale, messages.TRANSCRIPTS))]
    assert not problems, "run scripts/messages.py and translate:\n" + "\n".join(problems[:50])
    # The server's catalogues hold the interface only: the draft's phrases are the library's own.
    assert messages.extract(quiet=True).get("Contributions to the debate were made %(list)s.") is None


def test_summary_draft_translations_use_only_their_phrases_placeholders() -> None:
    # A placeholder the English phrase does not have would fail the draft when it is filled in; one left out is
    # allowed (Arabic writes "one government" and "two governments" in words).
    placeholder = re.compile(r"%\((\w+)\)s")
    wrong = []
    for locale in messages.LOCALES:
        for message in messages.read(locale, messages.TRANSCRIPTS):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
            allowed = {name for text in ids for name in placeholder.findall(text)} | {"num"}
            strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
            for text in strings:
                if set(placeholder.findall(text)) - allowed or re.search(r"%(?!\(\w+\)s|%)", text):
                    wrong.append(f"{locale}: {text!r}")
    assert not wrong, "\n".join(wrong)
