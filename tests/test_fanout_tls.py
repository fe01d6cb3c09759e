"""Caption fan-out to viewers over TLS, with aiohttp serving HTTPS itself (``ssl_context``).

A frame written to a TLS connection's socket underneath the TLS layer would reach the viewer as garbage in the
record stream. A thousand lean viewers connect over wss; every one must receive every caption intact and in order.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import ssl
from typing import Any

import aiohttp
import pytest
import trustme

from server.settings import Settings
from server.web.app import create_app
from server.web.keys import sio_key

from .conftest import DEMO, Running, ServingTestServer

VIEWERS = 1000
BATCH = 100  # viewers connecting at once: below the listen backlog
CONNECT_WAIT = 30  # seconds for one batch of TLS and Engine.IO/Socket.IO handshakes
DELIVERY_WAIT = 30  # seconds for every caption to reach every viewer
CAPTIONS = [
    "Good morning, delegates.",
    "La délégation de la Côte d'Ivoire a la parole — « merci ».",
    'A "quoted" phrase and a back\\slash.',
    "中文发言：加强合作。 Русский: спасибо.",
    "A longer line: " + " ".join(["coopération"] * 7) + ".",
    "Last caption.",
]


class TlsViewer(asyncio.Protocol):
    """A minimal Engine.IO v4 / Socket.IO v5 viewer over a raw WebSocket (the benchmark's kind of client).

    It joins ``/live`` of one session and keeps each ``caption_segment`` it receives; ``done`` resolves when it
    holds ``expected`` of them and fails at once if the connection breaks or a frame is malformed.
    """

    def __init__(self, auth: bytes, expected: int) -> None:
        loop = asyncio.get_running_loop()
        self.auth, self.expected = auth, expected
        self.joined: asyncio.Future[None] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()
        for future in (self.joined, self.done):  # a test reports the first failure; the rest are read here
            future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.segments: list[dict[str, Any]] = []
        self.buffer = b""
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(f"connection lost: {exc!r}")

    def _fail(self, why: str) -> None:
        for future in (self.joined, self.done):
            if not future.done():
                future.set_exception(AssertionError(why))

    def send_text(self, text: bytes) -> None:
        """One masked client text frame (RFC 6455: every client frame is masked)."""
        mask = os.urandom(4)
        n = len(text)
        header = bytes((0x81, 0x80 | n)) if n < 126 else bytes((0x81, 0x80 | 126)) + n.to_bytes(2, "big")
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(text))
        self.transport.write(header + mask + body)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        """Split the decrypted stream into frames; refuse anything a server must not send."""
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                return self._fail(f"no upgrade: {self.buffer[:60]!r}")
            self.upgraded = True
            self.buffer = self.buffer[end + 4:]
        buf, pos = self.buffer, 0
        while len(buf) - pos >= 2:
            first, n, head = buf[pos], buf[pos + 1] & 0x7F, 2
            if buf[pos + 1] & 0x80 or first & 0x70 or not first & 0x80:
                return self._fail(f"malformed frame header {buf[pos:pos + 2]!r}")  # masked, RSV set or fragmented
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
            if first & 0x0F == 0x1:
                self.frame(buf[pos + head:pos + head + n].decode("utf-8"))
            pos += head + n
        self.buffer = buf[pos:]

    def frame(self, payload: str) -> None:
        """Answer pings, join ``/live`` after the open packet, and keep every ``caption_segment``."""
        if payload == "2":
            self.send_text(b"3")  # answer the server's ping
        elif payload.startswith("0{"):
            self.send_text(b"40/live," + self.auth)  # Engine.IO open: join the namespace
        elif payload.startswith("40/live,"):
            if not self.joined.done():
                self.joined.set_result(None)
        elif payload.startswith("44/live,"):
            self._fail(f"refused: {payload[:80]}")
        elif payload.startswith("42/live,"):
            name, *args = json.loads(payload[len("42/live,"):])
            if name == "caption_segment":
                self.segments.append(args[0])
                if len(self.segments) >= self.expected and not self.done.done():
                    self.done.set_result(None)


async def open_viewer(host: str, port: int, context: ssl.SSLContext, expected: int) -> TlsViewer:
    """Connect one viewer over TLS and start its WebSocket handshake."""
    loop = asyncio.get_running_loop()
    auth = json.dumps({"meeting": DEMO, "session": "morning", "lang": "en"}).encode()
    transport, viewer = await loop.create_connection(lambda: TlsViewer(auth, expected), host, port, ssl=context,
                                                     server_hostname=host)
    key = base64.b64encode(os.urandom(16)).decode()
    transport.write((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                     f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    return viewer


@pytest.fixture
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context) from a throwaway certificate authority."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client_context)
    return server_context, client_context


@pytest.mark.timeout(90)
async def test_every_tls_viewer_receives_every_caption_intact(settings: Settings, tls):
    server_context, client_context = tls
    srv = ServingTestServer(create_app(settings), port=0)
    await srv.start_server(ssl=server_context)
    viewers: list[TlsViewer] = []
    try:
        running = Running(srv, settings)
        manager = running.app[sio_key].manager
        connector = aiohttp.TCPConnector(ssl=client_context)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as http:
            token = await running.token("moderator", "morning")
            async with http.post(running.url(f"/api/meetings/{DEMO}/sessions/morning/start?t={token}")) as r:
                assert r.status == 200, await r.text()
            for start in range(0, VIEWERS, BATCH):
                batch = await asyncio.wait_for(asyncio.gather(*(
                    open_viewer(srv.host, srv.port, client_context, len(CAPTIONS))
                    for _ in range(start, min(start + BATCH, VIEWERS)))), CONNECT_WAIT)
                viewers += batch
                await asyncio.wait_for(asyncio.gather(*(v.joined for v in batch)), CONNECT_WAIT)
            direct_before, raw_before = manager.direct_writes, manager.raw_writes
            captioner = await running.token("captioner", "morning")
            for seq, text in enumerate(CAPTIONS, start=1):
                async with http.post(running.url(f"/m/{DEMO}/s/morning/ingest/zoom?t={captioner}&seq={seq}"
                                                 "&lang=en-US"), data=f"{text}\n".encode()) as r:
                    assert r.status == 200, await r.text()
            await asyncio.wait_for(asyncio.gather(*(v.done for v in viewers)), DELIVERY_WAIT)
        for viewer in viewers:
            assert [(s["seq"], s["text"]) for s in viewer.segments] == list(enumerate(CAPTIONS, start=1))
        # The path under test ran: captions went to idle viewers without the Engine.IO queue, through the TLS
        # transport and never with a raw write beneath it.
        assert manager.direct_writes - direct_before >= VIEWERS
        assert manager.raw_writes == raw_before
    finally:
        for viewer in viewers:
            if viewer.transport is not None:
                viewer.transport.abort()
        await srv.close()
