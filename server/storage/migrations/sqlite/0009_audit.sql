-- The audit log of privileged actions (links issued, revoked and rotated; sessions started and ended), and
-- append-only guards on every log: a row, once written, can be neither changed nor deleted.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id),
    session_id  TEXT,                        -- NULL: the whole meeting
    action      TEXT NOT NULL,               -- link_issued, link_revoked, link_rotated, session_started, …
    actor       TEXT NOT NULL,               -- who did it, e.g. admin@meeting or moderator@morning (Ana)
    detail      TEXT NOT NULL DEFAULT '{}',  -- JSON: the link's id, role and scope, …
    at_ms       INTEGER NOT NULL
);
CREATE INDEX audit_log_meeting ON audit_log (meeting_id, id);

-- Links revoked since a moment: every process cuts off the connections of a revoked link.
CREATE INDEX tokens_revoked ON tokens (revoked_ms) WHERE revoked_ms IS NOT NULL;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TRIGGER session_log_no_update BEFORE UPDATE ON session_log
BEGIN SELECT RAISE(ABORT, 'session_log is append-only'); END;
CREATE TRIGGER session_log_no_delete BEFORE DELETE ON session_log
BEGIN SELECT RAISE(ABORT, 'session_log is append-only'); END;

CREATE TRIGGER caption_events_no_update BEFORE UPDATE ON caption_events
BEGIN SELECT RAISE(ABORT, 'caption_events is append-only'); END;
CREATE TRIGGER caption_events_no_delete BEFORE DELETE ON caption_events
BEGIN SELECT RAISE(ABORT, 'caption_events is append-only'); END;

CREATE TRIGGER transcript_versions_no_delete BEFORE DELETE ON transcript_versions
BEGIN SELECT RAISE(ABORT, 'transcript_versions is append-only'); END;
