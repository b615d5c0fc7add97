DROP INDEX listings_public_newest;
CREATE INDEX listings_public_newest ON listings(status, published_at DESC, id DESC, kind, category_code, place_code, cooperative_id, ocop_stars, season_mask, price_vnd);
DROP INDEX listings_public_category;
CREATE INDEX listings_public_category ON listings(status, category_code, published_at DESC, id DESC, place_code, ocop_stars, season_mask, price_vnd);
DROP INDEX listings_public_price;
CREATE INDEX listings_public_price ON listings(status, price_vnd, id, kind, category_code, place_code, ocop_stars, season_mask);
DROP TRIGGER listings_place_path_insert;
DROP TRIGGER listings_place_path_update;
ALTER TABLE listings DROP COLUMN place_path;
