"""Caption storage in a real store (SQLite file or PostgreSQL database): one transaction per change, restore,
pull positions."""

from __future__ import annotations

import dataclasses

import aiosqlite
import pytest

from server.domain.captions.events import Captioner
from server.domain.captions.stream import CaptionStream, TailState
from server.loading import demo_meeting_text, load_meeting_text
from server.storage import captions as captions_db
from server.storage.db import open_database
from server.storage.interface import StorageConflict
from server.storage.schema import migrations

ANA = Captioner("link:1", "Session captioner #1")


async def test_save_restore_and_pull(store):
    db = store
    await load_meeting_text(db, b"k" * 32, demo_meeting_text(), 0)
    stream = CaptionStream("morning", "en")
    events = stream.append("Hello world\nSecond lin", ANA, 1000)
    assert await captions_db.save(db, 1, "morning", "en", events, tails=stream.tails(), now=1000, revision=0,
                                  captioner=ANA, feed=captions_db.FeedPost("1:zoom:en", 4)) == 1
    events = stream.correct(1, "Hello, world", ANA, 2000)
    assert await captions_db.save(db, 1, "morning", "en", events, tails=stream.tails(), now=2000, revision=1,
                                  captioner=ANA) == 2
    stored = await captions_db.load_stream(db, 1, "morning", "en")
    assert (stored.last_seq, stored.tails, stored.last_captioner, stored.revision) == (
        1, (TailState("link:1", "Second lin", 1000, ANA, 1000, ((1000, None),) * 10, recent=("Hello world",)),), ANA,
        2)
    assert [(s.text, s.revision) for s in stored.segments] == [("Hello, world", 2)]
    assert await captions_db.feed_seq(db, 1, "morning", "1:zoom:en") == 4
    # Pull positions count the original text, so a correction does not move them.
    assert await captions_db.pull_text(db, 1, "morning", "en", 0) == ("Hello world\n", 12)
    assert await captions_db.pull_text(db, 1, "morning", "en", 6) == ("world\n", 12)
    assert await captions_db.pull_text(db, 1, "morning", "en", 12) == ("", 12)


async def test_tails_of_several_writers_and_turn_labels_in_the_pull(store):
    db = store
    await load_meeting_text(db, b"k" * 32, demo_meeting_text(), 0)
    stream = CaptionStream("morning", "en")
    events = stream.append(">> CHAIR: Welcome.\nWe beg", ANA, 1000, writer="1:zoom")
    events += stream.append("Second writer", ANA, 1100, writer="1:bridge")
    await captions_db.save(db, 1, "morning", "en", events, tails=stream.tails(), now=1100, revision=0, captioner=ANA)
    stored = await captions_db.load_stream(db, 1, "morning", "en")
    assert {t.writer: t.text for t in stored.tails} == {"1:zoom": "We beg", "1:bridge": "Second writer"}
    restored = CaptionStream.restore("morning", "en", stored.last_seq, stored.tails, stored.last_captioner,
                                     segments=stored.segments)
    restored.append("in.\n", ANA, 1200, writer="1:zoom")
    assert [s.text for s in restored.segments()] == ["Welcome.", "We begin."]
    assert restored.tail_of("1:bridge") == "Second writer"
    # The pull feed shows the speaker at the start of a turn; positions count what it showed.
    assert await captions_db.pull_text(db, 1, "morning", "en", 0) == ("CHAIR: Welcome.\n", 16)
    assert await captions_db.pull_text(db, 1, "morning", "en", -1) == ("", 16)


