"""An Engine.IO WebSocket connection with no task of its own while idle; pings from one timer for all.

python-engineio runs three tasks for each WebSocket connection besides aiohttp's two (the connection's and its
request's): a writer parked on the queue, a task per ``ws.wait()`` that ``asyncio.wait_for`` wraps around each
receive, and a task per ping interval that sleeps and then sends the ping; and its request handler's coroutines
stay suspended for the connection's life. :class:`LeanSocket` keeps the library's ``AsyncSocket`` (its packets,
events, close reasons and polling transport) and replaces only these:

* once the WebSocket is set up (after the polling connection's probe, for an upgrade), the connection's
  :class:`~server.web.outbox.Outbox` gets the transport: every packet is then written as a frame when it is
  sent, in order, and no writer waits;
* python-engineio's handler then returns, and :func:`serve_websocket` (the route's lane, ``transport``) reads the
  WebSocket in the request's own task, in one coroutine without a timeout of its own (the ping timer closes a
  connection that stops answering); a packet that cannot be decoded ends the connection with a one-line warning;
* ``schedule_ping`` enters the connection in the server's :class:`Pinger`, one ``call_at`` handle for every
  connection: the ping is sent ``ping_interval`` after the last pong, and a connection whose pong is not back
  ``ping_timeout`` later is closed with the library's ``PING_TIMEOUT`` reason, as its ``check_ping_timeout`` does;
* closing the socket also ends its WebSocket (python-engineio left it open until the client hung up or the
  writer's wait ran out); the handshake's ``environ`` is cut to what is read once the connection is set up, and
  the HTTP state the connection no longer uses is released (``engineio_adapter.release_http_state``).

The python-engineio and aiohttp internals this relies on are listed in :mod:`server.web.engineio_adapter`, whose
``check`` refuses to start the server when one is gone; :class:`SocketTable` is how the server's connections
become ``LeanSocket``: python-engineio builds ``AsyncSocket`` itself and offers no hook for the class.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import logging
import time
import weakref
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from engineio import exceptions
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket

from .errors import Handler
from .logs import MalformedPackets

log = logging.getLogger(__name__)

#: What is kept of a WebSocket handshake's environ once the connection is set up (its namespaces are joined after
#: it is): the request itself, from which the Socket.IO handlers read cookies, address and languages, and the
#: request line; python-engineio's copy of every header goes.
KEPT_ENVIRON = ("QUERY_STRING", "REQUEST_METHOD", "PATH_INFO", "REMOTE_ADDR", "wsgi.url_scheme", "aiohttp.request")

_TEXT_OR_BINARY = (WSMsgType.TEXT, WSMsgType.BINARY)


class Pinger:
    """Pings every connection of one Engine.IO server from a single timer, and closes those that stop answering.

    Each entry is (due, order, socket, ping sent): a ping to send when ``ping sent`` is None, else the check that
    the pong to that ping came back. A heap, so that changing the interval or timeout keeps the order right. The
    socket is held by a weak reference: a connection that ends is freed at once, not when its entry falls due.
    """

    def __init__(self, server: Any) -> None:
        self.server = server
        self._due: list[tuple[float, int, weakref.ref[Any], float | None]] = []
        self._order = itertools.count()
        self._handle: asyncio.TimerHandle | None = None
        #: Closes running in tasks of their own (a reference to each until it ends).
        self.closing: set[asyncio.Task[Any]] = set()
        self._ping = eio_packet.Packet(eio_packet.PING)

    def __len__(self) -> int:
        return len(self._due)

    def ping_later(self, sock: Any) -> None:
        """Send ``sock`` a ping in ``ping_interval`` seconds."""
        self._add(self.server.ping_interval, sock, None)

    def _add(self, delay: float, sock: Any, sent: float | None) -> None:
        heapq.heappush(self._due, (asyncio.get_running_loop().time() + delay, next(self._order), weakref.ref(sock),
                                   sent))
        self._arm()

    def _arm(self) -> None:
        """Keep one timer, due at the earliest entry: never a second one beside it."""
        if not self._due:
            return
        first = self._due[0][0]
        if self._handle is not None:
            if self._handle.when() <= first:
                return
            self._handle.cancel()
        self._handle = asyncio.get_running_loop().call_at(first, self._run)

    def _run(self) -> None:
        self._handle = None
        now = asyncio.get_running_loop().time()
        due = self._due
        while due and due[0][0] <= now:
            _, _, ref, sent = heapq.heappop(due)
            sock = ref()
            if sock is None:  # the connection ended and was freed
                continue
            try:
                if sent is None:
                    self._send_ping(sock)
                elif sock.last_ping == sent and not sock.closing and not sock.closed:
                    self._timed_out(sock)
            except Exception:  # one broken connection must not stop the pings of the others
                log.exception("ping failed", extra={"eio_sid": getattr(sock, "sid", None)})
        self._arm()

    def _send_ping(self, sock: Any) -> None:
        if sock.closing or sock.closed:
            return
        sock.last_ping = sent = time.time()
        sock.queue.put_nowait(self._ping)
        self._add(self.server.ping_timeout, sock, sent)

    def _timed_out(self, sock: Any) -> None:
        sock.server.logger.info("%s: Client is gone, closing socket", sock.sid)
        # The call python-engineio's check_ping_timeout makes (its send() then finds the ping timed out and sends
        # no CLOSE packet either); closing also ends the WebSocket.
        self.hold(asyncio.ensure_future(sock.close(wait=False, abort=False, reason=sock.server.reason.PING_TIMEOUT)))

    def hold(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        """Keep a reference to a close running in a task of its own until it ends."""
        self.closing.add(task)
        task.add_done_callback(self.closing.discard)
        return task

    def stop(self) -> None:
        """Forget every entry (the server is shutting down)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._due.clear()


