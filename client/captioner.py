"""Captioner bridge: send a CAT program's realtime text to a Floorcast session, surviving network outages.

    python -m client.captioner BRIDGE_URL --stdin
    python -m client.captioner BRIDGE_URL --file realtime.txt        # follows the file as it grows
    python -m client.captioner BRIDGE_URL --listen 127.0.0.1:7777     # CAT software connects to this port

BRIDGE_URL is the captioner link's bridge address (``ws://…/ingest/ws?t=…``, printed by ``python run.py links``
and on the captioner page). Text is sent as typed, backspaces and line breaks included, in numbered messages.
While the network is down the bridge keeps everything; when it returns, the server says the last number it
stored and the bridge resends only what came after, so nothing is lost or doubled. It retries quickly (at most
a second apart, with jitter), so captions catch up within a second of the network coming back.

With ``--window`` the server treats each message as the end of the CAT program's window (for programs that
re-send their last lines): lines it already has are dropped, see ``docs/API.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import contextlib
import dataclasses
import json
import logging
import random
import sys
from collections import deque
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import quote

import websockets

log = logging.getLogger("floorcast.captioner")

#: The first wait after a failed attempt and the longest: an outage of a few seconds must not leave the captions
#: many seconds behind, and a server that is back is reached within about a second.
RETRY_FIRST = 0.1
#: Refusals that say "not now" rather than "never": the text stays pending and is sent again after a reconnect.
KEEP_AND_RETRY = frozenset({"session_not_live", "storage_full", "storage_unavailable"})
RETRY_MAX = 1.0


def retry_delays(rng: random.Random, cap: float = RETRY_MAX) -> Iterator[float]:
    """Waits between attempts: doubling from ``RETRY_FIRST`` up to ``cap``, each drawn from its upper half (jitter,
    so bridges cut off together do not all come back in the same instant)."""
    delay = min(RETRY_FIRST, cap)
    while True:
        yield rng.uniform(delay / 2, delay)
        delay = min(delay * 2, cap)


@dataclasses.dataclass
class Message:
    """A piece of text waiting to be stored by the server; ``seq`` is given once the server's count is known."""

    text: str
    seq: int | None = None


class Outbox:
    """Text not yet acknowledged, in order. Numbers follow the server's last stored ``seq`` for this link."""

    def __init__(self) -> None:
        self.pending: deque[Message] = deque()
        self.next_seq: int | None = None
        self.acked = 0
        self.changed = asyncio.Event()
        self.drained = asyncio.Event()  # set while nothing waits to be stored
        self.drained.set()

    def add(self, text: str) -> None:
        """Queue text (merged into the last message while that one has no number yet)."""
        if not text:
            return
        self.drained.clear()
        if self.pending and self.pending[-1].seq is None:
            self.pending[-1].text += text
        else:
            self.pending.append(Message(text))
        self.changed.set()

    def hello(self, last_seq: int) -> None:
        """The server stored everything up to ``last_seq``: forget that, number the rest after it."""
        while self.pending and self.pending[0].seq is not None and self.pending[0].seq <= last_seq:
            self.pending.popleft()
        numbered = [m for m in self.pending if m.seq is not None]
        if not numbered:  # nothing of ours is in flight: continue after the server's count
            self.next_seq = max(self.next_seq or 0, last_seq + 1)
        self.acked = max(self.acked, last_seq)
        if not self.pending:
            self.drained.set()

    def numbered(self) -> list[Message]:
        """Give numbers to new messages and return every message to send, oldest first."""
        assert self.next_seq is not None
        for m in self.pending:
            if m.seq is None:
                m.seq = self.next_seq
                self.next_seq += 1
        return list(self.pending)

    def ack(self, seq: int) -> None:
        """The server stored ``seq``."""
        while self.pending and self.pending[0].seq is not None and self.pending[0].seq <= seq:
            self.pending.popleft()
        self.acked = max(self.acked, seq)
        if not self.pending:
            self.drained.set()

    @property
    def buffered_chars(self) -> int:
        """Characters waiting to be stored."""
        return sum(len(m.text) for m in self.pending)


