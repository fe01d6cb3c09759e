"""The interface's languages: the gettext catalogues (``server/locales/<locale>.po``, compiled in memory when the
app is built, so a fresh checkout needs no build step and no stale ``.mo`` can be served), the locale of each
request (cookie, else the browser's Accept-Language through Babel's ``negotiate_locale``), the browser's catalogue
(one JSON per locale, built from the same .po files), and CLDR formats of times, countries and languages."""

from __future__ import annotations

import functools
import gettext
import io
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import jinja2
from aiohttp import web
from babel import Locale, negotiate_locale
from babel.dates import format_date, format_datetime, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from markupsafe import Markup
from yarl import URL

from ..clock import now_ms
from ..domain.meetings.models import countries as all_countries
from .keys import jinja_key
from .zones import gmt_format, shown_zone, zone_name

#: The six official languages of the United Nations; English is the language of the source strings.
LOCALES = ("en", "ar", "zh", "fr", "ru", "es")
DEFAULT_LOCALE = "en"
COOKIE = "floorcast_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locales"
#: Source files whose messages the browser needs (the rest stay on the server).
_CLIENT_SOURCES = "client/web/"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
routes = web.RouteTableDef()
locale_key = web.RequestKey("locale", str)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Language:
    """One interface language: its code, its own name, and its writing direction."""

    code: str
    autonym: str
    direction: str


class Catalogues:
    """Every locale's compiled translations and the browser's share of them."""

    def __init__(self, directory: Path = LOCALE_DIR) -> None:
        self.translations: dict[str, gettext.NullTranslations] = {}
        self.browser: dict[str, dict[str, Any]] = {}
        self.languages = tuple(_language(code) for code in LOCALES)
        for code in LOCALES:
            path = directory / f"{code}.po"
            if not path.exists():
                self.translations[code] = gettext.NullTranslations()
                self.browser[code] = _browser_catalogue(code, {})
                continue
            compiled, client = _compile(path, code, path.stat().st_mtime_ns)
            self.translations[code] = gettext.GNUTranslations(io.BytesIO(compiled))
            self.browser[code] = _browser_catalogue(code, client)

    def get(self, locale: str) -> gettext.NullTranslations:
        """The translations of a locale (English: the source strings)."""
        return self.translations.get(locale, self.translations[DEFAULT_LOCALE])


