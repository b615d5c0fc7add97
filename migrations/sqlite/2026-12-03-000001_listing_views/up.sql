-- Listing page views per listing per day (shoppers only: no bots, no HEAD). Nothing about who
-- viewed is kept: no address, no user agent, only the count.
CREATE TABLE listing_views (
    listing_id BIGINT NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    day DATE NOT NULL,
    views BIGINT NOT NULL,
    PRIMARY KEY (listing_id, day)
);
-- The commune report reads one range of days across every listing.
CREATE INDEX listing_views_day ON listing_views(day);
-- ... and so does it read the marketplace clicks.
CREATE INDEX link_clicks_day ON link_clicks(day);
