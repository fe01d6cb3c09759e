"""Attendance over real sockets: one person is one row however many pages they open or how often they reconnect,
and a session never started has no attendance and is reported as not held."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import aiohttp

from .conftest import DEMO, WAIT

ANA = {"name": "Ana Souza", "organisation": "Anatel", "country": "BR", "group": "government", "mode": "remote",
       "listed": True}


async def register(server: Any, body: dict[str, Any], token: str | None = None) -> dict[str, str]:
    """Register through the API with a join (or hub) link; returns the cookies to connect with."""
    token = token or await server.token("participant")
    async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http,
                http.post(server.url(f"/api/meetings/{DEMO}/participants?t={token}"), json=body) as r):
        assert r.status == 201, await r.text()
        return {f"fc_p_{DEMO}": r.cookies[f"fc_p_{DEMO}"].value}


async def attendance(server: Any, http: aiohttp.ClientSession, session: str) -> list[dict[str, Any]]:
    rapporteur = await server.token("rapporteur", session)
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/{session}/attendance?t={rapporteur}")) as r:
        assert r.status == 200, await r.text()
        return (await r.json())["attendance"]


async def pack(server: Any, http: aiohttp.ClientSession, session: str) -> dict[str, bytes]:
    rapporteur = await server.token("rapporteur", session)
    async with http.get(server.url(f"/m/{DEMO}/s/{session}/pack.zip?t={rapporteur}")) as r:
        assert r.status == 200, await r.text()
        with zipfile.ZipFile(io.BytesIO(await r.read())) as z:
            return {name: z.read(name) for name in z.namelist()}


async def test_several_pages_and_reconnects_are_one_person(server, http, connect, inbox, live):
    cookies = await register(server, ANA)
    moderator = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"))
    box = inbox(moderator, "/moderate", "attendance_changed")
    pages = [await connect("/live", session="morning", cookies=cookies) for _ in range(4)]  # four tabs
    await box.wait_count("attendance_changed", 4)
    await pages[0].disconnect()  # a tab closed
    await pages[1].disconnect()  # a network blip...
    pages.append(await connect("/live", session="morning", cookies=cookies))  # ...and the page reconnects
    await box.wait_count("attendance_changed", 7)
    rows = await attendance(server, http, "morning")
    assert len(rows) == 1
    [ana] = rows
    assert (ana["name"], ana["kind"], ana["leave_ms"]) == ("Ana Souza", "person", None)  # still there
    assert len(ana["intervals"]) == 1 and ana["join_ms"] == ana["intervals"][0][0]
    assert ana["attended_ms"] == ana["intervals"][0][1] - ana["intervals"][0][0] >= 0
    for page in pages[2:]:
        await page.disconnect()
    await box.wait_count("attendance_changed", 10)
    [ana] = await attendance(server, http, "morning")
    assert ana["leave_ms"] is not None and ana["leave_ms"] >= ana["join_ms"]
    export = json.loads((await pack(server, http, "morning"))["transcript.json"])
    assert [a["name"] for a in export["attendance"]] == ["Ana Souza"]
    figures = json.loads((await pack(server, http, "morning"))["figures.json"])
    assert (figures["attendance"]["persons"], figures["attendance"]["registered"]) == (1, 1)
    assert figures["annex"] == [{"name": "Ana Souza", "organisation": "Anatel", "country": "BR",
                                 "group": "government", "group_label": "Governments", "mode": "remote"}]


async def test_a_session_never_started_has_no_attendance_and_was_not_held(server, http, connect, inbox):
    cookies = await register(server, ANA)
    await register(server, {**ANA, "name": "Bruno Lima"})
    moderator = await connect("/moderate", session="afternoon", t=await server.token("moderator", "afternoon"))
    box = inbox(moderator, "/moderate", "attendance_changed")
    page = await connect("/live", session="afternoon", cookies=cookies)  # waits on the page for a start...
    await box.wait_count("attendance_changed", 1)
    await page.disconnect()  # ...that never comes
    await box.wait_count("attendance_changed", 2)
    assert await attendance(server, http, "afternoon") == []
    files = await pack(server, http, "afternoon")
    export = json.loads(files["transcript.json"])
    assert export["session"]["started_ms"] is None and export["attendance"] == []
    assert len(export["registrations"]) == 2
    figures = json.loads(files["figures.json"])
    assert (figures["held"], figures["not_held"]) == ([], ["afternoon"])
    assert (figures["attendance"]["persons"], figures["attendance"]["registered"]) == (0, 2)
    summary = files["summary.md"].decode()
    assert "The session was not held. It had been scheduled" in summary
    assert "was held" not in summary and "attended by" not in summary and "registered participants" not in summary
