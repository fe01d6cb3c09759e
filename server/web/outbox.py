"""The packet queue of one Engine.IO connection, lighter than ``asyncio.Queue`` and able to say when it is idle.

python-engineio gives every connection an ``asyncio.Queue`` that its writer drains: three deques and an
``Event`` with its own deque, about 3 KB before the first packet, and ``get()`` is a coroutine that
``asyncio.wait_for`` wraps in a task of its own for as long as the writer waits (all the time, for a caption viewer).
:class:`Outbox` keeps the queue's contract for its one reader (``put``/``put_nowait``, ``get``/``get_nowait``
raising ``asyncio.QueueEmpty``, ``task_done``/``join``, ``qsize``/``empty``) in a list and at most two futures:
``get()`` returns a future, which ``wait_for`` awaits without a task. :meth:`idle` tells the fan-out when a frame
may bypass the queue: nothing waits in it and the writer is parked in ``get()``.

Once a connection is a WebSocket, :meth:`attach` hands the Outbox its transport: whatever waited is written out in
order and every later packet is written as a frame at once, so no writer task waits for packets for the
connection's whole life. The queue is then always idle: nothing can wait in it to be overtaken. Backpressure is the
transport's buffer, which the fan-out bounds.
"""

from __future__ import annotations

import asyncio
from typing import Any


class Outbox:
    """A FIFO of packets for one reader (a poll, or a writer), or a WebSocket's frames once attached (see the
    module docstring)."""

    __slots__ = ("_getter", "_items", "_joined", "_transport", "_unfinished")

    def __init__(self) -> None:
        self._items: list[Any] = []
        #: The future the writer awaits while the queue is empty (None, or done, while it works).
        self._getter: asyncio.Future[Any] | None = None
        #: Packets put and not yet marked done (``join`` waits for none).
        self._unfinished = 0
        self._joined: asyncio.Future[None] | None = None
        #: The WebSocket's transport once attached: packets are written to it instead of queued.
        self._transport: asyncio.WriteTransport | None = None

    def attach(self, transport: asyncio.WriteTransport) -> None:
        """Write what waits, then every later packet, straight to this WebSocket transport (in order)."""
        self._transport = transport
        items, self._items = self._items, []
        for item in items:
            self._write(item)
            self.task_done()

    @property
    def transport(self) -> asyncio.WriteTransport | None:
        """The WebSocket transport packets are written to (None while they are queued)."""
        return self._transport

    def _write(self, item: Any) -> None:
        transport = self._transport
        # None is python-engineio's "stop the writer" mark: there is no writer to stop. A closing transport
        # takes nothing more (the connection is ending; its reader notices).
        if item is not None and transport is not None and not transport.is_closing():
            transport.write(ws_frame(item.encode()))

    def qsize(self) -> int:
        """Packets waiting (not counting one already handed to the writer)."""
        return len(self._items)

    def empty(self) -> bool:
        """True when no packet waits."""
        return not self._items

    def idle(self) -> bool:
        """True when a frame sent now overtakes nothing: attached to a WebSocket, or nothing waits and the reader
        is parked in ``get()``."""
        if self._transport is not None:
            return True
        getter = self._getter
        return not self._items and getter is not None and not getter.done()

    def put_nowait(self, item: Any) -> None:
        """Append ``item``, hand it straight to the waiting writer, or write it to the attached transport."""
        if self._transport is not None:
            self._write(item)
            return
        self._unfinished += 1
        getter = self._getter
        if getter is not None and not getter.done() and not self._items:
            getter.set_result(item)
            return
        self._items.append(item)

    async def put(self, item: Any) -> None:
        """The queue is unbounded (the fan-out bounds it): same as :meth:`put_nowait`."""
        self.put_nowait(item)

    def get(self) -> asyncio.Future[Any]:
        """A future of the next item: done at once when one waits, else when one is put."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if self._items:
            future.set_result(self._items.pop(0))
        else:
            self._getter = future
        return future

    def get_nowait(self) -> Any:
        """The next item; raises ``asyncio.QueueEmpty`` when none waits."""
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    def task_done(self) -> None:
        """Mark one item handled; wakes :meth:`join` when none is left."""
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if self._unfinished == 0 and self._joined is not None and not self._joined.done():
            self._joined.set_result(None)

    async def join(self) -> None:
        """Wait until every item put has been marked done."""
        if self._unfinished == 0:
            return
        if self._joined is None or self._joined.done():
            self._joined = asyncio.get_running_loop().create_future()
        await self._joined


def ws_frame(data: str | bytes) -> bytes:
    """One final, unmasked WebSocket frame (RFC 6455 section 5.2): text for ``str``, binary for ``bytes``."""
    if isinstance(data, str):
        payload, opcode = data.encode("utf-8"), 0x81
    else:
        payload, opcode = bytes(data), 0x82
    n = len(payload)
    if n < 126:
        header = bytes((opcode, n))
    elif n < 1 << 16:
        header = bytes((opcode, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((opcode, 127)) + n.to_bytes(8, "big")
    return header + payload
