"""Caption fan-out over real connections: N Socket.IO viewers, a captioner posting 5 captions per second.

Starts ``python run.py`` on a loopback port with a fresh data directory, connects N viewers to one session's
caption room through Engine.IO/Socket.IO over WebSocket (a minimal protocol client, so that thousands fit in a
few processes), posts captions through the Zoom-compatible ingest URL, and prints for each N:
push-to-receive latency p50/p99 (from the captioner's POST to a viewer's receipt, one clock), deliveries per
second, messages lost, the server's resident memory (and per viewer), its CPU time per delivery, the mean
fan-out time from its ``/metrics``, the captioner's acknowledgement p50/p99 and how long a graceful stop took.

    python bench/bench_fanout.py                      # N = 1000, 5000, 10000
    python bench/bench_fanout.py --viewers 2000 --captions 50 --server-cpu 1
    python bench/bench_fanout.py --nodes 2 --viewers 10000 --server-cpu 1 0    # two processes through Redis
    python bench/bench_fanout.py --viewers 5000 --profile prof/                # py-spy flame graphs

With ``--nodes 2`` the viewers are spread over two server processes sharing the data directory and a Redis
channel; captions are posted to node 1, node 2's viewers get them through Redis; one line per node.

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


def _worker(base: str, count: int, results: mp.Queue, go: MpEvent, done: MpEvent, ready_q: mp.Queue,
            index: int = 0) -> None:
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
        results.put((latencies, [len(seen) for seen in seen_per_viewer], index))
        for t in transports:
            t.close()

    asyncio.run(main())


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Node:
    """One ``run.py`` server process on a loopback port (optionally pinned to CPUs, optionally on Redis)."""

    def __init__(self, data: Path, cpu: str | None = None, redis_url: str = "", channel: str = "") -> None:
        pin = ["taskset", "-c", cpu] if cpu else []
        env = {**os.environ, "FLOORCAST_REDIS_URL": redis_url, "FLOORCAST_REDIS_CHANNEL": channel or "floorcast"}
        # INFO, as in production: at DEBUG the libraries log every packet, which costs more than the fan-out.
        self.proc = subprocess.Popen([*pin, sys.executable, "run.py", "--data", str(data), "--port", "0",
                                      "--log-level", "INFO"], cwd=ROOT, stderr=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, text=True, preexec_fn=_raise_fd_limit, env=env)
        self.pid = self.proc.pid
        stderr = self.proc.stderr
        assert stderr is not None  # a pipe was asked for
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = stderr.readline()
            if line.startswith("Floorcast is serving "):
                # Keep draining the server's log: a full pipe would stall it.
                threading.Thread(target=_drain, args=(stderr,), daemon=True).start()
                self.base = line.split()[3].rstrip("/")
                return
            if not line and self.proc.poll() is not None:
                break
        self.proc.kill()
        raise RuntimeError("the server did not start")

    def stop(self, timeout: float = 60.0) -> float:
        """SIGTERM, wait up to ``timeout`` s (then SIGKILL); returns the seconds the graceful stop took."""
        started = time.monotonic()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        return time.monotonic() - started


class Profiler:
    """``py-spy record`` attached to a server for a bounded time (``pip install -e '.[bench]'`` installs it)."""

    def __init__(self, pid: int, out: Path, seconds: float) -> None:
        exe = Path(sys.executable).with_name("py-spy")
        # A ``.txt`` file gets collapsed stacks (``bench/profile_summary.py`` sums them), anything else a flame graph.
        kind = "raw" if out.suffix == ".txt" else "flamegraph"
        self.proc = subprocess.Popen([str(exe) if exe.exists() else "py-spy", "record", "--pid", str(pid),
                                      "--native", "--rate", "250", "--duration", str(max(1, round(seconds))),
                                      "--format", kind, "--output", str(out)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait(self) -> None:
        """Wait for the recording to be written."""
        self.proc.wait(timeout=120)


def _drain(stderr: IO[str]) -> None:
    for _line in stderr:
        pass


async def histogram(base: str, name: str) -> tuple[float, float]:
    """(count, sum) of one of the server's ``/metrics`` histograms."""
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as r:
        text = await r.text()
    values = {}
    for line in text.splitlines():
        for part in ("_count", "_sum"):
            if line.startswith(name + part + "{"):
                values[part] = float(line.rsplit(" ", 1)[1])
    return values.get("_count", 0.0), values.get("_sum", 0.0)


