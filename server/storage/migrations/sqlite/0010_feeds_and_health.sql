-- A captioner feed keeps its last accepted posts (JSON [[seq, text fingerprint, ms], ...], oldest first) with its
-- last seq, so a retry of one of them is answered with the original's time and other text under an accepted seq
-- is refused instead of being acknowledged and dropped.
ALTER TABLE caption_feeds ADD COLUMN recent_posts TEXT;

-- One row the health check rewrites: a write that commits proves the file is writable. The check also adds a
-- filler row and rolls it back, which fails when no page can be allocated (disk or page limit full).
CREATE TABLE health_probe (
    id      INTEGER PRIMARY KEY,
    filler  BLOB,
    at_ms   INTEGER NOT NULL
);