@pytest.mark.sqlite
async def test_an_existing_database_migrates(tmp_path):
    """A database written before per-writer tails keeps its tail, and its feeds count per language."""
    path = tmp_path / "old.db"
    conn = await aiosqlite.connect(path)
    try:
        await conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                           " applied_ms INTEGER NOT NULL)")
        for m in migrations("sqlite"):
            if m.version < 6:
                await conn.executescript(
                    f"BEGIN;\n{m.sql}\nINSERT INTO schema_migrations VALUES ({m.version}, '{m.name}', 0);\nCOMMIT;")
        await conn.executescript(
            "BEGIN; INSERT INTO meetings VALUES (1, 'm', 'M', 'V', 'UTC', '2012-11-05', '2012-11-05',"
            " '[\"en\",\"fr\"]', '[]', '', 'h', 0, 0);"
            " INSERT INTO caption_tails VALUES (1, 'morning', 'fr', 'Bonjour à', 5, 'link:1', 'A', 6);"
            " INSERT INTO caption_segments (meeting_id, session_id, lang, seq, text, original_text, position,"
            " first_ms, final_ms, captioner_id, captioner_label) VALUES (1, 'morning', 'fr', 1, 'Salut', 'Salut', 0,"
            " 1, 2, 'link:1', 'A');"
            " INSERT INTO caption_feeds VALUES (1, 'morning', '1:zoom', 7, 6), (1, 'morning', '1:bridge', 3, 6);"
            " COMMIT;")
    finally:
        await conn.close()
    db = await open_database(path)  # applies the new migration
    try:
        stored = await captions_db.load_stream(db, 1, "morning", "fr")
        assert [(t.writer, t.text, t.first_ms) for t in stored.tails] == [("link:1", "Bonjour à", 5)]
        assert (await captions_db.feed_seq(db, 1, "morning", "1:zoom:fr"), await captions_db.feed_seq(
            db, 1, "morning", "1:zoom")) == (7, None)
        assert await captions_db.feed_seq(db, 1, "morning", "1:bridge") == 3
        assert await captions_db.pull_text(db, 1, "morning", "fr", 0) == ("Salut\n", 6)
    finally:
        await db.close()


async def test_a_segment_numbered_by_another_writer_first_is_a_conflict_and_nothing_of_the_change_is_kept(store):
    """Two nodes captioning one stream from the same stored state: the second to commit line 1 stores nothing."""
    await load_meeting_text(store, b"k" * 32, demo_meeting_text(), 0)
    here, there = CaptionStream("morning", "en"), CaptionStream("morning", "en")
    events = here.append("From here\n", ANA, 1000)
    await captions_db.save(store, 1, "morning", "en", events, tails=here.tails(), now=1000, revision=0, captioner=ANA,
                           feed=captions_db.FeedPost("1:zoom:en", 1))
    events = there.append("From there\nand a tail", ANA, 1100, writer="2:zoom")
    with pytest.raises(StorageConflict):
        await captions_db.save(store, 1, "morning", "en", events, tails=there.tails(), now=1100, revision=0,
                               captioner=ANA, feed=captions_db.FeedPost("2:zoom:en", 1))
    stored = await captions_db.load_stream(store, 1, "morning", "en")
    assert [s.text for s in stored.segments] == ["From here"]
    assert [t.writer for t in stored.tails if t.text] == []
    assert await captions_db.feed_seq(store, 1, "morning", "2:zoom:en") is None


async def test_a_change_made_on_an_overtaken_revision_stores_nothing(store):
    """Another node stored a change (a tail only: no segment number to collide on); a copy that has not seen it
    cannot write over it, and reading what moved since its revision brings it up to date."""
    await load_meeting_text(store, b"k" * 32, demo_meeting_text(), 0)
    here = CaptionStream("morning", "en")
    events = here.append("First line.\nSecond", ANA, 1000, writer="1:zoom")
    await captions_db.save(store, 1, "morning", "en", events, tails=here.tails(), now=1000, revision=0, captioner=ANA)
    there = CaptionStream.restore("morning", "en", 1, (await captions_db.load_stream(store, 1, "morning", "en")).tails,
                                  ANA)
    events = here.append(" line goes on", ANA, 1100, writer="1:zoom") + here.correct(1, "First line!", ANA, 1100)
    await captions_db.save(store, 1, "morning", "en", events, tails=here.tails(), now=1100, revision=1, captioner=ANA)
    assert (await captions_db.revisions(store, 1, "morning", "en")).stream == 2

    stale = there.append(" and elsewhere", ANA, 1200, writer="1:zoom")
    with pytest.raises(StorageConflict):
        await captions_db.save(store, 1, "morning", "en", stale, tails=there.tails(), now=1200, revision=1,
                               captioner=ANA)
    changes = await captions_db.load_stream(store, 1, "morning", "en", since=1)
    assert changes.revision == 2 and changes.last_seq == 1
    assert [(s.seq, s.text, s.revision) for s in changes.segments] == [(1, "First line!", 2)]  # the correction only
    assert [t.text for t in changes.tails] == ["Second line goes on"]
    assert await captions_db.load_stream(store, 1, "morning", "en", since=2) == dataclasses.replace(
        changes, segments=())


