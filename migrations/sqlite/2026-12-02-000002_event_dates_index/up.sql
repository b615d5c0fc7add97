-- The festival calendar (home page, /le-hoi, /api/v1/events) reads the dates of every published
-- event to order their occurrences (yearly festivals move): from this index alone, not the table.
CREATE INDEX listings_event_dates ON listings(kind, status, event_start, event_end, recurs_yearly, id);
