"""The captioner bridge: its WebSocket protocol, and text kept through a network outage and stored once."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import socket
import sys
import time
from pathlib import Path

import pytest
import websockets

from client.captioner import RETRY_MAX, Bridge, Outbox, retry_delays
from server.web.app import create_app

from .conftest import DEMO, WAIT, Running, ServingTestServer

ROOT = Path(__file__).resolve().parents[1]


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def bridge_url(server, session="morning"):
    token = await server.token("captioner", session)
    return server.url(f"/m/{DEMO}/s/{session}/ingest/ws?t={token}").replace("http", "ws", 1)


async def start(server, http, session="morning"):
    token = await server.token("moderator", session)
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/{session}/start?t={token}")) as r:
        assert r.status == 200


async def segments(server, http, session="morning"):
    async with http.get(server.url(f"/api/meetings/{DEMO}/sessions/{session}/captions?lang=en")) as r:
        assert r.status == 200
        return [s["text"] for s in (await r.json())["segments"]]


async def test_protocol_acks_repeats_and_refusals(server, http):
    url = await bridge_url(server)
    async with websockets.connect(url, open_timeout=WAIT) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert hello["type"] == "hello" and hello["last_seq"] == 0 and hello["languages"] == ["en", "fr"]
        await ws.send(json.dumps({"type": "text", "seq": 1, "text": "Too early.\n"}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert (reply["type"], reply["code"], reply["seq"]) == ("error", "session_not_live", 1)
        await start(server, http)
        await ws.send(json.dumps({"type": "text", "seq": 1, "text": "Good morning.\n"}))
        first = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        assert {k: first[k] for k in ("type", "seq", "applied")} == {"type": "ack", "seq": 1, "applied": True}
        await ws.send(json.dumps({"type": "text", "seq": 1, "text": "Good morning.\n"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT)) == {**first, "applied": False}  # the original time
        await ws.send(json.dumps({"type": "text", "seq": 1, "text": "Other text.\n"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["code"] == "seq_conflict"
        await ws.send("not json")
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["code"] == "invalid_format"
        await ws.send(json.dumps({"type": "text", "seq": 2, "text": "Bonjour.\n", "lang": "fr-FR"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["applied"] is True
    async with websockets.connect(url, open_timeout=WAIT) as ws:  # the count survives the connection
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["last_seq"] == 2
    assert await segments(server, http) == ["Good morning."]


async def test_wrong_token_is_refused(server):
    url = (await bridge_url(server)).replace("t=", "t=x")
    with pytest.raises(websockets.InvalidStatus) as info:
        async with websockets.connect(url, open_timeout=WAIT):
            pass
    assert info.value.response.status_code == 403


class Proxy:
    """A TCP relay on loopback whose link can be cut and restored, standing in for the venue network."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = True
        self.pairs: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader, writer):
        if not self.up:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.pairs += [writer, up_writer]

        async def pipe(src, dst):
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        self.up = False
        for w in self.pairs:
            w.transport.abort()
        self.pairs.clear()

    async def close(self) -> None:
        self.cut()
        self.server.close()
        await self.server.wait_closed()


async def test_outage_keeps_text_and_resends_once(server, http):
    await start(server, http)
    proxy = Proxy(server.server.port)
    port = await proxy.start()
    url = (await bridge_url(server)).replace(f":{server.server.port}/", f":{port}/")
    outbox = Outbox()
    bridge = Bridge(url, outbox, retry_max=0.5)
    task = asyncio.create_task(bridge.run())
    try:
        outbox.add("Good morning everyone.\n")
        await asyncio.wait_for(outbox.drained.wait(), WAIT)
        assert bridge.connections == 1
        proxy.cut()
        outbox.add("Second line while the network is down.\n")
        outbox.add("Thrid\b\b\bird line.\n")
        assert outbox.buffered_chars > 0 and not outbox.drained.is_set()
        proxy.up = True
        await asyncio.wait_for(outbox.drained.wait(), 3 * WAIT)
        assert bridge.connections >= 2
    finally:
        task.cancel()
        await proxy.close()
    assert await segments(server, http) == ["Good morning everyone.", "Second line while the network is down.",
                                            "Third line."]


def test_outbox_drops_what_the_server_already_stored():
    box = Outbox()
    box.add("a")
    box.hello(41)  # the link's feed already stored 41 messages (a previous run of the bridge)
    assert [m.seq for m in box.numbered()] == [42]
    box.add("b")
    assert [m.seq for m in box.numbered()] == [42, 43]
    box.hello(42)  # reconnected: #42 was stored but its ack was lost
    assert [(m.seq, m.text) for m in box.numbered()] == [(43, "b")]
    box.ack(43)
    assert box.drained.is_set() and not box.pending


async def test_command_line_bridge_from_stdin(server, http):
    await start(server, http)
    url = await bridge_url(server)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "client.captioner", url, "--stdin", "--name", "Jane", cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    await proc.stdin.drain()
    proc.stdin.write(">> ANRIETTE ESTERHUYSEN: Thank you, Chair.\n[ Applause ]\nSeñora Présidente — 発言\n".encode())
    proc.stdin.close()
    assert await asyncio.wait_for(proc.wait(), 20) == 0, (await proc.stderr.read()).decode()
    assert await segments(server, http) == ["Thank you, Chair.", "[ Applause ]", "Señora Présidente — 発言"]


def test_retry_delays_stay_short_and_jittered():
    rng = random.Random(7)
    delays = list(itertools.islice(retry_delays(rng), 40))
    assert max(delays) <= RETRY_MAX == 1.0  # never the 10 s the captions used to lag behind
    assert delays[0] <= 0.1 and len({round(d, 6) for d in delays}) > 30  # starts fast; jittered, not lockstep
    assert min(delays[5:]) >= RETRY_MAX / 2


async def test_bridge_reconnects_within_a_second_of_the_server_returning(settings, http):
    """The server is unreachable for several attempts; once it listens again the bridge is back within ~1 s."""
    app = create_app(settings)
    port = unused_port()
    outbox = Outbox()
    url = f"ws://127.0.0.1:{port}/m/{DEMO}/s/morning/ingest/ws?t=placeholder"
    bridge = Bridge(url, outbox)
    task = asyncio.create_task(bridge.run())
    try:
        while bridge.failures < 7:  # long enough that a doubling back-off would wait 6 s or more by now
            await asyncio.wait_for(bridge.failed.wait(), WAIT)
            bridge.failed.clear()
        async with ServingTestServer(app, port=port) as srv:
            running = Running(srv, settings)
            token = await running.token("captioner", "morning")
            bridge.url = url.replace("placeholder", token)  # the link exists once the server has started
            back = time.monotonic()
            await asyncio.wait_for(bridge.connected.wait(), WAIT)
            assert time.monotonic() - back < 1.5  # ≤ 1 s of back-off plus the connection itself
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_shutdown_closes_connected_bridges(settings):
    """A graceful shutdown tells each bridge the server is going away (1001) instead of waiting for it."""
    app = create_app(settings)
    srv = ServingTestServer(app, port=0)
    await srv.start_server()
    try:
        token = await Running(srv, settings).token("captioner", "morning")
        url = f"ws://127.0.0.1:{srv.port}/m/{DEMO}/s/morning/ingest/ws?t={token}"
        async with websockets.connect(url, open_timeout=WAIT) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["type"] == "hello"
            closing = asyncio.create_task(srv.close())
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), WAIT)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
            await asyncio.wait_for(closing, WAIT)
    finally:
        await srv.close()
