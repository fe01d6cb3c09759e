"""Page weight benchmark: the bytes a first visit transfers, compressed as served, in a real browser.

Starts the server on an ephemeral port with a fresh data directory and the demo meeting, starts the morning session
and posts caption lines, then opens in headless Chromium (an empty cache) the participant's session page, as a
registered participant, and the no-JS page (``…/text``). For each it prints every HTTP response with its size on
the wire (body as encoded, as Chromium reports it) and the size decoded, then the totals. Socket.IO's WebSocket
frames are not HTTP responses and are not counted.

    python bench/bench_pages.py
    python bench/bench_pages.py --lines 200   # more caption lines in the backlog
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import socketio
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.settings import Settings
from server.storage import meetings as meetings_db
from server.web.app import create_app
from server.web.keys import db_key, link_key_key

CHROMIUM = "/usr/bin/chromium"
SLUG = "ec-baku-2012"
LINE = "The chair thanked the delegations and opened the floor on the second theme, enhanced cooperation."


async def tokens(app: Any) -> dict[tuple[str, str | None], str]:
    """The demo meeting's active tokens by (role, session)."""
    meeting_id, _ = await meetings_db.load_meeting(app[db_key], SLUG)
    return {(link.role.value, link.session_id): link.token
            for link in await meetings_db.active_links(app[db_key], app[link_key_key], meeting_id)}


async def prepare(base: str, found: dict[tuple[str, str | None], str], lines: int) -> None:
    """Start the morning session and caption ``lines`` lines."""
    import aiohttp

    async with aiohttp.ClientSession() as http, http.post(
            f"{base}/api/meetings/{SLUG}/sessions/morning/start?t={found[('moderator', 'morning')]}") as r:
        r.raise_for_status()
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(base, namespaces=["/caption"], transports=["websocket"],
                         auth={"meeting": SLUG, "session": "morning", "t": found[("captioner", "morning")]})
    try:
        for n in range(lines):
            reply = await client.call("caption_append", {"lang": "en", "text": f"{n} {LINE}\n"},
                                      namespace="/caption", timeout=10)
            assert reply["ok"], reply
    finally:
        await client.disconnect()


async def visit(browser: Any, url: str, register: str | None = None) -> list[tuple[str, int, int]]:
    """Open ``url`` in a fresh context (registered first with ``register``): (path, bytes on the wire, decoded)."""
    context = await browser.new_context()
    if register:
        reply = await context.request.post(register, data={
            "name": "Bench Reader", "organisation": "Bench", "country": "KE", "group": "civil", "mode": "remote"})
        assert reply.status == 201, await reply.text()
    page = await context.new_page()
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response))
    await page.goto(url)
    await page.wait_for_load_state("networkidle")
    rows = []
    for response in responses:
        sizes = await response.request.sizes()
        body = await response.body() if response.status == 200 else b""
        path = urlsplit(response.url).path
        rows.append((path, sizes["responseBodySize"] + sizes["responseHeadersSize"], len(body)))
    await context.close()
    return rows


def report(title: str, rows: list[tuple[str, int, int]]) -> None:
    print(f"\n{title}")
    for path, wire, decoded in rows:
        print(f"  {wire:>8,} B  {decoded:>8,} B decoded  {path}")
    print(f"  {sum(r[1] for r in rows):>8,} B  {sum(r[2] for r in rows):>8,} B decoded  "
          f"total, {len(rows)} responses (headers included in the first column)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=40, help="caption lines in the backlog (default 40)")
    args = parser.parse_args()
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", port=0, log_json=False)
        app = create_app(settings)
        async with TestServer(app, port=0) as server:
            base = str(server.make_url("")).rstrip("/")
            found = await tokens(app)
            await prepare(base, found, args.lines)
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
                join = f"{base}/api/meetings/{SLUG}/participants?t={found[('participant', None)]}"
                participant = await visit(browser, f"{base}/m/{SLUG}/s/morning", register=join)
                text = await visit(browser, f"{base}/m/{SLUG}/s/morning/text")
                await browser.close()
    report(f"Participant page, first visit ({args.lines} caption lines)", participant)
    report(f"No-JS page, first visit ({args.lines} caption lines, it shows the last 20)", text)


if __name__ == "__main__":
    asyncio.run(main())
