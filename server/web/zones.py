"""Which time zone a page writes its times in, and how a zone is named.

A reader sees times in the meeting's zone, or in their own: the pages with JavaScript offer the choice and remember
it in a cookie holding the browser's IANA zone, which the server then writes its times in too; a page opened
without JavaScript can name a zone in its address (``?tz=Europe/Paris``). A zone that is not in the IANA database is
refused in the address (400, ``unknown_time_zone``) and ignored in the cookie (a stale cookie must not break pages).

A zone is named one way everywhere, on the server and in the browser: CLDR's localized GMT format of its offset at
that moment ("GMT+4", "UTC+5:30" in French, "غرينتش-5" in Arabic), the locale's pattern coming from Babel. The pages
hand that pattern to the browser (``data-gmt-format``), which fills it with the offset Intl computes, so both write
the same label."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web
from babel import Locale

from ..domain.errors import InvalidInput

COOKIE = "floorcast_tz"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: The zone the reader asked for (address or cookie), validated; absent: the meeting's.
zone_key = web.RequestKey("time_zone", str)


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def known_zone(name: str | None) -> str | None:
    """``name`` if it is a zone of the IANA database, else None."""
    return name if name and name in _known_zones() else None


@web.middleware
async def zone_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read the reader's zone from ``?tz=`` (refused when unknown) or the cookie (ignored when unknown)."""
    asked = request.query.get("tz")
    if asked is not None:
        if known_zone(asked) is None:
            raise InvalidInput(
                "Unknown time zone: use a name from the IANA time zone database, such as Europe/Paris.",
                code="unknown_time_zone", field="tz")
        request[zone_key] = asked
    elif (remembered := known_zone(request.cookies.get(COOKIE))) is not None:
        request[zone_key] = remembered
    return await handler(request)


def shown_zone(request: web.Request | None, meeting_zone: str) -> str:
    """The zone a page writes the meeting's times in: the reader's choice, else the meeting's."""
    if isinstance(request, web.Request) and zone_key in request:
        return request[zone_key]
    return meeting_zone


def gmt_format(locale: str) -> str:
    """The locale's localized GMT pattern with ``{0}`` for the offset ("GMT{0}", "UTC{0}", "غرينتش{0}")."""
    return str(Locale.parse(locale).zone_formats["gmt"]).replace("%s", "{0}")


def offset_text(minutes: int) -> str:
    """An offset as the short localized GMT format writes it: "+4", "-5", "+5:30", "" for none."""
    if minutes == 0:
        return ""
    hours, rest = divmod(abs(minutes), 60)
    return ("+" if minutes > 0 else "-") + str(hours) + (f":{rest:02d}" if rest else "")


def offset_minutes(ms: int, zone: str) -> int:
    """The offset from UTC of ``zone`` at the moment ``ms``, in minutes."""
    offset = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(zoneinfo.ZoneInfo(zone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def zone_name(ms: int, zone: str, locale: str) -> str:
    """``zone`` at the moment ``ms`` named as every page names it: "GMT+4", "UTC+1" (French), "GMT" at zero."""
    return gmt_format(locale).replace("{0}", offset_text(offset_minutes(ms, zone)))
