"""Access benchmark: time from revoking a link to the disconnect of its open connection, and the cost of one
rate-limit check.

Revocation is measured twice: through the admin form (this process hears of it at once) and written straight into
the database, as another process sharing the database would (this process finds it on its next poll). A rate-limit
check is measured in memory and in the local Redis.

    python bench/bench_access.py            # 10 revocations each way, 2,000 rate-limit checks each
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import socketio
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.clock import now_ms
from server.settings import Settings
from server.storage import meetings as meetings_db
from server.web.app import create_app
from server.web.keys import db_key, link_key_key
from server.web.ratelimit import Limits

DEMO = "ec-baku-2012"


async def links(app: aiohttp.web.Application) -> tuple[int, dict]:
    """The demo meeting's id and its active links by (role, session)."""
    db, key = app[db_key], app[link_key_key]
    mid, _ = await meetings_db.load_meeting(db, DEMO)
    return mid, {(link.role.value, link.session_id): link for link in await meetings_db.active_links(db, key, mid)}


async def one(srv: TestServer, via_form: bool) -> float:
    """Connect a moderator, revoke its link, return the milliseconds until its connection is closed."""
    app = srv.app
    mid, active = await links(app)
    mod = active[("moderator", "morning")]
    client = socketio.AsyncClient(reconnection=False)
    gone = asyncio.Event()
    client.on("disconnect", lambda *a: gone.set(), namespace="/moderate")
    await client.connect(str(srv.make_url("/")), namespaces=["/moderate"], transports=["websocket"],
                         auth={"meeting": DEMO, "session": "morning", "t": mod.token}, wait_timeout=5)
    began = time.perf_counter()
    if via_form:
        url = srv.make_url(f"/m/{DEMO}/admin/links/{mod.id}/revoke")
        form = {"t": active[("admin", None)].token, "confirm": "yes"}   # as sent from the confirmation page
        async with aiohttp.ClientSession() as http, http.post(url, data=form, allow_redirects=False) as answer:
            assert answer.status == 303, answer.status
    else:
        await meetings_db.revoke_link(app[db_key], mid, mod.id, now_ms(), "another process")
    await asyncio.wait_for(gone.wait(), 5)
    elapsed = (time.perf_counter() - began) * 1000
    sessions = (await meetings_db.load_meeting(app[db_key], DEMO))[1]
    await meetings_db.ensure_links(app[db_key], app[link_key_key], mid, sessions, now_ms())
    return elapsed


async def run(count: int, checks: int) -> None:
    """Print the figures."""
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), port=0, log_json=False)
    srv = TestServer(create_app(settings), port=0)  # typed as itself: __aenter__ says BaseTestServer
    async with srv:
        for via_form in (True, False):
            times = [await one(srv, via_form) for _ in range(count)]
            how = "admin form, same process" if via_form else "database, as another process"
            print(f"revocation ({how}): ms to disconnect median {statistics.median(times):.1f}, "
                  f"max {max(times):.1f} (n={count})")
    for url in ("", "redis://127.0.0.1:6379"):
        limits = Limits(Settings(redis_url=url, redis_channel=f"bench-{uuid.uuid4().hex}",
                                 socket_event_rate="1000000/10"))
        began = time.perf_counter()
        for _ in range(checks):
            await limits.hit("socket_event", "sid")
        per = (time.perf_counter() - began) / checks * 1e6
        print(f"rate-limit check ({'redis' if url else 'memory'}): {per:.0f} µs each (n={checks})")


def main(argv: list[str] | None = None) -> int:
    """Parse the bounds, run once."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--revocations", type=int, default=10, help="revocations each way (1..100)")
    p.add_argument("--checks", type=int, default=2000, help="rate-limit checks each way (1..100000)")
    args = p.parse_args(argv)
    if not 1 <= args.revocations <= 100 or not 1 <= args.checks <= 100_000:
        p.error("--revocations in 1..100, --checks in 1..100000")
    asyncio.run(run(args.revocations, args.checks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
