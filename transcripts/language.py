"""The languages a summary draft is written in: the six official languages of the United Nations.

Each language has its own gettext catalogue, ``transcripts/locales/<code>.po`` (extracted from this library by
``scripts/messages.py``, as the server's are), compiled in memory the first time it is used, so a checkout needs no
build step and no stale ``.mo`` file can be read. Numbers, dates, times, lists, country and language names follow
the language's CLDR data through Babel.

English is the language of the source phrases and keeps the draft's established house style: dates such as
``5-6 November 2012``, numbers up to ten in words (``three presentations``) and countries by ISO code. The other
languages write numbers in figures (a number in words would have to agree in gender and case with its noun),
name countries in their own language and join lists with their own words.

A phrase translated for a draft is a ``Phrase``: Markdown already, whose values were escaped when they were put
in, so the template's output does not escape it again.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_interval, format_skeleton
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from . import clock, markdown

#: The six official languages of the United Nations; English is the language of the source phrases.
LANGUAGES = ("en", "ar", "zh", "fr", "ru", "es")
SOURCE = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locales"
SMALL_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


class UnknownLanguage(ValueError):
    """A draft was asked for in a language it is not written in."""

    def __init__(self, code: object) -> None:
        super().__init__(f"no summary draft in language {code!r} (languages: {', '.join(LANGUAGES)})")


class Phrase(str):
    """Markdown made by the draft itself (a translated phrase with its values escaped): never escaped again."""

    __slots__ = ()


def N_(message: str) -> str:
    """Mark a phrase for extraction; it is translated where it is used."""
    return message


class Language:
    """One language of the draft: its translations and its CLDR formats."""

    def __init__(self, code: str, translations: gettext.NullTranslations) -> None:
        self.code = code
        self.locale = Locale.parse(code)
        self.translations = translations
        self.direction = "rtl" if self.locale.character_order == "right-to-left" else "ltr"

    # --- phrases ----------------------------------------------------------------------------------------------

    def markdown(self, value: Any) -> str:
        """A value as Markdown text: a phrase as it is, a whole number in this language's digits, else escaped."""
        if isinstance(value, Phrase):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return self.number(value)
        return "" if value is None else markdown.escape(str(value))

    # The phrase functions take their own arguments by position only: a {% trans %} block passes its values as
    # keywords, whatever their names (``n``, ``message``...).
    def _fill(self, message: str, variables: dict[str, Any]) -> Phrase:
        # Every phrase is a format string, as with Jinja2's newstyle gettext: a literal percent sign is written %%.
        return Phrase(message % {name: self.markdown(value) for name, value in variables.items()})

    def gettext(self, message: str, /, **variables: Any) -> Phrase:
        """A phrase in this language with its ``%(name)s`` values put in."""
        return self._fill(self.translations.gettext(message), variables)

    def pgettext(self, context: str, message: str, /, **variables: Any) -> Phrase:
        """A phrase of a given context (the same English words translated apart)."""
        return self._fill(self.translations.pgettext(context, message), variables)

    def ngettext(self, singular: str, plural: str, n: int, /, **variables: Any) -> Phrase:
        """The form of a phrase that agrees with ``n`` under this language's CLDR plural rule (``num`` is ``n``)."""
        variables.setdefault("num", n)
        return self._fill(self.translations.ngettext(singular, plural, n), variables)

    def npgettext(self, context: str, singular: str, plural: str, n: int, /, **variables: Any) -> Phrase:
        """``ngettext`` with a context."""
        variables.setdefault("num", n)
        return self._fill(self.translations.npgettext(context, singular, plural, n), variables)

    def phrase(self, message: str, /, **variables: Any) -> str:
        """A phrase as plain text with its values put in as they are (for titles and document properties, which
        are not Markdown)."""
        return self.translations.gettext(message) % variables

    def label(self, value: Any) -> str:
        """A label from the record (a stakeholder group, a unit) in this language when the catalogue has it."""
        text = "" if value is None else str(value)
        return self.translations.gettext(text) if text else text

    # --- CLDR formats -----------------------------------------------------------------------------------------

    def number(self, n: float | int) -> Phrase:
        """A number with this language's digits and grouping."""
        return Phrase(format_decimal(n, locale=self.locale))

    def spell(self, n: int) -> Phrase:
        """A count as the draft writes it in running text: in figures (English spells up to ten)."""
        return self.number(n)

    def join(self, items: Iterable[Any]) -> Phrase:
        """``a``, ``a and b``, ``a, b and c`` in this language's words, each item escaped."""
        escaped = [self.markdown(i) for i in items]
        return Phrase(format_list(escaped, locale=self.locale) if escaped else "")

    def series(self, items: Iterable[Any]) -> Phrase:
        """Items separated by this language's comma, with no conjunction."""
        return Phrase(self.translations.pgettext("list separator", ", ").join(self.markdown(i) for i in items))

    def date(self, day: dt.date) -> Phrase:
        """A day as this language writes it in a document (``5 novembre 2012``)."""
        return Phrase(format_date(day, "long", locale=self.locale))

    def dates(self, days: Iterable[dt.date]) -> Phrase:
        """The days a meeting was held, as one date or a range."""
        seen = list(days)
        if not seen:
            return Phrase("")
        first, last = min(seen), max(seen)
        if first == last:
            return self.date(first)
        if "yMMMMd" in self.locale.interval_formats:
            return Phrase(format_interval(first, last, "yMMMMd", locale=self.locale))
        fallback = self.locale.interval_formats.get(None) or "{0} - {1}"
        return Phrase(str(fallback).format(self.date(first), self.date(last)))

    def time(self, moment: dt.datetime | dt.time) -> Phrase:
        """A time of day on the 24-hour clock, in this language's digits."""
        return Phrase(format_skeleton("Hm", moment, locale=self.locale))

    def hours(self, start: dt.datetime, end: dt.datetime) -> Phrase:
        """From one time to another: ``10:30-12:00``."""
        return Phrase(f"{self.time(start)}-{self.time(end)}")

    def country(self, code: str | None) -> str:
        """A country (ISO 3166-1 alpha-2) by its name in this language; the code when CLDR has no name."""
        if not code:
            return ""
        return str(self.locale.territories.get(code.upper(), code))

    def language(self, code: str | None) -> str:
        """A language (ISO 639) by its name in this language."""
        if not code:
            return ""
        return str(self.locale.languages.get(code, code))

    def duration(self, ms: int | float) -> Phrase:
        """A duration for people: ``1 h 05 min``, ``4 min 20 s`` or ``35 s`` (Markdown: CLDR digits and the
        catalogue's units, nothing from the record)."""
        seconds = round(max(ms, 0) / 1000)
        two = functools.partial(format_decimal, format="00", locale=self.locale)
        if seconds >= 3600:
            return Phrase(self.translations.gettext("%(hours)s h %(minutes)s min") % {
                "hours": self.number(seconds // 3600), "minutes": two(seconds // 60 % 60)})
        if seconds >= 60:
            return Phrase(self.translations.gettext("%(minutes)s min %(seconds)s s") % {
                "minutes": self.number(seconds // 60), "seconds": two(seconds % 60)})
        return Phrase(self.translations.gettext("%(seconds)s s") % {"seconds": self.number(seconds)})


class English(Language):
    """The source language, in the draft's established UN house style."""

    def join(self, items: Iterable[Any]) -> Phrase:
        """``a``, ``a and b``, ``a, b and c`` (no comma before "and")."""
        escaped = [self.markdown(i) for i in items]
        return Phrase(" and ".join(escaped) if len(escaped) < 3 else ", ".join(escaped[:-1]) + " and " + escaped[-1])

    def spell(self, n: int) -> Phrase:
        """Numbers up to ten in words, as UN editors write them (``seven presentations``); larger ones in figures."""
        return Phrase(SMALL_NUMBERS[n]) if 0 <= n < len(SMALL_NUMBERS) else self.number(n)

    def dates(self, days: Iterable[dt.date]) -> Phrase:
        """``5 November 2012``, ``5-6 November 2012`` or ``30 November 2012 - 1 December 2012``."""
        seen = list(days)
        if not seen:
            return Phrase("")
        first, last = min(seen), max(seen)
        if first == last:
            return self.date(first)
        if (first.year, first.month) == (last.year, last.month):
            return Phrase(f"{first.day}-{clock.long_date(last)}")
        return Phrase(f"{clock.long_date(first)} - {clock.long_date(last)}")

    def date(self, day: dt.date) -> Phrase:
        """``18 May 2012``."""
        return Phrase(clock.long_date(day))

    def country(self, code: str | None) -> str:
        """The ISO code, as the English draft has always written it."""
        return code or ""


@functools.cache
def _compiled(path: Path, code: str, mtime_ns: int) -> bytes:
    """A catalogue compiled to .mo bytes (cached per file version)."""
    with path.open("rb") as f:
        catalog = read_po(f, locale=code)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def translations(code: str, directory: Path = LOCALE_DIR) -> gettext.NullTranslations:
    """The compiled catalogue of a language (the source phrases themselves when it has none)."""
    path = directory / f"{code}.po"
    if not path.exists():
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(_compiled(path, code, path.stat().st_mtime_ns)))


def get(code: str | None = None) -> Language:
    """The language of a draft by its code (``None``: English); raises ``UnknownLanguage`` for any other code."""
    code = SOURCE if code is None else code
    if code not in LANGUAGES:
        raise UnknownLanguage(code)
    return (English if code == SOURCE else Language)(code, translations(code))
