-- Edited transcripts, presenters marked by the rapporteur, and the full-text search index.

-- Each save of the transcript editor is one version: a JSON list of segment edits ({lang, seq, text, speaker}).
-- Version N is the raw captions with versions 1..N applied in order; the raw captions are never changed.
CREATE TABLE transcript_versions (
    id          INTEGER PRIMARY KEY,             -- also the search index's progress marker
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    version     INTEGER NOT NULL,                -- 1, 2, … per session
    author      TEXT NOT NULL,                   -- the name the editor typed
    role        TEXT NOT NULL,                   -- the link's role label, e.g. rapporteur@morning
    note        TEXT NOT NULL DEFAULT '',
    created_ms  INTEGER NOT NULL,
    edits       TEXT NOT NULL,
    UNIQUE (meeting_id, session_id, version)
);

CREATE TRIGGER transcript_versions_no_update BEFORE UPDATE ON transcript_versions
BEGIN SELECT RAISE(ABORT, 'transcript_versions is append-only'); END;

CREATE TABLE transcript_presenters (
    meeting_id      INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL,
    participant_id  INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, session_id, participant_id)
);

-- Every finalised caption segment (version 0) and every edited segment (version N), built lazily when someone
-- searches: transcript_search_state says how far each meeting's index has read the source tables.
CREATE VIRTUAL TABLE transcript_search USING fts5(
    text, meeting_id UNINDEXED, session_id UNINDEXED, lang UNINDEXED, seq UNINDEXED, version UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE transcript_search_state (
    meeting_id     INTEGER PRIMARY KEY,
    segment_rowid  INTEGER NOT NULL DEFAULT 0,   -- caption_segments rows indexed up to this rowid
    event_id       INTEGER NOT NULL DEFAULT 0,   -- caption_events (corrections) applied up to this id
    version_id     INTEGER NOT NULL DEFAULT 0    -- transcript_versions indexed up to this id
);
