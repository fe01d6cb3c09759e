"""A CSTD-style consultation replayed through the public interfaces, built from a data table: governments with
several delegates, presenters (one of whom speaks again in the debate), a person who speaks twice, remote
participants, a hub of twelve with one registration, two no-shows and reconnects. The expected figures and every
sentence of the summary draft are computed from the table by plain counting below, never written out by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
import zipfile
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from .conftest import DEMO, WAIT

S = "morning"
ROOM, THEMES, TZ = "Main hall", ["Mapping enhanced cooperation", "Priorities"], "Asia/Baku"
MEETING_TITLE, VENUE = ("Enhanced Cooperation in Internet Governance: From Deadlock to Dialogue",
                        "Baku Expo Exhibition and Convention Center")
TITLE = "Mapping enhanced cooperation and priorities"
LABELS = {"government": "Governments", "igo": "Intergovernmental organisations", "private": "Private sector",
          "civil": "Civil society", "technical": "Technical community", "academic": "Academic community"}


@dataclasses.dataclass(frozen=True)
class Person:
    key: str
    name: str
    organisation: str
    country: str
    group: str
    mode: str  # onsite, remote, or hub (registered with the hub's link)
    listed: bool
    pages: int  # connections to the session: 0 is a no-show; more than one: other tabs and a reconnect


# The consultation, one row per registered person.
PEOPLE = [
    Person("ke1", "Grace Wanjiru", "Ministry of ICT", "KE", "government", "onsite", True, 1),
    Person("ke2", "John Otieno", "Ministry of ICT", "KE", "government", "onsite", True, 3),
    Person("ke3", "Mary Achieng", "Communications Authority", "KE", "government", "remote", True, 2),
    Person("br1", "Benedicto Fonseca", "Ministry of External Relations", "BR", "government", "onsite", True, 1),
    Person("br2", "Ana Souza", "Anatel", "BR", "government", "onsite", True, 2),
    Person("ch1", "Thomas Schneider", "OFCOM", "CH", "government", "onsite", True, 1),
    Person("us1", "Daniel Sepulveda", "Department of State", "US", "government", "remote", True, 0),
    Person("itu", "Preetam Maloor", "ITU", "CH", "igo", "onsite", True, 1),
    Person("unctad", "Anne Miroux", "UNCTAD", "CH", "igo", "onsite", True, 1),
    Person("apc", "Anriette Esterhuysen", "APC", "ZA", "civil", "remote", True, 4),
    Person("itfc", "Parminder Singh", "IT for Change", "IN", "civil", "remote", False, 1),
    Person("icc", "Elizabeth Thomas-Raynaud", "ICC BASIS", "FR", "private", "onsite", True, 1),
    Person("isoc", "Markus Kummer", "Internet Society", "CH", "technical", "onsite", True, 0),
    Person("fgv", "Marilia Maciel", "FGV", "BR", "academic", "remote", True, 2),
    Person("hub1", "Wanjiku Mwangi", "KICTANet", "KE", "civil", "hub", True, 1),
]
HUB = {"name": "Nairobi hub", "city": "Nairobi", "country": "KE", "host_organisation": "KICTANet",
       "group": "civil", "expected_headcount": 12}
#: Who takes the floor, in order; "hub" is the Nairobi hub speaking as itself. Grace Wanjiru speaks twice.
SPEAKERS = ["ke1", "apc", "br1", "itu", "ke1", "hub", "fgv"]
#: Who presents, in order, before the debate; Anriette Esterhuysen speaks again in the debate.
PRESENTERS = ["unctad", "apc"]

BY_KEY = {p.key: p for p in PEOPLE}
HUB_PERSON = Person("hub", HUB["name"], HUB["host_organisation"], HUB["country"], HUB["group"], "hub", False, 1)


# --- what the figures must be, by plain counting over the table ---------------------------------------------------

def unit(p: Person) -> object:
    """Governments count as countries, everyone else as persons."""
    return ("country", p.country) if p.group == "government" else ("person", p.key)


def expected_figures() -> dict[str, Any]:
    came = [p for p in PEOPLE if p.pages]
    speakers = [HUB_PERSON if k == "hub" else BY_KEY[k] for k in SPEAKERS]
    hub_members = [p for p in PEOPLE if p.mode == "hub"]
    groups = {g: {"registered": len({unit(p) for p in PEOPLE if p.group == g}),
                  "count": len({unit(p) for p in came if p.group == g}),
                  "persons": sum(p.group == g for p in came)} for g in LABELS}
    countries = sorted({p.country for p in PEOPLE})
    return {
        "registered": len(PEOPLE), "persons": len(came),
        "governments": len({p.country for p in came if p.group == "government"}),
        "others": sum(p.group != "government" for p in came),
        "by_mode": {m: sum(p.mode == m for p in came) for m in ("onsite", "remote", "hub")},
        "by_group": groups,
        "by_country": {c: (sum(p.country == c for p in PEOPLE), sum(p.country == c for p in came))
                       for c in countries},
        "hubs": [(HUB["name"], HUB["city"], HUB["country"], len(hub_members),
                  max(HUB["expected_headcount"], len(hub_members)))],
        "annex": sorted(p.name for p in came if p.listed),
        "contributions": {
            "interventions": len(speakers),
            "governments": len({p.country for p in speakers if p.group == "government"}),
            "others": len({p.key for p in speakers if p.group != "government"}),
            "by_country": dict(sorted(Counter(p.country for p in speakers).items()))},
    }


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


SMALL = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def expected_presentation_sentences() -> list[str]:
    n = len(PRESENTERS)
    if n == 0:
        return ["There were no presentations."]
    if n == 1:
        p = BY_KEY[PRESENTERS[0]]
        return [f"There was one presentation, by {p.name}, {p.organisation}."]
    return [f"The session began with {SMALL[n] if n < len(SMALL) else n} presentations. The presenters were:"]


def expected_presenter_items() -> list[str]:
    if len(PRESENTERS) < 2:
        return []
    items = [f"- {BY_KEY[k].name}, {BY_KEY[k].organisation} ({BY_KEY[k].country})" for k in PRESENTERS]
    return [item + ";" for item in items[:-1]] + [items[-1] + "."]


def expected_sentences(started_ms: int, ended_ms: int) -> list[str]:
    f = expected_figures()
    c = f["contributions"]
    start, end = (dt.datetime.fromtimestamp(ms / 1000, tz=ZoneInfo(TZ)) for ms in (started_ms, ended_ms))
    [(_name, city, country, registered, people)] = f["hubs"]
    sentences = [
        f"{MEETING_TITLE}, {VENUE}",
        f"The session was held in {ROOM} on {start.day} {start:%B} {start.year}, {start:%H:%M}-{end:%H:%M} ({TZ}).",
        f"It was attended by {plural(f['governments'], 'government')} and "
        f"{plural(f['others'], 'other participant')}, who are listed in an Annex.",
        f"Of the {plural(f['registered'], 'registered participant')}, {f['persons']} attended: "
        f"{f['by_mode']['onsite']} in the room, {f['by_mode']['remote']} remotely and {f['by_mode']['hub']} through "
        "remote hubs.",
        f"1 remote hub took part, in {city} ({country}), gathering {plural(people, 'person', 'people')} "
        f"({registered} registered through the hub).",
        f"The session addressed {THEMES[0]} and {THEMES[1]}.",
        *expected_presentation_sentences(),
        f"Contributions to the debate were made by {plural(c['governments'], 'government')} and by "
        f"{plural(c['others'], 'participant')} from other stakeholder communities.",
        "The speakers, in order, were:",
        "No questions were submitted.",
        "Every request for the floor was served.",
    ]
    return sentences


def expected_speaker_lines() -> list[str]:
    lines = []
    turns = [(k, " (presentation)") for k in PRESENTERS] + [(k, "") for k in SPEAKERS]
    for n, (key, kind) in enumerate(turns, start=1):
        p = HUB_PERSON if key == "hub" else BY_KEY[key]
        side = {"onsite": "", "remote": ", remote", "hub": ", remote hub"}[p.mode]
        lines.append(f"{n}. {p.name}, {p.organisation} ({p.country}), {LABELS[p.group]}{side}{kind}")
    return lines


# --- the replay, through HTTP and Socket.IO only ------------------------------------------------------------------

async def post_json(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> dict[str, Any]:
    async with http.post(url, json=body) as r:
        assert r.status in (200, 201), await r.text()
        return await r.json()


async def test_the_replayed_consultation_gives_the_secretariats_figures(server, http, connect, inbox):
    admin, join = await server.token("admin"), await server.token("participant")
    hub = (await post_json(http, server.url(f"/api/meetings/{DEMO}/hubs?t={admin}"), HUB))["hub"]
    hub_token = hub["link"].split("t=")[1]

    cookies: dict[str, dict[str, str]] = {}
    for p in PEOPLE:
        token = hub_token if p.mode == "hub" else join
        body = {"name": p.name, "organisation": p.organisation, "country": p.country, "group": p.group,
                "mode": p.mode, "listed": p.listed}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as own, \
                own.post(server.url(f"/api/meetings/{DEMO}/participants?t={token}"), json=body) as r:
            assert r.status == 201, await r.text()
            cookies[p.key] = {f"fc_p_{DEMO}": r.cookies[f"fc_p_{DEMO}"].value}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     timeout=aiohttp.ClientTimeout(total=WAIT)) as screen:
        async with screen.post(server.url(f"/m/{DEMO}/hub/enter"), data={"t": hub_token}) as r:
            assert r.status == 200
        cookies["hub"] = {f"fc_p_{DEMO}": next(c.value for c in screen.cookie_jar if c.key == f"fc_p_{DEMO}")}

    moderator = await server.token("moderator", S)
    chair = await connect("/moderate", session=S, t=moderator)
    arrivals = inbox(chair, "/moderate", "attendance_changed")
    await post_json(http, server.url(f"/api/meetings/{DEMO}/sessions/{S}/start?t={moderator}"), {})

    # Everyone who came opens the session; some in several tabs, and one of their tabs drops and reconnects.
    pages: dict[str, list[Any]] = {}
    expected_changes = 0
    for p in [*PEOPLE, HUB_PERSON]:
        pages[p.key] = [await connect("/live", session=S, cookies=cookies[p.key]) for _ in range(p.pages)]
        expected_changes += p.pages
        if p.pages > 1:
            await pages[p.key].pop().disconnect()
            pages[p.key].append(await connect("/live", session=S, cookies=cookies[p.key]))
            expected_changes += 2
    await arrivals.wait_count("attendance_changed", expected_changes)

    captioner = await server.token("captioner", S)
    seq = 0

    async def caption(text: str) -> None:
        nonlocal seq
        seq += 1
        async with http.post(server.url(f"/m/{DEMO}/s/{S}/ingest/zoom?t={captioner}&seq={seq}"),
                             data=f"{text}\n".encode()) as r:
            assert r.status == 200, await r.text()

    async def chair_does(event: str, **data: Any) -> dict[str, Any]:
        reply = await chair.call(event, data, namespace="/moderate", timeout=WAIT)
        assert reply["ok"], reply
        return reply

    await chair_does("floor_part", part="presentations")
    candidates = {c["name"]: c["participant_id"] for c in (await chair_does("floor_state"))["candidates"]}
    for key in PRESENTERS:
        await chair_does("floor_present", participant_id=candidates[BY_KEY[key].name])
        await caption(f"Presentation by {BY_KEY[key].name}.")
        await chair_does("floor_end")
    await chair_does("floor_part", part="debate")
    for key in SPEAKERS:
        asked = await pages[key][0].call("floor_request", {}, namespace="/live", timeout=WAIT)
        assert asked["ok"], asked
        await chair_does("floor_call_next")
        await caption(f"Thank you, Chair. This is {BY_KEY[key].name if key in BY_KEY else HUB['name']} speaking.")
        await chair_does("floor_end")
    await post_json(http, server.url(f"/api/meetings/{DEMO}/sessions/{S}/end?t={moderator}"), {})

    rapporteur = await server.token("rapporteur", S)
    async with http.get(server.url(f"/m/{DEMO}/s/{S}/pack.zip?t={rapporteur}")) as r:
        assert r.status == 200
        with zipfile.ZipFile(io.BytesIO(await r.read())) as z:
            export = json.loads(z.read("transcript.json"))
            figures = json.loads(z.read("figures.json"))
            summary = z.read("summary.md").decode()

    want = expected_figures()
    # One attendance record per person who came, and one for the hub itself, however many tabs and reconnects.
    rows = export["attendance"]
    assert sorted(a["name"] for a in rows) == sorted([p.name for p in PEOPLE if p.pages] + [HUB["name"]])
    assert all(a["leave_ms"] is not None and a["attended_ms"] <= export["session"]["ended_ms"] -
               export["session"]["started_ms"] for a in rows)

    a = figures["attendance"]
    assert (a["registered"], a["persons"], a["governments"], a["others"]) == (
        want["registered"], want["persons"], want["governments"], want["others"])
    assert a["by_mode"] == want["by_mode"]
    assert {g["group"]: {k: g[k] for k in ("registered", "count", "persons")} for g in a["by_group"]} == \
        want["by_group"]
    assert {r["country"]: (r["registered"], r["attended"]) for r in a["by_country"]} == want["by_country"]
    assert [(h["name"], h["city"], h["country"], h["registered"], h["people"]) for h in a["hubs"]] == want["hubs"]
    assert sorted(r["name"] for r in figures["annex"]) == want["annex"]
    c = figures["contributions"]
    assert (c["interventions"], c["governments"], c["others"]) == tuple(
        want["contributions"][k] for k in ("interventions", "governments", "others"))
    assert {r["country"]: r["interventions"] for r in c["by_country"]} == want["contributions"]["by_country"]
    assert figures["parts"]["presentations"]["interventions"] == len(PRESENTERS)
    assert [p["name"] for p in figures["presenters"]] == [BY_KEY[k].name for k in PRESENTERS]

    # Every sentence of the draft's prose is one the table predicts, and each predicted sentence is there.
    prose = [line for line in summary.splitlines()
             if line and not line.startswith(("#", "|", "- ")) and not re.match(r"\d+\. ", line)]
    assert prose == expected_sentences(export["session"]["started_ms"], export["session"]["ended_ms"])
    assert [line for line in summary.splitlines() if re.match(r"\d+\. ", line)] == expected_speaker_lines()
    assert [line for line in summary.splitlines() if line.startswith("- ")] == expected_presenter_items()
