"""Room broadcasts that cost one encode per message and no task per recipient.

python-socketio's ``AsyncManager.emit`` creates an asyncio task for every recipient and waits for all of them;
with thousands of caption viewers that dominates the event loop. Here a broadcast encodes the packet once and
then, for each recipient:

* a viewer connected over WebSocket whose Engine.IO writer is idle (nothing queued, waiting for the next packet)
  gets the same pre-built WebSocket frame written straight to its TCP transport: no task, no coroutine switch,
  one ``transport.write``. Frames from server to client are unmasked, so one frame serves every viewer; an
  uncompressed frame is valid even where permessage-deflate was negotiated (RSV1 clear).
* any other viewer (long-polling, or a writer still busy with earlier packets) gets the packet appended to its
  Engine.IO queue, which its own writer drains in order.

Either way the viewer's outbox is bounded: more than ``outbox_limit`` queued packets, or more than
``outbox_bytes`` unsent in the transport, and the viewer is too slow (or gone) and is disconnected. It reconnects
and resumes from the last caption ``seq`` it holds, so nothing is lost for it and nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import logging
import os
import time
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from ..settings import Settings

log = logging.getLogger(__name__)


_UNKNOWN = object()


class _FastEmit:
    """Local fan-out shared by the single-process and the Redis manager."""

    outbox_limit = 256
    outbox_bytes = 1024 * 1024
    #: Rooms with fewer direct viewers than this are written from the event loop's thread alone.
    parallel_min = 512
    server: Any

    def _init_fast(self, outbox_limit: int) -> None:
        self.outbox_limit = outbox_limit
        self.dropped_slow = 0
        self.direct_writes = 0
        self._transports: dict[str, Any] = {}
        self._fds: dict[str, int] = {}
        self._sender = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="floorcast-fanout")
        self._closing: set[asyncio.Task[Any]] = set()

    def _write_all(self, frame: bytes, transports: list[tuple[int, Any]]) -> None:
        """Write ``frame`` to transports whose buffers are empty, using a second thread for large rooms.

        The kernel's work for each ``write(2)`` (most of a broadcast's cost on loopback) runs without the GIL, so
        two threads writing halves of the room overlap on two cores. The event loop is blocked until both halves
        are done, as it is for any synchronous broadcast, so nothing else writes to these sockets meanwhile; what
        a socket could not take at once is handed to its transport afterwards, which sends it in order.
        """
        if len(transports) < self.parallel_min:
            leftovers = _write_part(frame, transports)
        else:
            half = len(transports) // 2
            other = self._sender.submit(_write_part, frame, transports[:half])
            leftovers = _write_part(frame, transports[half:])
            leftovers += other.result()
        for transport, offset in leftovers:
            transport.write(frame[offset:])

    def _direct_transport(self, eio_sid: str, sock: Any) -> Any:
        """The TCP transport of a socket that connected over WebSocket and whose writer is idle, else None."""
        queue = sock.queue
        # An idle writer is parked in queue.get(): the queue is empty and has a waiting getter. Anything else
        # (packets queued, or a send in progress) must keep its order, so the packet goes through the queue.
        if queue._queue or not queue._getters:
            return None
        transport = self._transports.get(eio_sid, _UNKNOWN)
        if transport is _UNKNOWN:
            transport = self._transports[eio_sid] = self._websocket_transport(eio_sid)
            if transport is not None:
                self._fds[eio_sid] = transport.get_extra_info("socket").fileno()
        if transport is None or transport.is_closing():
            return None
        return transport

    def _websocket_transport(self, eio_sid: str) -> Any:
        """The transport of a connection opened as a WebSocket (None for long-polling; looked up once)."""
        environ = self.server.environ.get(eio_sid)
        # Only a connection opened as a WebSocket has this request's transport as its socket; a long-polling
        # session upgraded later has its first polling request's environ.
        if not environ or "transport=websocket" not in environ.get("QUERY_STRING", ""):
            return None
        request = environ.get("aiohttp.request")
        return request.transport if request is not None else None

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> Any:
        """Forget the cached transport of a connection leaving (looked up again if another namespace still uses it)."""
        eio_sid = self.eio_sid_from_sid(sid, namespace)  # type: ignore[attr-defined]
        if eio_sid is not None:
            self._transports.pop(eio_sid, None)
            self._fds.pop(eio_sid, None)
        return super().basic_disconnect(sid, namespace, **kwargs)  # type: ignore[misc]

    def fast_emit_local(self, event: str, data: Any, namespace: str, room: Any, skip_sid: Any = None) -> int:
        """Queue one pre-encoded packet on every local socket in ``room``; returns how many were queued."""
        namespace = namespace or "/"
        if namespace not in self.rooms:  # type: ignore[attr-defined]
            return 0
        args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
        pkt = self.server.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, *args])
        encoded = pkt.encode()
        if isinstance(encoded, list):  # binary attachments: rare, take the ordinary path per packet
            packets = [eio_packet.Packet(eio_packet.MESSAGE, p) for p in encoded]
        else:
            packets = [eio_packet.Packet(eio_packet.MESSAGE, encoded)]
        frame = b"".join(ws_text_frame(p.encode()) for p in packets) if not p_binary(packets) else None
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        sockets = self.server.eio.sockets
        queued = 0
        started = time.perf_counter()
        direct_before = self.direct_writes
        direct: list[Any] = []
        for sid, eio_sid in self.get_participants(namespace, room):  # type: ignore[attr-defined]
            if sid in skip:
                continue
            sock = sockets.get(eio_sid)
            if sock is None or sock.closed:
                continue
            transport = self._direct_transport(eio_sid, sock) if frame is not None else None
            if transport is not None:
                backlog = transport.get_write_buffer_size()
                if backlog > self.outbox_bytes:
                    self._drop(sock)
                    continue
                if backlog:  # bytes already wait in the transport: append behind them, in order
                    transport.write(frame)
                else:
                    direct.append((self._fds[eio_sid], transport))
                self.direct_writes += 1
            elif sock.queue.qsize() + len(packets) > self.outbox_limit:
                self._drop(sock)
                continue
            else:
                for p in packets:
                    sock.queue.put_nowait(p)
            queued += 1
        if direct:
            self._write_all(frame, direct)  # type: ignore[arg-type]
        if queued >= 100 and log.isEnabledFor(logging.DEBUG):
            log.debug("broadcast", extra={"event": event, "recipients": queued, "direct": self.direct_writes - direct_before,
                                          "ms": round((time.perf_counter() - started) * 1000, 2)})
        return queued

    def _drop(self, sock: Any) -> None:
        if getattr(sock, "_floorcast_dropping", False):
            return
        sock._floorcast_dropping = True
        self.dropped_slow += 1
        log.warning("viewer dropped: outbox full", extra={"eio_sid": sock.sid, "queued": sock.queue.qsize()})
        # The close runs in a task so the broadcast never awaits a slow peer; keep a reference until it ends.
        task = asyncio.ensure_future(sock.close(wait=False, abort=True))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


def _write_part(frame: bytes, targets: list[tuple[int, Any]]) -> list[tuple[Any, int]]:
    """``write(2)`` the frame to each (socket fd, transport); returns (transport, bytes written) where it fell short."""
    short = []
    size = len(frame)
    for fd, transport in targets:
        try:
            written = os.write(fd, frame)
        except (BlockingIOError, InterruptedError):
            written = 0
        except OSError:
            written = 0  # a broken connection: the transport's own write reports it and closes
        if written < size:
            short.append((transport, written))
    return short


def p_binary(packets: list[eio_packet.Packet]) -> bool:
    """True when any packet carries binary data (sent as binary frames by the ordinary path)."""
    return any(p.binary for p in packets)


def ws_text_frame(text: str) -> bytes:
    """One final, unmasked WebSocket text frame (RFC 6455 section 5.2) carrying ``text``."""
    payload = text.encode("utf-8")
    n = len(payload)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 1 << 16:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + payload


class FastManager(_FastEmit, socketio.AsyncManager):
    """The single-process manager with task-free broadcasts."""

    def __init__(self, outbox_limit: int = 256) -> None:
        super().__init__()
        self._init_fast(outbox_limit)

    async def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):  # type: ignore[override]
        """Broadcast without a task per recipient (callbacks take the ordinary path)."""
        if callback is not None:
            return await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback,
                                      to=to, **kwargs)
        self.fast_emit_local(event, data, namespace, to or room, skip_sid)


class FastRedisManager(_FastEmit, socketio.AsyncRedisManager):
    """The Redis pub/sub manager (several processes) whose local delivery is task-free too."""

    def __init__(self, url: str, outbox_limit: int = 256, channel: str = "floorcast") -> None:
        super().__init__(url, channel=channel)
        self._init_fast(outbox_limit)

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        callback = message.get("callback")
        if callback is not None and len(callback) == 3:
            return await super()._handle_emit(message)
        data = message["data"]
        if message.get("binary"):
            attachments = [base64.b64decode(a) for a in data[1:]]
            data = sio_packet.Packet.reconstruct_binary(data[0], attachments)
        if isinstance(data, list):
            data = data[0] if len(data) == 1 else tuple(data)
        self.fast_emit_local(message["event"], data, message.get("namespace") or "/", message.get("room"),
                             message.get("skip_sid"))


def make_client_manager(settings: Settings) -> socketio.AsyncManager:
    """Redis fan-out when a Redis URL is set, otherwise in-process."""
    if settings.redis_url:
        return FastRedisManager(settings.redis_url, settings.outbox_limit, settings.redis_channel)
    return FastManager(settings.outbox_limit)
