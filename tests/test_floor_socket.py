"""The floor queue over real sockets: participants of each mode, kinds, policies, the chair's actions, refusals,
captions attributed to the speaker, and questions handed to the floor."""

from __future__ import annotations

from typing import Any

import pytest

from server.storage import captions as captions_db
from server.web.keys import db_key

from .conftest import DEMO
from .test_questions import ALICE, BOB, HUB, call, code, refusal, register, start

FLOOR_EVENTS = ("floor_changed", "floor_mine")
GOV = {"name": "Amb. Zhang", "organisation": "Ministry of Industry", "country": "CN", "group": "government",
       "mode": "onsite"}


class Floor:
    """A live session: the chair, Alice (remote), Bob (onsite), a hub and an anonymous viewer, with inboxes."""

    async def open(self, server: Any, http: Any, connect: Any, inbox: Any, *, live: bool = True) -> Floor:
        if live:
            await start(server, http)
        self.mod = await connect("/moderate", session="morning", t=await server.token("moderator", "morning"))
        self.mod_in = inbox(self.mod, "/moderate", "floor_changed")
        self.cookies = {}
        for who, body in (("alice", ALICE), ("bob", BOB), ("hub", HUB), ("gov", GOV)):
            self.cookies[who] = await register(server, body)
            client = await connect("/live", session="morning", cookies=self.cookies[who])
            setattr(self, who, client)
            setattr(self, who + "_in", inbox(client, "/live", *FLOOR_EVENTS))
        self.viewer = await connect("/live", session="morning")
        self.viewer_in = inbox(self.viewer, "/live", *FLOOR_EVENTS)
        return self

    async def ask(self, who: str, **data: Any) -> str:
        reply = await call(getattr(self, who), "floor_request", data)
        assert reply["ok"], reply
        return reply["request_id"]

    async def chair(self, event: str, **data: Any) -> dict[str, Any]:
        reply = await call(self.mod, event, data, "/moderate")
        assert reply["ok"], reply
        return reply

    async def seen(self, seq: int) -> dict[str, Any]:
        """The public view the viewer received at ``seq`` (waits for it)."""
        got = await self.viewer_in.wait_for(lambda n, d: n == "floor_changed" and d["seq"] == seq)
        return got["floor"]

    async def state(self) -> dict[str, Any]:
        return (await self.chair("floor_state"))["floor"]


@pytest.fixture
async def room(server, http, connect, inbox) -> Floor:
    return await Floor().open(server, http, connect, inbox)


def order(view: dict[str, Any]) -> list[str]:
    return [row["id"] for row in view["queue"]]


async def test_participants_of_each_mode_ask_and_see_their_place(room):
    alice = await room.ask("alice", theme="Priorities", language="en")
    hub = await room.ask("hub", language="fr")
    bob = await room.ask("bob")
    view = await room.seen(3)
    assert order(view) == [alice, hub, bob]
    first = view["queue"][0]
    assert (first["name"], first["mode"], first["group_label"], first["country_name"], first["theme"],
            first["language"]) == ("Alice Remote", "remote", "Civil society", "South Africa", "Priorities", "en")
    assert all("participant_id" not in row for row in view["queue"])  # the public list names people, not ids
    assert [row["mode"] for row in view["queue"]] == ["remote", "hub", "onsite"]
    # Each participant learns which line is theirs, on every one of their connections.
    mine = await room.hub_in.wait_for(lambda n, d: n == "floor_mine")
    assert mine["requests"] == [hub]
    state = await call(room.bob, "floor_state", {})
    assert state["mine"] == [bob] and state["registered"] and state["me"]["group_label"] == "Technical community"
    assert state["floor"]["seq"] == 3 and state["floor"]["queue"][2]["position"] == 3
    # No wait can be estimated before anyone spoke or a limit is set; with a limit it is position × limit.
    assert view["queue"][0]["expected_wait_ms"] is None
    await room.chair("floor_time_limit", seconds=180)
    view = await room.seen(4)
    assert [row["expected_wait_ms"] for row in view["queue"]] == [180_000, 360_000, 540_000]
    assert code(await call(room.alice, "floor_request", {})) == "already_queued"
    assert code(await call(room.viewer, "floor_request", {})) == "not_registered"


