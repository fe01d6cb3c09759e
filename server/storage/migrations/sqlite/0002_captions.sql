-- Live captions: final segments, the live tail of each stream, captioner feed sequences and an append-only log.
CREATE TABLE caption_segments (
    meeting_id      INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL,
    lang            TEXT NOT NULL,
    seq             INTEGER NOT NULL,        -- gap-free per (meeting, session, lang), from 1
    text            TEXT NOT NULL,           -- latest revision
    original_text   TEXT NOT NULL,           -- as first finalised (the pull feed's positions count these)
    position        INTEGER NOT NULL,        -- characters of original text (plus one line break each) before it
    first_ms        INTEGER NOT NULL,        -- server UTC receive time of its first character
    final_ms        INTEGER NOT NULL,        -- server UTC time it became final
    sender_ms       INTEGER,                 -- the captioning tool's own time, when it sent one
    captioner_id    TEXT NOT NULL,
    captioner_label TEXT NOT NULL,
    speaker         TEXT,
    new_turn        INTEGER NOT NULL DEFAULT 0,
    intervention_id TEXT,                    -- JSON scalar (the floor's intervention id) or NULL
    revision        INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (meeting_id, session_id, lang, seq)
);

CREATE TABLE caption_tails (
    meeting_id      INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL,
    lang            TEXT NOT NULL,
    text            TEXT NOT NULL,
    first_ms        INTEGER,
    captioner_id    TEXT,
    captioner_label TEXT,
    updated_ms      INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, session_id, lang)
);

CREATE TABLE caption_feeds (
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    feed        TEXT NOT NULL,               -- captioner link id and tool convention, e.g. "12:zoom"
    last_seq    INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, session_id, feed)
);

-- Every correction and handover, never updated: the raw original of a corrected line stays here.
CREATE TABLE caption_events (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    lang        TEXT NOT NULL,
    name        TEXT NOT NULL,
    payload     TEXT NOT NULL,               -- the event's JSON payload
    at_ms       INTEGER NOT NULL
);
CREATE INDEX caption_events_stream ON caption_events (meeting_id, session_id, lang, id);
