-- A listing's page and API detail find it by slug and check that it is published: from this
-- index alone (with the id it carries, an index-only scan), without reading the listing's row
-- (its texts), before reading its card by id.
CREATE INDEX listings_slug_status ON listings(slug, status) INCLUDE (id);
