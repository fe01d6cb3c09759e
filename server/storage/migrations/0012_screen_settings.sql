-- What the chair has the room screen show next to the captions, per session (no row: everything).
CREATE TABLE screen_settings (
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    shows       TEXT NOT NULL CHECK (shows IN ('captions', 'speaker', 'all')),
    changed_ms  INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, session_id)
);
