"""The fan-out's one door into python-socketio, python-engineio and asyncio internals.

Written for python-socketio 5.18 and python-engineio 4.15 (the ranges pinned in pyproject.toml). ``check`` runs
when the manager is attached to its server, at start-up, and refuses to start, naming the attribute, if one of
the internals below is gone or has another type. Nothing else in the project touches them, apart from
:mod:`server.web.engineio_socket`, whose uses are listed and checked here.

What it touches, and why:

* ``AsyncServer.eio.sockets`` (engine.io: dict of Engine.IO sid to ``AsyncSocket``): reach a viewer's socket
  synchronously; the library's own route (``AsyncServer._send_eio_packet``) costs a task per viewer.
* ``socketio.AsyncServer._engineio_server_class`` and ``engineio.AsyncServer.create_queue`` (the library's hook
  for the queue of each connection): :class:`SocketServer` builds an Engine.IO server whose connections get an
  :class:`~server.web.outbox.Outbox`, lighter than ``asyncio.Queue``, able to say when nothing waits in it (only
  then may a frame bypass it without overtaking an earlier packet) and, once the connection is a WebSocket,
  writing each packet to the transport as it is sent.
* ``AsyncSocket.queue`` (that ``Outbox``): ``put_nowait`` and ``qsize`` queue a packet without awaiting and bound
  the backlog.
* ``AsyncSocket.closing`` and ``AsyncSocket.closed`` (bool) and ``AsyncSocket.close(wait, abort)`` (coroutine):
  skip (and never cache) a socket going away; drop a slow viewer without awaiting it.
* the lean connection (:mod:`server.web.engineio_socket`): ``engineio.AsyncServer.sockets`` replaced by a
  ``SocketTable`` (``_handle_connect`` enters each new connection there) that makes each ``AsyncSocket`` a
  ``LeanSocket``; its overrides of ``AsyncSocket._websocket_handler(ws)``, ``schedule_ping()`` and ``close``; the
  socket's ``connected``, ``upgrading``, ``upgraded``, ``closing`` and ``last_ping``, ``receive(pkt)`` and the
  server's ``reason`` constants (``PING_TIMEOUT``, ``TRANSPORT_CLOSE``, ``TRANSPORT_ERROR``); the aiohttp driver's
  ``ws._sock`` (the ``WebSocketResponse``) and ``ws.environ``.
* aiohttp's ``RequestHandler._parser`` and ``_messages`` (slots of its protocol), next to its ``_payload_parser``
  (the WebSocket's reader once it is one), and ``WebSocketResponse._writer``'s ``use_mask``, ``get_random_bits``
  and ``_background_tasks``: ``release_http_state`` drops what a connection that became a WebSocket no longer
  uses for the rest of its life (the HTTP parser, as aiohttp does when the connection is lost; the queue of
  pipelined requests, which stays empty once upgraded; a server's writer never masks, and the set that holds its
  compressing tasks can be shared).
* aiohttp's ``BaseRequest._cache`` (where its ``reify`` properties keep their values): ``forget_parsed_cookies``
  drops the parsed ``cookies`` of a WebSocket's handshake once the Socket.IO connection has read them, rather than
  keeping them for the connection's life.
* asyncio's ``_SelectorSocketTransport._read_ready_cb`` (a bound method of the transport itself, so every
  transport is in a reference cycle): ``release_transport`` clears it once the connection is lost, when nothing
  reads from the socket again, so a closed connection is freed at once rather than at the next full garbage
  collection, which the server makes rare (``run.py``). Where the attribute is missing it does nothing.
* ``Outbox.transport``: the WebSocket transport a connection's packets are written to once it is a WebSocket.
* the transport's socket (``get_extra_info("socket").fileno()``): ``write(2)`` a frame outside the transport, only
  when its buffer is empty, it has no TLS and the event loop is blocked in the broadcast (so nothing else writes).
  A TLS transport gets the frame through its own ``write``, which encrypts it.
* ``AsyncPubSubManager._handle_emit(message)`` and the message's keys (socket.io): local delivery of an emit that
  came through Redis takes the fast path too.
* ``AsyncPubSubManager._publish(message)`` and ``host_id``: the health canary is published straight to Redis under
  another ``host_id`` (the library hands its own emits to itself without Redis and skips them when they come
  back), so that this process hears it only if the bus delivers. ``AsyncServer.manager_initialized``: the library
  starts the manager (and its Redis listener) at the first connection; ``start_manager`` starts it at start-up so
  the canary is heard before anyone connects.
* ``AsyncServer.packet_class`` (socket.io): encode with the server's serializer, as the stock manager does.
* ``BaseManager.rooms``, ``callbacks``, ``pending_connect`` and ``pending_disconnect`` (socket.io, dicts): the
  fan-out's ``basic_disconnect`` leaves the rooms it noted a connection entering rather than searching every
  room, and ``forget_pending`` then does the rest of the library's ``basic_disconnect``.
"""

