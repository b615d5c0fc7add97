-- The storefront's version: moved on in the same transaction as every change a shopper may see
-- on the home page (a published listing's change, which passes the outbox; a category, place or
-- cooperative renamed; a bulk load; and every move of the festival calendar's version), so each
-- replica keeps its rendered home page and serves it while the stored number is the one it was
-- made at (one row, read by key).
CREATE TABLE storefront_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO storefront_version (id, version) VALUES (1, 0);
