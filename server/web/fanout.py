"""Room broadcasts that cost one encode per message and no task per recipient.

python-socketio's ``AsyncManager.emit`` creates an asyncio task for every recipient and waits for all of them;
with thousands of caption viewers that dominates the event loop. Every Engine.IO socket already has a writer task
draining its own queue, so a broadcast only needs to encode the packet once and append it to each queue. The
queue is the viewer's outbox: when it holds more than ``outbox_limit`` packets the viewer is too slow (or gone) and
is disconnected; it reconnects and resumes from the last caption ``seq`` it holds, so nothing is lost for it and
nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from ..settings import Settings

log = logging.getLogger(__name__)


class _FastEmit:
    """Local fan-out shared by the single-process and the Redis manager."""

    outbox_limit = 256
    server: Any

    def _init_fast(self, outbox_limit: int) -> None:
        self.outbox_limit = outbox_limit
        self.dropped_slow = 0
        self._closing: set[asyncio.Task[Any]] = set()

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
        for p in packets:
            p.encode()  # fill the packet's encode cache once, before it is shared by every socket
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        sockets = self.server.eio.sockets
        queued = 0
        for sid, eio_sid in self.get_participants(namespace, room):  # type: ignore[attr-defined]
            if sid in skip:
                continue
            sock = sockets.get(eio_sid)
            if sock is None or sock.closed:
                continue
            if sock.queue.qsize() + len(packets) > self.outbox_limit:
                self._drop(sock)
                continue
            for p in packets:
                sock.queue.put_nowait(p)
            queued += 1
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

    def __init__(self, url: str, outbox_limit: int = 256) -> None:
        super().__init__(url, channel="floorcast")
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
        return FastRedisManager(settings.redis_url, settings.outbox_limit)
    return FastManager(settings.outbox_limit)
