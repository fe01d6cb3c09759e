"""Floor events in a real SQLite file: written, read back in order, replayed to the same queue, never rewritten."""

from __future__ import annotations

import pytest

from server.domain.errors import InvalidTransition
from server.domain.floor.queue import FloorQueue
from server.storage import floor as floor_db
from server.storage.interface import StorageConflict

LABELS = {"civil": "Civil society", "government": "Governments", "technical": "Technical community"}
ALICE = {"participant_id": 1, "name": "Alice <b>", "organisation": "APC", "country": "ZA", "group": "civil",
         "mode": "remote"}
BOB = {"participant_id": 2, "name": "Bob", "organisation": "", "country": "GB", "group": "technical", "mode": "onsite"}
CHAIR = {"role": "moderator", "label": "moderator@morning", "participant_id": None}


@pytest.fixture
def db(store):
    """The store of the kind the run chose (--database)."""
    return store


def busy_queue() -> tuple[FloorQueue, list]:
    queue = FloorQueue(labels=LABELS)
    events = queue.set_time_limit(90, 500)
    events += queue.request(ALICE, 1000, theme="Priorities", language="en")
    events += queue.request(BOB, 1100)
    events += queue.add_from_room({"participant_id": None, "name": "Delegate of Brazil", "group": "government",
                                   "mode": "onsite", "country": "BR"}, 1200)
    events += queue.set_policy("alternate", 1300)
    events += queue.call_next(2000)
    events += queue.move("r3", 1, 2100, reason="host country")
    events += queue.call_next(5000)
    events += queue.decline("r3", 5100)
    events += queue.close(5200)
    events += queue.end(5300) if queue.current else []
    return queue, events


async def test_events_round_trip_and_replay_to_the_same_queue(db):
    queue, events = busy_queue()
    for chunk in (events[:3], events[3:]):
        await floor_db.append(db, 7, "morning", chunk, CHAIR)
    await floor_db.append(db, 8, "morning", events[:1], CHAIR)  # another meeting's session of the same name
    loaded = await floor_db.load_events(db, 7, "morning")
    assert loaded == events
    again = FloorQueue.replay(loaded, labels=LABELS)
    assert again.snapshot() == queue.snapshot()
    assert again.records() == queue.records() and again.stats(9000) == queue.stats(9000)
    assert await floor_db.load_events(db, 7, "afternoon") == []
    assert len(await floor_db.load_events(db, 8, "morning")) == 1


async def test_audit_names_who_did_what_and_when(db):
    _queue, events = busy_queue()
    await floor_db.append(db, 7, "morning", events[1:2], {"role": "participant", "label": "Alice <b>",
                                                          "participant_id": 1})
    await floor_db.append(db, 7, "morning", events[2:], CHAIR)
    entries = await floor_db.audit(db, 7, "morning")
    first = entries[0]
    assert (first["name"], first["request_id"], first["at_ms"], first["actor"]) == (
        "floor_requested", "r1", 1000, {"role": "participant", "label": "Alice <b>", "participant_id": 1})
    assert first["details"]["person"]["name"] == "Alice <b>" and first["details"]["theme"] == "Priorities"
    moved = next(e for e in entries if e["name"] == "floor_request_moved")
    assert moved["details"] == {"from_position": 2, "to_position": 1, "reason": "host country"}
    granted = next(e for e in entries if e["name"] == "floor_granted")
    assert granted["intervention_id"] == "i1" and granted["details"]["policy"] == "alternate"
    later = await floor_db.audit(db, 7, "morning", after=moved["id"])
    assert later and all(e["id"] > moved["id"] for e in later)


async def test_the_log_is_append_only(db):
    _, events = busy_queue()
    await floor_db.append(db, 7, "morning", events[:2], CHAIR)
    for sql in ("UPDATE floor_events SET actor_label = 'someone else'", "DELETE FROM floor_events"):
        with pytest.raises(Exception, match="append-only"):
            async with db.write() as conn:
                await conn.execute(sql)
    assert len(await floor_db.load_events(db, 7, "morning")) == 2



async def test_an_append_from_an_out_of_date_queue_conflicts_instead_of_forking_the_log(db):
    _, events = busy_queue()
    await floor_db.append(db, 7, "morning", events[:2], CHAIR, after_seq=0)
    await floor_db.append(db, 7, "morning", events[2:3], CHAIR, after_seq=2)  # another writer, up to date
    with pytest.raises(StorageConflict):
        await floor_db.append(db, 7, "morning", events[3:5], CHAIR, after_seq=2)  # built on the first two only
    assert await floor_db.load_events(db, 7, "morning") == events[:3]
    # The out-of-date writer catches up with what it missed only, then appends after it.
    assert await floor_db.load_events(db, 7, "morning", after_seq=2) == events[2:3]
    await floor_db.append(db, 7, "morning", events[3:5], CHAIR, after_seq=3)
    assert await floor_db.load_events(db, 7, "morning") == events[:5]
    assert await floor_db.load_events(db, 7, "morning", after_seq=5) == []


async def test_a_change_catches_up_with_what_others_stored_and_appends_after_it(db):
    _, events = busy_queue()
    await floor_db.append(db, 7, "morning", events[:3], CHAIR, after_seq=0)  # another process, ahead of this copy
    seen = []

    def decide(missed):
        seen.extend(missed)
        return events[3:5]

    assert await floor_db.change(db, 7, "morning", 1, decide, CHAIR) == events[3:5]
    assert seen == events[1:3]  # what the copy built from one event had not seen, alone
    assert await floor_db.load_events(db, 7, "morning") == events[:5]

    def refuse(missed):
        raise InvalidTransition("nobody is waiting for the floor", code="queue_empty")

    with pytest.raises(InvalidTransition):
        await floor_db.change(db, 7, "morning", 5, refuse, CHAIR)
    assert await floor_db.load_events(db, 7, "morning") == events[:5]  # a refusal stores nothing
    assert await floor_db.change(db, 7, "morning", 5, lambda missed: [], CHAIR) == []