class LeanSocket(AsyncSocket):
    """python-engineio's ``AsyncSocket`` with the lean WebSocket handler and the shared ping timer."""

    last_ping: float | None  # set by python-engineio's constructor: when the unanswered ping was sent
    connected: bool
    upgrading: bool
    upgraded: bool

    #: The WebSocket while its handler runs, and the task of its reader (set by the handler).
    _response: Any = None
    _reader: asyncio.Task[Any] | None = None
    _closer: asyncio.Task[Any] | None = None

    def schedule_ping(self) -> None:
        """Ping again ``ping_interval`` after a pong (only once per ping, as the library does)."""
        if self.last_ping:
            self.last_ping = None
            self.server.pinger.ping_later(self)

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        """Close as python-engineio does, then end the WebSocket, which the library left open."""
        first = not self.closed and not self.closing
        reader = self._reader
        if first and reader is not None and asyncio.current_task() is reader:
            # The reader is aiohttp's request task, which aiohttp cancels when the client hangs up: the disconnect
            # handlers (which write to the database) run in a task of their own, so that they are not cut short.
            await asyncio.shield(self.server.pinger.hold(asyncio.ensure_future(
                super().close(wait=wait, abort=abort, reason=reason))))
            return
        await super().close(wait=wait, abort=abort, reason=reason)
        response = self._response
        if first and self._reader is None and self.closed and self.server.sockets.get(self.sid) is self:
            # No WebSocket reader will take it out of the table when it ends (polling, or not set up yet): out now.
            del self.server.sockets[self.sid]
        if not first or response is None:
            return
        if abort:
            # Dropped (a viewer too slow for the fan-out): nothing more is sent, what waits in its buffer is
            # discarded, and the reader wakes to the connection's end. It reconnects and resumes.
            transport = self.queue.transport
            if transport is not None:
                transport.abort()
        else:
            # A ping timeout, or the server: close the WebSocket, which wakes the reader; the reader waits for this
            # close to finish. Never wait for a peer that reads nothing: the close frame joins its buffer.
            self._closer = asyncio.ensure_future(response.close(drain=False))

    async def _websocket_handler(self, ws: Any) -> None:
        """Set up the connection's WebSocket; read it here, or leave that to :func:`serve_websocket` if it asked.

        Reading after python-engineio's handler has returned frees the five coroutine frames of that handler
        (and what they hold: the parsed query, the open packet) for the connection's whole life.
        """
        response, environ = ws._sock, ws.environ
        try:
            ready = await self._open(response, environ)
        except Exception as exc:
            await self._failed(exc, response)
            return
        if not ready:
            return
        if LANE.get() is _WAITING:
            LANE.set(self)
            return
        await self.read_websocket()

    async def read_websocket(self) -> None:
        """Read the WebSocket until it ends; a packet that cannot be decoded ends it with a one-line warning.

        Malformed packets are handled here rather than by ``transport.engineio_guard``, so that no middleware
        keeps a suspended frame around a WebSocket for its whole life. One coroutine: each helper awaited while
        idle would keep a frame of its own.
        """
        response = self._response
        self._reader = asyncio.current_task()
        try:
            while not self.closed:
                try:
                    msg = await response.receive()
                except asyncio.CancelledError:  # as python-engineio: a cancelled reader closes the connection
                    break
                if not await self._take(msg):
                    break
                del msg  # not kept while the connection waits for the next one
            self._response = None
            await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
            self._reader = None
            closer, self._closer = self._closer, None
            if closer is not None:
                await closer
            else:
                await response.close(drain=False)
        except Exception as exc:
            await self._failed(exc, response)
        finally:
            _forget_traceback(response.exception())
            self._response = self._reader = None
            if self.closed and self.server.sockets.get(self.sid) is self:
                del self.server.sockets[self.sid]  # what python-engineio does when its handler returns

    async def _failed(self, exc: Exception, response: Any) -> None:
        self._response = None
        if not self.closed:
            await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_ERROR)
        self._reader = None
        if not MalformedPackets.from_decoder(exc):
            raise exc
        log.warning("malformed Engine.IO packet", extra={"code": "invalid_packet", "error": MalformedPackets.line(exc)})
        await response.close(code=WSCloseCode.UNSUPPORTED_DATA, drain=False)

    async def _open(self, response: Any, environ: dict[str, Any]) -> bool:
        """The upgrade's probe if the connection was polling; then the Outbox writes to the WebSocket."""
        if self.connected:
            if not await self._upgrade(response):
                return False
        else:
            self.connected = True
            self.upgraded = True
        request = environ["aiohttp.request"]
        _trim(environ)
        transport = request.transport
        if transport is None:  # gone during the handshake
            await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
            return False
        self._response = response
        self.queue.attach(transport)
        self.server.release_http_state(request, response)
        self.server.logger.info("%s: Upgrade to websocket successful", self.sid)
        return True

    async def _take(self, msg: Any) -> bool:
        """Handle one WebSocket message; False when the connection is to end (a coroutine of its own, which exists
        only while a message is handled)."""
        data = msg.data
        if msg.type not in _TEXT_OR_BINARY or len(data) > self.server.max_http_buffer_size:
            return False  # the WebSocket ended, or the message is over the size limit
        pkt = self._decode(data)
        try:
            await self.receive(pkt)
        except exceptions.UnknownPacketError:
            pass
        except exceptions.SocketIsClosedError:
            self.server.logger.info("Receive error -- socket is closed")
            return False
        except Exception:  # as python-engineio: log it and go on reading
            self.server.logger.exception("Unknown receive error")
        # A message's handler runs in a task of its own: let it start before the next packet is taken, as it did
        # behind python-engineio's task per receive, so that handlers start in the order their packets came.
        await asyncio.sleep(0)
        return True

    async def _upgrade(self, response: Any) -> bool:
        """The polling connection's move to this WebSocket: probe ping and pong, NOOP to the poll, UPGRADE."""
        self.upgrading = True  # packets sent meanwhile wait in the queue
        try:
            data = await self._receive(response)
            if data is None:
                return False
            pkt = self._decode(data)
            if pkt.packet_type != eio_packet.PING or pkt.data != "probe":
                self.server.logger.info("%s: Failed websocket upgrade, no PING packet", self.sid)
                return False
            await response.send_str(eio_packet.Packet(eio_packet.PONG, data="probe").encode())
            self.queue.put_nowait(eio_packet.Packet(eio_packet.NOOP))  # ends the pending poll
            data = await self._receive(response)
            if data is None:
                return False
            pkt = self._decode(data)
            if pkt.packet_type != eio_packet.UPGRADE:
                self.upgraded = False
                self.server.logger.info("%s: Failed websocket upgrade, expected UPGRADE packet, received %s instead.",
                                        self.sid, data)
                return False
            self.upgraded = True
            return True
        finally:
            self.upgrading = False

    async def _receive(self, response: Any) -> str | bytes | None:
        """The next message's data; None when the WebSocket ends or the message is over the size limit."""
        msg = await response.receive()
        if msg.type not in _TEXT_OR_BINARY:
            return None
        data = msg.data
        if len(data) > self.server.max_http_buffer_size:
            return None
        return data

    def _decode(self, data: str | bytes) -> Any:
        """A packet; a malformed one raises (``_failed`` logs it and ends the connection)."""
        return eio_packet.Packet(encoded_packet=data)


