-- Captions per writer: each captioner feed keeps its own live tail, a segment records the feed that wrote it and
-- the label the pull feed shows before it, and HTTP feeds number their posts per language.
ALTER TABLE caption_tails ADD COLUMN writer TEXT;
UPDATE caption_tails SET writer = COALESCE(captioner_id, '');
ALTER TABLE caption_tails ALTER COLUMN writer SET NOT NULL;
ALTER TABLE caption_tails DROP CONSTRAINT caption_tails_pkey;
ALTER TABLE caption_tails ADD PRIMARY KEY (meeting_id, session_id, lang, writer);

ALTER TABLE caption_segments ADD COLUMN writer TEXT;              -- NULL: the captioner's own id
ALTER TABLE caption_segments ADD COLUMN lead TEXT NOT NULL DEFAULT '';  -- "NAME: " on a turn's first line

-- HTTP feeds were numbered per link and tool; they are now per language too.
INSERT INTO caption_feeds (meeting_id, session_id, feed, last_seq, updated_ms)
    SELECT f.meeting_id, f.session_id, f.feed || ':' || t.lang, f.last_seq, f.updated_ms
    FROM caption_feeds f JOIN (SELECT DISTINCT meeting_id, session_id, lang FROM caption_tails) t
         ON t.meeting_id = f.meeting_id AND t.session_id = f.session_id
    WHERE f.feed LIKE '%:zoom' OR f.feed LIKE '%:youtube' OR f.feed LIKE '%:streamtext'
    ON CONFLICT DO NOTHING;
DELETE FROM caption_feeds WHERE feed LIKE '%:zoom' OR feed LIKE '%:youtube' OR feed LIKE '%:streamtext';