def _tokens(data: Path) -> dict[tuple[str, str | None], str]:
    out = subprocess.run([sys.executable, "run.py", "--data", str(data), "links", "--json"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return {(row["role"], row["session_id"]): row["url"].split("t=")[1] for row in json.loads(out)[0]["links"]}


async def captioner(base: str, token: str, captions: int, rate: float, first: int = 1) -> list[float]:
    """Post ``captions`` lines at ``rate`` per second through the Zoom-compatible URL; returns each accepted
    post's round trip in seconds (the captioner's acknowledgement latency)."""
    url = f"{base}/m/{SLUG}/s/{SESSION}/ingest/zoom?t={token}&lang=en-US"
    acks: list[float] = []
    async with aiohttp.ClientSession() as http:
        start = time.monotonic()
        for i in range(captions):
            seq = first + i
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            sent = time.perf_counter()
            async with http.post(f"{url}&seq={seq}", data=f"bench {seq} {time.time():.6f}\n".encode()) as r:
                if r.status == 200:
                    acks.append(time.perf_counter() - sent)
    return acks


def quantile(values: list[float], q: int) -> float:
    """The q-th percentile (NaN for fewer than two values)."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else float("nan")


def start_viewers(bases: list[str], viewers: int, workers: int
                  ) -> tuple[list[mp.Process], mp.Queue, MpEvent, int, float]:
    """Spread ``viewers`` over ``workers`` client processes (worker i on node i mod len(bases)); returns once all
    are connected: (processes, results queue, done event, connected, seconds)."""
    results: mp.Queue = mp.Queue()
    ready_q: mp.Queue = mp.Queue()
    go, done = mp.Event(), mp.Event()
    shares = [viewers // workers + (1 if i < viewers % workers else 0) for i in range(workers)]
    procs = [mp.Process(target=_worker, args=(bases[i % len(bases)], n, results, go, done, ready_q, i))
             for i, n in enumerate(shares)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    connected = sum(ready_q.get(timeout=600) for _ in procs)
    return procs, results, done, connected, time.monotonic() - t0


def run_one(viewers: int, captions: int, rate: float, workers: int, nodes: int = 1, cpus: list[str] | None = None,
            profile: Path | None = None, redis_url: str = "redis://127.0.0.1:6379",
            profile_kind: str = "svg") -> list[dict[str, float]]:
    """One measurement with ``viewers`` connections spread over ``nodes`` servers; returns figures per node.

    With two nodes they share the data directory and a Redis channel: captions are posted to node 1 and reach
    node 2's viewers through Redis.
    """
    cpus = cpus or []
    with TemporaryDirectory() as tmp:
        data = Path(tmp)
        channel = f"floorcast-bench-{os.getpid()}-{time.monotonic_ns()}"
        servers: list[Node] = []
        try:
            for i in range(nodes):
                servers.append(Node(data, cpus[i % len(cpus)] if cpus else None,
                                    redis_url if nodes > 1 else "", channel))
            tok = _tokens(data)
            asyncio.run(_post(f"{servers[0].base}/api/meetings/{SLUG}/sessions/{SESSION}/start"
                              f"?t={tok[('moderator', SESSION)]}"))
            rss_idle = [_rss_kib(s.pid) for s in servers]
            procs, results, done, connected, connect_s = start_viewers([s.base for s in servers], viewers, workers)
            rss_connected = [_rss_kib(s.pid) for s in servers]
            cpu_before = [cpu_seconds(s.pid) for s in servers]
            profilers = [Profiler(s.pid, profile / f"fanout-{viewers}-node{i + 1}.{profile_kind}", captions / rate)
                         for i, s in enumerate(servers)] if profile else []
            t1 = time.monotonic()
            acks = asyncio.run(captioner(servers[0].base, tok[("captioner", SESSION)], captions, rate))
            publish_s = time.monotonic() - t1
            time.sleep(3.0)  # bounded grace period for the last deliveries; the figures say what arrived
            cpu_used = [cpu_seconds(s.pid) - c for s, c in zip(servers, cpu_before, strict=True)]
            rss_peak = [_rss_kib(s.pid) for s in servers]
            fanout = [asyncio.run(histogram(s.base, "floorcast_fanout_seconds")) for s in servers]
            for prof in profilers:
                prof.wait()
            done.set()
            per_node: list[tuple[list[float], int]] = [([], 0) for _ in servers]
            for _ in procs:
                lat, pv, index = results.get(timeout=120)
                node_lat, node_viewers = per_node[index % nodes]
                per_node[index % nodes] = (node_lat + lat, node_viewers + len(pv))
            for p in procs:
                p.join(timeout=30)
        finally:
            stops = [s.stop() for s in servers]
    rows: list[dict[str, float]] = []
    for i in range(len(servers)):
        latencies, node_viewers = per_node[i]
        latencies.sort()
        rows.append({
            "node": i + 1, "viewers": node_viewers, "connected": connected, "connect_s": connect_s,
            "captions": len(acks), "delivered": len(latencies), "lost": node_viewers * len(acks) - len(latencies),
            "p50_ms": quantile(latencies, 50) * 1000, "p99_ms": quantile(latencies, 99) * 1000,
            "max_ms": (latencies[-1] * 1000) if latencies else 0,
            "deliveries_per_s": len(latencies) / (publish_s + 3.0), "rss_idle_mib": rss_idle[i] / 1024,
            "rss_connected_mib": rss_connected[i] / 1024, "rss_peak_mib": rss_peak[i] / 1024,
            "kib_per_viewer": (rss_connected[i] - rss_idle[i]) / max(1, node_viewers),
            "cpu_us_per_delivery": cpu_used[i] / max(1, len(latencies)) * 1e6,
            "fanout_ms_mean": fanout[i][1] / fanout[i][0] * 1000 if fanout[i][0] else float("nan"),
            "ack_p50_ms": quantile(acks, 50) * 1000, "ack_p99_ms": quantile(acks, 99) * 1000, "stop_s": stops[i]})
    return rows


async def _post(url: str) -> None:
    async with aiohttp.ClientSession() as http, http.post(url) as r:
        if r.status != 200:
            raise RuntimeError(f"{url.split('?')[0]}: {r.status} {await r.text()}")


def main() -> None:
    """Parse flags, run each N, print one line per N and node."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, nargs="+", default=[1000, 5000, 10000],
                        help="viewers per run, spread over the nodes")
    parser.add_argument("--captions", type=int, default=100, help="captions posted per run (at --rate per second)")
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2, help="client processes holding the viewers")
    parser.add_argument("--nodes", type=int, default=1, choices=(1, 2),
                        help="2: two server processes fanning out through Redis, captions posted to node 1")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379", help="Redis for --nodes 2")
    parser.add_argument("--server-cpu", nargs="+", metavar="CPUS",
                        help="pin server processes with taskset (node i gets the i-th list, e.g. 1 or 1 0)")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record each server with py-spy during the captions (flame graphs written to DIR)")
    parser.add_argument("--profile-stacks", action="store_true",
                        help="with --profile: collapsed stacks (.txt, for bench/profile_summary.py), not flame graphs")
    args = parser.parse_args()
    _raise_fd_limit()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; server CPUs {args.server_cpu or 'any'}")
    print(f"{'node':>4} {'viewers':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'deliv/s':>9} {'lost':>6}"
          f" {'RSS idle':>9} {'RSS conn':>9} {'KiB/view':>9} {'CPU us/d':>9} {'connect s':>10} {'fan-out':>9}"
          f" {'ack p50':>8} {'ack p99':>8} {'stop s':>7}")
    for n in args.viewers:
        for r in run_one(n, args.captions, args.rate, max(args.workers, args.nodes), args.nodes, args.server_cpu,
                         args.profile, args.redis_url, "txt" if args.profile_stacks else "svg"):
            print(f"{r['node']:>4} {r['viewers']:>8} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['max_ms']:>8.1f}"
                  f" {r['deliveries_per_s']:>9.0f} {r['lost']:>6} {r['rss_idle_mib']:>8.0f}M"
                  f" {r['rss_connected_mib']:>8.0f}M {r['kib_per_viewer']:>9.1f} {r['cpu_us_per_delivery']:>9.1f}"
                  f" {r['connect_s']:>10.1f} {r['fanout_ms_mean']:>7.1f}ms"
                  f" {r['ack_p50_ms']:>6.1f}ms {r['ack_p99_ms']:>6.1f}ms"
                  f" {r['stop_s']:>7.1f}", flush=True)
        print(f"     load average {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
