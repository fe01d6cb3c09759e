"""Room broadcasts that cost one encode per message and no task per recipient.

python-socketio's ``AsyncManager.emit`` creates an asyncio task for every recipient and waits for all of them;
with thousands of caption viewers that dominates the event loop. Here a broadcast encodes the packet once and
then, for each recipient:

* a viewer connected over WebSocket (its Engine.IO ``Outbox`` writes every packet to the transport as it is sent,
  so nothing waits in it that a frame could overtake) gets the same pre-built WebSocket frame without a task or a
  coroutine switch. Frames from server to client are
  unmasked, so one frame serves every viewer; an uncompressed frame is valid even where permessage-deflate was
  negotiated (RSV1 clear). Over plain TCP the frame is written with ``write(2)`` on the socket (two threads for
  large rooms); over TLS it goes through the transport's own ``write``, which encrypts it for that connection.
* any other viewer (long-polling, or a connection still upgrading to WebSocket) gets the packet appended to its
  Engine.IO queue, which its poll (or, once upgraded, the WebSocket) takes in order.

Either way the viewer's outbox is bounded: more than ``outbox_limit`` queued packets, or more than
``outbox_bytes`` unsent in the transport, and the viewer is too slow (or gone) and is disconnected. It reconnects
and resumes from the last caption ``seq`` it holds, so nothing is lost for it and nobody else waits for it.

Every use of python-socketio's, python-engineio's and asyncio's internals is in ``engineio_adapter``; this module
keeps to the managers' documented hooks. Each process fans out to its own viewers only: with several processes
behind a load balancer, ``FastRedisManager`` receives every emit through Redis and delivers it locally the same way.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any

import socketio
from engineio import packet as eio_packet

from ..settings import Settings
from .engineio_adapter import EngineIOAdapter, Link, PubSubEmitHook, RawWriter, forget_pending
from .outbox import ws_frame

log = logging.getLogger(__name__)


@dataclasses.dataclass
class _Broadcast:
    """One emit on its way: the encoded packets, its frame, the recipients and how far the writing got."""

    event: str
    namespace: str
    packets: list[eio_packet.Packet]
    #: The pre-built WebSocket frame (None when a packet carries binary data: those go through each queue).
    frame: bytes | None
    recipients: list[tuple[str, str]]
    queued_at: float
    done: int = 0
    served: int = 0
    direct: int = 0
    busy: float = 0.0


class _FastEmit(socketio.AsyncManager):
    """Local fan-out shared by the single-process and the Redis manager."""

    outbox_limit = 256
    outbox_bytes = 1024 * 1024
    #: Rooms with fewer raw-written viewers than this are written from the event loop's thread alone.
    parallel_min = 512
    #: Viewers served per turn of the event loop: a larger room is written in slices, so a captioner's post (and
    #: anything else the loop has to do) waits for one slice rather than for the whole room.
    slice_size = 1000
    #: Broadcasts that may wait their turn: a node that cannot keep up writes the oldest ones out at once (the
    #: caller waits, as before slicing) rather than holding an ever longer queue of them in memory.
    pending_limit = 64
    server: Any

    def _init_fast(self, outbox_limit: int) -> None:
        self.outbox_limit = outbox_limit
        self.dropped_slow = 0
        #: Frames handed to viewers, counted once per emit (by its number of recipients) for ``/metrics``.
        self.delivered = 0
        #: Frames sent without the Engine.IO queue; ``raw_writes`` of them with write(2) beside the transport.
        self.direct_writes = 0
        self.raw_writes = 0
        #: Told (event, namespace, seconds from emit to last frame) when a broadcast is written (``/metrics``).
        self.on_broadcast: Callable[[str, str, float], None] | None = None
        self._engineio: EngineIOAdapter | None = None
        self._raw = RawWriter()
        self._closing: set[asyncio.Task[Any]] = set()
        #: Broadcasts not completely written yet, in emit order; ``_serve_pending`` runs while there are some.
        self._pending: collections.deque[_Broadcast] = collections.deque()
        self._serving: asyncio.Handle | None = None
        #: The rooms each (namespace, sid) is in (python-socketio keeps only room -> members).
        #: A tuple, not a set: a connection is in two or three rooms, and a set costs 216 bytes before its first.
        self._rooms_of: dict[tuple[str, str], tuple[Any, ...]] = {}

    def set_server(self, server: Any) -> None:
        """Attach to the Socket.IO server; refuses to start if the library internals the fan-out uses changed."""
        super().set_server(server)
        self._engineio = EngineIOAdapter(server)

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: str | None = None) -> None:
        """Enter the room and note it among the connection's rooms."""
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        key = (namespace, sid)
        rooms = self._rooms_of.get(key, ())
        if room not in rooms:
            self._rooms_of[key] = (*rooms, room)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        """Leave the room and forget it among the connection's rooms."""
        super().basic_leave_room(sid, namespace, room)
        key = (namespace, sid)
        rooms = self._rooms_of.get(key)
        if rooms is not None and room in rooms:
            left = tuple(r for r in rooms if r != room)
            if left:
                self._rooms_of[key] = left
            else:
                del self._rooms_of[key]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """Take a connection out of the rooms it is in, and forget its cached link.

        python-socketio's own version copies the namespace's table of rooms and looks for the connection in every
        one; with a room per connection that is a pass over every viewer for each one leaving, so a reconnect storm
        or a shutdown of N viewers cost N² steps. The rooms noted on the way in are left instead.
        """
        eio_sid = self.eio_sid_from_sid(sid, namespace)
        if eio_sid is not None and self._engineio is not None:
            self._engineio.forget(eio_sid)  # looked up again if another namespace still uses the connection
        if namespace not in self.rooms:
            return
        for room in self._rooms_of.get((namespace, sid), ()):
            self.basic_leave_room(sid, namespace, room)
        forget_pending(self, sid, namespace)

    def deliver(self, event: str, data: Any, namespace: str, room: Any, skip_sid: Any = None) -> None:
        """Send an emit to the local sockets in ``room``, after every broadcast still being written.

        With nothing pending and a room of at most ``slice_size``, it is written now. Otherwise it waits its turn
        and is written in slices, one per turn of the event loop, so the caller (a captioner's post, answered as
        soon as its caption is stored) never waits for a large room; every viewer still gets emits in order.
        """
        broadcast = self._prepare(event, data, namespace, room, skip_sid)
        if broadcast is None:
            return
        if not self._pending and len(broadcast.recipients) <= self.slice_size:
            self._serve(broadcast, len(broadcast.recipients))
            self._finish(broadcast)
            return
        while len(self._pending) >= self.pending_limit:
            self._write_out(self._pending.popleft())
        self._pending.append(broadcast)
        if self._serving is None:
            self._serving = asyncio.get_running_loop().call_soon(self._serve_pending)

    def _write_out(self, broadcast: _Broadcast) -> None:
        """Write the rest of a broadcast now."""
        try:
            self._serve(broadcast, len(broadcast.recipients) - broadcast.done)
        except Exception:  # one broken broadcast must not stop the ones behind it
            log.exception("broadcast failed", extra={"event": broadcast.event})
            broadcast.done = len(broadcast.recipients)
        self._finish(broadcast)

    def _serve_pending(self) -> None:
        """Write the next ``slice_size`` recipients of the pending broadcasts; come back next turn if any is left."""
        self._serving = None
        budget = self.slice_size
        while self._pending and budget > 0:
            broadcast = self._pending[0]
            try:
                budget -= self._serve(broadcast, budget)
            except Exception:  # one broken broadcast must not stop the ones behind it
                log.exception("broadcast failed", extra={"event": broadcast.event})
                broadcast.done = len(broadcast.recipients)
            if broadcast.done >= len(broadcast.recipients):
                self._pending.popleft()
                self._finish(broadcast)
        if self._pending:
            self._serving = asyncio.get_running_loop().call_soon(self._serve_pending)

    def fast_emit_local(self, event: str, data: Any, namespace: str, room: Any, skip_sid: Any = None) -> int:
        """Send one pre-encoded packet to every local socket in ``room`` now; returns how many were served."""
        broadcast = self._prepare(event, data, namespace, room, skip_sid)
        if broadcast is None:
            return 0
        self._serve(broadcast, len(broadcast.recipients))
        self._finish(broadcast)
        return broadcast.served

    def _prepare(self, event: str, data: Any, namespace: str, room: Any, skip_sid: Any) -> _Broadcast | None:
        """Encode the emit once and list its recipients (the room as it is now)."""
        namespace = namespace or "/"
        adapter = self._engineio
        if adapter is None or namespace not in self.get_namespaces():
            return None
        args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
        packets = adapter.packets(event, args, namespace)
        # Binary attachments (rare) go as binary frames through each socket's queue.
        frame = b"".join(ws_text_frame(p.encode()) for p in packets) if not p_binary(packets) else None
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        recipients = [(sid, eio_sid) for sid, eio_sid in self.get_participants(namespace, room) if sid not in skip]
        return _Broadcast(event, namespace, packets, frame, recipients, time.perf_counter())

    def _serve(self, broadcast: _Broadcast, budget: int) -> int:
        """Write the broadcast to its next ``budget`` recipients; returns how many were taken."""
        started = time.perf_counter()
        adapter, frame, packets = self._engineio, broadcast.frame, broadcast.packets
        assert adapter is not None  # a broadcast is only prepared once attached
        first = broadcast.done
        batch = broadcast.recipients[first:first + budget]
        broadcast.done = first + len(batch)
        namespace = broadcast.namespace
        served = direct = 0
        raw: list[tuple[int, Any]] = []
        for sid, eio_sid in batch:
            link = adapter.link(sid, eio_sid, namespace)
            if link is None:
                continue
            # Only an idle Outbox may be bypassed: anything queued must keep its order.
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
                direct += 1
            elif link.queued() + len(packets) > self.outbox_limit:
                self._drop(link)
                continue
            else:
                link.enqueue(packets)
            served += 1
        if raw and frame is not None:
            self._raw.write(frame, raw, parallel=len(raw) >= self.parallel_min)
            self.raw_writes += len(raw)
        self.direct_writes += direct
        self.delivered += served
        broadcast.served += served
        broadcast.direct += direct
        broadcast.busy += time.perf_counter() - started
        return len(batch)

    def _finish(self, broadcast: _Broadcast) -> None:
        """Report a broadcast written to every recipient."""
        if self.on_broadcast is not None:
            self.on_broadcast(broadcast.event, broadcast.namespace, time.perf_counter() - broadcast.queued_at)
        if broadcast.served >= 100 and log.isEnabledFor(logging.DEBUG):
            log.debug("broadcast", extra={"event": broadcast.event, "recipients": broadcast.served,
                                          "direct": broadcast.direct, "ms": round(broadcast.busy * 1000, 2),
                                          "wall_ms": round((time.perf_counter() - broadcast.queued_at) * 1000, 2)})

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
    return ws_frame(text)


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
        self.deliver(event, data, namespace, to or room, skip_sid)


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
