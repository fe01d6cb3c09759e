"""Reads that many callers ask for at once, made once for all of them.

When thousands of viewers come back together (a venue's Wi-Fi returns, a node restarts), each asks for the same
backlog: the captions of one session and language after the same ``seq``. :class:`SharedReads` runs at most one
read per key at a time; callers that ask while it runs wait for the next one, which starts when it ends and serves
them all. A caller's read therefore always starts after the caller asked, so whatever the caller did first (a
viewer joins its caption room before asking) happened before the read: nothing stored later can fall between the
read and the broadcasts the caller gets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedReads(Generic[T]):
    """At most one read per key in flight; callers that ask meanwhile share the next read."""

    def __init__(self) -> None:
        self._next: dict[Hashable, asyncio.Future[T]] = {}
        self._running: set[Hashable] = set()
        self._tasks: set[asyncio.Task[T]] = set()
        #: Callers served and reads made (the difference is what sharing saved).
        self.asked = 0
        self.reads = 0

    async def read(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """The result of ``read()`` for ``key``, made after this call, possibly shared with other callers.

        Every caller that shares a read asks for the same thing: ``key`` must say everything ``read`` depends on.
        A caller that is cancelled leaves the read to the others.
        """
        self.asked += 1
        future = self._next.get(key)
        if future is None:
            future = self._next[key] = asyncio.get_running_loop().create_future()
            if key not in self._running:
                self._start(key, read)
        return await asyncio.shield(future)

    def _start(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> None:
        future = self._next.pop(key)
        self._running.add(key)
        self.reads += 1
        task: asyncio.Task[T] = asyncio.ensure_future(read())
        self._tasks.add(task)

        def done(finished: asyncio.Task[T]) -> None:
            self._tasks.discard(finished)
            self._running.discard(key)
            if finished.cancelled():
                future.cancel()
            elif (error := finished.exception()) is not None:
                future.set_exception(error)
            else:
                future.set_result(finished.result())
            if not future.cancelled():
                future.exception()  # retrieved: no "never retrieved" warning when every caller has gone
            if key in self._next:  # asked while this read ran: their read starts now
                self._start(key, read)

        task.add_done_callback(done)
