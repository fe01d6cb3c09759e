"""Reconnect storm: N caption viewers drop at once and reconnect at once with the last caption ``seq`` they hold.

Starts ``python run.py`` on a loopback port, connects N viewers (default 5,000) to one session's caption room,
posts captions so that every viewer holds some, then every viewer drops its connection at the same moment while
more captions are posted, and reconnects at once sending its ``last_seq``. A viewer has resumed when it holds
every caption from 1 to the last one posted; the bench prints the time from the drop until all viewers have
resumed, and counts every caption a viewer is missing at the end (gaps) and every caption it received twice
(duplicates: the server sent a ``seq`` in both the resume backlog and a broadcast; the client drops them).

    python bench/bench_reconnect.py                        # 5,000 viewers
    python bench/bench_reconnect.py --viewers 1000 --server-cpu 1

Loopback only; every loop is bounded in count and time (``--deadline`` seconds for the storm).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING

from bench_fanout import (
    SESSION,
    SLUG,
    Node,
    Profiler,
    _post,
    _raise_fd_limit,
    _tokens,
    _Viewer,
    captioner,
    cpu_seconds,
)

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event as MpEvent


class _Resuming(_Viewer):
    """A viewer that keeps every caption ``seq`` it receives (backlog or broadcast) and how often."""

    def __init__(self, auth: bytes, counts: dict[int, int], ready: asyncio.Future, complete: int,
                 resumed: asyncio.Future | None) -> None:
        super().__init__(auth, {}, ready)
        self.counts, self.complete, self.resumed = counts, complete, resumed

    def frame(self, payload: bytes, now: float) -> None:
        if payload.startswith(b'42/live,["caption_segment"'):
            self._got([json.loads(payload[8:])[1]["seq"]])
        elif payload.startswith(b'42/live,["caption_backlog"'):
            self._got([s["seq"] for s in json.loads(payload[8:])[1]["segments"]])
        else:
            super().frame(payload, now)

    def _got(self, seqs: list[int]) -> None:
        for seq in seqs:
            self.counts[seq] = self.counts.get(seq, 0) + 1
        if self.resumed is not None and not self.resumed.done() and \
                all(s in self.counts for s in range(1, self.complete + 1)):
            self.resumed.set_result(time.monotonic())


async def _connect(host: str, port: int, counts: dict[int, int], complete: int = 0,
                   resumed: asyncio.Future | None = None) -> asyncio.Transport:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    last = max(counts, default=None)
    auth = json.dumps({"meeting": SLUG, "session": SESSION, "lang": "en",
                       **({"last_seq": last} if last is not None else {})}).encode()
    transport, _ = await loop.create_connection(lambda: _Resuming(auth, counts, ready, complete, resumed), host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    transport.write((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                     f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    await asyncio.wait_for(ready, timeout=60)
    return transport


def _worker(base: str, count: int, ready_q: mp.Queue, drop: MpEvent, results: mp.Queue, complete: int,
            deadline: float) -> None:
    _raise_fd_limit()

    async def main() -> None:
        host, port = base.split("//")[1].split(":")
        counts: list[dict[int, int]] = [{} for _ in range(count)]
        transports = []
        for i in range(0, count, 100):  # the first connections in batches: the storm is the second
            transports += await asyncio.gather(*(_connect(host, int(port), counts[j])
                                                 for j in range(i, min(i + 100, count))))
        ready_q.put(len(transports))
        while not drop.is_set():
            await asyncio.sleep(0.01)
        dropped_at = time.monotonic()
        held = [max(c, default=0) for c in counts]
        for t in transports:
            t.abort()  # no close frame: the network went away
        loop = asyncio.get_running_loop()
        resumed = [loop.create_future() for _ in range(count)]
        async def reconnect(j: int) -> tuple[asyncio.Transport, float]:
            transport = await _connect(host, int(port), counts[j], complete, resumed[j])
            return transport, time.monotonic()

        reconnects = [asyncio.ensure_future(reconnect(j)) for j in range(count)]
        done, _ = await asyncio.wait(resumed, timeout=deadline)
        times = [f.result() - dropped_at for f in done]
        joined = [r.result()[1] - dropped_at for r in reconnects if r.done() and r.exception() is None]
        gaps = sum(1 for c in counts for s in range(1, complete + 1) if s not in c)
        duplicates = sum(n - 1 for c in counts for n in c.values() if n > 1)
        failed = sum(1 for r in reconnects if r.done() and r.exception() is not None)
        results.put((times, gaps, duplicates, failed, sum(held) / max(1, count), joined))
        for r in reconnects:
            if r.done() and r.exception() is None:
                r.result()[0].close()
            else:
                r.cancel()

    asyncio.run(main())


def run(viewers: int, before: int, during: int, rate: float, during_rate: float, workers: int, cpu: str | None,
        deadline: float, profile: Path | None = None) -> dict[str, float]:
    """One storm; returns the figures."""
    with TemporaryDirectory() as tmp:
        data = Path(tmp)
        node = Node(data, cpu)
        try:
            tok = _tokens(data)
            asyncio.run(_post(f"{node.base}/api/meetings/{SLUG}/sessions/{SESSION}/start"
                              f"?t={tok[('moderator', SESSION)]}"))
            complete = before + during
            ready_q: mp.Queue = mp.Queue()
            results: mp.Queue = mp.Queue()
            drop = mp.Event()
            shares = [viewers // workers + (1 if i < viewers % workers else 0) for i in range(workers)]
            procs = [mp.Process(target=_worker, args=(node.base, n, ready_q, drop, results, complete, deadline))
                     for n in shares]
            for p in procs:
                p.start()
            connected = sum(ready_q.get(timeout=600) for _ in procs)
            captions = tok[("captioner", SESSION)]
            asyncio.run(captioner(node.base, captions, before, rate))
            time.sleep(1.0)  # bounded: the last of these lines reaches everyone before the drop
            cpu_before = cpu_seconds(node.pid)
            profiler = Profiler(node.pid, profile, min(deadline, 20)) if profile else None
            drop.set()
            # Captions keep coming while the viewers are away and coming back.
            asyncio.run(captioner(node.base, captions, during, during_rate, first=before + 1))
            rows = [results.get(timeout=deadline + 120) for _ in procs]
            cpu_used = cpu_seconds(node.pid) - cpu_before
            if profiler is not None:
                profiler.wait()
            for p in procs:
                p.join(timeout=30)
        finally:
            node.stop()
    times = sorted(t for row in rows for t in row[0])
    joined = sorted(t for row in rows for t in row[5])
    return {"viewers": connected, "resumed": len(times), "all_s": times[-1] if len(times) == connected else
            float("nan"), "p50_s": times[len(times) // 2] if times else float("nan"),
            "gaps": sum(r[1] for r in rows), "duplicates": sum(r[2] for r in rows),
            "failed": sum(r[3] for r in rows), "held": sum(r[4] for r in rows) / len(rows), "complete": complete,
            "cpu_s": cpu_used, "joined_s": joined[-1] if joined else float("nan"),
            "joined_p50_s": joined[len(joined) // 2] if joined else float("nan")}


def main() -> None:
    """Parse flags, run one storm, print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=5000)
    parser.add_argument("--before", type=int, default=10, help="captions every viewer holds before the drop")
    parser.add_argument("--during", type=int, default=10, help="captions posted from the drop on")
    parser.add_argument("--rate", type=float, default=5.0, help="captions per second before the drop")
    parser.add_argument("--during-rate", type=float, default=50.0, help="captions per second from the drop on")
    parser.add_argument("--workers", type=int, default=2, help="client processes holding the viewers")
    parser.add_argument("--server-cpu", metavar="CPUS", help="pin the server with taskset (e.g. 1)")
    parser.add_argument("--profile", type=Path, metavar="SVG", help="record the server with py-spy from the drop on "
                        "(a .txt file: collapsed stacks for bench/profile_summary.py)")
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds the storm may take at most")
    args = parser.parse_args()
    _raise_fd_limit()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; server CPUs {args.server_cpu or 'any'}")
    r = run(args.viewers, args.before, args.during, args.rate, args.during_rate, args.workers, args.server_cpu,
            args.deadline, args.profile)
    print(f"{r['viewers']} viewers dropped holding seq {r['held']:.0f} of {r['complete']}; resumed "
          f"{r['resumed']} (all by {r['all_s']:.2f} s, half by {r['p50_s']:.2f} s; connected again: all by "
          f"{r['joined_s']:.2f} s, half by {r['joined_p50_s']:.2f} s); gaps {r['gaps']}, "
          f"duplicates {r['duplicates']}, reconnects failed {r['failed']}; server CPU {r['cpu_s']:.1f} s")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
