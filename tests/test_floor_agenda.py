"""The agenda's parts, presentations and interposed questions over real sockets: the chair moves the session through
its parts and calls presenters, a participant puts a question to the speaker, every page hears of it, refusals are
coded ACKs, and the records and the audit log keep it all."""

from __future__ import annotations

import pytest

from .test_floor_socket import Floor
from .test_questions import call, code, start


@pytest.fixture
async def room(server, http, connect, inbox) -> Floor:
    """A live session with the chair, four registered participants and a viewer."""
    return await Floor().open(server, http, connect, inbox)


async def participant_id(floor: Floor, who: str) -> int:
    """A participant's id, from the chair's list of people who may present."""
    candidates = (await floor.chair("floor_state"))["candidates"]
    return next(c["participant_id"] for c in candidates if c["name"] == who)


async def test_chair_moves_through_parts_and_calls_a_presenter(room):
    reply = await room.chair("floor_part", part="presentations")
    assert reply["events"] == ["floor_part_changed"]
    view = await room.seen(reply["seq"])
    assert view["part"] == "presentations"
    changed = await room.alice_in.wait_for(lambda n, d: n == "floor_changed" and d["seq"] == reply["seq"])
    assert changed["floor"]["part"] == "presentations"  # pushed live to the participants' pages too

    candidates = (await room.chair("floor_state"))["candidates"]
    assert {"Alice Remote", "Bob Onsite", "Hub Nairobi", "Amb. Zhang"} <= {c["name"] for c in candidates}
    alice = await participant_id(room, "Alice Remote")
    presented = await room.chair("floor_present", participant_id=alice)
    assert presented["events"] == ["floor_requested", "floor_granted"]
    view = await room.seen(presented["seq"])
    assert (view["current"]["name"], view["current"]["kind"], view["current"]["part"]) == (
        "Alice Remote", "presentation", "presentations")
    assert "participant_id" not in view["current"]
    # Someone from the room presents too; the first presentation ends.
    second = await room.chair("floor_present", name="Panellist From The Room", group="academic")
    assert second["events"] == ["floor_requested", "intervention_ended", "floor_granted"]
    await room.chair("floor_part", part="debate")
    await room.ask("bob")
    await room.chair("floor_call_next")
    records = (await room.chair("floor_state"))["floor"]["interventions"]
    assert [(i["name"], i["kind"], i["part"]) for i in records] == [
        ("Alice Remote", "presentation", "presentations"), ("Panellist From The Room", "presentation", "presentations"),
        ("Bob Onsite", "normal", "debate")]


async def test_presentation_and_part_refusals(room):
    assert code(await call(room.mod, "floor_part", {"part": "lunch"}, "/moderate")) == "invalid_format"
    assert code(await call(room.mod, "floor_part", {}, "/moderate")) == "part_required"
    assert code(await call(room.mod, "floor_present", {"participant_id": 99999}, "/moderate")) == "not_found"
    assert code(await call(room.mod, "floor_present", {"participant_id": "x"}, "/moderate")) == "invalid_format"
    # A participant cannot present themself, nor change the part.
    assert code(await call(room.alice, "floor_request", {"kind": "presentation"})) == "not_allowed"
    assert code(await call(room.alice, "floor_part", {"part": "debate"})) == "not_allowed"
    assert code(await call(room.alice, "floor_present", {})) == "not_allowed"
    assert (await call(room.alice, "floor_state", {}))["ok"]  # the server keeps serving


async def test_interposed_question_is_put_answered_and_the_list_continues(room):
    await room.chair("floor_part", part="debate")
    bob = await room.ask("bob")
    hub = await room.ask("hub")
    await room.chair("floor_call_next")  # Bob has the floor
    asked = await call(room.alice, "floor_interpose", {"language": "en"})
    assert asked["ok"], asked
    view = await room.seen(asked["seq"])
    assert [(r["id"], r["kind"], r["tier"]) for r in view["queue"]] == [
        (asked["request_id"], "interposed_question", "interposed"), (hub, "normal", "main")]
    mine = await room.alice_in.wait_for(lambda n, d: n == "floor_mine" and asked["request_id"] in d["requests"])
    assert mine["seq"] == asked["seq"]

    put = await room.chair("floor_call_next")
    assert put["events"] == ["intervention_paused", "floor_granted"]
    view = await room.seen(put["seq"])
    assert (view["current"]["name"], view["current"]["kind"]) == ("Alice Remote", "interposed_question")
    assert view["paused"]["name"] == "Bob Onsite"

    answered = await room.chair("floor_call_next")  # not the list: Bob answers first
    assert answered["events"] == ["intervention_ended", "intervention_resumed"]
    view = await room.seen(answered["seq"])
    assert view["current"]["request_id"] == bob and view["paused"] is None
    assert [r["id"] for r in view["queue"]] == [hub]

    goes_on = await room.chair("floor_call_next")
    view = await room.seen(goes_on["seq"])
    assert view["current"]["request_id"] == hub
    audit = await room.chair("floor_audit")
    assert [e["name"] for e in audit["entries"]][-6:] == [
        "intervention_paused", "floor_granted", "intervention_ended", "intervention_resumed", "intervention_ended",
        "floor_granted"]


async def test_interposed_question_refusals(server, http, connect, inbox):
    floor = await Floor().open(server, http, connect, inbox, live=False)
    assert code(await call(floor.alice, "floor_interpose", {})) == "session_not_live"
    await start(server, http)
    assert code(await call(floor.alice, "floor_interpose", {})) == "floor_free"
    assert code(await call(floor.viewer, "floor_interpose", {})) == "not_registered"
    await floor.ask("alice")
    await floor.chair("floor_call_next")
    assert code(await call(floor.alice, "floor_interpose", {})) == "own_speech"
    assert (await call(floor.bob, "floor_interpose", {}))["ok"]
    assert code(await call(floor.bob, "floor_interpose", {})) == "already_queued"
    assert code(await call(floor.bob, "floor_interpose", [])) == "invalid_format"
    # The chair may put one for someone in the room, and the question lapses when the speaker finishes.
    added = await floor.chair("floor_interpose", name="Voice From The Floor", group="civil")
    assert added["events"] == ["floor_requested"]
    ended = await floor.chair("floor_end")
    assert ended["events"] == ["intervention_ended", "floor_withdrawn", "floor_withdrawn"]
    unserved = [r for r in (await floor.chair("floor_state"))["floor"]["queue"]]
    assert unserved == []
