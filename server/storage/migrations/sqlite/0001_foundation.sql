-- Meetings, agenda sessions, capability tokens, participants and attendance.
CREATE TABLE meetings (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    venue       TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    start_date  TEXT NOT NULL,
    end_date    TEXT NOT NULL,
    languages   TEXT NOT NULL,           -- JSON list of language codes
    groups_json TEXT NOT NULL,           -- JSON list of {slug, label}
    description TEXT NOT NULL DEFAULT '',
    source_hash TEXT NOT NULL,           -- SHA-256 of the normalised meeting description
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);

CREATE TABLE sessions (
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    position    INTEGER NOT NULL,
    title       TEXT NOT NULL,
    room        TEXT NOT NULL,
    start_ms    INTEGER NOT NULL,
    end_ms      INTEGER NOT NULL,
    themes      TEXT NOT NULL,           -- JSON list
    auto_start  INTEGER NOT NULL DEFAULT 0,
    description TEXT NOT NULL DEFAULT '',
    in_agenda   INTEGER NOT NULL DEFAULT 1,  -- 0 once a reload drops it (its records stay)
    state       TEXT NOT NULL DEFAULT 'scheduled',
    started_ms  INTEGER,
    ended_ms    INTEGER,
    PRIMARY KEY (meeting_id, id)
);

CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    session_id  TEXT,                    -- NULL: valid for every session of the meeting
    role        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,    -- SHA-256 hex; the token itself is never stored
    nonce       TEXT NOT NULL,           -- the token is HMAC(key file, nonce): see storage/meetings.py
    created_ms  INTEGER NOT NULL,
    revoked_ms  INTEGER
);
CREATE INDEX tokens_scope ON tokens (meeting_id, session_id, role);

CREATE TABLE participants (
    id            INTEGER PRIMARY KEY,
    meeting_id    INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    organisation  TEXT NOT NULL,
    country       TEXT NOT NULL,
    group_slug    TEXT NOT NULL,
    mode          TEXT NOT NULL CHECK (mode IN ('onsite', 'remote', 'hub')),
    hub_city      TEXT NOT NULL DEFAULT '',
    hub_country   TEXT NOT NULL DEFAULT '',
    hub_headcount INTEGER NOT NULL DEFAULT 0,
    listed        INTEGER NOT NULL DEFAULT 1,
    cookie_hash   TEXT NOT NULL UNIQUE,
    created_ms    INTEGER NOT NULL
);

CREATE TABLE attendance (
    id             INTEGER PRIMARY KEY,
    participant_id INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    meeting_id     INTEGER NOT NULL,
    session_id     TEXT NOT NULL,
    join_ms        INTEGER NOT NULL,
    leave_ms       INTEGER
);
CREATE INDEX attendance_session ON attendance (meeting_id, session_id, participant_id);

CREATE TABLE session_log (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL,
    session_id  TEXT NOT NULL,
    event       TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at_ms       INTEGER NOT NULL
);
