"""Nodes benchmark: floor actions sent at once to several nodes sharing one store and one Redis, and how soon the
other nodes' copies follow.

Each node is its own app on its own loopback port in this process (as in tests/test_nodes.py). A round sends the same
number of ``floor_add`` calls through each node's chair at once and waits for every answer: the store serialises them
(one transaction holding the session per change). Printed: actions per second, answer latency (median, 99th
percentile), conflicts retried. Then, one ``floor_add`` at a time on the first node: the time from its answer until
the other nodes have caught up with it (their notice handled), median and maximum.

    python bench/bench_nodes.py                                  # SQLite file, 3 nodes, 2 rounds of 30 actions
    python bench/bench_nodes.py --database postgresql://postgres@127.0.0.1:5432/floorcast_bench
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg
import socketio
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.settings import Settings
from server.storage import meetings as meetings_db
from server.web.app import create_app
from server.web.keys import db_key, link_key_key
from server.web.notices import FLOOR, Notice, notices_key

DEMO = "ec-baku-2012"
REDIS = "redis://127.0.0.1:6379"
WAIT = 30


async def token(srv: TestServer, role: str, session: str | None) -> str:
    """An active link token of the demo meeting."""
    db, key = srv.app[db_key], srv.app[link_key_key]
    mid, _ = await meetings_db.load_meeting(db, DEMO)
    return next(link.token for link in await meetings_db.active_links(db, key, mid)
                if link.role.value == role and link.session_id == session)


async def chair(srv: TestServer) -> socketio.AsyncClient:
    """A moderator connected to that node."""
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(str(srv.make_url("/")), namespaces=["/moderate"], transports=["websocket"], wait_timeout=WAIT,
                         auth={"meeting": DEMO, "session": "morning", "t": await token(srv, "moderator", "morning")})
    return client


async def add(client: socketio.AsyncClient, name: str) -> dict:
    """One ``floor_add``; returns the answer."""
    reply = await client.call("floor_add", {"name": name, "group": "government"}, namespace="/moderate",
                              timeout=WAIT)
    assert reply["ok"], reply
    return reply


async def timed(client: socketio.AsyncClient, name: str) -> float:
    """One ``floor_add``; returns its answer's latency in ms."""
    began = time.perf_counter()
    await add(client, name)
    return (time.perf_counter() - began) * 1000


async def run(database: str, count: int, rounds: int, per_round: int, follow: int) -> None:
    """Print the figures."""
    channel = f"floorcast-bench-{uuid.uuid4().hex}"
    data = Path(tempfile.mkdtemp())
    async with contextlib.AsyncExitStack() as stack:
        servers = []
        for _ in range(count):
            settings = Settings(data_dir=data, port=0, log_json=False, log_level="WARNING", database=database,
                                redis_url=REDIS, redis_channel=channel)
            srv = TestServer(create_app(settings), port=0)  # typed as itself: __aenter__ says BaseTestServer
            await stack.enter_async_context(srv)
            servers.append(srv)
        moderator = await token(servers[0], "moderator", "morning")
        async with aiohttp.ClientSession() as http:
            url = servers[0].make_url(f"/api/meetings/{DEMO}/sessions/morning/start").with_query(t=moderator)
            async with http.post(url) as r:
                assert r.status in (200, 409), r.status  # 409: live already from an earlier run on this database
        chairs = [await chair(srv) for srv in servers]
        kind = "PostgreSQL" if database else "SQLite file"
        try:
            for n in range(rounds):
                began = time.perf_counter()
                latencies = await asyncio.gather(*(timed(c, f"Delegate {n}-{i}-{k}") for k in range(per_round // count)
                                                   for i, c in enumerate(chairs)))
                wall = time.perf_counter() - began
                conflicts = sum(srv.app[db_key].errors["conflict"] for srv in servers)
                print(f"{kind}, {count} nodes, {len(latencies)} floor_add at once: {len(latencies) / wall:.0f}/s, "
                      f"answer ms median {statistics.median(latencies):.1f} "
                      f"p99 {statistics.quantiles(latencies, n=100)[98]:.1f}, conflicts retried so far {conflicts}")
            lags = []
            for i in range(follow):
                reply = await add(chairs[0], f"Follower {i}")
                answered = time.perf_counter()
                stored = Notice(FLOOR, 1, "morning", reply["seq"])
                await asyncio.wait_for(asyncio.gather(*(srv.app[notices_key].caught_up(stored)
                                                        for srv in servers[1:])), WAIT)
                lags.append((time.perf_counter() - answered) * 1000)
            if lags:
                print(f"{kind}, {count} nodes: ms from a change's answer until every other node caught up, median "
                      f"{statistics.median(lags):.1f}, max {max(lags):.1f} (n={follow})")
        finally:
            for c in chairs:
                await c.disconnect()


async def fresh_postgres(url: str) -> None:
    """Drop the benchmark's PostgreSQL database if it exists (the server creates it again, migrated)."""
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres", timeout=WAIT)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="", help="a PostgreSQL URL (dropped and created again); default: "
                        "a SQLite file in a temporary directory")
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--actions", type=int, default=30, help="floor_add calls per round, spread over the nodes")
    parser.add_argument("--follow", type=int, default=20, help="single changes timed until every node follows")
    args = parser.parse_args()
    if args.database:
        asyncio.run(fresh_postgres(args.database))
    asyncio.run(run(args.database, args.nodes, args.rounds, args.actions, args.follow))


if __name__ == "__main__":
    main()