async def test_policy_switch_reasons_call_timer_decline_move_withdraw(room):
    await room.chair("floor_time_limit", seconds=120)
    alice, hub, bob = (await room.ask("alice"), await room.ask("hub"), await room.ask("bob"))
    state = await room.state()
    assert order(state) == [alice, hub, bob] and state["policy"] == "fcfs"
    await room.chair("floor_policy", policy="alternate")
    state = await room.state()
    assert state["policy_label"] == "Alternate room and remote"
    assert order(state) == [alice, bob, hub]
    assert [row["reason"] for row in state["queue"]] == [
        "first speaker; in order of request", "alternates with the previous remote speaker",
        "alternates with the previous room speaker"]

    called = await room.chair("floor_call_next")
    assert called["events"] == ["floor_granted"] and called["intervention_id"] == "i1"
    view = await room.seen(called["seq"])
    card, timer = view["current"], view["current"]["timer"]
    assert (card["name"], card["organisation"], card["group_label"], card["country_name"], card["mode"]) == (
        "Alice Remote", "APC", "Civil society", "South Africa", "remote")
    assert timer["limit_s"] == 120 and timer["state"] == "running" and timer["start_ms"] <= view["now_ms"]
    assert 0 <= timer["elapsed_ms"] <= view["now_ms"] - timer["start_ms"] and timer["remaining_ms"] <= 120_000
    assert (view["warn_fraction"], view["warn_last_s"]) == (0.8, 30)
    assert order(view) == [bob, hub]

    # Bob is called and is not ready: he keeps his place once (behind the next in line), then leaves the list.
    called = await room.chair("floor_call_next")
    assert called["events"] == ["intervention_ended", "floor_granted"]
    assert code(await call(room.hub, "floor_decline", {"request_id": bob})) == "not_allowed"
    declined = await call(room.bob, "floor_decline", {"request_id": bob})
    assert declined["ok"] and declined["events"] == ["floor_declined"]
    state = await room.state()
    assert state["current"] is None and order(state) == [hub, bob]
    assert state["queue"][1]["reason"] == "declined for now; kept their place"

    # The chair moves Bob first, with a reason everyone can read.
    await room.chair("floor_move", request_id=bob, position=1, reason="host country delegation")
    view = await room.seen((await room.state())["seq"])
    assert order(view) == [bob, hub] and view["queue"][0]["reason"] == "moved by the moderator: host country delegation"
    await room.chair("floor_call", request_id=bob)
    assert (await call(room.bob, "floor_decline", {"request_id": bob}))["ok"]
    state = await room.state()
    assert order(state) == [hub]  # a second "not now" takes him off the list
    assert code(await call(room.bob, "floor_withdraw", {"request_id": bob})) == "not_queued"

    # The hub withdraws; its page hears it on floor_mine and the list empties.
    assert code(await call(room.alice, "floor_withdraw", {"request_id": hub})) == "not_allowed"
    withdrawn = await call(room.hub, "floor_withdraw", {"request_id": hub})
    assert withdrawn["ok"]
    await room.hub_in.wait_for(lambda n, d: n == "floor_mine" and d["seq"] == withdrawn["seq"])
    assert order(await room.seen(withdrawn["seq"])) == []
    assert code(await call(room.mod, "floor_call_next", {}, "/moderate")) == "queue_empty"


