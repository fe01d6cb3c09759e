-- What the chair has the room screen show next to the captions, per session (no row: everything).
CREATE TABLE screen_settings (
    meeting_id  BIGINT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    shows       TEXT NOT NULL CHECK (shows IN ('captions', 'speaker', 'all')),
    changed_ms  BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, session_id)
);