class Bridge:
    """Keeps a WebSocket to the server open, resending from the server's last stored ``seq`` after each outage."""

    def __init__(self, url: str, outbox: Outbox, *, lang: str | None = None, retry_max: float = RETRY_MAX,
                 rng: random.Random | None = None) -> None:
        self.url, self.outbox, self.lang, self.retry_max = url, outbox, lang, retry_max
        self.rng = rng or random.Random()
        self.connected = asyncio.Event()
        self.connections = 0
        self.failures = 0
        self.failed = asyncio.Event()  # set after each failed or lost connection

    async def run(self) -> None:
        """Connect, send, reconnect: until cancelled."""
        delays = retry_delays(self.rng, self.retry_max)
        while True:
            try:
                async with websockets.connect(self.url, open_timeout=10, ping_interval=15, ping_timeout=15,
                                              max_size=2 ** 20) as ws:
                    delays = retry_delays(self.rng, self.retry_max)
                    await self._session(ws)
            except asyncio.CancelledError:
                raise
            except (TimeoutError, OSError, websockets.WebSocketException) as exc:
                log.warning("connection lost (%s); %d characters kept, retrying",
                            exc.__class__.__name__, self.outbox.buffered_chars)
            finally:
                self.connected.clear()
            self.failures += 1
            self.failed.set()
            await asyncio.sleep(next(delays))  # back off between attempts; text keeps accumulating meanwhile

    async def _session(self, ws: websockets.ClientConnection) -> None:
        hello = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if hello.get("type") != "hello":
            raise websockets.InvalidMessage(f"unexpected greeting {hello!r}")
        self.outbox.hello(int(hello["last_seq"]))
        self.connections += 1
        self.connected.set()
        log.info("connected; server has stored up to #%s", hello["last_seq"])
        sent = 0  # highest seq sent on this connection
        receiver = asyncio.create_task(self._receive(ws))
        try:
            while True:
                self.outbox.changed.clear()
                for message in self.outbox.numbered():
                    if message.seq is not None and message.seq > sent:
                        payload = {"type": "text", "seq": message.seq, "text": message.text}
                        if self.lang:
                            payload["lang"] = self.lang
                        await ws.send(json.dumps(payload))
                        sent = message.seq
                waiter = asyncio.create_task(self.outbox.changed.wait())
                done, _ = await asyncio.wait({waiter, receiver}, return_when=asyncio.FIRST_COMPLETED)
                if receiver in done:
                    waiter.cancel()
                    receiver.result()  # raises what ended the connection
                    return
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiver

    async def _receive(self, ws: websockets.ClientConnection) -> None:
        async for raw in ws:
            reply = json.loads(raw)
            if reply.get("type") == "ack":
                self.outbox.ack(int(reply["seq"]))
            elif reply.get("type") == "error":
                if reply.get("code") in KEEP_AND_RETRY:
                    log.warning("%s: text kept, sent again shortly", reply.get("message"))
                    await asyncio.sleep(2)  # ask again later: reconnecting resends what is still pending
                    raise ConnectionError(str(reply.get("code")))
                log.error("refused #%s: %s (%s); dropped", reply.get("seq"), reply.get("message"), reply.get("code"))
                if reply.get("seq") is not None:
                    self.outbox.ack(int(reply["seq"]))


# --- sources ----------------------------------------------------------------------------------------------------

async def read_stream(reader: asyncio.StreamReader) -> AsyncIterator[str]:
    """Decoded text from a byte stream as it arrives (UTF-8; a character split across reads is kept whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while chunk := await reader.read(4096):
        if text := decoder.decode(chunk):
            yield text


async def stdin_source(outbox: Outbox) -> None:
    """Feed standard input to the outbox until it closes."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    async for text in read_stream(reader):
        outbox.add(text)


async def file_source(outbox: Outbox, path: Path, from_start: bool = False, poll: float = 0.2) -> None:
    """Follow a file as CAT software appends to it (like ``tail -f``), starting at its end unless told otherwise."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    position = 0 if from_start or not path.exists() else path.stat().st_size
    while True:
        if path.exists():
            size = path.stat().st_size
            if size < position:  # truncated or replaced: start again from its beginning
                position = 0
            if size > position:
                with path.open("rb") as fh:
                    fh.seek(position)
                    data = fh.read(size - position)
                position += len(data)
                outbox.add(decoder.decode(data))
        await asyncio.sleep(poll)  # polling keeps this portable; CAT output is a few characters a second


async def tcp_source(outbox: Outbox, host: str, port: int, started: asyncio.Future | None = None) -> None:
    """Accept CAT software's realtime output on a local TCP port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        log.info("CAT software connected from %s", writer.get_extra_info("peername"))
        async for text in read_stream(reader):
            outbox.add(text)
        writer.close()

    server = await asyncio.start_server(handle, host, port)
    if started is not None:
        started.set_result(server.sockets[0].getsockname()[1])
    log.info("listening for CAT output on %s:%s", host, server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


async def main_async(args: argparse.Namespace) -> int:
    """Run one source and the bridge; with stdin, stop once everything read was stored."""
    outbox = Outbox()
    extra = ([f"name={quote(args.name)}"] if args.name else []) + (["window=1"] if args.window else [])
    url = args.url + (("&" if "?" in args.url else "?") + "&".join(extra) if extra else "")
    bridge = asyncio.create_task(Bridge(url, outbox, lang=args.lang).run())
    if args.stdin:
        await stdin_source(outbox)
        await outbox.drained.wait()  # everything read has been stored by the server
        bridge.cancel()
        return 0
    if args.file:
        source = file_source(outbox, Path(args.file), args.from_start)
    else:
        host, _, port = args.listen.rpartition(":")
        source = tcp_source(outbox, host or "127.0.0.1", int(port))
    await asyncio.gather(source, bridge)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m client.captioner", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the captioner link's bridge URL (ws://…/ingest/ws?t=…)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stdin", action="store_true", help="read realtime text from standard input")
    source.add_argument("--file", metavar="PATH", help="follow a file the CAT program writes")
    source.add_argument("--listen", metavar="[HOST:]PORT", help="accept the CAT program's TCP output on this port")
    parser.add_argument("--from-start", action="store_true", help="with --file: send what the file already holds")
    parser.add_argument("--lang", help="caption language (default: the meeting's first)")
    parser.add_argument("--name", help="your name, shown to moderators at handovers")
    parser.add_argument("--window", action="store_true",
                        help="the CAT program re-sends its last lines with new text: store each line once")
    parser.add_argument("--verbose", action="store_true", help="log every acknowledgement")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s")
    try:
        return asyncio.run(main_async(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