async def test_kinds_point_of_order_reply_on_behalf_and_room_additions(room):
    alice = await room.ask("alice")
    bob = await room.ask("bob")
    first = (await room.chair("floor_call_next"))["intervention_id"]
    gov = await room.ask("gov", kind="on_behalf", on_behalf_of="G77 and China")
    hub = await room.ask("hub", kind="point_of_order")
    state = await room.state()
    assert order(state)[0] == hub and state["queue"][0]["reason"] == "point of order: always taken first"
    assert state["queue"][0]["tier"] == "point_of_order"
    assert [r["on_behalf_of"] for r in state["queue"] if r["id"] == gov] == ["G77 and China"]
    # The chair adds a right of reply from the room to the intervention it answers, placed now (after the point
    # of order); keyboard-style defaults: onsite unless said otherwise.
    added = await room.chair("floor_add", name="Mr. Kummer", organisation="ISOC", group="technical", country="CH",
                             kind="right_of_reply", reply_to=first, placement="now")
    reply = added["request_id"]
    state = await room.state()
    assert order(state) == [hub, reply, bob, gov]
    row = state["queue"][1]
    assert (row["participant_id"], row["mode"], row["reply_to"], row["added_by"], row["country_name"]) == (
        None, "onsite", first, "moderator", "Switzerland")
    # A right of reply kept for the end goes last; the chair may bring it forward with a move.
    late = (await room.chair("floor_add", name="Ms. Doria", group="academic", kind="right_of_reply",
                             reply_to=first))["request_id"]
    state = await room.state()
    assert order(state)[-1] == late and state["queue"][-1]["tier"] == "end"
    assert code(await call(room.mod, "floor_add", {"name": "X", "group": "civil", "kind": "right_of_reply",
                                                   "reply_to": "i99"}, "/moderate")) == "not_found"
    assert code(await call(room.mod, "floor_add", {"name": "X", "group": "nope"}, "/moderate")) == "invalid_format"
    assert code(await call(room.mod, "floor_add", {"name": "", "group": "civil"}, "/moderate")) == "name_required"
    assert code(await call(room.mod, "floor_add", {"name": "X", "group": "civil", "country": "ZZ"},
                           "/moderate")) == "invalid_country"
    # Point of order first, whatever the policy.
    granted = await room.chair("floor_call_next")
    assert (await room.state())["current"]["kind"] == "point_of_order"
    assert granted["request_id"] == hub and alice not in order(await room.state())


async def test_close_and_reopen_the_list(room):
    await room.chair("floor_close")
    view = await room.seen(1)
    assert view["open"] is False
    assert code(await call(room.alice, "floor_request", {})) == "list_closed"
    # Points of order are still taken, and the chair can still add someone.
    assert (await call(room.bob, "floor_request", {"kind": "point_of_order"}))["ok"]
    assert (await call(room.mod, "floor_add", {"name": "Delegate of Brazil", "group": "government"},
                       "/moderate"))["ok"]
    assert (await room.chair("floor_close"))["events"] == []  # closing twice stores nothing
    await room.chair("floor_reopen")
    assert (await room.state())["open"] is True
    assert await room.ask("alice")


async def test_participants_cannot_run_the_list(room, server):
    alice = await room.ask("alice")
    await room.ask("bob")
    for event, data in (("floor_call_next", {}), ("floor_call", {"request_id": alice}),
                        ("floor_move", {"request_id": alice, "position": 2}), ("floor_close", {}),
                        ("floor_end", {}), ("floor_policy", {"policy": "groups"}), ("floor_audit", {})):
        assert code(await call(room.bob, event, data)) == "not_allowed", event
        assert code(await call(room.viewer, event, data)) == "not_allowed", event
    state = await room.state()
    assert state["current"] is None and order(state)[0] == alice and state["policy"] == "fcfs" and state["open"]
    # The /moderate namespace refuses a participant outright, and a moderator link of another session.
    assert await refusal(server, "/moderate", room.cookies["bob"], session="morning") == "forbidden"
    assert await refusal(server, "/moderate", session="morning",
                         t=await server.token("moderator", "afternoon")) == "forbidden"


