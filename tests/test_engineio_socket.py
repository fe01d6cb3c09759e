"""The lean Engine.IO connection: one task per idle WebSocket viewer, shared pings, timeouts and the upgrade."""

from __future__ import annotations

import asyncio
import base64
import collections
import gc
import json
import os
import weakref
from collections.abc import Callable
from typing import Any

import pytest

from server.web.engineio_socket import LeanSocket, Pinger
from server.web.keys import sio_key

from .conftest import DEMO, WAIT, Inbox, no_collection

ROOM = "meeting:1:morning"


class RawViewer(asyncio.Protocol):
    """A caption viewer over a plain WebSocket with no task of its own: it joins ``/live`` and keeps every text
    frame; it answers the server's pings only when ``answer_pings``."""

    def __init__(self, answer_pings: bool = True) -> None:
        self.answer_pings = answer_pings
        self.frames: list[str] = []
        self.lost = asyncio.get_running_loop().create_future()
        self.buffer = b""
        self.upgraded = False
        self.changed = asyncio.Event()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)
        self.changed.set()

    def send_text(self, text: bytes) -> None:
        """One masked client text frame."""
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(text))
        assert len(text) < 126
        self.transport.write(bytes((0x81, 0x80 | len(text))) + mask + body)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            assert self.buffer.startswith(b"HTTP/1.1 101"), self.buffer[:60]
            self.upgraded, self.buffer = True, self.buffer[end + 4:]
        while len(self.buffer) >= 2:
            n, head = self.buffer[1] & 0x7F, 2
            if n == 126:
                n, head = int.from_bytes(self.buffer[2:4], "big"), 4
            elif n == 127:
                n, head = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < head:
                return
            if len(self.buffer) < head + n:
                return
            opcode, payload = self.buffer[0] & 0x0F, self.buffer[head:head + n]
            self.buffer = self.buffer[head + n:]
            if opcode == 0x1:
                self.frame(payload.decode())

    def frame(self, text: str) -> None:
        self.frames.append(text)
        if text == "2" and self.answer_pings:
            self.send_text(b"3")
        elif text.startswith("0{"):
            auth = json.dumps({"meeting": DEMO, "session": "morning", "lang": "en"})
            self.send_text(b"40/live," + auth.encode())
        self.changed.set()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = WAIT) -> None:
        """Wait until ``predicate`` holds (checked after every frame and at the end of the connection)."""
        async def _wait() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(_wait(), timeout)


