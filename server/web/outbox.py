"""The packet queue of one Engine.IO connection, lighter than ``asyncio.Queue`` and able to say when it is idle.

python-engineio gives every connection an ``asyncio.Queue`` that its writer drains: three deques and an
``Event`` with its own deque, about 3 KB before the first packet, and ``get()`` is a coroutine that
``asyncio.wait_for`` wraps in a task of its own for as long as the writer waits (all the time, for a caption viewer).
:class:`Outbox` keeps the queue's contract for its one reader (``put``/``put_nowait``, ``get``/``get_nowait``
raising ``asyncio.QueueEmpty``, ``task_done``/``join``, ``qsize``/``empty``) in a list and at most two futures:
``get()`` returns a future, which ``wait_for`` awaits without a task. :meth:`idle` tells the fan-out when a frame
may bypass the queue: nothing waits in it and the writer is parked in ``get()``.
"""

from __future__ import annotations

import asyncio
from typing import Any


class Outbox:
    """A FIFO of packets for one writer task (see the module docstring)."""

    __slots__ = ("_getter", "_items", "_joined", "_unfinished")

    def __init__(self) -> None:
        self._items: list[Any] = []
        #: The future the writer awaits while the queue is empty (None, or done, while it works).
        self._getter: asyncio.Future[Any] | None = None
        #: Packets put and not yet marked done (``join`` waits for none).
        self._unfinished = 0
        self._joined: asyncio.Future[None] | None = None

    def qsize(self) -> int:
        """Packets waiting (not counting one already handed to the writer)."""
        return len(self._items)

    def empty(self) -> bool:
        """True when no packet waits."""
        return not self._items

    def idle(self) -> bool:
        """True when nothing waits and the writer is parked in ``get()``: a frame sent now overtakes nothing."""
        getter = self._getter
        return not self._items and getter is not None and not getter.done()

    def put_nowait(self, item: Any) -> None:
        """Append ``item``, or hand it straight to the waiting writer."""
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
