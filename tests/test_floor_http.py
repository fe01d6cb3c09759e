"""The floor over HTTP: public state and queue page, stats and records for rapporteurs, the audit log, and a
restart that rebuilds every queue identically from the stored events."""

from __future__ import annotations

import itertools
from typing import Any

from server.web.app import create_app
from server.web.floor.service import floor_key
from server.web.keys import registry_key

from .conftest import CHAIR, DEMO, Running, ServingTestServer
from .test_floor_socket import Floor
from .test_questions import call, open_client

BASE = f"/api/meetings/{DEMO}/sessions/morning/floor"


async def get(http: Any, server: Any, path: str) -> tuple[int, Any]:
    async with http.get(server.url(path), headers={"Accept": "application/json"}) as r:
        return r.status, await r.json()


async def busy_session(room: Floor) -> dict[str, str]:
    """Three interventions (remote, onsite, hub), one withdrawn and one waiting request."""
    ids = {who: await room.ask(who) for who in ("alice", "bob", "hub")}
    await room.chair("floor_call_next")
    await room.chair("floor_time_limit", seconds=60)
    for _ in range(2):
        await room.chair("floor_call_next")
    await room.chair("floor_end")
    ids["gov"] = await room.ask("gov", kind="on_behalf", on_behalf_of="G77 and China")
    assert (await call(room.gov, "floor_withdraw", {"request_id": ids["gov"]}))["ok"]
    ids["room"] = (await room.chair("floor_add", name="Delegate of Brazil", group="government",
                                    country="BR"))["request_id"]
    await room.chair("floor_move", request_id=ids["room"], position=1, reason="only one waiting")
    return ids


async def test_stats_and_records_for_rapporteurs(server, http, connect, inbox):
    room = await Floor().open(server, http, connect, inbox)
    ids = await busy_session(room)
    rapporteur = await server.token("rapporteur", "morning")
    status, stats = await get(http, server, f"{BASE}/stats?t={rapporteur}")
    assert status == 200
    assert stats["interventions"] == 3 and stats["unserved"] == 2
    assert stats["unserved_by_status"] == {"withdrawn": 1, "queued": 1}
    assert {m: stats["by_mode"][m]["interventions"] for m in ("onsite", "remote", "hub")} == {
        "onsite": 1, "remote": 1, "hub": 1}
    assert stats["by_group"]["civil"]["interventions"] == 2 and stats["by_group"]["civil"]["label"] == "Civil society"
    assert stats["by_group"]["technical"]["interventions"] == 1
    assert stats["by_group"]["government"]["interventions"] == 0
    assert stats["floor_ms"] >= 0 and stats["average_wait_ms"] >= 0

    status, records = await get(http, server, f"{BASE}/records?t={await server.token('moderator', 'morning')}")
    assert status == 200
    spoken = records["interventions"]
    assert [(i["id"], i["name"], i["mode"], i["kind"]) for i in spoken] == [
        ("i1", "Alice Remote", "remote", "normal"), ("i2", "Bob Onsite", "onsite", "normal"),
        ("i3", "Hub Nairobi", "hub", "normal")]
    for earlier, later in itertools.pairwise(spoken):
        assert earlier["end_ms"] == later["start_ms"]  # calling the next ends the running one, at the same moment
    assert all(i["end_ms"] is not None and i["start_ms"] >= i["requested_ms"] for i in spoken)
    assert spoken[0]["limit_s"] is None and spoken[1]["limit_s"] == 60  # the limit applies from the next call
    unserved = {r["id"]: r for r in records["unserved"]}
    assert unserved[ids["gov"]]["on_behalf_of"] == "G77 and China" and unserved[ids["gov"]]["status"] == "withdrawn"
    assert unserved[ids["room"]]["participant_id"] is None and unserved[ids["room"]]["moves"][0]["reason"] == (
        "only one waiting")

    status, audit = await get(http, server, f"{BASE}/audit?t={rapporteur}")
    names = [e["name"] for e in audit["entries"]]
    assert names.count("floor_granted") == 3 and "floor_request_moved" in names and "floor_withdrawn" in names
    who = {e["name"]: e["actor"]["label"] for e in audit["entries"]}
    assert who["floor_withdrawn"] == "Amb. Zhang" and who["floor_request_moved"] == f"moderator@morning ({CHAIR})"

    for path in (f"{BASE}/stats", f"{BASE}/records", f"{BASE}/audit",
                 f"{BASE}/stats?t={await server.token('captioner', 'morning')}",
                 f"/api/meetings/{DEMO}/sessions/afternoon/floor/stats?t={rapporteur}"):
        status, body = await get(http, server, path)
        assert status == 403 and body["error"]["code"] == "forbidden", path


async def test_public_state_and_queue_page(server, http, connect, inbox):
    room = await Floor().open(server, http, connect, inbox)
    await busy_session(room)
    status, view = await get(http, server, BASE)
    assert status == 200 and view["current"] is None and view["policy"] == "fcfs"
    assert [row["name"] for row in view["queue"]] == ["Delegate of Brazil"]
    assert "participant_id" not in str(view)
    assert [s["name"] for s in view["spoken"]] == ["Alice Remote", "Bob Onsite", "Hub Nairobi"]
    async with http.get(server.url(f"/m/{DEMO}/s/morning/queue")) as r:
        html = await r.text()
    assert r.status == 200 and 'data-floor="view"' in html and "List of speakers" in html
    status, _body = await get(http, server, f"/api/meetings/{DEMO}/sessions/nowhere/floor")
    assert status == 404


async def test_restart_rebuilds_the_queue_from_stored_events(settings, http, inbox):
    async def snapshot(running: Running) -> dict[str, Any]:
        status, view = await get(http, running, BASE)  # loads the queue from storage on first use
        assert status == 200
        live = await running.app[registry_key].get(DEMO)
        floor = await running.app[floor_key].session(live, "morning")
        return {"queue": floor.queue.snapshot(), "seq": view["seq"],
                "order": [row["id"] for row in view["queue"]], "policy": view["policy"], "open": view["open"]}

    clients: list[Any] = []

    async def connect(namespace: str = "/live", *, cookies: dict[str, str] | None = None, **auth: Any) -> Any:
        client = await open_client(running, namespace, cookies, **auth)
        clients.append(client)
        return client

    async with ServingTestServer(create_app(settings), port=0) as srv:
        running = Running(srv, settings)
        room = await Floor().open(running, http, connect, inbox)
        try:
            await busy_session(room)
            await room.chair("floor_policy", policy="groups")
            await room.chair("floor_group_budget", group="civil", seconds=300)
            alice = await room.ask("alice", kind="point_of_order")
            await room.chair("floor_call", request_id=alice)
            assert (await call(room.alice, "floor_decline", {"request_id": alice}))["ok"]
            await room.chair("floor_close")
            before = await snapshot(running)
        finally:
            for client in clients:
                await client.disconnect()
    assert before["queue"]["log"] > 15 and before["order"][0] == alice and before["open"] is False

    async with ServingTestServer(create_app(settings), port=0) as srv:
        after = await snapshot(Running(srv, settings))
    assert after == before


async def test_openapi_describes_the_floor_endpoints(server, http):
    status, doc = await get(http, server, "/api/openapi.json")
    assert status == 200
    for path in ("", "/stats", "/records", "/audit"):
        assert "get" in doc["paths"]["/api/meetings/{slug}/sessions/{session_id}/floor" + path], path
    assert "/m/{slug}/s/{session_id}/queue" in doc["paths"]