from __future__ import annotations

import base64
import collections
import concurrent.futures
import functools
import importlib.metadata
import inspect
import logging
import os
import random
import time
from collections.abc import Awaitable
from typing import Any

import engineio
import socketio
from aiohttp import web
from aiohttp._websocket.writer import WebSocketWriter
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_ws import WebSocketResponse
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket
from socketio import packet as sio_packet
from socketio.async_pubsub_manager import AsyncPubSubManager

from .engineio_socket import Pinger, SocketTable
from .outbox import Outbox

log = logging.getLogger(__name__)


class InternalsChanged(RuntimeError):
    """python-socketio or python-engineio no longer has an internal the fan-out relies on."""


def _versions() -> str:
    return ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("python-socketio", "python-engineio"))


def check(sio: Any) -> list[str]:
    """Each internal this module uses that is missing or of another type, as ``name: problem`` lines."""
    problems: list[str] = []

    def expect(name: str, value: Any, kind: type | tuple[type, ...]) -> None:
        if value is _MISSING:
            problems.append(f"{name}: missing (expected {_names(kind)})")
        elif not isinstance(value, kind):
            problems.append(f"{name}: is {type(value).__name__} (expected {_names(kind)})")

    eio = getattr(sio, "eio", _MISSING)
    expect("socketio.AsyncServer.eio", eio, engineio.AsyncServer)
    expect("engineio.AsyncServer.sockets", getattr(eio, "sockets", _MISSING), dict)
    expect("socketio.AsyncServer.packet_class", getattr(sio, "packet_class", _MISSING), type)
    if isinstance(eio, engineio.AsyncServer):
        probe = AsyncSocket(eio, "probe")  # never registered: just the attributes a live socket has
        # engineio.AsyncSocket takes its queue from create_queue(): an Outbox unless that hook is gone.
        expect("engineio.AsyncSocket.queue (from engineio.AsyncServer.create_queue)",
               getattr(probe, "queue", _MISSING), Outbox)
        expect("engineio.AsyncSocket.closed", getattr(probe, "closed", _MISSING), bool)
        for name in ("connected", "upgrading", "upgraded", "closing"):
            expect(f"engineio.AsyncSocket.{name}", getattr(probe, name, _MISSING), bool)
        expect("engineio.AsyncSocket.last_ping", getattr(probe, "last_ping", _MISSING), float)
        expect("engineio.AsyncServer.sockets (a SocketTable)", getattr(eio, "sockets", _MISSING), SocketTable)
        for name in ("PING_TIMEOUT", "TRANSPORT_CLOSE", "TRANSPORT_ERROR"):
            if not hasattr(getattr(eio, "reason", None), name):
                problems.append(f"engineio.AsyncServer.reason.{name}: missing")
        driver = getattr(eio, "_async", {}).get("websocket") if isinstance(getattr(eio, "_async", None), dict) \
            else None
        if not isinstance(driver, type) or "_sock" not in vars(driver(None, eio)) \
                or "environ" not in getattr(driver.__call__, "__code__", compile("", "", "exec")).co_names:
            problems.append("engineio.AsyncServer._async['websocket']: expected a driver class setting _sock and "
                            "environ")
    if "sockets" not in getattr(getattr(engineio.AsyncServer, "_handle_connect", None), "__code__",
                                compile("", "", "exec")).co_names:
        problems.append("engineio.AsyncServer._handle_connect: expected to enter each connection in sockets")
    for name, arity in (("_websocket_handler", 2), ("receive", 2)):
        method = getattr(AsyncSocket, name, None)
        if not inspect.iscoroutinefunction(method) or len(inspect.signature(method).parameters) != arity:
            problems.append(f"engineio.AsyncSocket.{name}: expected a coroutine taking {arity} arguments")
    if not callable(getattr(AsyncSocket, "schedule_ping", None)):
        problems.append("engineio.AsyncSocket.schedule_ping: missing (expected a method)")
    close = getattr(AsyncSocket, "close", None)
    if not inspect.iscoroutinefunction(close) or not {"wait", "abort"} <= set(inspect.signature(close).parameters):
        problems.append("engineio.AsyncSocket.close: expected a coroutine taking wait and abort")
    for name in ("_parser", "_payload_parser", "_messages"):
        if name not in _slots(RequestHandler):
            problems.append(f"aiohttp.web_protocol.RequestHandler.{name}: missing (expected a slot)")
    if "_writer" not in getattr(WebSocketResponse, "__annotations__", {}):
        problems.append("aiohttp.web.WebSocketResponse._writer: missing")
    stored = set(getattr(WebSocketWriter.__init__, "__code__", compile("", "", "exec")).co_names)
    for name in ("use_mask", "get_random_bits", "_background_tasks"):
        if name not in stored:
            problems.append(f"aiohttp WebSocketWriter.{name}: no longer set by its constructor")
    if "_cache" not in getattr(web.BaseRequest, "ATTRS", ()):
        problems.append("aiohttp.web.BaseRequest._cache: missing (expected among its ATTRS)")
    manager = getattr(sio, "manager", None)
    for name in ("rooms", "callbacks", "pending_connect", "pending_disconnect"):
        expect(f"socketio.BaseManager.{name}", getattr(manager, name, _MISSING), dict)
    for name in ("_handle_emit", "_publish"):
        hook = getattr(AsyncPubSubManager, name, None)
        if not inspect.iscoroutinefunction(hook) or len(inspect.signature(hook).parameters) != 2:
            problems.append(f"socketio.AsyncPubSubManager.{name}: expected a coroutine taking (self, message)")
    return problems


