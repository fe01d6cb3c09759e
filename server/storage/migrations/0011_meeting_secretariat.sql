-- The secretariat named in the meeting file: the author of the documents the meeting exports.
ALTER TABLE meetings ADD COLUMN secretariat TEXT NOT NULL DEFAULT '';
