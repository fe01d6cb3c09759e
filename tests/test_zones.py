"""The zone a page's times are in (the meeting's, the cookie's, the address's) and how a zone is named."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from server.web.zones import COOKIE, offset_text, zone_name

from .conftest import DEMO

S = f"/m/{DEMO}/s/morning"
#: 5 November 2012, 06:30 UTC: the demo meeting's first session opens (10:30 in Baku).
OPENING = int(datetime(2012, 11, 5, 6, 30, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize("zone,locale,expected", [
    ("Asia/Baku", "en", "GMT+4"),
    ("Asia/Baku", "fr", "UTC+4"),
    ("Asia/Baku", "ar", "غرينتش+4"),
    ("Asia/Kolkata", "en", "GMT+5:30"),
    ("America/New_York", "es", "GMT-5"),
    ("Europe/London", "en", "GMT"),
    ("UTC", "fr", "UTC"),
])
def test_a_zone_is_named_by_its_offset_in_the_readers_language(zone, locale, expected):
    assert zone_name(OPENING, zone, locale) == expected


def test_a_zone_is_named_by_its_offset_at_that_moment():
    summer = int(datetime(2026, 6, 1, 9, 0, tzinfo=UTC).timestamp() * 1000)
    assert (zone_name(summer, "Europe/Paris", "fr"), zone_name(OPENING, "Europe/Paris", "fr")) == ("UTC+2", "UTC+1")


def test_offsets_are_written_short():
    assert [offset_text(m) for m in (0, 240, -300, 330, -570)] == ["", "+4", "-5", "+5:30", "-9:30"]


async def test_a_zone_named_in_the_address_writes_the_times_in_it(server, http):
    async with http.get(server.url(f"{S}/text?tz=Europe/Paris&lang=en")) as r:
        body = await r.text()
    assert r.status == 200
    assert re.search(r"<time>11/5/12, 7:30\sAM \(GMT\+1\)</time>", body), body
    assert 'href="?lang=fr&amp;tz=Europe/Paris"' in body  # its own links keep the zone
    async with http.get(server.url(f"/m/{DEMO}?tz=America/New_York")) as r:
        body = await r.text()
    assert '<span data-zone-id dir="ltr">America/New_York</span>' in body
    assert re.search(r"1:30:00\sAM \(GMT-5\)</time>", body), body


async def test_the_remembered_zone_writes_the_times_and_an_unknown_one_is_ignored(server, http):
    async with http.get(server.url(f"/m/{DEMO}"), headers={"Cookie": f"{COOKIE}=Asia/Kolkata"}) as r:
        assert re.search(r"12:00:00\sPM \(GMT\+5:30\)</time>", await r.text())
    async with http.get(server.url(f"/m/{DEMO}"), headers={"Cookie": f"{COOKIE}=Mars/Olympus_Mons"}) as r:
        body = await r.text()
    assert r.status == 200 and re.search(r"10:30:00\sAM \(GMT\+4\)</time>", body)


async def test_an_unknown_zone_in_the_address_is_refused_clearly(server, http):
    async with http.get(server.url(f"{S}/text?tz=Europe/Pariss"), headers={"Accept": "application/json"}) as r:
        error = (await r.json())["error"]
    assert r.status == 400 and error["code"] == "unknown_time_zone", error
    assert "IANA" in error["message"]
    async with http.get(server.url(f"{S}/text?tz=../../etc/passwd"), headers={"Accept-Language": "fr"}) as r:
        body = await r.text()
    assert r.status == 400 and "Fuseau horaire inconnu" in body
    async with http.get(server.url(f"{S}/text")) as r:  # and the server keeps serving
        assert r.status == 200
