-- Several nodes may write one caption stream. Each stream's stored state carries a revision that every caption
-- change moves on by one under a condition on the revision it was built from, so a node writing from an out-of-date
-- copy fails instead of overwriting another node's tails; it reads what changed since its revision and tries again.
CREATE TABLE caption_streams (
    meeting_id           BIGINT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    session_id           TEXT NOT NULL,
    lang                 TEXT NOT NULL,
    revision             BIGINT NOT NULL,    -- caption changes stored so far (no row: 0)
    last_captioner_id    TEXT,               -- who sent text last, so any node notices a handover
    last_captioner_label TEXT,
    updated_ms           BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, session_id, lang)
);

-- The stream revision that last wrote a segment (inserted or corrected): a node reads only what moved since its copy.
ALTER TABLE caption_segments ADD COLUMN stream_revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX caption_segments_revision ON caption_segments (meeting_id, session_id, lang, stream_revision);

-- A writer's whole live line (JSON: turn and speaker marks, receive times, its recent final lines), so another node
-- or a restarted one continues it exactly; NULL for tails stored before.
ALTER TABLE caption_tails ADD COLUMN state TEXT;

-- A captioner feed's revision: its seq is checked against the stored one inside the write transaction too (a bridge
-- feed spans languages, so the stream's revision alone does not cover it).
ALTER TABLE caption_feeds ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
