-- Each published listing as shoppers see it (its view, JSON), written at the commit of the
-- transaction that changed it (store::listings::cards). A public read takes this one row instead
-- of five queries; the listing tables stay the source of truth, and a listing without a row here
-- is read from them.
CREATE TABLE listing_cards (
    listing_id INTEGER PRIMARY KEY NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    -- Which shape of view the body holds (cards::format): another shape is read as missing.
    format BIGINT NOT NULL,
    body TEXT NOT NULL
);
