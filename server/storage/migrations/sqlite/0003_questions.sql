-- Moderated questions: the question boards' events, append-only. Each board is rebuilt by replaying its rows in
-- id order; the same rows are the moderation audit log (who did what, when). Settings changes are events too.
CREATE TABLE question_events (
    id             INTEGER PRIMARY KEY,
    meeting_id     INTEGER NOT NULL,
    session_id     TEXT NOT NULL,
    name           TEXT NOT NULL,            -- the event's wire name, e.g. question_published
    question_id    INTEGER,                  -- NULL for session-wide events (settings)
    actor_role     TEXT NOT NULL,
    actor_label    TEXT NOT NULL,
    actor_participant_id INTEGER,
    at_ms          INTEGER NOT NULL,
    body           TEXT NOT NULL             -- JSON: the whole event (event_to_dict)
);
CREATE INDEX question_events_session ON question_events (meeting_id, session_id, id);

-- Append-only: the audit trail cannot be rewritten by the service.
CREATE TRIGGER question_events_no_update BEFORE UPDATE ON question_events
BEGIN SELECT RAISE(ABORT, 'question_events is append-only'); END;
CREATE TRIGGER question_events_no_delete BEFORE DELETE ON question_events
BEGIN SELECT RAISE(ABORT, 'question_events is append-only'); END;
