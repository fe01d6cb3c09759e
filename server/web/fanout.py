"""Room broadcasts that cost one encode per message and no task per recipient.

python-socketio's ``AsyncManager.emit`` creates an asyncio task for every recipient and waits for all of them;
with thousands of caption viewers that dominates the event loop. Here a broadcast encodes the packet once and
then, for each recipient:

* a viewer connected over WebSocket whose Engine.IO writer is idle (nothing queued, waiting for the next packet)
  gets the same pre-built WebSocket frame without a task or a coroutine switch. Frames from server to client are
  unmasked, so one frame serves every viewer; an uncompressed frame is valid even where permessage-deflate was
  negotiated (RSV1 clear). Over plain TCP the frame is written with ``write(2)`` on the socket (two threads for
  large rooms); over TLS it goes through the transport's own ``write``, which encrypts it for that connection.
* any other viewer (long-polling, or a writer still busy with earlier packets) gets the packet appended to its
  Engine.IO queue, which its own writer drains in order.

Either way the viewer's outbox is bounded: more than ``outbox_limit`` queued packets, or more than
``outbox_bytes`` unsent in the transport, and the viewer is too slow (or gone) and is disconnected. It reconnects
and resumes from the last caption ``seq`` it holds, so nothing is lost for it and nobody else waits for it.

Every use of python-socketio's, python-engineio's and asyncio's internals is in ``engineio_adapter``; this module
keeps to the managers' documented hooks. Each process fans out to its own viewers only: with several processes
behind a load balancer, ``FastRedisManager`` receives every emit through Redis and delivers it locally the same way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import socketio
from engineio import packet as eio_packet

from ..settings import Settings
from .engineio_adapter import EngineIOAdapter, Link, PubSubEmitHook, RawWriter

log = logging.getLogger(__name__)


class _FastEmit(socketio.AsyncManager):
    """Local fan-out shared by the single-process and the Redis manager."""

    outbox_limit = 256
    outbox_bytes = 1024 * 1024
    #: Rooms with fewer raw-written viewers than this are written from the event loop's thread alone.
    parallel_min = 512
    server: Any

    def _init_fast(self, outbox_limit: int) -> None:
        self.outbox_limit = outbox_limit
        self.dropped_slow = 0
        #: Frames handed to viewers, counted once per emit (by its number of recipients) for ``/metrics``.
        self.delivered = 0
        #: Frames sent without the Engine.IO queue; ``raw_writes`` of them with write(2) beside the transport.
        self.direct_writes = 0
        self.raw_writes = 0
        self._engineio: EngineIOAdapter | None = None
        self._raw = RawWriter()
        self._closing: set[asyncio.Task[Any]] = set()

    def set_server(self, server: Any) -> None:
        """Attach to the Socket.IO server; refuses to start if the library internals the fan-out uses changed."""
        super().set_server(server)
        self._engineio = EngineIOAdapter(server)

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> Any:
        """Forget the cached link of a connection leaving (looked up again if another namespace still uses it)."""
        eio_sid = self.eio_sid_from_sid(sid, namespace)
        if eio_sid is not None and self._engineio is not None:
            self._engineio.forget(eio_sid)
        return super().basic_disconnect(sid, namespace, **kwargs)

    def fast_emit_local(self, event: str, data: Any, namespace: str, room: Any, skip_sid: Any = None) -> int:
        """Send one pre-encoded packet to every local socket in ``room``; returns how many were served."""
        namespace = namespace or "/"
        adapter = self._engineio
        if adapter is None or namespace not in self.get_namespaces():
            return 0
        args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
        packets = adapter.packets(event, args, namespace)
        # Binary attachments (rare) go as binary frames through each socket's queue.
        frame = b"".join(ws_text_frame(p.encode()) for p in packets) if not p_binary(packets) else None
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        queued = 0
        started = time.perf_counter()
        direct_before = self.direct_writes
        raw: list[tuple[int, Any]] = []
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skip:
                continue
            link = adapter.link(sid, eio_sid, namespace)
            if link is None:
                continue
            # Only an idle writer may be bypassed: anything queued or being sent must keep its order.
            transport = link.direct() if frame is not None else None
            if transport is not None:
                backlog = transport.get_write_buffer_size()
                if backlog > self.outbox_bytes:
                    self._drop(link)
                    continue
                if backlog or link.fd is None:
                    # Bytes already wait in the transport (append behind them, in order), or the connection has
                    # TLS: its transport encrypts, a raw write would corrupt the record stream.
                    transport.write(frame)
                else:
                    raw.append((link.fd, transport))
                self.direct_writes += 1
            elif link.queued() + len(packets) > self.outbox_limit:
                self._drop(link)
                continue
            else:
                link.enqueue(packets)
            queued += 1
        if raw and frame is not None:
            self._raw.write(frame, raw, parallel=len(raw) >= self.parallel_min)
            self.raw_writes += len(raw)
        self.delivered += queued
        if queued >= 100 and log.isEnabledFor(logging.DEBUG):
            log.debug("broadcast", extra={"event": event, "recipients": queued,
                                          "direct": self.direct_writes - direct_before,
                                          "ms": round((time.perf_counter() - started) * 1000, 2)})
        return queued

    def _drop(self, link: Link) -> None:
        if link.dropping:
            return
        link.dropping = True
        self.dropped_slow += 1
        log.warning("viewer dropped: outbox full", extra={"eio_sid": link.eio_sid, "queued": link.queued()})
        # The close runs in a task so the broadcast never awaits a slow peer; keep a reference until it ends.
        task = asyncio.ensure_future(link.abort())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


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


class FastManager(_FastEmit):
    """The single-process manager with task-free broadcasts."""

    def __init__(self, outbox_limit: int = 256) -> None:
        super().__init__()
        self._init_fast(outbox_limit)

    async def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        """Broadcast without a task per recipient (callbacks take the ordinary path)."""
        if callback is not None:
            return await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback,
                                      to=to, **kwargs)
        self.fast_emit_local(event, data, namespace, to or room, skip_sid)


class FastRedisManager(_FastEmit, PubSubEmitHook, socketio.AsyncRedisManager):
    """The Redis pub/sub manager (several processes) whose local delivery is task-free too.

    ``publish_canary`` sends a message this process hears only through Redis; ``canary_received`` (monotonic
    seconds) says when the last one came back, so the health check notices a bus that stopped delivering.
    """

    def __init__(self, url: str, outbox_limit: int = 256, channel: str = "floorcast") -> None:
        super().__init__(url, channel=channel)
        self._init_fast(outbox_limit)


def make_client_manager(settings: Settings) -> socketio.AsyncManager:
    """Redis fan-out when a Redis URL is set, otherwise in-process."""
    if settings.redis_url:
        return FastRedisManager(settings.redis_url, settings.outbox_limit, settings.redis_channel)
    return FastManager(settings.outbox_limit)