@functools.cache
def _compile(path: Path, code: str, mtime_ns: int) -> tuple[bytes, dict[str, str | list[str]]]:
    """A catalogue compiled to .mo bytes, and its messages used by the browser (cached per file version: every
    app built in one process, as the tests do, shares the work)."""
    with path.open("rb") as f:
        catalog = read_po(f, locale=code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    client: dict[str, str | list[str]] = {}
    for message in catalog:
        if not message.id or message.fuzzy or not any(loc.startswith(_CLIENT_SOURCES) for loc, _ in message.locations):
            continue
        key = str(message.id[0] if isinstance(message.id, tuple | list) else message.id)
        if isinstance(message.string, tuple | list):
            if all(message.string):
                client[key] = list(message.string)
        elif message.string:
            client[key] = message.string
    return compiled.getvalue(), client


def _language(code: str) -> Language:
    locale = Locale.parse(code)
    name = locale.get_display_name(locale) or code
    return Language(code, name[:1].upper() + name[1:], "rtl" if locale.character_order == "right-to-left" else "ltr")


def _browser_catalogue(code: str, messages: Mapping[str, Any]) -> dict[str, Any]:
    # Plural forms in CLDR order (zero, one, two, few, many, other), which is the order of gettext's plural
    # indices in catalogues Babel writes: the browser picks the category with Intl.PluralRules.
    tags = Locale.parse(code).plural_form.tags | {"other"}
    order = [t for t in ("zero", "one", "two", "few", "many", "other") if t in tags]
    return {"locale": code, "plural_tags": order, "messages": dict(messages)}


def direction(locale: str) -> str:
    """``rtl`` for right-to-left scripts (Arabic), else ``ltr``."""
    return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"


def _accept_language(header: str) -> list[str]:
    """The tags of an Accept-Language header, most preferred first (q=0 excluded)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*" and q > 0:
            ranked.append((-q, i, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def choose_locale(cookie: str | None, accept_language: str | None) -> str:
    """The interface locale: the remembered choice, else the browser's best match, else English."""
    if cookie in LOCALES:
        return cookie
    preferred = [tag.replace("_", "-") for tag in _accept_language(accept_language or "")]
    found = negotiate_locale(preferred, LOCALES, sep="-")
    if found is None:  # "zh-Hans-CN", "ar-EG": their language alone
        found = negotiate_locale([p.split("-")[0].lower() for p in preferred], LOCALES, sep="-")
    return found or DEFAULT_LOCALE


def request_locale(request: web.Request) -> str:
    """The interface locale of a request (the middleware sets it; a request it did not see falls back)."""
    if locale_key in request:
        return request[locale_key]
    # ``?ui=`` first: a page opened by a program (the OBS overlay, a room screen's kiosk) has no menu to click.
    asked = request.query.get("ui")
    return choose_locale(asked if asked in LOCALES else request.cookies.get(COOKIE),
                         request.headers.get("Accept-Language"))


@web.middleware
async def locale_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Choose the request's interface locale; answers vary with the cookie and Accept-Language."""
    request[locale_key] = request_locale(request)
    response = await handler(request)
    if not response.prepared and response.content_type == "text/html":
        response.headers.add("Vary", "Accept-Language, Cookie")
    return response


#: What to say, by code, of refusals whose message is built from values (the catalogue cannot hold those): in
#: English the precise message is kept; other languages get this sentence.
REFUSALS = {
    "text_too_long": N_("The question is too long."),
    "name_required": N_("Please give your name."),
    "name_too_long": N_("The name is too long."),
    "organisation_too_long": N_("The name of the organisation is too long."),
    "hub_city_required": N_("Please give the city of your hub."),
    "hub_city_too_long": N_("The name of the hub city is too long."),
    "unknown_theme": N_("Choose a theme from the list."),
    "unknown_reason": N_("Choose a reason from the list."),
    "seq_duplicate": N_("This sequence number was already accepted."),
    "unknown_event": N_("This connection has no such event."),
}


def translate(catalogues: Catalogues, locale: str, message: str, code: str | None = None) -> str:
    """A refusal's or page's message in ``locale``: from the catalogue, else by its code, else as it is."""
    if not message:
        return message
    translations = catalogues.get(locale)
    translated = translations.gettext(message)
    if translated == message and locale != DEFAULT_LOCALE and code in REFUSALS:
        return translations.gettext(REFUSALS[code])
    return translated


# --- CLDR formats -------------------------------------------------------------------------------------------------

def format_moment(ms: int | None, zone: str, locale: str, style: str = "medium",
                  gettext: Callable[[str], str] | None = None) -> str:
    """A moment in ``zone``, the zone named as every page names it: "1 juin 2026, 11:30:00 (UTC+2)"."""
    if ms is None:
        return ""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(get_timezone(zone))
    # The same message as the browser's (time.js), so that translators place the zone once for both.
    pattern = (gettext or str)(N_("{time} ({zone})"))
    return pattern.format(time=format_datetime(moment, style, locale=locale), zone=zone_name(ms, zone, locale))


def format_day(iso: str, locale: str) -> str:
    """A calendar day (``2026-06-01``) as a reader writes it ("1 juin 2026"); the text itself if it is no date."""
    try:
        return format_date(date.fromisoformat(iso), "long", locale=locale)
    except ValueError:
        return iso


def zone_label(zone: str, locale: str, ms: int | None = None) -> str:
    """A time zone as every page names it, at ``ms`` (default: now): "GMT+4", "UTC+4" (French)."""
    return zone_name(now_ms() if ms is None else ms, zone, locale)


def country_name(code: str | None, locale: str) -> str:
    """A country (ISO 3166-1 alpha-2) in the reader's language; the code itself when CLDR has no name."""
    if not code:
        return ""
    return Locale.parse(locale).territories.get(code.upper(), code)


def language_name(code: str | None, locale: str) -> str:
    """A language (ISO 639) in the reader's language: "French", "французский", "法语"."""
    if not code:
        return ""
    return Locale.parse(locale).languages.get(code, code)


def format_number(value: float | int, locale: str) -> str:
    """A number with the reader's digits grouping and decimal sign."""
    return format_decimal(value, locale=locale)


def countries(locale: str, codes: list[str] | tuple[str, ...] | set[str]) -> list[tuple[str, str]]:
    """(code, name in ``locale``) for these country codes, sorted as a reader of that language expects."""
    named = [(code, country_name(code, locale)) for code in codes]
    return sorted(named, key=lambda item: _collation_key(item[1]))


def country_choices(request: web.Request) -> list[tuple[str, str]]:
    """Every country a form offers, named and sorted in the request's interface language."""
    return countries(request_locale(request), [code for code, _ in all_countries()])


def _collation_key(text: str) -> str:
    # Without ICU in the standard library, a case- and accent-insensitive key is the closest portable order.
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


catalogues_key = web.AppKey("catalogues", Catalogues)


# --- pages ----------------------------------------------------------------------------------------------------------

def render_html(request: web.Request, template: str, **context: Any) -> str:
    """Render a template in the request's interface language (``_``, ``ngettext`` and ``{% trans %}``)."""
    env = request.app[jinja_key]
    catalogues = request.app[catalogues_key]
    locale = request_locale(request)
    # Rendering is synchronous: nothing else runs between installing this request's translations and using them.
    # (the i18n extension adds the method to the environment, so the type checker cannot see it)
    cast(Any, env).install_gettext_translations(catalogues.get(locale), newstyle=True)
    context.setdefault("here", request.path_qs)  # where the language menu comes back to
    return env.get_template(template).render(
        request=request, ui_locale=locale, ui_dir=direction(locale), ui_languages=catalogues.languages, **context)


def install(env: jinja2.Environment) -> None:
    """Give an environment the i18n extension and the CLDR filters (they read the page's ``ui_locale``)."""
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True  # a {% trans %} block's line breaks and indentation are not text
    env.filters["moment"] = _moment_filter
    env.filters["country"] = _country_filter
    env.filters["language"] = _language_filter
    env.filters["number"] = _number_filter
    env.filters["day"] = _day_filter
    env.globals["zone_label"] = _zone_global
    env.globals["zone_id"] = _zone_id_global
    env.globals["gmt_format"] = _gmt_format_global
    env.filters["refusal"] = _refusal_filter
    # A message held in a variable: ``_()`` would mark it safe (it trusts its argument as template text), so a
    # variable goes through this filter, which translates it and leaves it to autoescaping.
    env.filters["message"] = _message_filter


@jinja2.pass_context
def _moment_filter(ctx: jinja2.runtime.Context, ms: int | None, zone: str, style: str = "medium") -> str:
    request = ctx.get("request")
    gettext = None
    if isinstance(request, web.Request) and catalogues_key in request.app:
        gettext = request.app[catalogues_key].get(ctx.get("ui_locale", DEFAULT_LOCALE)).gettext
    return format_moment(ms, shown_zone(request, zone), ctx.get("ui_locale", DEFAULT_LOCALE), style, gettext)


@jinja2.pass_context
def _country_filter(ctx: jinja2.runtime.Context, code: str | None) -> str:
    return country_name(code, ctx.get("ui_locale", DEFAULT_LOCALE))


@jinja2.pass_context
def _language_filter(ctx: jinja2.runtime.Context, code: str | None) -> str:
    return language_name(code, ctx.get("ui_locale", DEFAULT_LOCALE))


@jinja2.pass_context
def _number_filter(ctx: jinja2.runtime.Context, value: float | int) -> str:
    return format_number(value, ctx.get("ui_locale", DEFAULT_LOCALE))


@jinja2.pass_context
def _day_filter(ctx: jinja2.runtime.Context, iso: str) -> str:
    return format_day(iso, ctx.get("ui_locale", DEFAULT_LOCALE))


@jinja2.pass_context
def _message_filter(ctx: jinja2.runtime.Context, text: str) -> str:
    request = ctx.get("request")
    if not isinstance(request, web.Request) or not text:
        return str(text)
    return str(request.app[catalogues_key].get(ctx.get("ui_locale", DEFAULT_LOCALE)).gettext(str(text)))


@jinja2.pass_context
def _refusal_filter(ctx: jinja2.runtime.Context, error: Any) -> str:
    """A refusal (anything with ``message`` and ``code``) in the page's language."""
    request = ctx.get("request")
    if not isinstance(request, web.Request):
        return str(error.message)
    return translate(request.app[catalogues_key], ctx.get("ui_locale", DEFAULT_LOCALE), error.message, error.code)


@jinja2.pass_context
def _zone_global(ctx: jinja2.runtime.Context, zone: str, ms: int | None = None) -> Markup:
    """The zone the page's times are in (the reader's or the meeting's ``zone``), named at ``ms`` (default: now:
    a zone's offset changes with summer time); the browser renames it when the reader switches zones."""
    label = zone_label(shown_zone(ctx.get("request"), zone), ctx.get("ui_locale", DEFAULT_LOCALE), ms)
    if ms is None:
        return Markup('<span data-zone-label>{}</span>').format(label)
    return Markup('<span data-zone-label data-ms="{}">{}</span>').format(ms, label)


@jinja2.pass_context
def _zone_id_global(ctx: jinja2.runtime.Context, zone: str) -> Markup:
    """The IANA name of the zone the page's times are in (``data-zone-id``: the browser renames it too)."""
    return Markup('<span data-zone-id dir="ltr">{}</span>').format(shown_zone(ctx.get("request"), zone))


@jinja2.pass_context
def _gmt_format_global(ctx: jinja2.runtime.Context) -> str:
    return gmt_format(ctx.get("ui_locale", DEFAULT_LOCALE))


# --- routes ---------------------------------------------------------------------------------------------------------

@routes.get("/language/{locale}", name="language")
async def choose_language(request: web.Request) -> web.StreamResponse:
    """Remember the reader's interface language in a cookie and go back to the page they were on."""
    locale = request.match_info["locale"]
    if locale not in LOCALES:
        raise web.HTTPNotFound(text="No such interface language.")
    back = request.query.get("next", "/")
    if not back.startswith("/") or back.startswith("//") or "\\" in back:  # only ever a page of this site
        back = "/"
    target = URL(back)
    if "ui" in target.query:  # the address chose the language: it now says the new one
        back = str(target.update_query(ui=locale))
    response = web.HTTPSeeOther(back)
    response.set_cookie(COOKIE, locale, max_age=COOKIE_MAX_AGE, path="/", samesite="Lax", httponly=False)
    raise response


@routes.get("/i18n/{locale}.json", name="browser_catalogue")
async def browser_catalogue(request: web.Request) -> web.Response:
    """The browser's messages in one locale, from the same catalogue as the pages."""
    locale = request.match_info["locale"]
    if locale not in LOCALES:
        raise web.HTTPNotFound(text="No such interface language.")
    response = web.json_response(request.app[catalogues_key].browser[locale])
    response.headers["Cache-Control"] = "no-cache"
    return response
