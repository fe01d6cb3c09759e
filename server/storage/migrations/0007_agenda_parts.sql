-- The agenda's parts. The chair's moves between presentations, panel, debate and closing are floor events
-- (name floor_part_changed, replayed with the rest of the log); this index lists a session's parts for its export
-- without reading the whole log.
CREATE INDEX floor_events_parts ON floor_events (meeting_id, session_id, id) WHERE name = 'floor_part_changed';
