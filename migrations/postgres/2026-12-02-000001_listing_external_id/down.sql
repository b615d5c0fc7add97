DROP TABLE import_jobs;
DROP INDEX listings_coop_external_id;
ALTER TABLE listings DROP COLUMN external_id;
