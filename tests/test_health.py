"""``/healthz`` tells the truth, and a full disk is a coded refusal: the captioner bridge and the HTTP ingest get
``storage_full`` (503), nothing acknowledged is lost, and the text sent again is stored once there is room.

The full disk is SQLite's own (``PRAGMA max_page_count`` on the test database makes writes fail with SQLITE_FULL),
and a real one: a small tmpfs holding the data directory, filled to the last byte by another file (``ENOSPC``).
A stalled fan-out bus is a TCP proxy in front of the real Redis that stops forwarding bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from server.settings import Settings
from server.storage import captions as captions_db
from server.web.app import create_app
from server.web.keys import db_key

from .conftest import DEMO, WAIT, Running, ServingTestServer

ROOT = f"/m/{DEMO}/s/morning/ingest"
NO_LIMIT = 1_073_741_823  # SQLite's default max_page_count


async def _health(server: Running, http: Any) -> tuple[int, dict[str, Any]]:
    async with http.get(server.url("/healthz")) as r:
        return r.status, await r.json()


async def _fill_the_disk(server: Running) -> None:
    """Cap the database at its size: once its free pages are used, nothing that needs a page can be written."""
    conn = server.app[db_key].conn
    async with conn.execute("PRAGMA page_count") as cur:
        pages = (await cur.fetchone())[0]
    async with conn.execute(f"PRAGMA max_page_count = {pages}") as cur:
        await cur.fetchall()


async def _free_the_disk(server: Running) -> None:
    async with server.app[db_key].conn.execute(f"PRAGMA max_page_count = {NO_LIMIT}") as cur:
        await cur.fetchall()


async def _post_until_refused(server: Running, http: Any, token: str,
                              most: int) -> tuple[list[str], tuple[int, str]]:
    """Post 3 KB caption lines until one is refused; every 200 must be stored, the refusal must be storage_full.
    Returns the acknowledged lines and the refused (seq, text)."""
    acknowledged: list[str] = []
    for seq in range(1, most):
        text = f"Line {seq} " + "x" * 3000 + "\n"
        async with http.post(server.url(f"{ROOT}/zoom?t={token}&seq={seq}"), data=text.encode()) as r:
            answer = await r.text()
        if r.status == 200:
            acknowledged.append(text.strip())
            continue
        assert r.status == 503 and answer.startswith("storage_full: "), (r.status, answer)
        return acknowledged, (seq, text)
    raise AssertionError(f"the store never filled up in {most - 1} lines")


@pytest.mark.sqlite  # fills the SQLite file by lowering its page limit
async def test_disk_full_is_a_coded_503_for_ingest_and_healthz_and_nothing_acknowledged_is_lost(server, http, live):
    status, body = await _health(server, http)
    assert (status, body["ok"], body["checks"]) == (200, True, {"storage": "ok"})
    await _fill_the_disk(server)
    # Captions keep coming until a post needs a page: every 200 is stored, the first refusal is storage_full.
    acknowledged, refused = await _post_until_refused(server, http, live, 200)
    status, body = await _health(server, http)
    assert (status, body["ok"], body["reasons"]) == (503, False, ["storage_full"])
    stored = await captions_db.segments_after(server.app[db_key], 1, "morning", "en", 0)
    assert [s["text"] for s in stored] == acknowledged
    # The bridge gets the same coded error as a JSON frame (not a broken connection) and stays connected.
    async with websockets.connect(server.url(f"/m/{DEMO}/s/morning/ingest/ws?t={live}").replace("http", "ws"),
                                  open_timeout=WAIT) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["type"] == "hello"
        await ws.send(json.dumps({"type": "text", "seq": 1, "text": "Bridge line " + "y" * 3000 + "\n"}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert (reply["type"], reply["code"], reply["seq"]) == ("error", "storage_full", 1)
        await _free_the_disk(server)
        await ws.send(json.dumps({"type": "text", "seq": 1, "text": "Bridge line " + "y" * 3000 + "\n"}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert (ack["type"], ack["seq"], ack["applied"]) == ("ack", 1, True)
    # With room again, the refused post sent again is stored, and the server is healthy.
    seq, text = refused
    async with http.post(server.url(f"{ROOT}/zoom?t={live}&seq={seq}"), data=text.encode()) as r:
        assert r.status == 200
    stored = await captions_db.segments_after(server.app[db_key], 1, "morning", "en", 0)
    assert [s["text"] for s in stored] == [*acknowledged, "Bridge line " + "y" * 3000, text.strip()]
    status, body = await _health(server, http)
    assert (status, body["ok"]) == (200, True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB file system of its own (tmpfs), unmounted afterwards; needs the right to mount (root here)."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(directory: Path) -> Path:
    """Write a file until the file system refuses with ENOSPC; returns it (delete it to make room again)."""
    filler = directory / "filler"
    block = b"\0" * 65536
    with open(filler, "wb", buffering=0) as f:
        for _ in range(10_000):  # bounded: 640 MiB, far beyond the small disk
            try:
                f.write(block)
            except OSError as exc:
                assert exc.errno == 28, exc  # ENOSPC
                break
        else:
            raise AssertionError("the small disk never filled up")
    for _ in range(1_000):  # the last partial block too
        try:
            with open(filler, "ab", buffering=0) as f:
                f.write(b"\0" * 512)
        except OSError:
            break
    return filler


@pytest.mark.sqlite  # the SQLite file on a file system that fills up
async def test_a_really_full_file_system_is_a_coded_503_and_nothing_acknowledged_is_lost(small_disk, http):
    settings = Settings(data_dir=small_disk / "data", port=0, log_json=False)
    async with ServingTestServer(create_app(settings), port=0) as srv:
        server = Running(srv, settings)
        moderator = await server.token("moderator", "morning")
        async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={moderator}")) as r:
            assert r.status == 200
        captioner = await server.token("captioner", "morning")
        filler = _fill(small_disk)
        acknowledged, refused = await _post_until_refused(server, http, captioner, 400)
        status, body = await _health(server, http)
        assert (status, body["reasons"]) == (503, ["storage_full"])
        async with http.get(server.url(f"/m/{DEMO}/s/morning")) as r:
            assert r.status == 200  # pages are still served
        os.remove(filler)
        seq, text = refused
        async with http.post(server.url(f"{ROOT}/zoom?t={captioner}&seq={seq}"), data=text.encode()) as r:
            assert r.status == 200, await r.text()
        stored = await captions_db.segments_after(server.app[db_key], 1, "morning", "en", 0)
        assert [s["text"] for s in stored] == [*acknowledged, text.strip()]
        status, body = await _health(server, http)
        assert (status, body["ok"]) == (200, True)


class FreezableProxy:
    """A TCP proxy to Redis that can stop forwarding (connections stay open: a stalled bus, not a closed one)."""

    def __init__(self, upstream_port: int = 6379) -> None:
        self.upstream_port = upstream_port
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.writers: list[asyncio.StreamWriter] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    async def __aenter__(self) -> FreezableProxy:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.flowing.set()
        self.server.close()
        for writer in self.writers:
            writer.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self.writers += [writer, up_writer]
        for pair in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pump(*pair))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                await self.flowing.wait()
                writer.write(data)
                await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def _redis_server(settings: Settings, redis_url: str) -> AsyncIterator[Running]:
    channel = f"floorcast-test-{uuid.uuid4().hex}"
    node = Settings(**{**settings.__dict__, "redis_url": redis_url, "redis_channel": channel, "health_interval": 0.1})
    async with ServingTestServer(create_app(node), port=0) as srv:
        yield Running(srv, node)


async def _until(server: Running, http: Any, status: int, reason: str | None = None,
                 timeout: float = WAIT) -> dict[str, Any]:
    """Ask /healthz until it answers ``status`` (with ``reason``): the canary's verdict changes with time."""
    deadline = time.monotonic() + timeout
    while True:
        got, body = await _health(server, http)
        if got == status and (reason is None or reason in body.get("reasons", [])):
            return body
        assert time.monotonic() < deadline, (got, body)
        await asyncio.sleep(0.1)