def _slots(cls: type) -> set[str]:
    return {name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ())}


#: Shared by every released connection: a queue that takes nothing (an upgraded connection gets no more HTTP
#: requests), a mask source nobody calls (a server does not mask), and the references to compressing tasks.
_NO_MESSAGES: collections.deque[Any] = collections.deque(maxlen=0)
_NO_MASK = functools.partial(random.getrandbits, 32)
_COMPRESSING: set[Any] = set()


def release_http_state(request: Any, response: Any) -> None:
    """Drop, for a connection that is now a WebSocket, the HTTP state it never uses again (see the docstring)."""
    protocol = request.protocol
    if protocol is not None and protocol._payload_parser is not None:
        protocol._parser = None
        if not protocol._messages:
            protocol._messages = _NO_MESSAGES
    writer = response._writer
    if writer is not None and not writer.use_mask and not writer._background_tasks:
        writer.get_random_bits = _NO_MASK
        writer._background_tasks = _COMPRESSING


def release_transport(transport: Any) -> None:
    """Break a lost connection's transport's reference to itself (see the docstring)."""
    if getattr(transport, "_read_ready_cb", None) is not None and transport.is_closing():
        transport._read_ready_cb = None


def forget_parsed_cookies(request: Any) -> None:
    """Drop the request's parsed cookies (aiohttp parses them again if they are read again)."""
    cache = getattr(request, "_cache", None)
    if isinstance(cache, dict):
        cache.pop("cookies", None)


def require(sio: Any) -> None:
    """Raise ``InternalsChanged`` listing every problem ``check`` finds."""
    problems = check(sio)
    if problems:
        raise InternalsChanged(f"the caption fan-out (server/web/engineio_adapter.py) does not fit {_versions()}; "
                               "pin the versions in pyproject.toml or adapt the module:\n  " + "\n  ".join(problems))


_MISSING = object()


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(f"{k.__module__}.{k.__qualname__}" for k in kinds)


