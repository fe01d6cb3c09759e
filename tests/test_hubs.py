"""Remote hubs over real HTTP and Socket.IO: registered once by the admin, a link of their own, people registered
at the hub, the hub taking the floor as itself, and the old per-person hub path creating no hub."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from .conftest import DEMO, WAIT
from .test_attendance import attendance, pack, register

NAIROBI = {"name": "Nairobi hub", "city": "Nairobi", "country": "KE", "host_organisation": "KICTANet",
           "group": "civil", "expected_headcount": 12}
WANJIKU = {"name": "Wanjiku Mwangi", "organisation": "KICTANet", "country": "KE", "group": "civil", "mode": "remote",
           "listed": True}


async def add_hub(server: Any, http: aiohttp.ClientSession, body: dict[str, Any]) -> dict[str, Any]:
    async with http.post(server.url(f"/api/meetings/{DEMO}/hubs?t={await server.token('admin')}"), json=body) as r:
        assert r.status == 201, await r.text()
        return (await r.json())["hub"]


def token_of(link: str) -> str:
    return link.split("t=")[1]


async def test_the_admin_registers_a_hub_once_and_it_gets_its_own_link(server, http):
    hub = await add_hub(server, http, NAIROBI)
    assert {k: hub[k] for k in NAIROBI} == NAIROBI
    assert (hub["registered"], hub["people"]) == (0, 12) and f"/m/{DEMO}/hub?t=" in hub["link"]
    admin = await server.token("admin")
    async with http.post(server.url(f"/api/meetings/{DEMO}/hubs?t={admin}"), json={**NAIROBI, "city": "Kisumu"}) as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == "hub_exists"
    async with http.post(server.url(f"/api/meetings/{DEMO}/hubs?t={admin}"),
                         json={**NAIROBI, "name": "Other", "expected_headcount": 0}) as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == "invalid_headcount"
    async with http.post(server.url(f"/api/meetings/{DEMO}/hubs?t={await server.token('participant')}"),
                         json=NAIROBI) as r:
        assert r.status == 403
    async with http.get(server.url(f"/api/meetings/{DEMO}/hubs?t={admin}")) as r:
        assert [h["name"] for h in (await r.json())["hubs"]] == ["Nairobi hub"]
    async with http.get(server.url(f"/api/meetings/{DEMO}/links?t={admin}")) as r:
        rows = [row for row in (await r.json())["links"] if row["role"] == "hub"]
    assert [(row["scope"], row["label"], row["url"]) for row in rows] == [("Nairobi hub", "Remote hub", hub["link"])]
    async with http.get(server.url(f"/m/{DEMO}/hub?t={token_of(hub['link'])}")) as r:
        assert r.status == 200 and "Nairobi hub" in await r.text()
    async with http.get(server.url(f"/m/{DEMO}/hub?t={await server.token('participant')}")) as r:
        assert r.status == 403


async def test_people_join_through_the_hubs_link_and_the_old_path_creates_no_hub(server, http):
    hub = await add_hub(server, http, NAIROBI)
    token = token_of(hub["link"])
    async with http.post(server.url(f"/api/meetings/{DEMO}/participants?t={token}"), json=WANJIKU) as r:
        assert r.status == 201
        person = (await r.json())["participant"]
    assert (person["mode"], person["hub_id"]) == ("hub", hub["id"])
    # The general join link: "through a hub" must now name one of the meeting's hubs...
    participant = await server.token("participant")
    old = {**WANJIKU, "mode": "hub", "hub_city": "Nairobi", "hub_country": "KE", "hub_headcount": 12}
    async with http.post(server.url(f"/api/meetings/{DEMO}/participants?t={participant}"), json=old) as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == "invalid_hub"
    for i in range(3):
        await register(server, {**old, "name": f"Delegate {i}", "hub": hub["id"]})
    # ...and however many people come through it, it stays one hub.
    async with http.get(server.url(f"/api/meetings/{DEMO}/hubs?t={await server.token('admin')}")) as r:
        hubs = (await r.json())["hubs"]
    assert [(h["name"], h["registered"], h["people"]) for h in hubs] == [("Nairobi hub", 4, 12)]


async def test_before_any_hub_the_old_hub_fields_create_nothing(server, http):
    """The old form described the hub on each person: 23 people made "23 hubs"; now they make none."""
    for i in range(23):
        await register(server, {**WANJIKU, "name": f"Delegate {i}", "mode": "hub", "hub_city": "Nairobi",
                                "hub_country": "KE", "hub_headcount": 12})
    async with http.get(server.url(f"/api/meetings/{DEMO}/hubs?t={await server.token('admin')}")) as r:
        assert (await r.json())["hubs"] == []


async def test_the_hub_takes_the_floor_as_itself(server, http, connect, inbox, live):
    hub = await add_hub(server, http, NAIROBI)
    token = token_of(hub["link"])
    await register(server, WANJIKU, token)
    # The hub's screen: opening the hub's link and choosing to take part as the hub gives the browser its identity.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     timeout=aiohttp.ClientTimeout(total=WAIT)) as screen:
        async with screen.post(server.url(f"/m/{DEMO}/hub/enter"), data={"t": token}) as r:
            assert r.status == 200 and 'Welcome, <span dir="auto">Nairobi hub' in await r.text()
        cookie = next(c.value for c in screen.cookie_jar if c.key == f"fc_p_{DEMO}")
    moderator = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"))
    box = inbox(moderator, "/moderate", "floor_changed", "attendance_changed")
    as_hub = await connect("/live", session="morning", cookies={f"fc_p_{DEMO}": cookie})
    joined = await box.wait_for(lambda n, d: n == "attendance_changed")
    assert joined["participant"]["name"] == "Nairobi hub"
    asked = await as_hub.call("floor_request", {}, namespace="/live", timeout=WAIT)
    assert asked["ok"], asked
    view = (await moderator.call("floor_state", {}, namespace="/moderate", timeout=WAIT))["floor"]
    [row] = view["queue"]
    assert (row["name"], row["organisation"], row["country"], row["mode"]) == ("Nairobi hub", "KICTANet", "KE", "hub")
    rows = await attendance(server, http, "morning")
    assert [(a["name"], a["kind"], a["hub_id"]) for a in rows] == [("Nairobi hub", "hub", hub["id"])]
    figures = json.loads((await pack(server, http, "morning"))["figures.json"])["attendance"]
    assert figures["persons"] == 0 and figures["registered"] == 1  # the hub is not a person; Wanjiku did not come
    assert [(h["name"], h["country"], h["registered"], h["people"]) for h in figures["hubs"]] == [
        ("Nairobi hub", "KE", 1, 12)]
    assert figures["hubs_by_country"] == [{"country": "KE", "hubs": 1, "people": 12}]
