"""The Engine.IO connection queue: the asyncio.Queue contract its writer relies on, and when it is idle."""

from __future__ import annotations

import asyncio
import socket

import pytest
from engineio.packet import MESSAGE, Packet

from server.web.outbox import Outbox, ws_frame


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


async def test_attached_to_a_websocket_it_writes_what_waited_then_each_packet_at_once():
    loop = asyncio.get_running_loop()
    ours, theirs = socket.socketpair()
    transport, _ = await loop.create_connection(asyncio.Protocol, sock=ours)
    reader, peer = await asyncio.open_connection(sock=theirs)
    try:
        box = Outbox()
        box.put_nowait(Packet(MESSAGE, "queued while upgrading"))
        box.put_nowait(None)  # python-engineio's "stop the writer" mark: nothing to write
        joined = asyncio.ensure_future(box.join())
        box.attach(transport)  # type: ignore[arg-type]
        assert box.idle() and box.qsize() == 0 and box.transport is transport
        await asyncio.wait_for(joined, timeout=1)  # what waited counts as done
        box.put_nowait(Packet(MESSAGE, "then this"))
        box.put_nowait(Packet(MESSAGE, b"\x01\x02"))  # binary: a binary frame
        expected = ws_frame("4queued while upgrading") + ws_frame("4then this") + ws_frame(b"\x01\x02")
        assert await asyncio.wait_for(reader.readexactly(len(expected)), timeout=1) == expected
        assert ws_frame(b"\x01\x02")[:2] == b"\x82\x02" and ws_frame("4x")[:2] == b"\x81\x02"
        transport.close()
        box.put_nowait(Packet(MESSAGE, "after the end"))  # a closing transport takes nothing more
        assert await asyncio.wait_for(reader.read(), timeout=1) == b""
    finally:
        transport.close()
        peer.close()
