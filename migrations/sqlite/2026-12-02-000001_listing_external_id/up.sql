-- A cooperative's own id for a listing (its spreadsheet's "Mã riêng"), so bulk imports match
-- rows even when a name or slug changes. Unique per cooperative; NULLs never clash.
ALTER TABLE listings ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX listings_coop_external_id ON listings(cooperative_id, external_id);

-- Bulk import jobs, so any replica (or the server after a restart) answers for them.
-- updated_at is the running job's heartbeat: a running job whose heartbeat stopped lost its
-- server and is reported failed.
CREATE TABLE import_jobs (
    id INTEGER PRIMARY KEY NOT NULL,
    owner_cooperative_id BIGINT REFERENCES cooperatives(id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('running', 'done', 'refused', 'failed')),
    stage TEXT,
    done BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL DEFAULT 0,
    report TEXT,
    error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX import_jobs_running ON import_jobs(state, updated_at);
