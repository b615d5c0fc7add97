-- Each listing carries its place's path (`/TQ/TQ-NH/TQ-NH-HT/`), so a list of one district is
-- a prefix range over the list indexes instead of `place_code IN (64 communes)`. Places never
-- move (a path is fixed when the place is created), so the copy is kept by these triggers on
-- every insert and every change of place. SQLite compares text bytewise.
ALTER TABLE listings ADD COLUMN place_path TEXT NOT NULL DEFAULT '';
UPDATE listings SET place_path = COALESCE((SELECT path FROM places WHERE places.code = listings.place_code), '');

CREATE TRIGGER listings_place_path_insert AFTER INSERT ON listings
BEGIN
    UPDATE listings
    SET place_path = COALESCE((SELECT path FROM places WHERE places.code = NEW.place_code), '')
    WHERE id = NEW.id;
END;
CREATE TRIGGER listings_place_path_update AFTER UPDATE OF place_code ON listings
BEGIN
    UPDATE listings
    SET place_path = COALESCE((SELECT path FROM places WHERE places.code = NEW.place_code), '')
    WHERE id = NEW.id;
END;

DROP INDEX listings_public_newest;
CREATE INDEX listings_public_newest ON listings(status, published_at DESC, id DESC, kind, category_code, place_path, cooperative_id, ocop_stars, season_mask, price_vnd);
DROP INDEX listings_public_category;
CREATE INDEX listings_public_category ON listings(status, category_code, published_at DESC, id DESC, place_path, ocop_stars, season_mask, price_vnd);
DROP INDEX listings_public_price;
CREATE INDEX listings_public_price ON listings(status, price_vnd, id, kind, category_code, place_path, ocop_stars, season_mask);

-- The new indexes have no statistics yet: without them the planner chose the wrong index for
-- the lists until the next ANALYZE (SQLite, 100 000 listings: 140 instead of 4 000 req/s).
ANALYZE listings;
