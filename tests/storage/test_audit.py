"""The audit log and the other logs in a real SQLite file: link actions leave rows, and no log row can be changed
or deleted."""

from __future__ import annotations

import pytest

from server.domain.meetings.models import Role
from server.loading import demo_meeting_text, load_meeting_text
from server.storage import audit
from server.storage import meetings as meetings_db
from server.storage.interface import StorageConflict

KEY = b"k" * 32


@pytest.fixture
def db(store):
    """The store of the kind the run chose (--database)."""
    return store


async def test_issuing_revoking_and_rotating_links_leave_audit_rows(db):
    slug, _, _ = await load_meeting_text(db, KEY, demo_meeting_text(), 1000)
    meeting_id, _ = await meetings_db.load_meeting(db, slug)
    issued = await meetings_db.issue_link(db, KEY, meeting_id, "morning", Role.CAPTIONER, 2000, "admin@meeting")
    await meetings_db.revoke_link(db, meeting_id, issued, 3000, "admin@meeting")
    moderator = next(link for link in await meetings_db.active_links(db, KEY, meeting_id)
                     if link.role is Role.MODERATOR and link.session_id == "morning")
    new_id = await meetings_db.rotate_link(db, KEY, meeting_id, moderator.id, 4000, "admin@meeting")
    rows = await audit.recent(db, meeting_id)
    assert [(r["action"], r["actor"], r["session_id"], r["detail"]) for r in rows[:3]] == [
        ("link_rotated", "admin@meeting", "morning", {"link_id": moderator.id, "new_link_id": new_id,
                                                      "role": "moderator"}),
        ("link_revoked", "admin@meeting", "morning", {"link_id": issued, "role": "captioner"}),
        ("link_issued", "admin@meeting", "morning", {"link_id": issued, "role": "captioner"}),
    ]
    # Loading the meeting file issued the first links: those are in the log too.
    assert {r["actor"] for r in rows[3:]} == {"meeting file"} and len(rows) > 3


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET actor = 'someone else'",
    "DELETE FROM audit_log",
    "UPDATE session_log SET actor = 'someone else'",
    "DELETE FROM session_log",
    "UPDATE caption_events SET payload = '{}'",
    "DELETE FROM caption_events",
    "DELETE FROM transcript_versions",
    "UPDATE transcript_versions SET author = 'someone else'",
])
async def test_log_rows_can_be_neither_changed_nor_deleted(db, statement):
    slug, _, _ = await load_meeting_text(db, KEY, demo_meeting_text(), 1000)
    meeting_id, meeting = await meetings_db.load_meeting(db, slug)
    lives = await meetings_db.load_session_lives(db, meeting_id, meeting)
    life = lives["morning"]
    event = life.start(5000)
    await meetings_db.save_session_life(db, meeting_id, life, event.name, "moderator@morning (Ana)", 5000)
    async with db.write() as conn:
        await conn.execute("INSERT INTO caption_events (meeting_id, session_id, lang, name, payload, at_ms)"
                           " VALUES (?, 'morning', 'en', 'corrected', '{}', 6000)", (meeting_id,))
        await conn.execute("INSERT INTO transcript_versions (meeting_id, session_id, version, author, role,"
                           " created_ms, edits) VALUES (?, 'morning', 1, 'Rita', 'rapporteur@morning', 7000, '[]')",
                           (meeting_id,))
    with pytest.raises(Exception, match="append-only"):
        async with db.write() as conn:
            await conn.execute(statement)
    assert (await db.fetchone("SELECT COUNT(*) FROM session_log"))[0] == 1
    assert (await audit.recent(db, meeting_id))[0]["actor"] == "moderator@morning (Ana)"


async def test_a_start_from_an_out_of_date_copy_of_a_session_life_is_not_stored(db):
    slug, _, _ = await load_meeting_text(db, KEY, demo_meeting_text(), 1000)
    meeting_id, meeting = await meetings_db.load_meeting(db, slug)
    mine = (await meetings_db.load_session_lives(db, meeting_id, meeting))["morning"]
    theirs = (await meetings_db.load_session_lives(db, meeting_id, meeting))["morning"]  # another process's copy
    event = theirs.start(5000)
    assert await meetings_db.save_session_life(db, meeting_id, theirs, event.name, "moderator@morning (B)", 5000) == 1
    event = mine.start(5001)  # this copy still thinks the session is scheduled
    with pytest.raises(StorageConflict):
        await meetings_db.save_session_life(db, meeting_id, mine, event.name, "moderator@morning (A)", 5001)
    stored = (await meetings_db.load_session_lives(db, meeting_id, meeting))["morning"]
    assert (stored.state.value, stored.started_ms, stored.changes) == ("live", 5000, 1)
    assert [r["actor"] for r in await audit.recent(db, meeting_id) if r["action"] == "session_started"] == [
        "moderator@morning (B)"]
    assert await meetings_db.life_versions(db) == {(meeting_id, s.id): int(s.id == "morning") for s in meeting.sessions}
