"""Where the memory of an idle caption viewer goes: a tracemalloc diff before and after connecting N viewers.

Runs the server in this process (``create_app`` on a loopback port, the demo meeting, its morning session
started), takes a tracemalloc snapshot, connects N Socket.IO viewers over WebSocket from client processes (the
same minimal client as ``bench_fanout.py``), collects garbage, takes a second snapshot, and prints: resident memory
and traced bytes per viewer, asyncio tasks and Python objects per viewer (by type), and the allocation sites that
grew most, grouped by traceback (bytes per viewer).

    python bench/bench_viewer_memory.py                       # 2,000 viewers, 12 allocation sites
    python bench/bench_viewer_memory.py --viewers 5000 --top 25 --frames 8

Tracing makes the server slower and bigger than it is: RSS figures come from a run without tracing
(``--no-trace``), the per-site figures from a traced one. Loopback only; bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import linecache
import multiprocessing as mp
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_fanout import ROOT, SESSION, SLUG, _raise_fd_limit, _rss_kib, _worker

from server.settings import Settings
from server.web.app import create_app
from server.web.keys import registry_key, sio_key


def _short(frame: tracemalloc.Frame) -> str:
    path = frame.filename
    for marker in ("site-packages/", "/lib/python3.11/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{frame.lineno}"


def _package(path: str) -> str:
    """The library (or our own package) a source file belongs to."""
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/server/" in path:
        return "server"
    return Path(path).parent.name if "/lib/python" in path else Path(path).name


def _types() -> collections.Counter[str]:
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


async def measure(viewers: int, workers: int, top: int, frames: int, trace: bool) -> None:
    """Start the server, connect the viewers, print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), port=0, log_json=False, log_level="WARNING")
        app = create_app(settings)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        base = f"http://127.0.0.1:{port}"
        await app[registry_key].get(SLUG)  # the meeting loaded before the first snapshot
        gc.collect()
        gc.freeze()
        tasks_before, types_before = len(asyncio.all_tasks()), _types()
        if trace:
            tracemalloc.start(frames)
        before = tracemalloc.take_snapshot() if trace else None
        rss_before = _rss_kib(os.getpid())
        ctx = mp.get_context("spawn")
        results: mp.Queue = ctx.Queue()
        ready_q: mp.Queue = ctx.Queue()
        go, done = ctx.Event(), ctx.Event()
        shares = [viewers // workers + (1 if i < viewers % workers else 0) for i in range(workers)]
        procs = [ctx.Process(target=_worker, args=(base, n, results, go, done, ready_q)) for n in shares]
        for p in procs:
            p.start()
        connected = 0
        deadline = time.monotonic() + 300
        while connected < viewers and time.monotonic() < deadline:
            while not ready_q.empty():
                connected += ready_q.get_nowait()
            await asyncio.sleep(0.2)  # the server runs in this loop: let it serve while the clients connect
        sio = app[sio_key]
        in_room = len(list(sio.manager.get_participants("/live", f"meeting:1:{SESSION}:captions:en")))
        await asyncio.sleep(1.0)  # let the last handshakes settle (pings, writer tasks parked)
        gc.collect()
        after = tracemalloc.take_snapshot() if trace else None
        rss_after = _rss_kib(os.getpid())
        tasks_after, types_after = len(asyncio.all_tasks()), _types()
        n = max(1, connected)
        print(f"viewers connected {connected} (in the caption room: {in_room})")
        print(f"RSS {rss_before / 1024:.0f} MiB -> {rss_after / 1024:.0f} MiB: "
              f"{(rss_after - rss_before) / n:.1f} KiB per viewer{' (traced: inflated)' if trace else ''}")
        print(f"asyncio tasks per viewer: {(tasks_after - tasks_before) / n:.2f}")
        kinds = collections.Counter(t.get_coro().__qualname__ for t in asyncio.all_tasks())  # type: ignore[union-attr]
        print("tasks per viewer: " + ", ".join(f"{name} {count / n:.2f}" for name, count in kinds.most_common(8)
                                                if count >= n / 2))
        grown = (types_after - types_before).most_common(15)
        print("objects per viewer: " + ", ".join(f"{name} {count / n:.1f}" for name, count in grown))
        if before is not None and after is not None:
            stats = after.compare_to(before, "traceback")
            total = sum(s.size_diff for s in stats)
            print(f"traced: {total / n / 1024:.1f} KiB per viewer; the {top} sites that grew most:")
            by_package: collections.Counter[str] = collections.Counter()
            for s in stats:
                by_package[_package(s.traceback[-1].filename)] += s.size_diff  # innermost frame
            print("  by package of the allocating line: " + ", ".join(
                f"{name} {size / n / 1024:.1f} KiB" for name, size in by_package.most_common() if size > 0))
            for s in stats[:top]:
                frames_in = list(reversed(s.traceback))  # innermost first
                head = frames_in[0]
                source = linecache.getline(head.filename, head.lineno).strip()
                print(f"{s.size_diff / n:7.0f} B {s.count_diff / n:5.1f} blk  {_short(head)}  {source}")
                print("      <- " + " <- ".join(_short(f) for f in frames_in[1:frames]))
            tracemalloc.stop()
        done.set()
        for _ in procs:
            results.get(timeout=120)
        for p in procs:
            p.join(timeout=30)
        await runner.cleanup()


def main() -> None:
    """Parse flags and measure once."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="client processes holding the viewers")
    parser.add_argument("--top", type=int, default=12, help="allocation sites to print")
    parser.add_argument("--frames", type=int, default=6, help="traceback depth of each site")
    parser.add_argument("--no-trace", dest="trace", action="store_false", help="RSS and object counts only")
    args = parser.parse_args()
    _raise_fd_limit()
    asyncio.run(measure(args.viewers, args.workers, args.top, args.frames, args.trace))


if __name__ == "__main__":
    main()