@pytest.mark.redis
async def test_healthz_follows_the_fanout_canary_through_redis(settings, http):
    async with FreezableProxy() as proxy, _redis_server(settings, f"redis://127.0.0.1:{proxy.port}") as server:
        body = await _until(server, http, 200)
        assert body["checks"] == {"storage": "ok", "redis": "ok", "fanout": "ok"}
        proxy.flowing.clear()  # Redis stops delivering; the connections stay open
        body = await _until(server, http, 503, "fanout_stalled")
        assert body["checks"] == {"storage": "ok", "redis": "redis_unreachable", "fanout": "fanout_stalled"}
        proxy.flowing.set()
        body = await _until(server, http, 200)
        assert body["checks"]["fanout"] == "ok"


async def test_healthz_is_503_when_redis_is_configured_but_unreachable(settings, http):
    async with _redis_server(settings, "redis://127.0.0.1:9") as server:
        status, body = await _health(server, http)
        assert status == 503 and "redis_unreachable" in body["reasons"], body
        assert body["checks"]["storage"] == "ok"


class _Lines(logging.Handler):
    """The ``metrics`` log records' fields, as the server logs them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "metrics":
            self.lines.put_nowait(dict(record.__dict__))


async def test_the_metrics_line_tells_what_the_heap_holds_beside_rss(settings):
    settings.metrics_interval, settings.health_interval = 0.05, 0.05
    lines, logger = _Lines(), logging.getLogger("server.web.health")
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    try:
        async with ServingTestServer(create_app(settings), port=0):
            before = await asyncio.wait_for(lines.lines.get(), WAIT)
            held = [object() for _ in range(200_000)]  # 200,000 Python blocks
            buffer = bytearray(64 * 2**20)  # 64 MiB of C heap
            allocated = time.time()
            while (after := await asyncio.wait_for(lines.lines.get(), WAIT))["created"] <= allocated:
                pass  # a line from before the allocations
            assert after["python_blocks"] - before["python_blocks"] >= 200_000, (before, after)
            assert after["malloc_used_kib"] - before["malloc_used_kib"] >= 64 * 1024, (before, after)
            assert after["malloc_free_kib"] >= 0 and after["rss_kib"] > 64 * 1024
            assert {"fds", "tasks", "connections", "rooms", "session_copies"} <= after.keys()
            del held, buffer
    finally:
        logger.removeHandler(lines)
