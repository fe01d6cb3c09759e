"""Caption storage on a real SQLite file: one transaction per change, restore, pull positions."""

from __future__ import annotations

from server.domain.captions.events import Captioner
from server.domain.captions.stream import CaptionStream
from server.loading import demo_meeting_text, load_meeting_text
from server.storage import captions as captions_db
from server.storage.db import open_database

ANA = Captioner("link:1", "Session captioner #1")


async def test_save_restore_and_pull(tmp_path):
    db = await open_database(tmp_path / "f.db")
    try:
        await load_meeting_text(db, b"k" * 32, demo_meeting_text(), 0)
        stream = CaptionStream("morning", "en")
        events = stream.append("Hello world\nSecond lin", ANA, 1000)
        await captions_db.save(db, 1, "morning", "en", events, tail=stream.tail, tail_first_ms=stream.tail_first_ms,
                               captioner=ANA, now=1000, feed=captions_db.FeedPost("1:zoom", 4))
        events = stream.correct(1, "Hello, world", ANA, 2000)
        await captions_db.save(db, 1, "morning", "en", events, tail=stream.tail, tail_first_ms=stream.tail_first_ms,
                               captioner=ANA, now=2000)
        stored = await captions_db.load_stream(db, 1, "morning", "en")
        assert (stored.last_seq, stored.tail_text, stored.tail_first_ms, stored.last_captioner) == (
            1, "Second lin", 1000, ANA)
        assert [(s.text, s.revision) for s in stored.segments] == [("Hello, world", 2)]
        assert await captions_db.feed_seq(db, 1, "morning", "1:zoom") == 4
        # Pull positions count the original text, so a correction does not move them.
        assert await captions_db.pull_text(db, 1, "morning", "en", 0) == ("Hello world\n", 12)
        assert await captions_db.pull_text(db, 1, "morning", "en", 6) == ("world\n", 12)
        assert await captions_db.pull_text(db, 1, "morning", "en", 12) == ("", 12)
    finally:
        await db.close()
