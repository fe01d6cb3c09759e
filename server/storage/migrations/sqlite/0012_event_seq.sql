-- Floor and question events carry their number in the session's log (1, 2, 3, …) under a unique key: an append
-- made from an out-of-date copy of the log (another process appended first) fails instead of forking it.
-- The append-only guards are lifted only while existing rows are numbered in the order they were written.
ALTER TABLE floor_events ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE question_events ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
DROP TRIGGER floor_events_no_update;
DROP TRIGGER question_events_no_update;
UPDATE floor_events SET seq = (SELECT COUNT(*) FROM floor_events e WHERE e.meeting_id = floor_events.meeting_id
                                AND e.session_id = floor_events.session_id AND e.id <= floor_events.id);
UPDATE question_events SET seq = (SELECT COUNT(*) FROM question_events e
                                  WHERE e.meeting_id = question_events.meeting_id
                                    AND e.session_id = question_events.session_id AND e.id <= question_events.id);
CREATE TRIGGER floor_events_no_update BEFORE UPDATE ON floor_events
BEGIN SELECT RAISE(ABORT, 'floor_events is append-only'); END;
CREATE TRIGGER question_events_no_update BEFORE UPDATE ON question_events
BEGIN SELECT RAISE(ABORT, 'question_events is append-only'); END;
CREATE UNIQUE INDEX floor_events_seq ON floor_events (meeting_id, session_id, seq);
CREATE UNIQUE INDEX question_events_seq ON question_events (meeting_id, session_id, seq);
