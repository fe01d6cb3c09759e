-- Floor queues: each session's list of speakers as its events, append-only. The queue is rebuilt by replaying its
-- rows in id order; the same rows are the moderator audit log (who asked, who called whom, moves and their reasons).
CREATE TABLE floor_events (
    id             INTEGER PRIMARY KEY,
    meeting_id     INTEGER NOT NULL,
    session_id     TEXT NOT NULL,
    name           TEXT NOT NULL,            -- the event's wire name, e.g. floor_granted
    request_id     TEXT,                     -- NULL for session-wide events (policy, limit, list closed)
    intervention_id TEXT,
    actor_role     TEXT NOT NULL,
    actor_label    TEXT NOT NULL,
    actor_participant_id INTEGER,
    at_ms          INTEGER NOT NULL,
    body           TEXT NOT NULL             -- JSON: the whole event (event_to_dict)
);
CREATE INDEX floor_events_session ON floor_events (meeting_id, session_id, id);

-- Append-only: the audit trail cannot be rewritten by the service.
CREATE TRIGGER floor_events_no_update BEFORE UPDATE ON floor_events
BEGIN SELECT RAISE(ABORT, 'floor_events is append-only'); END;
CREATE TRIGGER floor_events_no_delete BEFORE DELETE ON floor_events
BEGIN SELECT RAISE(ABORT, 'floor_events is append-only'); END;
