-- Reviewed means reviewed: a published listing keeps showing its approved content while a
-- member's edit to anything shoppers rely on waits as a revision for an admin.

-- Bumped by every change to a listing; the API's ETag and the forms' hidden version, so an
-- edit or a decision made on a stale copy is refused instead of overwriting a newer one.
ALTER TABLE listings ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- At most one revision per listing: the member's proposed content (JSON of the reviewed
-- fields, photo order and cover), pending or rejected with a reason.
CREATE TABLE listing_revisions (
    listing_id BIGINT PRIMARY KEY NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    proposal TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'rejected')),
    rejection_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX listing_revisions_queue ON listing_revisions(status, updated_at);

-- A photo of a published listing under review: 'added' is not public yet, 'removed' is still
-- public until the revision is approved.
ALTER TABLE photos ADD COLUMN review_state TEXT NOT NULL DEFAULT 'live'
    CHECK (review_state IN ('live', 'added', 'removed'));
