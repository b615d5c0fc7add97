DROP INDEX listings_slug_status;
