"""Caption fan-out over real connections: N Socket.IO viewers, a captioner posting 5 captions per second.

Starts ``python run.py`` on a loopback port with a fresh data directory, connects N viewers to one session's
caption room through Engine.IO/Socket.IO over WebSocket (a minimal protocol client, so that thousands fit in a
few processes), posts captions through the Zoom-compatible ingest URL, and prints for each N:
push-to-receive latency p50/p99 (from the captioner's POST to a viewer's receipt, one clock), deliveries per
second, messages lost, and the server's resident memory.

    python bench/bench_fanout.py                      # N = 1000, 5000, 10000
    python bench/bench_fanout.py --viewers 2000 --captions 50

Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
SLUG, SESSION = "ec-baku-2012", "morning"


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _viewer(http: aiohttp.ClientSession, base: str, seen: dict[int, float], ready: list[int],
                  stop: asyncio.Event) -> None:
    url = base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    auth = json.dumps({"meeting": SLUG, "session": SESSION, "lang": "en"})
    async with http.ws_connect(url, max_msg_size=0, autoping=False) as ws:
        await ws.receive(timeout=60)                      # Engine.IO open packet
        await ws.send_str(f"40/live,{auth}")
        reply = await ws.receive(timeout=60)
        if not reply.data.startswith("40/live"):
            raise RuntimeError(f"refused: {reply.data[:80]}")
        ready.append(1)
        while not stop.is_set():
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                return
            data = msg.data
            if data == "2":
                await ws.send_str("3")                    # answer the server's ping
            elif data.startswith('42/live,["caption_segment"'):
                now = time.time()
                event = json.loads(data[data.index(",") + 1:])[1]
                text = event["text"]
                if text.startswith("bench "):
                    _, seq, sent = text.split()[:3]
                    seen.setdefault(int(seq), now - float(sent))


def _worker(base: str, count: int, results: mp.Queue, go: mp.Event, done: mp.Event, ready_q: mp.Queue) -> None:
    _raise_fd_limit()

    async def main() -> None:
        conn = aiohttp.TCPConnector(limit=0, force_close=False)
        async with aiohttp.ClientSession(connector=conn) as http:
            seen_per_viewer = [dict() for _ in range(count)]
            ready: list[int] = []
            stop = asyncio.Event()
            tasks = []
            for i in range(0, count, 100):  # connect in batches so the listen backlog never overflows
                batch = [asyncio.create_task(_viewer(http, base, seen_per_viewer[j], ready, stop))
                         for j in range(i, min(i + 100, count))]
                tasks += batch
                deadline = time.monotonic() + 60
                while len(ready) < min(i + 100, count) and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
            ready_q.put(len(ready))
            while not done.is_set():
                await asyncio.sleep(0.05)
            stop.set()
            latencies = [lat for seen in seen_per_viewer for lat in seen.values()]
            per_viewer = [len(seen) for seen in seen_per_viewer]
            results.put((latencies, per_viewer))
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _start_server(data: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "run.py", "--data", str(data), "--port", "0", "--log-level", "WARNING"],
                            cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            preexec_fn=_raise_fd_limit)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if line.startswith("Floorcast is serving "):
            return proc, line.split()[3].rstrip("/")
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("the server did not start")


def _tokens(data: Path) -> dict[tuple[str, str | None], str]:
    out = subprocess.run([sys.executable, "run.py", "--data", str(data), "links", "--json"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return {(row["role"], row["session_id"]): row["url"].split("t=")[1] for row in json.loads(out)[0]["links"]}


async def _captioner(base: str, token: str, captions: int, rate: float) -> int:
    url = f"{base}/m/{SLUG}/s/{SESSION}/ingest/zoom?t={token}&lang=en-US"
    accepted = 0
    async with aiohttp.ClientSession() as http:
        start = time.monotonic()
        for seq in range(1, captions + 1):
            await asyncio.sleep(max(0.0, start + (seq - 1) / rate - time.monotonic()))
            async with http.post(f"{url}&seq={seq}", data=f"bench {seq} {time.time():.6f}\n".encode()) as r:
                accepted += r.status == 200
    return accepted


def run_one(viewers: int, captions: int, rate: float, workers: int) -> dict[str, float]:
    """One measurement with ``viewers`` connections; returns the figures."""
    with TemporaryDirectory() as tmp:
        data = Path(tmp)
        server, base = _start_server(data)
        try:
            tokens = _tokens(data)
            asyncio.run(_post(f"{base}/api/meetings/{SLUG}/sessions/{SESSION}/start?t={tokens[('moderator', SESSION)]}"))
            rss_idle = _rss_kib(server.pid)
            results: mp.Queue = mp.Queue()
            ready_q: mp.Queue = mp.Queue()
            go, done = mp.Event(), mp.Event()
            shares = [viewers // workers + (1 if i < viewers % workers else 0) for i in range(workers)]
            procs = [mp.Process(target=_worker, args=(base, n, results, go, done, ready_q)) for n in shares]
            t0 = time.monotonic()
            for p in procs:
                p.start()
            connected = sum(ready_q.get(timeout=600) for _ in procs)
            connect_s = time.monotonic() - t0
            rss_connected = _rss_kib(server.pid)
            t1 = time.monotonic()
            accepted = asyncio.run(_captioner(base, tokens[("captioner", SESSION)], captions, rate))
            publish_s = time.monotonic() - t1
            time.sleep(3.0)  # bounded grace period for the last deliveries; the figures say what arrived
            rss_peak = _rss_kib(server.pid)
            done.set()
            latencies: list[float] = []
            per_viewer: list[int] = []
            for _ in procs:
                lat, pv = results.get(timeout=120)
                latencies += lat
                per_viewer += pv
            for p in procs:
                p.join(timeout=30)
        finally:
            server.terminate()
            server.wait(timeout=30)
    expected = connected * accepted
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [float("nan")] * 99
    return {"viewers": viewers, "connected": connected, "connect_s": connect_s, "captions": accepted,
            "delivered": len(latencies), "lost": expected - len(latencies),
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "max_ms": (latencies[-1] * 1000) if latencies else 0,
            "deliveries_per_s": len(latencies) / (publish_s + 3.0), "rss_idle_mib": rss_idle / 1024,
            "rss_connected_mib": rss_connected / 1024, "rss_peak_mib": rss_peak / 1024}


async def _post(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(url) as r:
            if r.status != 200:
                raise RuntimeError(f"{url.split('?')[0]}: {r.status} {await r.text()}")


def main() -> None:
    """Parse flags, run each N, print one line per N."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--captions", type=int, default=100, help="captions posted per run (at --rate per second)")
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2, help="client processes holding the viewers")
    args = parser.parse_args()
    _raise_fd_limit()
    print(f"{'viewers':>8} {'conn':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'deliv/s':>9} {'lost':>6}"
          f" {'RSS idle':>9} {'RSS conn':>9} {'RSS peak':>9} {'connect s':>10}")
    for n in args.viewers:
        r = run_one(n, args.captions, args.rate, args.workers)
        print(f"{r['viewers']:>8} {r['connected']:>6} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['max_ms']:>8.1f}"
              f" {r['deliveries_per_s']:>9.0f} {r['lost']:>6} {r['rss_idle_mib']:>8.0f}M {r['rss_connected_mib']:>8.0f}M"
              f" {r['rss_peak_mib']:>8.0f}M {r['connect_s']:>10.1f}", flush=True)


if __name__ == "__main__":
    main()
