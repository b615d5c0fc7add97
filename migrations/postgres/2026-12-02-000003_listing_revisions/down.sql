ALTER TABLE photos DROP COLUMN review_state;
DROP TABLE listing_revisions;
ALTER TABLE listings DROP COLUMN version;
