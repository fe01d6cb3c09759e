-- Remote hubs as entities: registered once (by the admin), with their own link; people register at a hub.
CREATE TABLE hubs (
    id                 INTEGER PRIMARY KEY,
    meeting_id         INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    city               TEXT NOT NULL,
    country            TEXT NOT NULL,
    host_organisation  TEXT NOT NULL DEFAULT '',
    group_slug         TEXT NOT NULL,          -- the stakeholder group the hub's own statements count in
    expected_headcount INTEGER NOT NULL,
    participant_id     INTEGER REFERENCES participants(id),  -- the hub's own identity (takes the floor as the hub)
    nonce              TEXT NOT NULL,          -- the identity's cookie is HMAC(key file, nonce): storage/meetings.py
    created_ms         INTEGER NOT NULL
);
CREATE UNIQUE INDEX hubs_name ON hubs (meeting_id, name COLLATE NOCASE, country);

-- hub_id: the hub a person registered at, or the hub an identity row stands for (is_hub = 1).
ALTER TABLE participants ADD COLUMN hub_id INTEGER REFERENCES hubs(id);
ALTER TABLE participants ADD COLUMN is_hub INTEGER NOT NULL DEFAULT 0;
-- A hub's link: role 'hub', meeting-wide, for one hub.
ALTER TABLE tokens ADD COLUMN hub_id INTEGER REFERENCES hubs(id);

-- Before, every person registered "through a hub" described the hub again (city, country, headcount). One hub
-- per meeting, city and country replaces them; it expects the largest headcount any of them gave, and its own
-- statements count in the group most of its people gave (ties: the first in slug order).
INSERT INTO hubs (meeting_id, name, city, country, host_organisation, group_slug, expected_headcount, nonce,
                  created_ms)
SELECT p.meeting_id, MIN(TRIM(p.hub_city)) || ' hub', MIN(TRIM(p.hub_city)), UPPER(p.hub_country), '',
       (SELECT q.group_slug FROM participants q
         WHERE q.meeting_id = p.meeting_id AND q.mode = 'hub' AND LOWER(TRIM(q.hub_city)) = LOWER(TRIM(p.hub_city))
           AND UPPER(q.hub_country) = UPPER(p.hub_country)
         GROUP BY q.group_slug ORDER BY COUNT(*) DESC, q.group_slug LIMIT 1),
       MAX(MAX(p.hub_headcount), 1), lower(hex(randomblob(16))), MIN(p.created_ms)
  FROM participants p
 WHERE p.mode = 'hub' AND TRIM(p.hub_city) <> ''
 GROUP BY p.meeting_id, LOWER(TRIM(p.hub_city)), UPPER(p.hub_country);

UPDATE participants SET hub_id = (
    SELECT h.id FROM hubs h
     WHERE h.meeting_id = participants.meeting_id AND LOWER(TRIM(h.city)) = LOWER(TRIM(participants.hub_city))
       AND h.country = UPPER(participants.hub_country))
 WHERE mode = 'hub';

-- Each hub's own identity; its cookie hash is set the first time someone opens the hub's link.
INSERT INTO participants (meeting_id, name, organisation, country, group_slug, mode, listed, cookie_hash,
                          created_ms, hub_id, is_hub)
SELECT meeting_id, name, host_organisation, country, group_slug, 'hub', 0, 'unset:' || nonce, created_ms, id, 1
  FROM hubs;
UPDATE hubs SET participant_id = (SELECT p.id FROM participants p WHERE p.is_hub = 1 AND p.hub_id = hubs.id);

CREATE INDEX participants_hub ON participants (meeting_id, hub_id);
