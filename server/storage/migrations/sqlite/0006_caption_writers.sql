-- Captions per writer: each captioner feed keeps its own live tail, a segment records the feed that wrote it and
-- the label the pull feed shows before it, and HTTP feeds number their posts per language.
CREATE TABLE caption_tails_new (
    meeting_id      INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL,
    lang            TEXT NOT NULL,
    writer          TEXT NOT NULL,           -- the feed whose live line this is, e.g. "12:zoom" or "link:12"
    text            TEXT NOT NULL,
    first_ms        INTEGER,
    captioner_id    TEXT,
    captioner_label TEXT,
    updated_ms      INTEGER NOT NULL,        -- the writer's last input
    PRIMARY KEY (meeting_id, session_id, lang, writer)
);
INSERT INTO caption_tails_new (meeting_id, session_id, lang, writer, text, first_ms, captioner_id, captioner_label,
                               updated_ms)
    SELECT meeting_id, session_id, lang, COALESCE(captioner_id, ''), text, first_ms, captioner_id, captioner_label,
           updated_ms FROM caption_tails;
DROP TABLE caption_tails;
ALTER TABLE caption_tails_new RENAME TO caption_tails;

ALTER TABLE caption_segments ADD COLUMN writer TEXT;              -- NULL: the captioner's own id
ALTER TABLE caption_segments ADD COLUMN lead TEXT NOT NULL DEFAULT '';  -- "NAME: " on a turn's first line

-- HTTP feeds were numbered per link and tool; they are now per language too. A feed's last seq carries over to
-- every language the session has captions in, so the retry of the last post is still recognised as one.
INSERT OR IGNORE INTO caption_feeds (meeting_id, session_id, feed, last_seq, updated_ms)
    SELECT f.meeting_id, f.session_id, f.feed || ':' || t.lang, f.last_seq, f.updated_ms
    FROM caption_feeds f JOIN (SELECT DISTINCT meeting_id, session_id, lang FROM caption_tails) t
         ON t.meeting_id = f.meeting_id AND t.session_id = f.session_id
    WHERE f.feed LIKE '%:zoom' OR f.feed LIKE '%:youtube' OR f.feed LIKE '%:streamtext';
DELETE FROM caption_feeds WHERE feed LIKE '%:zoom' OR feed LIKE '%:youtube' OR feed LIKE '%:streamtext';