class Link:
    """One Engine.IO connection as the fan-out sees it; ``transport`` once it is a WebSocket (its Outbox's)."""

    __slots__ = ("dropping", "eio_sid", "fd", "queue", "sock", "transport")

    def __init__(self, eio_sid: str, sock: Any, transport: Any, fd: int | None) -> None:
        self.eio_sid, self.sock = eio_sid, sock
        self.queue: Outbox = sock.queue
        self.transport = transport
        #: The socket's descriptor when a raw write is allowed (plain TCP); None over TLS or without a socket.
        self.fd = fd
        self.dropping = False

    def idle(self) -> bool:
        """True when no packet waits in the Outbox: a frame sent now overtakes nothing."""
        return self.queue.idle()

    def direct(self) -> Any:
        """The transport, when a frame may go to it now: a WebSocket, still open, and nothing waiting before it."""
        transport = self.transport
        if transport is None or not self.queue.idle() or transport.is_closing():
            return None
        return transport

    def queued(self) -> int:
        """Packets waiting in the Engine.IO queue."""
        return self.queue.qsize()

    def enqueue(self, packets: list[Any]) -> None:
        """Send Engine.IO packets through the socket's Outbox, in order (written at once on a WebSocket)."""
        for p in packets:
            self.queue.put_nowait(p)

    def abort(self) -> Awaitable[None]:
        """Close the connection at once (no close packet waits behind a full outbox)."""
        return self.sock.close(wait=False, abort=True)


class _EngineIOServer(engineio.AsyncServer):
    """python-engineio's server whose connections are :class:`LeanSocket` with an :class:`Outbox`, pinged by one
    :class:`Pinger`.

    The library's client monitor is off (``monitor_clients=False``): the ping timer closes the connections that stop
    answering, and a closed connection leaves the table as it closes (``LeanSocket.close``). The monitor woke once
    per connection and ping timeout (500 times a second for 10,000 viewers) and held a copy of the table, so every
    connection that ended stayed in memory until the monitor's round passed it (up to 20 s).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["monitor_clients"] = False
        super().__init__(*args, **kwargs)
        self.sockets = SocketTable()
        self.pinger = Pinger(self)

    #: Called by a ``LeanSocket`` once its connection is a WebSocket.
    release_http_state = staticmethod(release_http_state)

    async def shutdown(self) -> None:
        """Stop the pings with the library's background tasks."""
        self.pinger.stop()
        await super().shutdown()

    def create_queue(self, *args: Any, **kwargs: Any) -> Any:
        """An ``Outbox`` for a connection's packets (an ``asyncio.Queue`` when asked for a bounded one)."""
        if args or kwargs:
            return super().create_queue(*args, **kwargs)
        return Outbox()


class SocketServer(socketio.AsyncServer):
    """``socketio.AsyncServer`` on an Engine.IO server whose connections use :class:`Outbox` queues."""

    def _engineio_server_class(self) -> type:
        return _EngineIOServer


class EngineIOAdapter:
    """Links of one Socket.IO server, cached by Engine.IO sid until the connection leaves."""

    def __init__(self, sio: Any) -> None:
        require(sio)
        self._sio = sio
        self._links: dict[str, Link] = {}

    def link(self, sid: str, eio_sid: str, namespace: str) -> Link | None:
        """The connection behind ``sid`` (None once its Engine.IO socket is closing, closed or gone).

        A connection that is closing is never cached: a broadcast written in slices may reach it after it has left
        its rooms (and been forgotten), and a link cached then would hold the closed connection for good.
        """
        link = self._links.get(eio_sid)
        if link is None:
            sock = self._sio.eio.sockets.get(eio_sid)
            if sock is None or sock.closing or sock.closed:
                return None
            # The WebSocket transport the connection's Outbox writes to (None while polling, or before the
            # connection is a WebSocket: then it is served through the Outbox, which writes once attached).
            transport = sock.queue.transport
            link = self._links[eio_sid] = Link(eio_sid, sock, transport, _raw_fd(transport))
        elif link.sock.closed:
            del self._links[eio_sid]
            return None
        return link

    def packets(self, event: str, args: list[Any], namespace: str) -> list[Any]:
        """The Engine.IO packets of one Socket.IO event, encoded with the server's serializer."""
        encoded = self._sio.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        return [eio_packet.Packet(eio_packet.MESSAGE, p) for p in (encoded if isinstance(encoded, list) else [encoded])]

    def forget(self, eio_sid: str) -> None:
        """Drop the cached link (looked up again if another namespace still uses the connection)."""
        self._links.pop(eio_sid, None)


def _raw_fd(transport: Any) -> int | None:
    """The descriptor a frame may be written to directly: plain TCP only, never beneath TLS."""
    if transport is None or transport.get_extra_info("sslcontext") is not None \
            or transport.get_extra_info("ssl_object") is not None:
        return None
    sock = transport.get_extra_info("socket")
    fd = sock.fileno() if sock is not None else -1
    return fd if fd >= 0 else None


