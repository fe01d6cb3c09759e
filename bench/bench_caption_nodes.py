"""Caption posts on two nodes: what a post costs when every post goes to one node, when a round-robin balancer
alternates them between two nodes (each post finds its node's copy overtaken and reads what moved), and when two
captioners post at once to opposite nodes (copies overtaken between check and write are reloaded and re-applied).

Two real servers in this process share one store (a SQLite file, or a PostgreSQL database with ``--database``) and
the local Redis; Zoom-style posts go over loopback HTTP, one line split over three posts. The stream holds
``--backlog`` lines before the measured posts, so a whole reload would show.

    python bench/bench_caption_nodes.py                      # 600 posts per pattern on SQLite
    python bench/bench_caption_nodes.py --database postgresql://127.0.0.1:5432/floorcast_bench   # an empty one
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.settings import Settings
from server.storage import meetings as meetings_db
from server.web.app import create_app
from server.web.keys import db_key, link_key_key
from server.web.metrics import metrics_key

DEMO = "ec-baku-2012"
ROOT = f"/m/{DEMO}/s/morning/ingest/zoom"


async def tokens(srv: TestServer) -> dict[tuple[str, str | None], str]:
    """The demo meeting's active tokens by (role, session)."""
    db, key = srv.app[db_key], srv.app[link_key_key]
    mid, _ = await meetings_db.load_meeting(db, DEMO)
    return {(link.role.value, link.session_id): link.token for link in await meetings_db.active_links(db, key, mid)}


class Feed:
    """One captioner's Zoom feed: numbered posts, three per line."""

    def __init__(self, token: str, name: str) -> None:
        self.token, self.name, self.seq = token, name, 0

    def posts(self, lines: int) -> list[str]:
        """The bodies of the next ``lines`` lines' posts."""
        out = []
        for n in range(lines):
            line = f"{self.name} says line number {self.seq + n} of the benchmark."
            out += [line[:12], line[12:30], line[30:] + "\n"]
        return out

    async def send(self, http: aiohttp.ClientSession, srv: TestServer, body: str) -> float:
        """Post once; the milliseconds until the answer."""
        self.seq += 1
        began = time.perf_counter()
        async with http.post(srv.make_url(f"{ROOT}?t={self.token}&seq={self.seq}"), data=body.encode()) as r:
            assert r.status == 200, await r.text()
        return (time.perf_counter() - began) * 1000


def figures(label: str, times: list[float], wall: float, nodes: tuple[TestServer, ...]) -> None:
    """Print one pattern's line."""
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    reads = sum(int(n.app[metrics_key].caption_catch_ups._value.get()) for n in nodes)
    races = sum(int(n.app[metrics_key].caption_races._value.get()) for n in nodes)
    print(f"{label}: {len(times)} posts, median {statistics.median(times):.2f} ms, p99 {p99:.2f} ms, "
          f"{len(times) / wall:.0f} posts/s; catch-ups so far: {reads} read changes, {races} races")


async def run(posts: int, backlog: int, database: str) -> None:
    """Print the figures of the three patterns."""
    base = Settings(data_dir=Path(tempfile.mkdtemp()), port=0, log_json=False, database=database,
                    redis_url="redis://127.0.0.1:6379", redis_channel=f"floorcast-bench-{uuid.uuid4().hex}",
                    caption_idle_flush_ms=600_000)
    a, b = TestServer(create_app(dataclasses.replace(base)), port=0), TestServer(create_app(base), port=0)
    async with a:
        known = await tokens(a)
        async with aiohttp.ClientSession() as http:
            async with http.post(a.make_url(f"/api/meetings/{DEMO}/sessions/morning/start"
                                            f"?t={known[('moderator', 'morning')]}")) as r:
                assert r.status == 200
            async with b:  # b loads the meeting once the session is live
                one = Feed(known[("captioner", "morning")], "The session captioner")
                other = Feed(known[("captioner", None)], "The meeting captioner")
                for body in one.posts(backlog):
                    await one.send(http, a, body)
                lines = posts // 3
                began = time.perf_counter()
                times = [await one.send(http, a, body) for body in one.posts(lines)]
                figures("one node", times, time.perf_counter() - began, (a, b))
                began = time.perf_counter()
                times = [await one.send(http, (a, b)[i % 2], body) for i, body in enumerate(one.posts(lines))]
                figures("alternating nodes", times, time.perf_counter() - began, (a, b))

                async def write(feed: Feed, first: int) -> list[float]:
                    return [await feed.send(http, (a, b)[(i + first) % 2], body)
                            for i, body in enumerate(feed.posts(lines // 2))]

                began = time.perf_counter()
                both = await asyncio.gather(write(one, 0), write(other, 1))
                figures("two writers, opposite nodes", both[0] + both[1], time.perf_counter() - began, (a, b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=600, help="posts measured per pattern [600]")
    parser.add_argument("--backlog", type=int, default=2000, help="lines stored before measuring [2000]")
    parser.add_argument("--database", default="", help="an empty PostgreSQL database's URL, created when missing"
                        " (default: a SQLite file)")
    args = parser.parse_args()
    asyncio.run(asyncio.wait_for(run(min(args.posts, 6000), min(args.backlog, 20000), args.database), 600))


if __name__ == "__main__":
    main()
