"""Hubs and participants in a real store (SQLite file or PostgreSQL database): a hub registered once with its
identity and link, the people registered at it, and the migration that turns the old per-person hub descriptions
into one hub per place."""

from __future__ import annotations

import aiosqlite
import pytest

from server.domain.errors import InvalidInput
from server.domain.meetings.file import parse_meeting
from server.domain.meetings.models import Hub, Mode, Participant, Role
from server.loading import demo_meeting_text, load_meeting_text
from server.storage import meetings as meetings_db
from server.storage.db import open_database
from server.storage.schema import migrations

KEY = b"k" * 32
NOW = 1_700_000_000_000
NAIROBI = Hub(0, "Nairobi hub", "Nairobi", "KE", "KICTANet", "civil", 12)


@pytest.fixture
def db(store):
    """The store of the kind the run chose (--database)."""
    return store


async def demo(db) -> int:
    meeting = parse_meeting(demo_meeting_text())
    meeting_id, _ = await meetings_db.save_meeting(db, meeting, NOW)
    await meetings_db.ensure_links(db, KEY, meeting_id, meeting, NOW)
    return meeting_id


async def test_a_hub_is_stored_once_with_its_identity_and_its_link(db):
    meeting_id = await demo(db)
    hub = await meetings_db.add_hub(db, KEY, meeting_id, NAIROBI, NOW, "admin@meeting")
    assert await meetings_db.hubs(db, meeting_id) == [hub] and hub.id > 0
    [link] = [x for x in await meetings_db.active_links(db, KEY, meeting_id) if x.role is Role.HUB]
    assert link.hub_id == hub.id and link.session_id is None
    grant = await meetings_db.token_grant(db, meeting_id, link.token)
    assert grant == meetings_db.Grant(link.id, Role.HUB, None, hub.id)
    # The hub's identity is a participant of the meeting, but not a registered person.
    cookie = await meetings_db.hub_identity_cookie(db, KEY, meeting_id, hub.id)
    me = await meetings_db.participant_by_cookie(db, meeting_id, cookie)
    assert me is not None and (me.name, me.is_hub, me.hub_id, me.mode, me.listed) == (
        "Nairobi hub", True, hub.id, Mode.HUB, False)
    assert await meetings_db.hub_identity_cookie(db, KEY, meeting_id, hub.id) == cookie  # every device: the same
    assert await meetings_db.participants(db, meeting_id) == []
    with pytest.raises(InvalidInput) as refused:
        await meetings_db.add_hub(db, KEY, meeting_id, Hub(0, "nairobi HUB", "Nairobi", "KE", "", "civil", 3), NOW,
                                  "admin@meeting")
    assert refused.value.code == "hub_exists"
    assert len(await meetings_db.hubs(db, meeting_id)) == 1


async def test_people_registered_at_a_hub_are_counted_with_it(db):
    meeting_id = await demo(db)
    hub = await meetings_db.add_hub(db, KEY, meeting_id, NAIROBI, NOW, "admin@meeting")
    for i in range(3):
        await meetings_db.register_participant(db, meeting_id, Participant(
            0, f"P{i}", "", "KE", "civil", Mode.HUB, True, hub.id), f"cookie-{i}", NOW)
    await meetings_db.register_participant(db, meeting_id, Participant(0, "Solo", "", "BR", "civil", Mode.REMOTE),
                                           "cookie-solo", NOW)
    assert await meetings_db.hub_registrations(db, meeting_id) == {hub.id: 3}
    assert [p.name for p in await meetings_db.participants(db, meeting_id)] == ["P0", "P1", "P2", "Solo"]


async def test_a_revoked_hub_link_is_issued_again_and_the_old_identity_is_forgotten(db):
    meeting_id = await demo(db)
    hub = await meetings_db.add_hub(db, KEY, meeting_id, NAIROBI, NOW, "admin@meeting")
    [link] = [x for x in await meetings_db.active_links(db, KEY, meeting_id) if x.role is Role.HUB]
    old_cookie = await meetings_db.hub_identity_cookie(db, KEY, meeting_id, hub.id)
    await meetings_db.revoke_link(db, meeting_id, link.id, NOW, "admin@meeting")
    assert await meetings_db.participant_by_cookie(db, meeting_id, old_cookie) is None
    new_cookie = await meetings_db.hub_identity_cookie(db, KEY, meeting_id, hub.id)
    assert new_cookie != old_cookie and await meetings_db.participant_by_cookie(db, meeting_id, new_cookie)
    assert await meetings_db.ensure_links(db, KEY, meeting_id, parse_meeting(demo_meeting_text()), NOW) == 1
    [again] = [x for x in await meetings_db.active_links(db, KEY, meeting_id) if x.role is Role.HUB]
    assert again.hub_id == hub.id and again.token != link.token


