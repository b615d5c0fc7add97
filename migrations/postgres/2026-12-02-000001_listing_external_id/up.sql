-- A cooperative's own id for a listing (its spreadsheet's "Mã riêng"), so bulk imports match
-- rows even when a name or slug changes. Unique per cooperative; NULLs never clash.
ALTER TABLE listings ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX listings_coop_external_id ON listings(cooperative_id, external_id);
