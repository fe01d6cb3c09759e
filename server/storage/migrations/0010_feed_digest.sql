-- A captioner feed keeps a fingerprint of its last accepted post with its seq and time, so a retry (same seq,
-- same text) is answered with the original's time and a different text under an accepted seq is refused.
ALTER TABLE caption_feeds ADD COLUMN last_digest TEXT;
