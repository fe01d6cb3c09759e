"""Two nodes sharing one store (the same SQLite file, or one PostgreSQL database): neither forks a session's log.

Each node holds the queues it has used in memory. When the other node has appended to a log since, an action taken
on the out-of-date copy is refused with ``conflict`` instead of being stored after the other node's events, and
the next try works from the stored log.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

from aiohttp.test_utils import TestServer

from server.settings import Settings
from server.storage import floor as floor_db
from server.storage import meetings as meetings_db
from server.web.app import create_app
from server.web.keys import db_key

from .conftest import DEMO, Running
from .test_questions import call, open_client, start


@contextlib.asynccontextmanager
async def node(settings: Settings) -> AsyncIterator[Running]:
    """One more server process's worth of state (its own queues, connections and store handle)."""
    settings = dataclasses.replace(settings)
    async with TestServer(create_app(settings), port=0) as srv:
        settings.port = srv.port
        yield Running(srv, settings)


async def chair(running: Running, event: str, **data: Any) -> dict[str, Any]:
    """One moderator action through a fresh connection to that node."""
    client = await open_client(running, "/moderate", session="morning", t=await running.token("moderator", "morning"))
    try:
        return await call(client, event, data, "/moderate")
    finally:
        await client.disconnect()


async def test_an_action_on_an_out_of_date_queue_is_refused_then_works_from_the_stored_log(settings, http):
    async with node(settings) as a, node(settings) as b:
        await start(a, http)
        assert (await chair(a, "floor_time_limit", seconds=60))["ok"]  # a holds the queue now
        assert (await chair(b, "floor_close"))["ok"]  # b reads the log, closes the list
        # a's copy still has the list open: closing it again would store a second close after b's.
        refused = await chair(a, "floor_close")
        assert refused["ok"] is False and refused["error"]["code"] == "conflict", refused
        # The next try reads the stored log: the list is closed already, nothing more is stored.
        again = await chair(a, "floor_close")
        assert again["ok"] is True
        assert (await chair(a, "floor_state"))["floor"]["open"] is False
        events = await floor_db.audit(a.app[db_key], 1, "morning")
        assert [e["name"] for e in events] == ["floor_time_limit_set", "floor_list_closed"]


async def test_nodes_starting_together_on_an_empty_store_load_the_demo_meeting_once(settings):
    async with contextlib.AsyncExitStack() as stack:
        a, b = await asyncio.gather(*(stack.enter_async_context(node(settings)) for _ in range(2)))
        meetings = await meetings_db.list_meetings(a.app[db_key])
        assert [m["slug"] for m in meetings] == [DEMO]
        assert await a.token("moderator", "morning") == await b.token("moderator", "morning")
