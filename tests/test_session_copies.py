"""A process lets go of the floor and questions of sessions that are over, and reads them again when asked.

A process serving a week of meetings must not hold every session it ever served: the copies of a session's stored
logs are let go once the session is not live and nobody used them for a minute (the clock is the one thing moved
here), and a page of that session that asks later gets them read again from the store, unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest

from server.web import copies
from server.web.sessions import session_watch_key

from .conftest import DEMO
from .test_metrics import scrape, value
from .test_questions import ALICE, call, register

FEATURES = ("floor", "questions")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The time the copies see (real until moved)."""
    now = {"shift": 0}
    real = copies.now_ms
    monkeypatch.setattr("server.web.copies.now_ms", lambda: real() + now["shift"])
    return now


async def held(server: Any, http: Any) -> dict[str, float]:
    samples = await scrape(server, http)
    return {feature: value(samples, "floorcast_session_copies", feature=feature) for feature in FEATURES}


async def fill(server: Any, connect: Any) -> tuple[Any, Any, int, str]:
    """A participant asks a question and the floor; the chair publishes the question. Returns what they see."""
    alice = await connect("/live", cookies=await register(server, ALICE), session="morning")
    chair = await connect("/moderate", t=await server.token("moderator", "morning"), session="morning")
    asked = await call(alice, "question_submit", {"text": "Who pays for the hubs?"})
    assert asked["ok"], asked
    assert (await call(chair, "question_publish", {"id": asked["id"]}, "/moderate"))["ok"]
    requested = await call(alice, "floor_request", {})
    assert requested["ok"], requested
    return alice, chair, asked["id"], requested["request_id"]


async def end(server: Any, http: Any) -> None:
    moderator = await server.token("moderator", "morning")
    async with http.post(server.url(f"/api/meetings/{DEMO}/sessions/morning/end?t={moderator}"),
                         data={"confirm": "1"}) as r:
        assert r.status == 200, await r.text()


async def test_an_ended_sessions_floor_and_questions_are_let_go_when_idle_and_read_again(
        server, http, live, connect, clock):
    alice, _chair, question, request = await fill(server, connect)
    watch = server.app[session_watch_key]
    assert await held(server, http) == {"floor": 1, "questions": 1}

    clock["shift"] = copies.IDLE_MS + 1_000  # live: kept however long it is idle
    assert watch.release_idle() == 0
    clock["shift"] = 0
    await end(server, http)
    assert watch.release_idle() == 0  # ended, but used a moment ago
    clock["shift"] = copies.IDLE_MS + 1_000
    assert watch.release_idle() == 2
    assert await held(server, http) == {"floor": 0, "questions": 0}

    # Read again from the store on the next use: the same question and the same request.
    listing = await call(alice, "questions_list", {})
    assert [q["id"] for q in listing["questions"]] == [question]
    floor = await call(alice, "floor_state", {})
    assert [row["id"] for row in floor["floor"]["queue"]] == [request]
    assert await held(server, http) == {"floor": 1, "questions": 1}


async def test_the_once_a_second_look_lets_idle_copies_go(server, http, live, connect, clock):
    await fill(server, connect)
    await end(server, http)
    await server.app[session_watch_key].tick()
    assert await held(server, http) == {"floor": 1, "questions": 1}  # used a moment ago
    clock["shift"] = copies.IDLE_MS + 1_000
    await server.app[session_watch_key].tick()
    assert await held(server, http) == {"floor": 0, "questions": 0}
