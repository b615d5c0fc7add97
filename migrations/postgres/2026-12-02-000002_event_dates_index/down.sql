DROP INDEX listings_event_dates;