async def test_requests_need_a_live_session(server, http, connect, inbox):
    room = await Floor().open(server, http, connect, inbox, live=False)
    assert code(await call(room.alice, "floor_request", {})) == "session_not_live"
    assert code(await call(room.mod, "floor_add", {"name": "X", "group": "civil"}, "/moderate")) == "session_not_live"
    # Settings may be prepared before the session starts.
    assert (await room.chair("floor_policy", policy="groups"))["events"] == ["floor_policy_changed"]
    await start(server, http)
    assert await room.ask("alice")


async def test_captions_carry_the_speaker_while_they_hold_the_floor(room, server, http):
    captioner = await server.token("captioner", "morning")

    async def caption(seq: int, text: str) -> None:
        url = server.url(f"/m/{DEMO}/s/morning/ingest/zoom?t={captioner}&seq={seq}&lang=en-US")
        async with http.post(url, data=text.encode(), headers={"Content-Type": "text/plain"}) as r:
            assert r.status == 200, await r.text()

    # Each post ends its line: a line is attributed to whoever holds the floor when the captioner finishes it.
    await caption(1, "Good morning, we open the session.\n")
    await room.ask("bob")
    granted = await room.chair("floor_call_next")
    await caption(2, "Thank you, Chair, for giving me the floor.\n")
    await room.chair("floor_end")
    await caption(3, "Thank you. Who is next?\n")
    rows = await captions_db.segments_after(server.app[db_key], 1, "morning", "en", 0)
    assert [(r["text"][:9], r["intervention_id"], r["speaker"]) for r in rows] == [
        ("Good morn", None, None), ("Thank you", granted["intervention_id"], "Bob Onsite"),
        ("Thank you", None, None)]


async def test_questions_handed_to_the_floor(room):
    asked = await call(room.alice, "question_submit", {"text": "How will hubs be heard?", "theme": "Priorities"})
    qid = asked["id"]
    await room.chair("question_publish", id=qid)
    reply = await room.chair("question_hand_to_floor", id=qid, how="author_speaks")
    request = reply["floor_ref"]
    state = await room.state()
    row = next(r for r in state["queue"] if r["id"] == request)
    assert (row["name"], row["participant_id"], row["question_id"], row["theme"], row["added_by"]) == (
        "Alice Remote", (await call(room.alice, "floor_state", {}))["me"]["participant_id"], qid, "Priorities",
        "moderator")
    await room.alice_in.wait_for(lambda n, d: n == "floor_mine" and d["requests"] == [request])
    # Alice speaks; when her intervention ends the question is answered by it.
    granted = await room.chair("floor_call", request_id=request)
    await room.chair("floor_end")
    answered = await room.mod.call("questions_list", {}, namespace="/moderate", timeout=5)
    question = next(q for q in answered["questions"] if q["id"] == qid)
    assert question["status"] == "answered" and granted["intervention_id"] in question["intervention_ids"]

    # Read aloud: the chair's reading is queued with the question and the reader; the author keeps their own place.
    other = (await call(room.bob, "question_submit", {"text": "And the private sector?"}))["id"]
    await room.chair("question_publish", id=other)
    mine = await room.ask("bob")
    reply = await room.chair("question_hand_to_floor", id=other, how="read_aloud", reader="Chair Markus")
    state = await room.state()
    row = next(r for r in state["queue"] if r["id"] == reply["floor_ref"])
    assert (row["name"], row["read_by"], row["question_id"], row["participant_id"]) == (
        "Bob Onsite", "Chair Markus", other, None)
    assert mine in order(state)
    await room.chair("floor_call", request_id=reply["floor_ref"])
    speaking = await room.state()
    assert speaking["current"]["read_by"] == "Chair Markus"
    # A hand-off the floor cannot take is stored all the same, and says why.
    await room.chair("floor_end")
    third = (await call(room.bob, "question_submit", {"text": "Once more?"}))["id"]
    await room.chair("question_publish", id=third)
    reply = await room.chair("question_hand_to_floor", id=third, how="author_speaks")
    assert reply["floor_error"]["code"] == "already_queued" and "floor_ref" not in reply