async def test_a_feed_post_checked_against_an_old_feed_revision_stores_nothing(store):
    """A bridge feed numbers its posts across languages: its revision guards it even when the stream is current."""
    await load_meeting_text(store, b"k" * 32, demo_meeting_text(), 0)
    fr, en = CaptionStream("morning", "fr"), CaptionStream("morning", "en")
    events = fr.append("Bonjour", ANA, 1000, writer="1:bridge")
    await captions_db.save(store, 1, "morning", "fr", events, tails=fr.tails(), now=1000, revision=0, captioner=ANA,
                           feed=captions_db.FeedPost("1:bridge", 1))
    assert await captions_db.revisions(store, 1, "morning", "en", "1:bridge") == captions_db.Revisions(0, 1)
    events = fr.append(" tout le monde", ANA, 1100, writer="1:bridge")
    await captions_db.save(store, 1, "morning", "fr", events, tails=fr.tails(), now=1100, revision=1, captioner=ANA,
                           feed=captions_db.FeedPost("1:bridge", 2, revision=1))
    # A copy of the feed that saw only seq 1 takes seq 2 for new text: refused, although the en stream is current.
    events = en.append("Hello", ANA, 1200, writer="1:bridge")
    with pytest.raises(StorageConflict):
        await captions_db.save(store, 1, "morning", "en", events, tails=en.tails(), now=1200, revision=0,
                               captioner=ANA, feed=captions_db.FeedPost("1:bridge", 2, revision=1))
    assert await captions_db.revisions(store, 1, "morning", "en", "1:bridge") == captions_db.Revisions(0, 2)
    assert (await captions_db.load_stream(store, 1, "morning", "en")).tails == ()
    # A feed that has no row yet is inserted: a second node inserting it too loses the race.
    with pytest.raises(StorageConflict):
        await captions_db.save(store, 1, "morning", "en", events, tails=en.tails(), now=1200, revision=0,
                               captioner=ANA, feed=captions_db.FeedPost("1:bridge", 3, revision=None))


async def test_a_tail_is_stored_whole(store):
    """Receive times, an open ``>>`` turn, a typed speaker and recent lines come back as they were written."""
    await load_meeting_text(store, b"k" * 32, demo_meeting_text(), 0)
    stream = CaptionStream("morning", "en")
    events = stream.append("Earlier line.\n>> Ms. DIAZ: Thank", ANA, 1000, sender_ms=900, writer="1:youtube")
    events += stream.append(" you", ANA, 1100, sender_ms=1050, writer="1:youtube")
    events += stream.append(">> ", ANA, 1200, writer="1:zoom")
    await captions_db.save(store, 1, "morning", "en", events, tails=stream.tails(), now=1200, revision=0,
                           captioner=ANA)
    stored = await captions_db.load_stream(store, 1, "morning", "en")
    assert sorted(stored.tails, key=lambda t: t.writer) == sorted(stream.tails(), key=lambda t: t.writer)
    youtube = next(t for t in stored.tails if t.writer == "1:youtube")
    assert youtube.stamps == ((1000, 900),) * 5 + ((1100, 1050),) * 4 and youtube.speaker == "Ms. DIAZ"
    assert youtube.recent == ("Earlier line.",)
    zoom = next(t for t in stored.tails if t.writer == "1:zoom")
    assert zoom.new_turn and zoom.label_open and zoom.text == ""


async def test_only_the_latest_segments_are_read_and_one_older_segment_on_demand(store):
    await load_meeting_text(store, b"k" * 32, demo_meeting_text(), 0)
    stream = CaptionStream("morning", "en")
    events = stream.append("".join(f"Line {i}\n" for i in range(1, 11)), ANA, 1000)
    await captions_db.save(store, 1, "morning", "en", events, tails=stream.tails(), now=1000, revision=0, captioner=ANA)
    events = stream.correct(2, "Line two", ANA, 1100) + stream.correct(9, "Line nine", ANA, 1100)
    await captions_db.save(store, 1, "morning", "en", events, tails=stream.tails(), now=1100, revision=1, captioner=ANA)
    latest = await captions_db.load_stream(store, 1, "morning", "en", latest=3)
    assert (latest.last_seq, latest.revision, [s.seq for s in latest.segments]) == (10, 2, [8, 9, 10])
    moved = await captions_db.load_stream(store, 1, "morning", "en", since=1, latest=3)
    assert [(s.seq, s.text) for s in moved.segments] == [(9, "Line nine")]  # line 2 moved too, but is not held
    assert len((await captions_db.load_stream(store, 1, "morning", "en")).segments) == 10
    older = await captions_db.segment(store, 1, "morning", "en", 2)
    assert older is not None and (older.seq, older.text, older.revision, older.captioner) == (2, "Line two", 2, ANA)
    assert await captions_db.segment(store, 1, "morning", "en", 11) is None
    assert await captions_db.segment(store, 1, "morning", "fr", 2) is None