#: In the task of a WebSocket request that :func:`serve_websocket` runs: ``_WAITING`` until the connection's handler
#: puts its socket there for the lane to read (a context variable is per task, and reset at once: nothing is kept).
LANE: contextvars.ContextVar[Any] = contextvars.ContextVar("engineio_socket_lane", default=None)
_WAITING = object()


async def serve_websocket(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Run Engine.IO's handler for a WebSocket request, then read the WebSocket it set up (see ``LeanSocket``)."""
    token = LANE.set(_WAITING)
    try:
        response = await handler(request)
        sock = LANE.get()
    finally:
        LANE.reset(token)
    if isinstance(sock, LeanSocket):
        await sock.read_websocket()
    return response


def _forget_traceback(error: BaseException | None) -> None:
    """Let go of the frames an aiohttp WebSocket's stored error holds.

    A client that hangs up without a close frame makes aiohttp try to send one; the write fails, and the
    ``WebSocketResponse`` keeps the error, whose traceback holds the frames of its own ``close`` (and the error it
    was handling, with its frames): a reference cycle through the response, its writer and the connection's
    transport. Only a full garbage collection would free them, and those are rare here (``run.py``), so every
    viewer that went away would stay in memory for long. The error itself is kept, without its frames.
    """
    for _ in range(8):  # a chain of errors each raised while handling the one before (bounded: chains are short)
        if error is None:
            return
        error.__traceback__ = None
        error = error.__context__ or error.__cause__


def _trim(environ: dict[str, Any]) -> None:
    """Cut the handshake's environ to ``KEPT_ENVIRON`` (in place: python-socketio holds it)."""
    kept = [(key, environ[key]) for key in KEPT_ENVIRON if key in environ]
    environ.clear()  # a smaller table: deleting keys would keep the large one
    environ.update(kept)


class SocketTable(dict):
    """python-engineio's table of connections (``AsyncServer.sockets``): each entered becomes a :class:`LeanSocket`.

    The library builds every connection as an ``AsyncSocket`` and enters it here before using it; ``LeanSocket``
    adds no attribute the object lacks, only methods, so changing its class keeps everything the library set.
    """

    def __setitem__(self, sid: str, sock: Any) -> None:
        if type(sock) is AsyncSocket:
            sock.__class__ = LeanSocket
        super().__setitem__(sid, sock)
