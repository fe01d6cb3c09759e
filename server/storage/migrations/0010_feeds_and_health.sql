-- A captioner feed keeps a fingerprint of its last accepted post with its seq and time, so a retry (same seq,
-- same text) is answered with the original's time and a different text under an accepted seq is refused.
ALTER TABLE caption_feeds ADD COLUMN last_digest TEXT;

-- One row the health check rewrites: a write that commits proves the file is writable. The check also adds a
-- filler row and rolls it back, which fails when no page can be allocated (disk or page limit full).
CREATE TABLE health_probe (
    id      INTEGER PRIMARY KEY,
    filler  BLOB,
    at_ms   INTEGER NOT NULL
);
