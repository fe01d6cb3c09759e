"""The Engine.IO connection queue: the asyncio.Queue contract its writer relies on, and when it is idle."""

from __future__ import annotations

import asyncio

import pytest

from server.web.outbox import Outbox


async def test_items_come_out_in_order_and_the_writer_waits_for_the_next():
    box = Outbox()
    for i in range(3):
        await box.put(i)
    assert box.qsize() == 3 and not box.idle()  # items wait: nothing may overtake them
    assert [await box.get() for _ in range(3)] == [0, 1, 2]
    waiting = box.get()
    assert box.idle() and box.empty()  # parked in get() with nothing queued
    box.put_nowait("next")
    assert not box.idle()  # handed to the writer, not yet sent: still not idle
    assert await asyncio.wait_for(waiting, timeout=1) == "next"


async def test_a_get_that_timed_out_loses_nothing():
    box = Outbox()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(box.get(), timeout=0.01)
    assert not box.idle()  # the writer gave up waiting
    box.put_nowait("kept")
    assert box.qsize() == 1
    assert await asyncio.wait_for(box.get(), timeout=1) == "kept"


async def test_get_nowait_and_join_follow_asyncio_queue():
    box = Outbox()
    with pytest.raises(asyncio.QueueEmpty):
        box.get_nowait()
    await box.join()  # nothing put: returns at once
    box.put_nowait("a")
    box.put_nowait("b")
    joined = asyncio.ensure_future(box.join())
    assert box.get_nowait() == "a"
    box.task_done()
    await asyncio.sleep(0)
    assert not joined.done()
    assert box.get_nowait() == "b"
    box.task_done()
    await asyncio.wait_for(joined, timeout=1)
    with pytest.raises(ValueError):
        box.task_done()


async def test_wait_for_on_get_needs_no_task():
    box = Outbox()
    before = len(asyncio.all_tasks())
    waiter = asyncio.ensure_future(asyncio.wait_for(box.get(), timeout=5))
    await asyncio.sleep(0)
    assert len(asyncio.all_tasks()) == before + 1  # the waiting coroutine only: get() itself is a plain future
    box.put_nowait(1)
    assert await asyncio.wait_for(waiter, timeout=1) == 1
