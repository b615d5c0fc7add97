-- The festival calendar's version: moved on in the same transaction as any change to a published
-- event (its dates, its status, its kind), so every replica keeps its calendar in memory and
-- rebuilds it when the number it last saw is no longer the stored one (one row, read by key).
CREATE TABLE calendar_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO calendar_version (id, version) VALUES (1, 0);
