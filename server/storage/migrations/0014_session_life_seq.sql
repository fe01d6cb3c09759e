-- A session's life (started, ended) carries the number of changes stored so far: a start or an end is stored only
-- if the number is still the one the writer's copy was read with, so two nodes starting or ending the same session
-- at once give one outcome, and the other node reads the stored life again instead of overwriting it.
ALTER TABLE sessions ADD COLUMN life_seq INTEGER NOT NULL DEFAULT 0;
