"""Times in the meeting's zone or the reader's own: the choice on every page that shows times, remembered for the
next pages (the server's too), and a zone named the same way by the server and by the browser."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ..conftest import DEMO, WAIT
from ..test_questions import start

pytestmark = pytest.mark.browser
WAIT_MS = WAIT * 1000
S = f"/m/{DEMO}/s/morning"
MINE = "Asia/Kolkata"    # five and a half hours from UTC, one and a half from Baku, all year
FIRST_TIME = re.compile(r'<time data-ms="(\d+)"[^>]*>([^<]+)</time>')


def clock(ms: int, zone: str) -> str:
    """A moment's hours and minutes in a zone, as the pages write them (24-hour, en-GB and fr)."""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(zone)).strftime("%H:%M")


async def server_html(context: Any, url: str) -> str:
    """A page as the server writes it for this browser (its cookies), before any script runs."""
    response = await context.request.get(url)
    assert response.ok, response.status
    return await response.text()


async def test_a_reader_switches_every_page_to_their_own_time_and_back(server, http, browser):
    await start(server, http)
    context = await browser.new_context(timezone_id=MINE, locale="en-GB")
    page = await context.new_page()
    await page.goto(server.url(f"/m/{DEMO}"))
    meeting = page.get_by_role("radio", name="meeting time (GMT+4)")
    mine = page.get_by_role("radio", name="my time (GMT+5:30)")
    await mine.wait_for(timeout=WAIT_MS)
    assert await meeting.is_checked() and not await mine.is_checked()
    first = page.locator("#session-morning time[data-ms]").first
    ms = int(await first.get_attribute("data-ms"))
    assert clock(ms, "Asia/Baku") in await first.inner_text() and "(GMT+4)" in await first.inner_text()

    await mine.check()
    await page.locator("#session-morning time[data-ms]", has_text="(GMT+5:30)").first.wait_for(timeout=WAIT_MS)
    text = await first.inner_text()
    assert clock(ms, MINE) in text and clock(ms, "Asia/Baku") not in text, text
    assert await page.locator("[data-zone-label]").first.inner_text() == "GMT+5:30"
    # The browser's own name for the zone (Chromium says "Asia/Calcutta", an IANA alias the server knows too).
    resolved = await page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert await page.locator("[data-zone-id]").first.inner_text() == resolved

    # Remembered: the next pages, as the server writes them and once their scripts ran, are in the reader's time.
    rapporteur = f"{S}/rapporteur?t={await server.token('rapporteur', 'morning')}"
    for path in (f"/m/{DEMO}", S, f"{S}/queue", rapporteur, f"{S}/text"):
        html = await server_html(context, server.url(path))
        found = FIRST_TIME.search(html) or re.search(r"<time>([^<]+)</time>", html)
        assert found is not None and found.group(found.lastindex or 0).endswith("(GMT+5:30)"), (path, found)
        if path.endswith("/text"):
            continue  # no script on the low-bandwidth page
        await page.goto(server.url(path))
        await page.get_by_role("radio", name="my time (GMT+5:30)").wait_for(timeout=WAIT_MS)
        assert await page.get_by_role("radio", name="my time (GMT+5:30)").is_checked(), path
        shown = page.locator("time[data-ms]").first
        assert clock(int(await shown.get_attribute("data-ms")), MINE) in await shown.inner_text(), path
        assert (await shown.inner_text()).endswith("(GMT+5:30)"), path

    # Back to the meeting's time, on the page and for the server.
    await page.get_by_role("radio", name="meeting time (GMT+4)").check()
    await page.locator("time[data-ms]", has_text="(GMT+4)").first.wait_for(timeout=WAIT_MS)
    assert await page.locator("time[data-ms]", has_text="(GMT+5:30)").count() == 0
    assert "(GMT+5:30)" not in await server_html(context, server.url(f"/m/{DEMO}"))
    await context.close()


async def test_the_choice_is_not_offered_when_the_reader_is_in_the_meetings_zone(server, browser):
    context = await browser.new_context(timezone_id="Asia/Baku", locale="en-GB")
    page = await context.new_page()
    await page.goto(server.url(f"/m/{DEMO}"))
    await page.locator("#session-morning time[data-ms][datetime]").first.wait_for(state="attached", timeout=WAIT_MS)
    assert await page.locator("[data-time-zone]").is_hidden()
    await context.close()


@pytest.mark.parametrize("locale,meeting_label,own_label", [("en", "GMT+4", "GMT+5:30"), ("fr", "UTC+4", "UTC+5:30")])
@pytest.mark.parametrize("own", [False, True], ids=["meeting time", "own time"])
async def test_the_server_and_the_browser_name_a_zone_alike(server, browser, locale, meeting_label, own_label, own):
    context = await browser.new_context(timezone_id=MINE, locale=locale)
    cookies = [{"name": "floorcast_lang", "value": locale, "url": server.url("/")}]
    if own:
        cookies.append({"name": "floorcast_tz", "value": MINE, "url": server.url("/")})
    await context.add_cookies(cookies)
    label = own_label if own else meeting_label
    for path in (f"/m/{DEMO}", S):
        html = await server_html(context, server.url(path))
        found = FIRST_TIME.search(html)
        assert found is not None, html
        ms, written = found.groups()
        assert written.endswith(f"({label})"), written                           # the server's label
        if path == f"/m/{DEMO}":  # the agenda names the zone its times are in
            assert re.search(rf'<span data-zone-label data-ms="\d+">{re.escape(label)}</span>', html), html
        page = await context.new_page()
        await page.goto(server.url(path))
        time = page.locator(f'time[data-ms="{ms}"]').first
        await page.locator(f'time[data-ms="{ms}"][datetime]').first.wait_for(state="attached", timeout=WAIT_MS)
        rewritten = await time.inner_text()
        assert rewritten.endswith(f"({label})"), rewritten                       # the browser's, the same
        assert clock(int(ms), MINE if own else "Asia/Baku") in rewritten, rewritten
        if path == f"/m/{DEMO}":
            assert await page.locator("[data-zone-label]").first.inner_text() == label
        await page.close()
    await context.close()