class RawWriter:
    """``write(2)`` one frame to many plain TCP sockets, on two threads for large rooms (given two CPUs)."""

    def __init__(self, cpus: int | None = None) -> None:
        self._other = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="floorcast-fanout")
        #: Whether a second thread can help: not when the process may only run on one CPU (taskset, a container's
        #: cpuset), where the two threads would take turns on it and add their hand-overs to the broadcast.
        self.threads = 2 if (cpus if cpus is not None else len(os.sched_getaffinity(0))) > 1 else 1

    def write(self, frame: bytes, targets: list[tuple[int, Any]], parallel: bool) -> None:
        """Write ``frame`` to each (fd, transport) whose transport buffer is empty; the rest goes to the transport.

        The kernel's work for each ``write(2)`` (most of a broadcast's cost on loopback) runs without the GIL, so
        two threads writing halves of the room overlap on two cores. The event loop is blocked until both halves
        are done, so nothing else writes to these sockets meanwhile; what a socket could not take at once is
        handed to its transport afterwards, which sends it in order.
        """
        if not parallel or self.threads < 2:
            leftovers = _write_part(frame, targets)
        else:
            half = len(targets) // 2
            other = self._other.submit(_write_part, frame, targets[:half])
            leftovers = _write_part(frame, targets[half:])
            leftovers += other.result()
        for transport, offset in leftovers:
            transport.write(frame[offset:])


def _write_part(frame: bytes, targets: list[tuple[int, Any]]) -> list[tuple[Any, int]]:
    """``write(2)`` the frame to each (fd, transport); returns (transport, bytes written) where it fell short."""
    short = []
    size = len(frame)
    for fd, transport in targets:
        try:
            written = os.write(fd, frame)
        except OSError:  # would block, interrupted or broken: the transport's own write sends or reports it
            written = 0
        if written < size:
            short.append((transport, written))
    return short


def forget_pending(manager: Any, sid: str, namespace: str) -> None:
    """What python-socketio's ``BaseManager.basic_disconnect`` does once the connection has left its rooms: drop
    its ACK callbacks and its place among the connections pending connect or disconnect."""
    manager.callbacks.pop(sid, None)
    for pending in (manager.pending_connect, manager.pending_disconnect):
        sids = pending.get(namespace)
        if sids is not None and sid in sids:
            sids.remove(sid)
            if not sids:
                del pending[namespace]


def start_manager(sio: Any) -> None:
    """Start the client manager now (its Redis listener with it) instead of at the first connection.

    ``manager_initialized`` is set by the server's constructor after the manager is attached (so after ``check``
    ran): it is checked here, when the application starts.
    """
    if not isinstance(getattr(sio, "manager_initialized", None), bool):
        raise InternalsChanged(f"socketio.AsyncServer.manager_initialized: missing or not a bool ({_versions()})")
    if not sio.manager_initialized:
        sio.manager_initialized = True
        sio.manager.initialize()


class PubSubEmitHook(AsyncPubSubManager):
    """Mixin for a pub/sub manager: an emit that arrived through the backend is delivered by ``deliver``,
    and a canary this process sent itself through the backend is noted in ``canary_received`` (monotonic s)."""

    canary_event = "fanout_canary"
    canary_received: float | None = None

    def _canary_sender(self) -> str:
        return f"{self.host_id}:canary"

    async def publish_canary(self) -> None:
        """Publish a message only this process takes, and only once it came back through the backend."""
        await self._publish({"method": "emit", "event": self.canary_event, "data": [None], "binary": False,
                             "namespace": "/", "room": None, "skip_sid": None, "callback": None,
                             "host_id": self._canary_sender()})

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        """Deliver one emit locally (the library's hook, called for this process's emits and Redis's alike)."""
        if message.get("event") == self.canary_event:
            if message.get("host_id") == self._canary_sender():
                self.canary_received = time.monotonic()
            return  # another process's canary, or one handed over without the backend: not for any socket
        callback = message.get("callback")
        if callback is not None and len(callback) == 3:  # an emit with an ACK: the library's own path
            return await super()._handle_emit(message)
        data = message["data"]
        if message.get("binary"):
            attachments = [base64.b64decode(a) for a in data[1:]]
            data = sio_packet.Packet.reconstruct_binary(data[0], attachments)
        if isinstance(data, list):
            data = data[0] if len(data) == 1 else tuple(data)
        self.deliver(message["event"], data, message.get("namespace") or "/",
                     message.get("room"), message.get("skip_sid"))