async def open_viewer(server: Any, answer_pings: bool = True) -> RawViewer:
    """Connect a raw viewer and wait until it is in the session's caption room."""
    loop = asyncio.get_running_loop()
    host, port = server.server.host, server.server.port
    transport, viewer = await loop.create_connection(lambda: RawViewer(answer_pings), host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    transport.write((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                     f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    await viewer.wait_for(lambda: any(f.startswith("40/live,") for f in viewer.frames))
    return viewer


def _tasks() -> collections.Counter[str]:
    """The running tasks by coroutine (without the wait of ``until``)."""
    names = (t.get_coro().__qualname__ for t in asyncio.all_tasks())  # type: ignore[union-attr]
    return collections.Counter(name for name in names if not name.startswith("until."))


async def until(predicate: Callable[[], bool], what: str) -> None:
    """Wait (up to WAIT seconds) for a condition of the server's state."""
    async def _wait() -> None:
        while not predicate():
            await asyncio.sleep(0.01)
    try:
        await asyncio.wait_for(_wait(), WAIT)
    except TimeoutError:
        pytest.fail(f"not true after {WAIT} s: {what}")


async def test_an_idle_viewer_costs_two_tasks_and_no_writer_or_ping_task(server):
    sio = server.app[sio_key]
    before = _tasks()
    viewers = [await open_viewer(server) for _ in range(10)]
    # aiohttp's connection and request tasks per viewer, and nothing else: no writer, no reader beside the
    # request's task, no ping task, no client monitor (python-engineio's, whose round holds closed connections).
    expected = {"RequestHandler.start": 10, "RequestHandler._handle_request": 10}
    await until(lambda: dict(_tasks() - before) == expected, f"tasks {dict(_tasks() - before)} == {expected}")
    socks = list(sio.eio.sockets.values())
    assert len(socks) == 10 and all(isinstance(s, LeanSocket) and s.queue.transport is not None for s in socks)
    assert len(sio.eio.pinger) == 10  # one entry (the next ping) per connection, one timer for all
    # Sending is writing: a broadcast and a packet to one viewer arrive in order, with no writer task.
    sio.manager.fast_emit_local("probe", {"i": 1}, "/live", ROOM)
    one = viewers[0]
    await sio.emit("probe", {"i": 2}, to=sio.manager.sid_from_eio_sid(socks[0].sid, "/live"), namespace="/live")
    await one.wait_for(lambda: [f for f in one.frames if "probe" in f] == ['42/live,["probe",{"i":1}]',
                                                                          '42/live,["probe",{"i":2}]'])
    for viewer in viewers[1:]:
        await viewer.wait_for(lambda v=viewer: any('"probe",{"i":1}' in f for f in v.frames))
    for viewer in viewers:
        viewer.transport.close()  # type: ignore[union-attr]
    # Every connection's tasks end with it, and it leaves the server's table.
    await until(lambda: not sio.eio.sockets, "every connection gone from python-engineio's table")
    await until(lambda: _tasks()["RequestHandler.start"] == before["RequestHandler.start"], "aiohttp's tasks ended")


async def test_pings_come_from_one_timer_and_a_silent_viewer_is_dropped(server):
    sio = server.app[sio_key]
    sio.eio.ping_interval, sio.eio.ping_timeout = 0.2, 0.3  # the clock of the test: short intervals
    talking = await open_viewer(server)
    silent = await open_viewer(server, answer_pings=False)
    silent_sock = list(sio.eio.sockets.values())[1]  # entered in the order they connected
    # The silent one gets its ping, does not answer, and its connection is ended.
    await silent.wait_for(lambda: silent.lost.done(), timeout=WAIT)
    # Its ping may come before the answer to its join when that answer is slow (a loaded machine, PostgreSQL).
    assert "2" in silent.frames
    # The talking one answers each ping and stays: three pings means it outlived the silent one's timeout.
    await talking.wait_for(lambda: talking.frames.count("2") >= 3)
    assert not talking.lost.done()
    assert silent_sock.closed
    await until(lambda: silent_sock.sid not in sio.eio.sockets, "the silent connection gone from the table")
    assert len(sio.manager.rooms["/live"][ROOM]) == 1  # the silent viewer left the caption room
    talking.transport.close()  # type: ignore[union-attr]


async def test_the_ping_timer_stays_one_timer_however_many_pings(server):
    sio = server.app[sio_key]
    sio.eio.ping_interval, sio.eio.ping_timeout = 0.05, 0.2  # the clock of the test: short intervals
    viewers = [await open_viewer(server) for _ in range(5)]
    for viewer in viewers:  # many rounds of pings, each answered
        await viewer.wait_for(lambda v=viewer: v.frames.count("2") >= 8)
    loop = asyncio.get_running_loop()
    pinger_timers = [h for h in loop._scheduled  # the loop's own timer heap: what is still due to run
                     if not h.cancelled() and getattr(h._callback, "__func__", None) is Pinger._run]
    assert len(pinger_timers) <= 1, f"{len(pinger_timers)} ping timers are due"
    for viewer in viewers:
        viewer.transport.close()  # type: ignore[union-attr]


async def test_a_polling_viewer_upgrades_to_websocket_and_is_served_in_order(server, connect):
    sio = server.app[sio_key]
    viewer = await connect("/live", session="morning", transports=["polling", "websocket"])
    box = Inbox(viewer, "/live", "probe")

    await until(lambda: viewer.eio.current_transport == "websocket", "the client upgraded to WebSocket")
    sock = sio.eio.sockets[viewer.eio.sid]
    assert isinstance(sock, LeanSocket) and sock.upgraded and sock.queue.transport is not None
    for i in range(5):
        sio.manager.fast_emit_local("probe", {"i": i}, "/live", ROOM)
    assert [d["i"] for d in await box.wait_count("probe", 5)] == [0, 1, 2, 3, 4]
    reply = await viewer.call("no_such_event", {}, namespace="/live", timeout=WAIT)
    assert reply["ok"] is False and reply["error"]["code"] == "unknown_event"


async def test_a_viewer_that_stops_reading_is_cut_off_and_forgotten(server):
    sio = server.app[sio_key]
    manager = sio.manager
    manager.outbox_bytes = 64 * 1024
    reading = await open_viewer(server)
    stalled = await open_viewer(server)
    sock = list(sio.eio.sockets.values())[1]
    transport = sock.queue.transport
    stalled.transport.pause_reading()  # type: ignore[union-attr]
    big = "x" * 100_000
    for i in range(200):  # up to 20 MB: past the kernel's buffers and the outbox bound
        manager.fast_emit_local("probe", {"i": i, "pad": big}, "/live", ROOM)
        if manager.dropped_slow:
            break
        await asyncio.sleep(0)  # the reading viewer drains meanwhile
    assert manager.dropped_slow == 1
    # Dropped at once: what waited in its buffer is discarded, the connection is cut and forgotten.
    await until(lambda: transport.is_closing() and transport.get_write_buffer_size() == 0, "the transport aborted")
    await until(lambda: sock.sid not in sio.eio.sockets, "the stalled connection gone from the table")
    assert len(sio.manager.rooms["/live"][ROOM]) == 1
    stalled.transport.resume_reading()  # type: ignore[union-attr]
    await stalled.wait_for(lambda: stalled.lost.done())
    await reading.wait_for(lambda: any('"i":1,' in f for f in reading.frames))  # the other one was served
    reading.transport.close()  # type: ignore[union-attr]


async def test_a_viewer_that_leaves_is_freed_at_once_not_held_until_its_next_ping(server):
    """After a reconnect storm the old connections must not stay in memory beside the new ones until their next
    ping is due (``ping_interval``, 20 s): the ping timer keeps no connection alive."""
    sio = server.app[sio_key]
    sio.eio.ping_interval = 3600  # no ping falls due during the test: only the timer's entry could hold the socket
    viewer = await open_viewer(server)
    (sock,) = sio.eio.sockets.values()
    freed = asyncio.Event()
    weakref.finalize(sock, freed.set)
    del sock
    viewer.transport.close()  # type: ignore[union-attr]
    await until(lambda: not sio.eio.sockets, "the connection gone from python-engineio's table")
    assert len(sio.eio.pinger) == 1  # its entry is still due, an hour from now

    async def _collected() -> None:
        while not freed.is_set():  # what else holds it (aiohttp's request task) lets go as that task ends
            gc.collect()
            await asyncio.sleep(0.01)
    try:
        await asyncio.wait_for(_collected(), WAIT)
    except TimeoutError:
        pytest.fail("the closed connection is still in memory")


async def test_viewers_that_leave_while_captions_flow_are_freed(server):
    """Viewers that have been written to are known to the fan-out; when they leave, nothing of them may stay
    behind, even when captions keep reaching their room while they go (a long meeting's viewers come and go by the
    thousand)."""
    sio = server.app[sio_key]
    sio.eio.ping_interval = 3600
    sio.manager.slice_size = 2  # a broadcast is written two viewers a loop pass, as a large room's is
    viewers = [await open_viewer(server) for _ in range(20)]
    sockets = list(sio.eio.sockets.values())
    freed = [asyncio.Event() for _ in sockets]
    for sock, event in zip(sockets, freed, strict=True):
        weakref.finalize(sock, event.set)
    del sock, sockets
    sio.manager.fast_emit_local("probe", {"i": 0}, "/live", ROOM)  # written straight to each viewer's socket
    for viewer in viewers:
        await viewer.wait_for(lambda v=viewer: any('"i":0' in f for f in v.frames))
    for viewer in viewers:
        viewer.transport.close()  # type: ignore[union-attr]

    async def _captions() -> None:
        for i in range(1, 100_000):  # a caption a loop pass until they are all gone (bounded by WAIT)
            sio.manager.deliver("probe", {"i": i}, "/live", ROOM)
            await asyncio.sleep(0)
    captions = asyncio.ensure_future(_captions())
    try:
        await until(lambda: not sio.eio.sockets, "the connections gone from python-engineio's table")
    finally:
        captions.cancel()

    async def _collected() -> None:
        while not all(event.is_set() for event in freed):
            gc.collect()
            await asyncio.sleep(0.01)
    try:
        await asyncio.wait_for(_collected(), WAIT)
    except TimeoutError:
        held = sum(not event.is_set() for event in freed)
        pytest.fail(f"{held} of {len(freed)} closed connections still in memory")


def in_cycles() -> collections.Counter[str]:
    """What a collection now finds unreachable (reference cycles), by type."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        found = collections.Counter(type(item).__qualname__ for item in gc.garbage)
        gc.garbage.clear()
    finally:
        gc.set_debug(0)
    gc.collect()
    return found


async def test_a_viewer_that_hangs_up_is_freed_without_a_garbage_collection(server):
    """A viewer that has been sent captions and then hangs up without a close frame (a laptop lid shut, a phone
    out of reach) is freed as it goes: nothing of it waits for a garbage collection in a reference cycle."""
    sio = server.app[sio_key]
    sio.eio.ping_interval = 3600
    before = _tasks()
    in_cycles()  # what the set-up left in cycles is not this test's business
    with no_collection():
        viewer = await open_viewer(server)
        (sock,) = sio.eio.sockets.values()
        gone = [weakref.ref(sock), weakref.ref(sock.queue.transport)]  # the Engine.IO socket, the TCP transport
        del sock
        sio.manager.fast_emit_local("probe", {"i": 1}, "/live", ROOM)
        await viewer.wait_for(lambda: any('"i":1' in f for f in viewer.frames))
        viewer.transport.close()  # type: ignore[union-attr]
        await until(lambda: not sio.eio.sockets, "the connection gone from python-engineio's table")
        await until(lambda: _tasks()["RequestHandler.start"] == before["RequestHandler.start"], "its tasks ended")
        held = in_cycles() if any(ref() is not None for ref in gone) else collections.Counter()
    assert not held, f"the viewer's connection is held in reference cycles: {held.most_common(12)}"


async def test_a_polling_client_that_stops_polling_is_closed_and_leaves_the_table(server, http):
    sio = server.app[sio_key]
    sio.eio.ping_interval, sio.eio.ping_timeout = 0.05, 0.1  # the clock of the test: short intervals
    async with http.get(server.url("/socket.io/?EIO=4&transport=polling")) as r:
        assert r.status == 200
        sid = json.loads((await r.text())[1:])["sid"]
    assert sid in sio.eio.sockets
    # It never polls again: its ping goes unanswered, the ping timer closes it, and it leaves the table.
    await until(lambda: sid not in sio.eio.sockets, "the silent polling connection gone from the table")
    async with http.get(server.url(f"/socket.io/?EIO=4&transport=polling&sid={sid}")) as r:
        assert r.status == 400  # an unknown session, as for any connection that ended