@pytest.mark.sqlite
async def test_the_migration_makes_one_hub_of_the_people_who_each_described_it(tmp_path):
    """23 people registered "through the Nairobi hub" made 23 hubs; after the migration they are one hub."""
    path = tmp_path / "old.db"
    conn = await aiosqlite.connect(path, isolation_level=None)
    for m in migrations("sqlite"):
        if m.version < 8:
            await conn.executescript(m.sql)
    await conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                       " applied_ms INTEGER NOT NULL)")
    for m in migrations("sqlite"):
        if m.version < 8:
            await conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (m.version, m.name))
    await conn.execute("INSERT INTO meetings (id, slug, title, venue, timezone, start_date, end_date, languages,"
                       " groups_json, source_hash, created_ms, updated_ms) VALUES (1, 'm', 'M', '', 'UTC',"
                       " '2012-11-05', '2012-11-05', '[\"en\"]', '[]', '', 0, 0)")
    rows = [(f"N{i}", "civil" if i % 3 else "academic", " Nairobi " if i % 2 else "nairobi", "ke", 10 + i % 3)
            for i in range(23)] + [("D", "academic", "Dhaka", "BD", 5), ("Solo", "civil", "", "", 0)]
    for i, (name, group, city, country, headcount) in enumerate(rows):
        await conn.execute(
            "INSERT INTO participants (meeting_id, name, organisation, country, group_slug, mode, hub_city,"
            " hub_country, hub_headcount, cookie_hash, created_ms) VALUES (1, ?, '', 'KE', ?, ?, ?, ?, ?, ?, ?)",
            (name, group, "hub" if city else "remote", city, country, headcount, f"c{i}", 100 + i))
    await conn.close()

    db = await open_database(path)  # applies 0008
    try:
        hubs = await meetings_db.hubs(db, 1)
        assert [(h.name, h.city, h.country, h.group, h.expected_headcount) for h in hubs] == [
            ("Dhaka hub", "Dhaka", "BD", "academic", 5), ("Nairobi hub", "Nairobi", "KE", "civil", 12)]
        assert await meetings_db.hub_registrations(db, 1) == {hubs[0].id: 1, hubs[1].id: 23}
        people = await meetings_db.participants(db, 1)
        assert len(people) == 25 and not any(p.is_hub for p in people)
        assert [p.hub_id for p in people if p.name == "Solo"] == [None]
        # Each hub gets its identity now and its link at the next start-up.
        identities = [await meetings_db.participants_by_id(db, 1, {p}) for p in
                      [r["participant_id"] for r in await db.fetchall("SELECT participant_id FROM hubs")]]
        assert all(next(iter(x.values())).is_hub for x in identities)
        meeting = parse_meeting(demo_meeting_text().replace('slug = "ec-baku-2012"', 'slug = "m"'))
        await meetings_db.ensure_links(db, KEY, 1, meeting, NOW)
        assert sorted(x.hub_id for x in await meetings_db.active_links(db, KEY, 1) if x.role is Role.HUB) == \
            sorted(h.id for h in hubs)
    finally:
        await db.close()


async def test_hubs_in_the_meeting_file_are_created_once(db):
    text = demo_meeting_text() + ('\n[[hubs]]\nname = "Nairobi hub"\ncity = "Nairobi"\ncountry = "KE"\n'
                                  'group = "civil"\nexpected_headcount = 12\n')
    await load_meeting_text(db, KEY, text, NOW)
    await load_meeting_text(db, KEY, text.replace("expected_headcount = 12", "expected_headcount = 20"), NOW + 1)
    [hub] = await meetings_db.hubs(db, 1)
    assert (hub.name, hub.expected_headcount) == ("Nairobi hub", 12)  # registered once; the database keeps it
    assert [x.hub_id for x in await meetings_db.active_links(db, KEY, 1) if x.role is Role.HUB] == [hub.id]
