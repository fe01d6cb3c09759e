"""Reads shared by callers who ask together: one read at a time per key, each caller's read made after it asked."""

from __future__ import annotations

import asyncio

import pytest

from server.web.reads import SharedReads

WAIT = 5.0


class Gated:
    """A read that reports the value of ``state`` when it starts, and ends only when let go."""

    def __init__(self, state: dict[str, int]) -> None:
        self.state = state
        self.started: list[int] = []
        self.gate = asyncio.Event()
        self.began = asyncio.Event()

    async def __call__(self) -> int:
        self.started.append(self.state["value"])
        self.began.set()
        await asyncio.wait_for(self.gate.wait(), WAIT)
        return self.state["value"] if self.state["value"] >= 0 else 1 // 0


async def test_callers_asking_while_a_read_runs_share_the_next_one():
    reads, state = SharedReads[int](), {"value": 1}
    read = Gated(state)
    first = asyncio.create_task(reads.read("k", read))
    await asyncio.wait_for(read.began.wait(), WAIT)
    state["value"] = 2  # changed after the first read started, before the others asked
    later = [asyncio.create_task(reads.read("k", read)) for _ in range(5)]
    for _ in range(50):  # each asks in its first step: a few turns of the loop
        if reads.asked == 6:
            break
        await asyncio.sleep(0)
    assert read.started == [1] and reads.reads == 1  # nobody joined the running read
    read.gate.set()
    assert await asyncio.wait_for(first, WAIT) == 2
    assert await asyncio.wait_for(asyncio.gather(*later), WAIT) == [2] * 5
    assert read.started == [1, 2] and (reads.asked, reads.reads) == (6, 2)


async def test_other_keys_are_not_shared():
    reads, state = SharedReads[int](), {"value": 7}
    read = Gated(state)
    read.gate.set()
    assert await asyncio.gather(reads.read("a", read), reads.read("b", read)) == [7, 7]
    assert reads.reads == 2


async def test_a_caller_that_goes_leaves_the_read_to_the_others():
    reads, state = SharedReads[int](), {"value": 3}
    read = Gated(state)
    gone, stays = asyncio.create_task(reads.read("k", read)), asyncio.create_task(reads.read("k", read))
    await asyncio.wait_for(read.began.wait(), WAIT)
    gone.cancel()
    read.gate.set()
    assert await asyncio.wait_for(stays, WAIT) == 3
    with pytest.raises(asyncio.CancelledError):
        await gone


async def test_a_failed_read_fails_its_callers_and_the_next_one_is_made_afresh():
    reads, state = SharedReads[int](), {"value": -1}
    read = Gated(state)
    read.gate.set()
    with pytest.raises(ZeroDivisionError):
        await asyncio.wait_for(reads.read("k", read), WAIT)
    state["value"] = 4
    assert await asyncio.wait_for(reads.read("k", read), WAIT) == 4
