"""The front end as ES modules in a real browser: every page loads one bootstrap module, runs without console
errors, leaves no globals on ``window``, opens exactly one Socket.IO connection per namespace it uses, and shows
times in the meeting's time zone whatever the zone of the reader's device."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.web.keys import sio_key

from ..conftest import DEMO, WAIT, name_moderator
from ..test_questions import start

pytestmark = pytest.mark.browser
WAIT_MS = WAIT * 1000
MEETING_ZONE = ZoneInfo("Asia/Baku")   # the demo meeting's time zone
BROWSER_ZONE = "America/New_York"      # nine hours away from Baku
OLD_GLOBALS = ["Floorcast", "FloorcastFloor", "FloorcastQuestions", "FloorcastCaptions", "io"]
S = f"/m/{DEMO}/s/morning"


class Watched:
    """A page with its console errors, uncaught exceptions and the Socket.IO namespace CONNECT packets it sent
    (with their ``auth`` payload) and had accepted."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.sent: list[tuple[str, str]] = []   # (namespace, auth JSON) of every CONNECT packet sent
        self.joined: list[str] = []             # namespaces the server accepted, once per acceptance
        self._changed = asyncio.Condition()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                and not m.location.get("url", "").endswith("/favicon.ico") else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("websocket", self._socket)

    def _socket(self, ws: Any) -> None:
        ws.on("framesent", lambda payload: self._frame(payload, self.sent.append))
        ws.on("framereceived", lambda payload: self._frame(payload, lambda found: self.joined.append(found[0])))

    def _frame(self, payload: Any, record: Any) -> None:
        match = re.match(r"40(/[a-z]+),(.*)", payload if isinstance(payload, str) else "", re.S)
        if match:
            record((match.group(1), match.group(2)))
            asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def until(self, predicate: Any) -> None:
        """Wait (bounded) until ``predicate()`` holds."""
        async def _wait() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)
        await asyncio.wait_for(_wait(), WAIT)

    async def open(self, url: str, namespaces: set[str]) -> None:
        """Load the page and wait (bounded) until the server accepted every expected namespace."""
        await self.page.goto(url)
        await self.until(lambda: set(self.joined) >= namespaces)


async def test_every_page_runs_one_bootstrap_module_without_globals(server, http, browser):
    await start(server, http)
    moderator = await server.token("moderator", "morning")
    pages = [
        ("meetings", "/", set()),
        ("meeting home", f"/m/{DEMO}", {"/live"}),
        ("join", f"/m/{DEMO}/join?t={await server.token('participant')}", set()),
        ("admin", f"/m/{DEMO}/admin?t={await server.token('admin')}", set()),
        ("session", S, {"/live"}),
        ("room screen", f"{S}/screen", {"/live"}),
        ("overlay", f"{S}/overlay", {"/live"}),
        ("queue", f"{S}/queue", {"/live"}),
        ("moderator", f"{S}/moderate?t={moderator}", {"/live", "/moderate"}),
        ("captioner", f"{S}/caption?t={await server.token('captioner', 'morning')}", {"/caption"}),
        ("rapporteur", f"{S}/rapporteur?t={await server.token('rapporteur', 'morning')}", set()),
    ]
    context = await browser.new_context()
    for name, path, namespaces in pages:
        watched = Watched(await context.new_page())
        await watched.open(server.url(path), namespaces)
        page = watched.page
        scripts = await page.evaluate(
            "Array.from(document.scripts).map(s => [s.type, new URL(s.src, location.href).pathname])")
        assert scripts == [["module", "/static/app.js"]], (name, scripts)
        leaked = await page.evaluate("names => names.filter(n => n in window)", OLD_GLOBALS)
        assert leaked == [], (name, leaked)
        # One connection per namespace: each panel of the page shares it (one attendance record on /live).
        assert sorted(ns for ns, _ in watched.sent) == sorted(namespaces), (name, watched.sent)
        if namespaces and await page.locator(".connection").count():
            await page.locator(".connection[data-status=online]").wait_for(state="attached", timeout=WAIT_MS)
        assert watched.errors == [], (name, watched.errors)
        await page.close()
    await context.close()


async def test_a_page_reconnects_when_the_server_closes_its_connection(server, http, browser):
    """The server closes every connection when it shuts down; the page connects again, resuming its captions."""
    await start(server, http)
    ingest = server.url(f"{S}/ingest/streamtext?t={await server.token('captioner')}")
    async with http.post(ingest, data="First line\n") as r:
        assert r.status == 200
    watched = Watched(await browser.new_page())
    await watched.open(server.url(S), {"/live"})
    page = watched.page
    await page.locator(".caption-line", has_text="First line").wait_for(timeout=WAIT_MS)
    sio = server.app[sio_key]  # as the server does on shutdown: close every connection from its side
    for sid, _ in list(sio.manager.get_participants("/live", None)):
        await sio.disconnect(sid, namespace="/live")
    await watched.until(lambda: watched.joined.count("/live") == 2)
    assert [json.loads(auth).get("last_seq") for _, auth in watched.sent] == [None, 1]
    await page.locator(".connection[data-status=online]").wait_for(state="attached", timeout=WAIT_MS)
    async with http.post(ingest, data="Second line\n") as r:
        assert r.status == 200
    await page.locator(".caption-line", has_text="Second line").wait_for(timeout=WAIT_MS)
    assert await page.locator(".caption-line").all_inner_texts() == ["First line", "Second line"]
    assert watched.errors == []


