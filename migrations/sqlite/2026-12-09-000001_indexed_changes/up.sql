-- The listings the indexer applied to a search index that several processes share
-- (Meilisearch): every other process reads the rows past the last it saw and brings its own
-- query-understanding vocabulary up to date with them. Rows older than a day are pruned;
-- AUTOINCREMENT so that an id is never given out again once its row is pruned.
CREATE TABLE indexed_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    listing_id BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX indexed_changes_recorded ON indexed_changes(recorded_at);
