"""Soak: a session running for minutes with viewers, captions, questions, floor churn and reconnects.

Starts ``python run.py`` on a loopback port with a fresh data directory and a metrics log line every few seconds,
then for ``--minutes``:

* ``--viewers`` Socket.IO viewers (minimal protocol clients in ``--workers`` processes, as in bench_fanout) stay
  connected to the session's caption room;
* a captioner posts a line at ``--rate`` per second through the Zoom-compatible ingest URL;
* in a second meeting, a day of sessions one after another (each ``--session-minutes`` long, started and ended by
  its chair, like one IGF room's programme): registered participants submit and vote on questions, which the chair
  publishes and answers, and ask for the floor, which the chair gives and ends;
* one viewer reconnects every ``--reconnect`` seconds, resuming from the last caption ``seq`` it holds.

A session's questions and floor are held in memory while it runs, so within one session memory follows its
activity (this load makes about 60 questions and 60 turns a minute, far more than any real session); once a
session has ended and sat unused for a minute, the server lets them go. So the load as a whole should leave memory
flat: captions are bounded, sessions come and go, and reconnects leave nothing behind.

It prints the server's resident memory, open file descriptors, asyncio tasks, connections and Socket.IO rooms at
the start and at the end (memory and descriptors sampled from /proc from outside, the rest from the server's
``metrics`` log line), and checks that nothing was lost: every viewer that stayed received every caption ``seq``,
and the reconnecting viewer holds every ``seq`` without a gap.

Is memory flat? The server's resident memory is also sampled every ``--sample-every`` seconds while the load runs,
with the slope of a least-squares line through the last ``--trend-minutes`` of samples: an allocator that has
reached its plateau gives a slope near zero, a leak a steady climb. Beside RSS, the server's metrics line says what
its heap holds, and the same slopes are printed for each: Python's allocated blocks (objects kept alive), the C heap
in use (larger objects and buffers, SQLite's page cache) and the freed memory the C allocator keeps for reuse. A
program that keeps objects grows the first two; an allocator filling up or fragmenting grows only the last or RSS.
``--tracemalloc FRAMES`` runs the server under tracemalloc (``bench/traced_run.py``), takes a snapshot when the
viewers are connected and the load is about to start and another when the load has stopped and the viewers are
still connected, and prints the allocations that grew most between them, grouped by traceback; and the same between
a snapshot at idle, before any viewer, and one once every client has left and the server settled (what the load
left behind). A snapshot stops the server for seconds, so none is taken while captions flow; tracing slows the
server, and its bookkeeping and the snapshots' are in the RSS figures (use a run without it for those).
``--census`` runs a garbage collection in the server at every sample and counts, by type, the objects it found in
reference cycles (memory only a collection frees, and the server's full collections are rare) and the live objects
after it; it prints the types whose live count climbed fastest, what refers to the newest objects of the three
that climbed most, and the types left behind once every client left. Each census collects the garbage the load
made, so Python's blocks in such a run are what stays alive, not what waits for a collection.

    python bench/bench_soak.py                           # 2 minutes, 300 viewers
    python bench/bench_soak.py --minutes 30 --viewers 2000
    python bench/bench_soak.py --minutes 15 --viewers 500 --tracemalloc 10
    python bench/bench_soak.py --minutes 12 --viewers 2000 --census

Loopback only; every loop is bounded in count and time. Exit status 1 when anything was lost.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import json
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import IO, TYPE_CHECKING, Any

import aiohttp
import socketio
from bench_fanout import _raise_fd_limit, _rss_kib, _Viewer

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event as MpEvent

ROOT = Path(__file__).resolve().parents[1]
SLUG, SESSION = "ec-baku-2012", "morning"
DAY = "soak-day"  # the meeting whose sessions the churn runs through, one after another
WAIT = 10.0  # seconds: the bound of every single wait on the server
SETTLE_S = 30.0  # seconds after the clients left before the last sample (longer than Engine.IO's ping interval)
GROUPS = ("government", "civil", "private", "technical", "academic")


class _SeqViewer(_Viewer):
    """A viewer that records the ``seq`` of every caption segment it receives (live or in a backlog)."""

    def frame(self, payload: bytes, now: float) -> None:
        if payload.startswith(b'42/live,["caption_segment"'):
            self.seen.setdefault(json.loads(payload[8:])[1]["seq"], now)
        elif payload.startswith(b'42/live,["caption_backlog"'):
            for segment in json.loads(payload[8:])[1]["segments"]:
                self.seen.setdefault(segment["seq"], now)
        else:
            super().frame(payload, now)


def _worker(base: str, count: int, results: mp.Queue, done: MpEvent, ready_q: mp.Queue) -> None:
    _raise_fd_limit()

    async def main() -> None:
        host, port = base.split("//")[1].split(":")
        seen: list[dict[int, float]] = [{} for _ in range(count)]
        transports = []
        loop = asyncio.get_running_loop()
        for i in range(0, count, 100):  # batches, so the listen backlog never overflows
            batch = range(i, min(i + 100, count))
            transports += await asyncio.gather(*(_open(loop, host, int(port), seen[j]) for j in batch))
        ready_q.put(len(transports))
        while not done.is_set():
            await asyncio.sleep(0.1)
        results.put([sorted(s) for s in seen])
        for t in transports:
            t.close()

    asyncio.run(main())


async def _open(loop: asyncio.AbstractEventLoop, host: str, port: int, seen: dict[int, float]) -> asyncio.Transport:
    """Connect one :class:`_SeqViewer` over a raw WebSocket and join the session's caption room."""
    ready = loop.create_future()
    auth = json.dumps({"meeting": SLUG, "session": SESSION, "lang": "en"}).encode()
    transport, _ = await loop.create_connection(lambda: _SeqViewer(auth, seen, ready), host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    transport.write((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                     f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    await asyncio.wait_for(ready, timeout=60)
    return transport


class Metrics:
    """The server's ``metrics`` log lines, read from its stderr by a thread."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []
        self.errors: list[str] = []
        #: bench/traced_run.py's answers (``tracemalloc snapshot PATH TRACED OVERHEAD``, ``census PATH OBJECTS``,
        #: ``holders PATH COUNT``): the fields after the path, by path.
        self.written: dict[str, list[str]] = {}
        self.changed = threading.Condition()

    def drain(self, stderr: IO[str]) -> None:
        for line in stderr:
            if '"msg": "metrics"' in line:
                with self.changed:
                    self.lines.append(json.loads(line))
                    self.changed.notify_all()
            elif line.startswith(("tracemalloc snapshot ", "census ", "holders ")):
                fields = line.split()[1:] if line.startswith("tracemalloc") else line.split()
                with self.changed:
                    self.written[fields[1]] = fields[2:]
                    self.changed.notify_all()
            elif '"level": "error"' in line and len(self.errors) < 20:
                self.errors.append(line.strip()[:300])

    def next(self, timeout: float) -> dict[str, Any]:
        """The next metrics line after now (waits at most ``timeout`` seconds)."""
        with self.changed:
            count = len(self.lines)
            if not self.changed.wait_for(lambda: len(self.lines) > count, timeout):
                raise TimeoutError("no metrics line from the server")
            return self.lines[-1]

    def wait_written(self, path: str, timeout: float) -> list[str]:
        """Wait until the server says the file at ``path`` is written; its line's fields after the path."""
        with self.changed:
            if not self.changed.wait_for(lambda: path in self.written, timeout):
                raise TimeoutError(f"the server did not write {path}")
            return self.written[path]


def _start_server(data: Path, metrics_every: float, frames: int,
                  inspect: bool) -> tuple[subprocess.Popen[str], str, Metrics]:
    """``run.py`` on a free port; through bench/traced_run.py when ``inspect`` (``frames``: tracemalloc's depth)."""
    env = {**os.environ, "FLOORCAST_METRICS_INTERVAL": str(metrics_every), "FLOORCAST_LOG_LEVEL": "INFO",
           "FLOORCAST_QUESTION_RATE": "1000/60"}
    command = [sys.executable, *(["bench/traced_run.py", str(frames)] if inspect else ["run.py"]),
               "--data", str(data), "--port", "0"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE if inspect else subprocess.DEVNULL,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, preexec_fn=_raise_fd_limit)
    assert proc.stderr is not None
    deadline = time.monotonic() + (120 if frames else 30)
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if line.startswith("Floorcast is serving "):
            metrics = Metrics()
            threading.Thread(target=metrics.drain, args=(proc.stderr,), daemon=True).start()
            return proc, line.split()[3].rstrip("/"), metrics
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("the server did not start")


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def _captioner(base: str, token: str, stop_at: float, rate: float) -> int:
    """Post one line per 1/rate s until ``stop_at``; returns how many were acknowledged (all must be)."""
    url = f"{base}/m/{SLUG}/s/{SESSION}/ingest/zoom?t={token}&lang=en-US"
    seq = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
        start = time.monotonic()
        while time.monotonic() < stop_at:
            await asyncio.sleep(max(0.0, start + seq / rate - time.monotonic()))
            seq += 1
            async with http.post(f"{url}&seq={seq}", data=f"Soak line {seq}.\n".encode()) as r:
                if r.status != 200:
                    raise RuntimeError(f"caption {seq}: {r.status} {await r.text()}")
    return seq


async def _register(http: aiohttp.ClientSession, base: str, token: str, i: int) -> dict[str, str]:
    body = {"name": f"Soak participant {i}", "organisation": "Bench", "country": "CH", "group": GROUPS[i % 5],
            "mode": "remote"}
    async with http.post(f"{base}/api/meetings/{DAY}/participants?t={token}", json=body) as r:
        if r.status != 201:
            raise RuntimeError(f"registration: {r.status} {await r.text()}")
        return {f"fc_p_{DAY}": r.cookies[f"fc_p_{DAY}"].value}


async def _client(base: str, namespace: str, session: str, cookies: dict[str, str] | None = None,
                  **auth: Any) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
    await client.connect(base, namespaces=[namespace], auth={"meeting": DAY, "session": session, **auth},
                         headers=headers, transports=["websocket"], wait_timeout=WAIT)
    return client


async def _call(client: socketio.AsyncClient, event: str, data: dict[str, Any], namespace: str) -> dict[str, Any]:
    reply = await client.call(event, data, namespace=namespace, timeout=WAIT)
    if not reply.get("ok") and reply.get("error", {}).get("code") == "unknown_error":
        raise RuntimeError(f"{event}: {reply}")
    return reply


async def _roam(base: str, stop_at: float, reconnect_s: float, counts: dict[str, int],
                captioned: asyncio.Future[int]) -> set[int]:
    """A caption viewer that reconnects every ``reconnect_s`` until ``stop_at``, resuming from the last ``seq`` it
    holds, then waits (bounded) for the captioner's last line; returns every ``seq`` it got."""
    held: set[int] = set()
    got = asyncio.Event()

    def keep(data: Any) -> None:
        held.update(s["seq"] for s in (data.get("segments", []) if "segments" in data else [data]))
        got.set()

    roamer: socketio.AsyncClient | None = None
    try:
        while time.monotonic() < stop_at:
            if roamer is not None:
                await roamer.disconnect()
            roamer = socketio.AsyncClient(reconnection=False)
            roamer.on("caption_segment", keep, namespace="/live")
            roamer.on("caption_backlog", keep, namespace="/live")
            last = max(held, default=None)
            auth = {"meeting": SLUG, "session": SESSION, **({"last_seq": last} if last is not None else {})}
            await roamer.connect(base, namespaces=["/live"], auth=auth, transports=["websocket"], wait_timeout=WAIT)
            counts["reconnects"] += 1
            await asyncio.sleep(max(0.0, min(reconnect_s, stop_at - time.monotonic())))
        final = await asyncio.wait_for(captioned, WAIT)
        deadline = time.monotonic() + WAIT
        while max(held, default=0) < final and time.monotonic() < deadline:
            got.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(got.wait(), deadline - time.monotonic())
    finally:
        if roamer is not None:
            await roamer.disconnect()
    return held


async def _session(base: str, day: dict[tuple[str, str | None], str], session: str, cookies: list[dict[str, str]],
                   stop_at: float, counts: dict[str, int]) -> None:
    """One session of the day: its chair starts it, questions and floor requests until ``stop_at``, then it ends."""
    moderator = day[("moderator", session)]
    await _post(f"{base}/api/meetings/{DAY}/sessions/{session}/start?t={moderator}")
    people = [await _client(base, "/live", session, c) for c in cookies]
    chair = await _client(base, "/moderate", session, t=moderator, name="Soak chair")
    rng = random.Random(session)
    try:
        while time.monotonic() < stop_at:
            who = rng.choice(people)
            reply = await _call(who, "question_submit", {"text": f"Soak question {counts['questions']}?"}, "/live")
            counts["questions"] += 1
            if reply.get("ok"):
                await _call(chair, "question_publish", {"id": reply["id"]}, "/moderate")
                await _call(rng.choice(people), "question_vote", {"id": reply["id"]}, "/live")
                if reply["id"] % 3 == 0:
                    await _call(chair, "question_answer", {"id": reply["id"]}, "/moderate")
            request = await _call(rng.choice(people), "floor_request", {}, "/live")
            counts["floor"] += 1
            if request.get("ok"):
                called = await _call(chair, "floor_call_next", {}, "/moderate")
                if called.get("ok"):
                    await _call(chair, "floor_end", {}, "/moderate")
            await asyncio.sleep(0.5)
    finally:
        for client in [*people, chair]:
            await client.disconnect()
    await _post(f"{base}/api/meetings/{DAY}/sessions/{session}/end?t={moderator}", {"confirm": "1"})
    counts["sessions"] += 1


async def _churn(base: str, day: dict[tuple[str, str | None], str], sessions: list[str], stop_at: float,
                 session_s: float, counts: dict[str, int]) -> None:
    """The day's sessions one after another, each ``session_s`` long, until ``stop_at``."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
        cookies = [await _register(http, base, day[("participant", None)], i) for i in range(10)]
    for session in sessions:
        if time.monotonic() >= stop_at:
            break
        await _session(base, day, session, cookies, min(stop_at, time.monotonic() + session_s), counts)


async def _post(url: str, form: dict[str, str] | None = None) -> None:
    async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http,
                http.post(url, data=form) as r):
        if r.status != 200:
            raise RuntimeError(f"{url.split('?')[0]}: {r.status} {await r.text()}")


async def _drive(base: str, tokens: dict[tuple[str, str | None], str], day: dict[tuple[str, str | None], str],
                 sessions: list[str], seconds: float, rate: float, reconnect_s: float,
                 session_s: float) -> tuple[int, set[int], dict[str, int]]:
    stop_at = time.monotonic() + seconds
    counts = {"questions": 0, "floor": 0, "reconnects": 0, "sessions": 0}
    captioned = asyncio.ensure_future(_captioner(base, tokens[("captioner", SESSION)], stop_at, rate))
    held, _ = await asyncio.gather(_roam(base, stop_at, reconnect_s, counts, captioned),
                                   _churn(base, day, sessions, stop_at, session_s, counts))
    return await captioned, held, counts


def _tokens(data: Path, slug: str) -> dict[tuple[str, str | None], str]:
    """A meeting's role links: token by (role, session)."""
    out = subprocess.run([sys.executable, "run.py", "--data", str(data), "links", "--meeting", slug, "--json"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {(row["role"], row["session_id"]): row["url"].split("t=")[1] for row in json.loads(out)[0]["links"]}


def _load_day(data: Path, count: int) -> list[str]:
    """Load a meeting of ``count`` sessions (the demo meeting's groups) for the churn; returns the session ids."""
    demo = (ROOT / "server" / "demo_meeting.toml").read_text(encoding="utf-8")
    head = demo[:demo.index("[[sessions]]")].replace('slug = "ec-baku-2012"', f'slug = "{DAY}"')
    ids = [f"part-{i:03d}" for i in range(1, count + 1)]
    sessions = "".join(f'[[sessions]]\nid = "{sid}"\ntitle = "Soak session {i}"\nroom = "Room 1"\n'
                       f"start = 2012-11-05T{9 + i // 60 % 12:02d}:{i % 60:02d}:00\n"
                       f"end = 2012-11-05T{9 + i // 60 % 12:02d}:{i % 60:02d}:30\n\n"
                       for i, sid in enumerate(ids))
    path = data / "soak-day.toml"
    path.write_text(head + sessions, encoding="utf-8")
    subprocess.run([sys.executable, "run.py", "--data", str(data), "load", str(path)], cwd=ROOT,
                   capture_output=True, text=True, check=True)
    return ids


class Sampler:
    """The server's RSS every ``every`` seconds from a thread; with ``--tracemalloc`` snapshots at the first and
    last, with ``--census`` a count of its objects by type at every sample."""

    def __init__(self, server: subprocess.Popen[str], metrics: Metrics, every: float, directory: Path | None,
                 tracing: bool = False, census: bool = False) -> None:
        self.server, self.metrics, self.every, self.directory = server, metrics, every, directory
        #: (minutes since the load started, RSS MiB, and from the latest metrics line: Python's allocated blocks in
        #: thousands, the C heap in use and the freed memory the allocator keeps, MiB)
        self.samples: list[tuple[float, float, float, float, float]] = []
        self.snapshots: list[tuple[Path, int, int]] = []  # (file, traced bytes, tracing overhead bytes)
        self.tracing, self.census = tracing, census
        #: (minutes since the load started, live objects by type, cyclic garbage by type since the last census,
        #: blocks its collection freed)
        self.censuses: list[tuple[float, dict[str, int], dict[str, int], int]] = []
        self.asking = threading.Lock()  # one command at a time on the server's standard input
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.t0 = time.monotonic()

    def start(self) -> None:
        """The first snapshot (when tracing), then the first sample and the periodic ones."""
        if self.tracing:
            self.snapshot()
        self.t0 = time.monotonic()
        self.sample()
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            self.sample()

    def sample(self) -> None:
        with self.metrics.changed:
            line = self.metrics.lines[-1] if self.metrics.lines else {}
        minute = (time.monotonic() - self.t0) / 60
        self.samples.append((minute, _rss_kib(self.server.pid) / 1024, *_heap(line)))
        if self.census:
            self.censuses.append((minute, *self.count_objects()))

    def ask(self, command: str, name: str, argument: str = "") -> tuple[Path, list[str]]:
        """Send bench/traced_run.py a command writing ``name`` in the directory; wait (bounded) until written."""
        assert self.directory is not None and self.server.stdin is not None
        path = self.directory / name
        with self.asking:
            self.server.stdin.write(f"{command} {path} {argument}".rstrip() + "\n")
            self.server.stdin.flush()
            return path, self.metrics.wait_written(str(path), timeout=300)

    def snapshot(self) -> None:
        """A tracemalloc snapshot of the traced server."""
        path, (traced, overhead) = self.ask("snapshot", f"snapshot-{len(self.snapshots)}.pickle")
        self.snapshots.append((path, int(traced), int(overhead)))

    def count_objects(self) -> tuple[dict[str, int], dict[str, int], int]:
        """A garbage collection in the server: its live objects counted by type after it, what it found unreachable
        by type, and the blocks it freed."""
        path, _ = self.ask("census", f"census-{len(self.censuses)}-{time.monotonic_ns()}.json")
        census = json.loads(path.read_text(encoding="utf-8"))
        return census["live"], census["garbage"], census["freed_blocks"]

    def holders(self, kind: str) -> list[list[str]]:
        """Referrer chains of a few live objects of type ``kind``."""
        path, _ = self.ask("holders", f"holders-{time.monotonic_ns()}.json", kind)
        chains: list[list[str]] = json.loads(path.read_text(encoding="utf-8"))
        return chains

    def finish(self) -> None:
        """Stop the periodic samples; take the last sample now."""
        self.stop.set()
        self.thread.join(timeout=self.every + 300)
        self.sample()


def _trend(samples: Sequence[tuple[float, ...]], minutes: float, column: int = 1) -> tuple[float, float, int]:
    """Slope (per minute) of a least-squares line through one column of the samples of the last ``minutes``, its
    change over them, and their count."""
    last = [s for s in samples if s[0] >= samples[-1][0] - minutes]
    if len(last) < 2:
        return 0.0, 0.0, len(last)
    slope, _ = statistics.linear_regression([s[0] for s in last], [s[column] for s in last])
    return slope, last[-1][column] - last[0][column], len(last)


def _print_growth(first: Path, last: Path, top: int, title: str) -> None:
    """The ``top`` tracebacks whose allocations grew most between two snapshots, our frames first."""
    ignore = (tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<unknown>"),
              tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
              tracemalloc.Filter(False, str(ROOT / "bench" / "*")))
    before, after = (tracemalloc.Snapshot.load(str(path)).filter_traces(ignore) for path in (first, last))
    stats = after.compare_to(before, "traceback")
    grown = sorted((s for s in stats if s.size_diff > 0), key=lambda s: s.size_diff, reverse=True)
    total = sum(s.size_diff for s in stats)
    print(f"tracemalloc, {title}: {total / 2**20:+.2f} MiB traced in all; top {top} growths by traceback:")
    for stat in grown[:top]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+8d} blocks (now {stat.size / 1024:.1f} KiB "
              f"in {stat.count})")
        frames = list(reversed(stat.traceback))  # most recent call first
        ours = [f for f in frames if str(ROOT) in f.filename and "/.venv/" not in f.filename]
        for frame in (ours[:4] or frames[:1]) + ([frames[0]] if ours and frames[0] not in ours[:4] else []):
            print(f"      {Path(frame.filename).relative_to(ROOT) if str(ROOT) in frame.filename else frame.filename}"
                  f":{frame.lineno}")


def _heap(line: dict[str, Any]) -> tuple[float, float, float]:
    """From a metrics line: Python's allocated blocks (thousands), the C heap in use and kept free (MiB)."""
    return (line.get("python_blocks", 0) / 1000, line.get("malloc_used_kib", 0) / 1024,
            line.get("malloc_free_kib", 0) / 1024)


def _signs(pid: int, metrics: Metrics, every: float) -> dict[str, Any]:
    line = metrics.next(every * 3 + 5)
    blocks_k, used_mib, free_mib = _heap(line)
    return {"rss_mib": _rss_kib(pid) / 1024, "blocks_k": blocks_k, "used_mib": used_mib, "free_mib": free_mib,
            "fds": _fds(pid), "tasks": line["tasks"],
            "connections": line["connections"], "rooms": line["rooms"],
            "copies": "/".join(str(n) for n in line.get("session_copies", {}).values())}


def _print_census(censuses: list[tuple[float, dict[str, int], dict[str, int], int]], minutes: float,
                  top: int) -> list[str]:
    """The ``top`` types whose count climbed fastest over the last ``minutes`` of censuses (least-squares slope),
    and the types most often found in reference cycles; returns the names of the first."""
    last = [c for c in censuses if c[0] >= censuses[-1][0] - minutes]
    if len(last) < 3:
        print("census: fewer than 3 censuses in the trend window")
        return []
    span = last[-1][0] - last[0][0]
    garbage: collections.Counter[str] = collections.Counter()
    for _, _, found, _ in last[1:]:
        garbage.update(found)
    print(f"census: the collections of the last {span:.1f} min found {sum(garbage.values())} objects in reference "
          f"cycles ({sum(garbage.values()) / span:.0f}/min) and freed {sum(c[3] for c in last[1:]) / span:.0f} "
          f"blocks/min; the types most found:")
    for kind, count in garbage.most_common(top):
        print(f"  {count / span:9.1f}/min  {kind}")
    slopes = {}
    for kind in set().union(*(counts for _, counts, _, _ in last)):
        counts = [c.get(kind, 0) for _, c, _, _ in last]
        if counts[-1] > counts[0]:
            slopes[kind] = statistics.linear_regression([c[0] for c in last], counts)[0]
    growing = sorted(slopes, key=slopes.__getitem__, reverse=True)[:top]
    total = [sum(c[1].values()) for c in last]
    print(f"census over the last {minutes:.0f} min ({len(last)} censuses): objects tracked by the collector "
          f"{total[0]} -> {total[-1]}; the {top} types climbing fastest (objects/min, first -> last):")
    for kind in growing:
        print(f"  {slopes[kind]:+9.1f}/min  {last[0][1].get(kind, 0):>8} -> {last[-1][1].get(kind, 0):>8}  {kind}")
    return growing


def _print_left(before: dict[str, int], after: dict[str, int], top: int) -> None:
    """The ``top`` types with the most more objects in ``after`` than in ``before``."""
    grown = sorted(((after.get(k, 0) - before.get(k, 0), k) for k in after), reverse=True)[:top]
    print(f"census, idle before the viewers to idle after every client left: {sum(before.values())} -> "
          f"{sum(after.values())} objects; most grown:")
    for diff, kind in grown:
        if diff > 0:
            print(f"  {diff:+8d}  {before.get(kind, 0):>8} -> {after[kind]:>8}  {kind}")


def run(minutes: float, viewers: int, workers: int, rate: float, reconnect_s: float, session_minutes: float,
        sample_every: float, trend_minutes: float, frames: int, top: int, census: bool) -> int:
    """One soak; prints the figures and returns the exit status."""
    metrics_every = 2.0
    with TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        server, base, metrics = _start_server(data, metrics_every, frames, bool(frames) or census)
        sampler = Sampler(server, metrics, sample_every, Path(tmp) if frames or census else None, bool(frames),
                          census)
        try:
            tokens = _tokens(data, SLUG)
            sessions = _load_day(data, int(minutes / session_minutes) + 1)
            day = _tokens(data, DAY)
            moderator = tokens[("moderator", SESSION)]
            asyncio.run(_post(f"{base}/api/meetings/{SLUG}/sessions/{SESSION}/start?t={moderator}"))
            idle = _signs(server.pid, metrics, metrics_every)
            if frames:
                sampler.snapshot()  # idle: the session started, nobody connected yet
            idle_census = sampler.count_objects()[0] if census else {}
            results: mp.Queue = mp.Queue()
            ready_q: mp.Queue = mp.Queue()
            done = mp.Event()
            shares = [viewers // workers + (1 if i < viewers % workers else 0) for i in range(workers)]
            procs = [mp.Process(target=_worker, args=(base, n, results, done, ready_q)) for n in shares]
            for p in procs:
                p.start()
            connected = sum(ready_q.get(timeout=600) for _ in procs)
            start = _signs(server.pid, metrics, metrics_every)
            t0 = time.monotonic()
            sampler.start()  # the first tracemalloc snapshot, before the load
            captions, held, counts = asyncio.run(_drive(base, tokens, day, sessions, minutes * 60, rate, reconnect_s,
                                                                 session_minutes * 60))
            elapsed = time.monotonic() - t0
            sampler.finish()
            time.sleep(3.0)  # bounded grace for the last deliveries; the check below says what arrived
            if frames:
                sampler.snapshot()  # the load stopped, the viewers still connected: as at the first snapshot
            done.set()
            seen: list[list[int]] = []
            for _ in procs:
                seen += results.get(timeout=120)
            for p in procs:
                p.join(timeout=30)
            end = _signs(server.pid, metrics, metrics_every)  # viewers and churn clients gone: back to baseline?
            # Engine.IO's per-connection ping task notices a closed connection only when its sleep ends (the
            # 20 s ping interval): sample again after that, bounded by the metrics lines' own waits.
            settle_until = time.monotonic() + SETTLE_S
            while time.monotonic() < settle_until:
                metrics.next(metrics_every * 3 + 5)
            settled = _signs(server.pid, metrics, metrics_every)
            if frames:
                sampler.snapshot()  # every client gone, settled: what the load left behind
            if census:
                growing = _print_census(sampler.censuses, trend_minutes, top)
                _print_left(idle_census, sampler.count_objects()[0], top)
                for kind in growing[:3]:
                    chains = sampler.holders(kind)
                    print(f"what holds {kind} ({len(chains)} of the newest, once every client left):")
                    for chain, count in collections.Counter(" <- ".join(c) for c in chains).most_common(3):
                        print(f"  {count}x {chain[:600]}")
            errors = list(metrics.errors)
            if frames and len(sampler.snapshots) == 4:
                _print_growth(sampler.snapshots[1][0], sampler.snapshots[2][0], top,
                              "before the load to after it (the viewers connected both times)")
                _print_growth(sampler.snapshots[0][0], sampler.snapshots[3][0], top,
                              "idle before the viewers to idle after every client left (what the load left behind)")
                (_, traced0, _), (_, traced1, overhead) = sampler.snapshots[1], sampler.snapshots[2]
                print(f"tracemalloc: {traced0 / 2**20:.1f} MiB traced before the load, {traced1 / 2**20:.1f} MiB "
                      f"after it; tracing's own overhead {overhead / 2**20:.1f} MiB (in the RSS figures, as is the "
                      f"memory the snapshots used and freed)")
        finally:
            server.terminate()
            server.wait(timeout=30)
    expected = set(range(1, captions + 1))
    missing = sum(len(expected - set(s)) for s in seen)
    roamer_gaps = sorted(expected - held)
    print(f"soak: {elapsed / 60:.1f} min, {connected}/{viewers} viewers stayed, {captions} captions at {rate}/s, "
          f"{counts['sessions']} sessions ended, {counts['questions']} questions, {counts['floor']} floor requests, "
          f"{counts['reconnects']} reconnects")
    print(f"{'':>22} {'RSS MiB':>8} {'Py kblk':>8} {'C used':>7} {'C free':>7} {'fds':>6} {'tasks':>6} "
          f"{'conns':>6} {'rooms':>6}  sessions held (floor/questions)")
    for label, s in (("idle", idle), ("viewers connected", start), ("end, clients gone", end),
                     (f"{SETTLE_S:.0f} s later", settled)):
        print(f"{label:>22} {s['rss_mib']:>8.1f} {s['blocks_k']:>8.1f} {s['used_mib']:>7.1f} {s['free_mib']:>7.1f} "
              f"{s['fds']:>6} {s['tasks']:>6} {s['connections']:>6} {s['rooms']:>6}  {s['copies']}")
    print(f"captions missing at viewers that stayed: {missing} (of {len(seen) * captions}); "
          f"reconnecting viewer missing: {len(roamer_gaps)}{' ' + str(roamer_gaps[:10]) if roamer_gaps else ''}")
    print("While the load ran (minute: RSS MiB / Python kblocks / C heap used MiB / C heap free MiB): "
          + ", ".join(f"{t:.0f}: {r:.1f}/{b:.1f}/{u:.1f}/{f:.1f}" for t, r, b, u, f in sampler.samples))
    for column, (name, unit) in enumerate((("RSS", "MiB"), ("Python's allocated blocks", "kblocks"),
                                           ("C heap in use", "MiB"), ("C heap freed and kept", "MiB")), start=1):
        slope, change, count = _trend(sampler.samples, trend_minutes, column)
        print(f"{name} over the last {trend_minutes:.0f} min ({count} samples): {change:+.2f} {unit}, "
              f"least-squares slope {slope:+.4f} {unit}/min")
    if errors:
        print("server errors:", *errors, sep="\n  ")
    return 1 if missing or roamer_gaps or errors else 0


def main() -> None:
    """Parse flags and run one soak."""
    global WAIT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--viewers", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2, help="client processes holding the viewers")
    parser.add_argument("--rate", type=float, default=5.0, help="captions per second")
    parser.add_argument("--reconnect", type=float, default=3.0, help="seconds between the roaming viewer's reconnects")
    parser.add_argument("--session-minutes", type=float, default=3.0,
                        help="how long each session of the churn's day runs before its chair ends it")
    parser.add_argument("--sample-every", type=float, default=60.0, help="seconds between RSS samples under load")
    parser.add_argument("--trend-minutes", type=float, default=20.0,
                        help="the last minutes of samples the RSS slope is fitted to")
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="FRAMES",
                        help="trace the server's allocations with FRAMES frames per traceback (0: off)")
    parser.add_argument("--census", action="store_true",
                        help="count the server's objects by type at every sample; print the types that climb and "
                             "what holds the three that climb fastest")
    parser.add_argument("--top", type=int, default=15, help="tracebacks or types shown in the growth")
    parser.add_argument("--wait", type=float, default=WAIT,
                        help="seconds any single wait on the server may take (more when traced on a busy machine)")
    args = parser.parse_args()
    if not 0 < args.minutes <= 24 * 60 or not 0 < args.viewers <= 20_000 or not 0.5 <= args.session_minutes <= 600:
        parser.error("--minutes must be 0..1440, --viewers 1..20000 and --session-minutes 0.5..600")
    if not 1 <= args.sample_every <= 3600 or not 0 <= args.tracemalloc <= 100 or not 1 <= args.wait <= 120:
        parser.error("--sample-every must be 1..3600, --tracemalloc 0..100 and --wait 1..120")
    WAIT = args.wait
    _raise_fd_limit()
    sys.exit(run(args.minutes, args.viewers, args.workers, args.rate, args.reconnect, args.session_minutes,
                 args.sample_every,
                 args.trend_minutes, args.tracemalloc, args.top, args.census))


if __name__ == "__main__":
    main()
