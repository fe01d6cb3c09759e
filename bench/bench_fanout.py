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
import base64
import json
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import IO, TYPE_CHECKING, cast

import aiohttp

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event as MpEvent

ROOT = Path(__file__).resolve().parents[1]
SLUG, SESSION = "ec-baku-2012", "morning"


def _raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class _Viewer(asyncio.Protocol):
    """One Socket.IO viewer over a raw WebSocket: just enough protocol to join the caption room and time arrivals.

    aiohttp's client costs several times more CPU per message than the server spends sending it; on a two-core
    machine that would measure the viewers, not the server.
    """

    def __init__(self, auth: bytes, seen: dict[int, float], ready: asyncio.Future) -> None:
        self.auth, self.seen, self.ready = auth, seen, ready
        self.buffer = b""
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a TCP connection's transport is a stream

    def send_text(self, text: bytes) -> None:
        mask = os.urandom(4)
        n = len(text)
        header = bytes((0x81, 0x80 | n)) if n < 126 else bytes((0x81, 0x80 | 126)) + n.to_bytes(2, "big")
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(text))
        assert self.transport is not None  # sent only once connected
        self.transport.write(header + mask + body)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                self.ready.set_exception(RuntimeError(self.buffer[:60].decode(errors="replace")))
                return
            self.upgraded = True
            self.buffer = self.buffer[end + 4:]
        buf, pos = self.buffer, 0
        while len(buf) - pos >= 2:
            n = buf[pos + 1] & 0x7F
            head = 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n, head = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n, head = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
            if len(buf) - pos < head + n:
                break
            self.frame(buf[pos + head:pos + head + n], now)
            pos += head + n
        self.buffer = buf[pos:]

    def frame(self, payload: bytes, now: float) -> None:
        if payload == b"2":
            self.send_text(b"3")                              # answer the server's ping
        elif payload.startswith(b"0{"):
            self.send_text(b"40/live," + self.auth)           # Engine.IO open: join the namespace
        elif payload.startswith(b"40/live"):
            if not self.ready.done():
                self.ready.set_result(True)
        elif payload.startswith(b"44/live"):
            if not self.ready.done():
                self.ready.set_exception(RuntimeError(payload[:80].decode(errors="replace")))
        elif payload.startswith(b'42/live,["caption_segment"'):
            at = payload.find(b'"text":"bench ')
            if at >= 0:
                seq, sent = payload[at + 14:payload.index(b'"', at + 14)].split()[:2]
                self.seen.setdefault(int(seq), now - float(sent))


async def _open_viewer(host: str, port: int, seen: dict[int, float]) -> asyncio.Transport:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    auth = json.dumps({"meeting": SLUG, "session": SESSION, "lang": "en"}).encode()
    transport, _ = await loop.create_connection(lambda: _Viewer(auth, seen, ready), host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    transport.write((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                     f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    await asyncio.wait_for(ready, timeout=60)
    return transport


def _worker(base: str, count: int, results: mp.Queue, go: MpEvent, done: MpEvent, ready_q: mp.Queue) -> None:
    _raise_fd_limit()

    async def main() -> None:
        host, port = base.split("//")[1].split(":")
        seen_per_viewer: list[dict[int, float]] = [dict() for _ in range(count)]
        transports = []
        for i in range(0, count, 100):  # connect in batches so the listen backlog never overflows
            transports += await asyncio.gather(*(_open_viewer(host, int(port), seen_per_viewer[j])
                                                 for j in range(i, min(i + 100, count))))
        ready_q.put(len(transports))
        while not done.is_set():
            await asyncio.sleep(0.05)
        latencies = [lat for seen in seen_per_viewer for lat in seen.values()]
        results.put((latencies, [len(seen) for seen in seen_per_viewer]))
        for t in transports:
            t.close()

    asyncio.run(main())


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


Broadcasts = list[tuple[int, int, float]]  # recipients, direct sends, ms per caption broadcast


def _start_server(data: Path) -> tuple[subprocess.Popen[str], str, Broadcasts]:
    proc = subprocess.Popen([sys.executable, "run.py", "--data", str(data), "--port", "0", "--log-level", "DEBUG"],
                            cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            preexec_fn=_raise_fd_limit)
    stderr = proc.stderr
    assert stderr is not None  # a pipe was asked for
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = stderr.readline()
        if line.startswith("Floorcast is serving "):
            # Keep draining the server's log (a full pipe would stall it) and keep its broadcast timings.
            broadcasts: Broadcasts = []
            threading.Thread(target=_drain, args=(stderr, broadcasts), daemon=True).start()
            return proc, line.split()[3].rstrip("/"), broadcasts
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("the server did not start")


def _drain(stderr: IO[str], broadcasts: Broadcasts) -> None:
    for line in stderr:
        if '"msg": "broadcast"' in line and '"caption_segment"' in line:
            record = json.loads(line)
            broadcasts.append((record["recipients"], record["direct"], record["ms"]))


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
        server, base, server_broadcasts = _start_server(data)
        try:
            tokens = _tokens(data)
            moderator = tokens[("moderator", SESSION)]
            asyncio.run(_post(f"{base}/api/meetings/{SLUG}/sessions/{SESSION}/start?t={moderator}"))
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
            broadcasts = list(server_broadcasts)
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
            "rss_connected_mib": rss_connected / 1024, "rss_peak_mib": rss_peak / 1024,
            "emit_ms_p50": statistics.median([b[2] for b in broadcasts]) if broadcasts else 0.0,
            "emit_ms_max": max([b[2] for b in broadcasts], default=0.0),
            "direct_share": (sum(b[1] for b in broadcasts) / max(1, sum(b[0] for b in broadcasts)))}


async def _post(url: str) -> None:
    async with aiohttp.ClientSession() as http, http.post(url) as r:
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
          f" {'RSS idle':>9} {'RSS conn':>9} {'RSS peak':>9} {'connect s':>10} {'emit p50':>9} {'emit max':>9}"
          f" {'direct':>7}")
    for n in args.viewers:
        r = run_one(n, args.captions, args.rate, args.workers)
        print(f"{r['viewers']:>8} {r['connected']:>6} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['max_ms']:>8.1f}"
              f" {r['deliveries_per_s']:>9.0f} {r['lost']:>6} {r['rss_idle_mib']:>8.0f}M"
              f" {r['rss_connected_mib']:>8.0f}M {r['rss_peak_mib']:>8.0f}M {r['connect_s']:>10.1f}"
              f" {r['emit_ms_p50']:>7.1f}ms {r['emit_ms_max']:>7.1f}ms"
              f" {r['direct_share']:>6.0%}", flush=True)


if __name__ == "__main__":
    main()
