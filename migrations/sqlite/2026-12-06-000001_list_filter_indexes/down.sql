DROP INDEX listings_public_newest;
CREATE INDEX listings_public_newest ON listings(status, published_at DESC, id DESC);
DROP INDEX listings_public_category;
CREATE INDEX listings_public_category ON listings(status, category_code, published_at DESC, id DESC);
DROP INDEX listings_public_price;
CREATE INDEX listings_public_price ON listings(status, price_vnd, id);
