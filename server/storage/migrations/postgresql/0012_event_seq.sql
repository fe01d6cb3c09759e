-- Floor and question events carry their number in the session's log (1, 2, 3, …) under a unique key: an append
-- made from an out-of-date copy of the log (another node appended first) fails instead of forking it.
-- The append-only guards are lifted only while existing rows are numbered in the order they were written.
ALTER TABLE floor_events ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE question_events ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE floor_events DISABLE TRIGGER floor_events_append_only;
ALTER TABLE question_events DISABLE TRIGGER question_events_append_only;
UPDATE floor_events f SET seq = n.seq
  FROM (SELECT id, row_number() OVER (PARTITION BY meeting_id, session_id ORDER BY id) AS seq FROM floor_events) n
 WHERE n.id = f.id;
UPDATE question_events q SET seq = n.seq
  FROM (SELECT id, row_number() OVER (PARTITION BY meeting_id, session_id ORDER BY id) AS seq FROM question_events) n
 WHERE n.id = q.id;
ALTER TABLE floor_events ENABLE TRIGGER floor_events_append_only;
ALTER TABLE question_events ENABLE TRIGGER question_events_append_only;
CREATE UNIQUE INDEX floor_events_seq ON floor_events (meeting_id, session_id, seq);
CREATE UNIQUE INDEX question_events_seq ON question_events (meeting_id, session_id, seq);
