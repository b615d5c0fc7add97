-- A listing's page and API detail find it by slug and check that it is published: from this
-- index alone, without reading the listing's row (its texts, a page or more away), before
-- reading its card by id.
CREATE INDEX listings_slug_status ON listings(slug, status);