def baku(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, MEETING_ZONE)


async def test_times_are_in_the_meeting_time_zone_whatever_the_browser_zone(server, http, browser):
    await start(server, http)
    context = await browser.new_context(timezone_id=BROWSER_ZONE, locale="en-GB")
    page = await context.new_page()
    assert await page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == BROWSER_ZONE

    # Agenda times written by the server as milliseconds, formatted by the page.
    await page.goto(server.url(f"/m/{DEMO}"))
    first = page.locator("#session-morning time[data-ms]").first
    await page.locator("#session-morning time[data-ms][datetime]").first.wait_for(state="attached", timeout=WAIT_MS)
    ms = int(await first.get_attribute("data-ms"))
    shown = await first.inner_text()
    local = baku(ms)
    elsewhere = datetime.fromtimestamp(ms / 1000, ZoneInfo(BROWSER_ZONE))
    assert local.strftime("%H:%M") != elsewhere.strftime("%H:%M")
    assert f"{local.day} {local:%b} {local.year}" in shown and local.strftime("%H:%M") in shown, shown
    assert elsewhere.strftime("%H:%M") not in shown, shown
    assert await first.get_attribute("datetime") == datetime.fromtimestamp(ms / 1000, ZoneInfo("UTC")).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")

    # Times the pages compute live: the moderator closes questions now and sees since when.
    moderator = await context.new_page()
    await moderator.goto(server.url(f"{S}/moderate?t={await server.token('moderator', 'morning')}"))
    await name_moderator(moderator)
    await moderator.get_by_text("Question options").click()
    closing = moderator.locator("#qm-closing")
    await closing.filter(has_text="Open to new questions.").wait_for(timeout=WAIT_MS)
    before = int(datetime.now().timestamp() * 1000)
    await moderator.get_by_role("button", name="Close now").click()
    await closing.filter(has_text="Closed to new questions since").wait_for(timeout=WAIT_MS)
    after = int(datetime.now().timestamp() * 1000)
    text = await closing.inner_text()
    minutes = {baku(t).strftime("%H:%M") for t in range(before - 60_000, after + 60_000, 30_000)}
    assert any(f"since {m} (GMT+4)." in text for m in minutes), (text, minutes)  # every time says its zone

    # A captioner handover, pushed live: its time on the captioner page and on the moderator page.
    captioner = await context.new_page()
    await captioner.goto(server.url(f"{S}/caption?t={await server.token('captioner', 'morning')}"))
    await captioner.locator(".connection[data-status=online]").wait_for(state="attached", timeout=WAIT_MS)
    box = captioner.locator("[data-caption-input]")
    await box.press_sequentially("From the page", delay=5)
    await box.press("Enter")
    await captioner.locator(".recent-line", has_text="From the page").wait_for(timeout=WAIT_MS)
    async with http.post(server.url(f"{S}/ingest/streamtext?t={await server.token('captioner')}"),
                         data="From CAT\n") as r:
        assert r.status == 200
    handover = captioner.locator("[data-handovers] li time")
    await handover.wait_for(timeout=WAIT_MS)
    at = baku(int(await handover.get_attribute("data-ms")))
    assert await handover.inner_text() == at.strftime("%H:%M:%S") + " (GMT+4)"
    listed = moderator.locator("[data-moderator-handovers] li").filter(has_text="took over from")
    await listed.wait_for(timeout=WAIT_MS)
    assert (await listed.inner_text()).startswith(at.strftime("%H:%M") + " (GMT+4) — ")
    await context.close()


STORE_CHECKS = """async () => {
  const { SeqStore } = await import("/static/seq-store.js");
  const out = {};
  // Keyed (floor, questions): an older push after a newer snapshot is dropped; the same seq is merged.
  const q = new SeqStore({ merge: true });
  q.reset([[1, { id: 1, status: "pending" }]], 4);
  out.stale = q.put(1, { id: 1, status: "withdrawn" }, 3);
  out.newer = q.put(1, { id: 1, status: "published" }, 6);
  out.merged = q.put(1, { id: 1, mine: true }, 6) && q.get(1);
  out.removed = q.remove(1, 7);
  out.back = q.put(1, { id: 1, status: "published" }, 6);
  q.reset([[1, { id: 1, status: "pending" }], [2, { id: 2 }]], 5);  // a snapshot older than the removal
  out.afterReset = q.all().map(x => x.id);
  // Ordered (captions): duplicates dropped, a gap noticed, parked entries released once it is filled.
  const gaps = [];
  const log = new SeqStore({ onGap: last => gaps.push(last) });
  out.first = log.append(1, "a");
  out.gap = log.append(3, "c");
  out.duplicate = log.append(1, "a");
  out.filled = log.append(2, "b");
  out.gaps = gaps;
  out.last = log.seq;
  return out;
}"""


async def test_the_seq_store_drops_stale_updates_and_notices_gaps(server, browser):
    page = await browser.new_page()
    await page.goto(server.url(f"/m/{DEMO}"))
    out = await page.evaluate(STORE_CHECKS)
    assert out["stale"] is False and out["newer"] is True
    assert out["merged"] == {"id": 1, "status": "published", "mine": True}
    assert out["removed"] is True and out["back"] is False
    assert out["afterReset"] == [2]
    assert (out["first"], out["gap"], out["duplicate"], out["filled"]) == (["a"], [], [], ["b", "c"])
    assert (out["gaps"], out["last"]) == ([1], 3)
