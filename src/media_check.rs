//! `vungcao check`'s media half: photo rows against the objects in the media store (orphan
//! objects, photos with missing variants), and the repair `check --fix` makes.
//!
//! The repair, as a member would expect it: an orphan object (no photo row uses it: an upload
//! that crashed before its row committed, a delete whose cleanup failed) is deleted; nobody can
//! see it. A photo row whose master or any variant is missing shows a broken image in the
//! gallery, and its bytes cannot be rebuilt, so the row is removed (the listing's cover moves on,
//! the search index is refreshed through the outbox) and its remaining objects are deleted; the
//! report names the listing so the commune can ask the cooperative to upload the photo again.

use crate::error::AppError;
use crate::media::{MediaStore, StoreError};
use crate::store::photos::{self, PhotoRow};
use crate::store::{listings, Db};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

/// Objects younger than this may belong to an upload whose row is about to commit: `--fix`
/// leaves them alone unless told otherwise.
pub const ORPHAN_GRACE: Duration = Duration::from_secs(600);

/// Photo objects all live under this prefix.
const PHOTO_PREFIX: &str = "p/";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaDrift {
    /// Objects no photo row uses, with their age.
    pub orphans: Vec<Orphan>,
    /// Photo rows with objects missing.
    pub broken: Vec<BrokenPhoto>,
}

impl MediaDrift {
    pub fn is_clean(&self) -> bool {
        self.orphans.is_empty() && self.broken.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub key: String,
    pub age: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenPhoto {
    pub photo_id: i64,
    pub listing_id: i64,
    pub missing: Vec<String>,
}

/// What `fix` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaRepair {
    pub orphans_deleted: usize,
    /// Orphans younger than the grace period, left for now.
    pub orphans_spared: usize,
    /// `(listing_id, photo_id)` of each removed photo row.
    pub photos_removed: Vec<(i64, i64)>,
}

fn storage(e: StoreError) -> AppError {
    AppError::unavailable(format!("media storage: {e}"))
}

/// Compares every photo row with the stored objects. Rows are read before objects are listed,
/// so an upload finishing meanwhile shows up as a young orphan, never as a broken photo.
pub async fn check(db: &Db, media: &MediaStore) -> Result<MediaDrift, AppError> {
    let mut rows: Vec<PhotoRow> = Vec::new();
    let mut after = 0;
    loop {
        let page = db
            .run(move |conn| photos::page_after(conn, after, 5_000))
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        rows.extend(page);
    }
    let listed = media.list(PHOTO_PREFIX).await.map_err(storage)?;
    let now = SystemTime::now();
    let present: BTreeMap<&str, SystemTime> = listed
        .iter()
        .map(|object| (object.key.as_str(), object.modified))
        .collect();
    let mut used = BTreeSet::new();
    let mut broken = Vec::new();
    for row in &rows {
        let keys = row.object_keys();
        let missing: Vec<String> = keys
            .iter()
            .filter(|key| !present.contains_key(key.as_str()))
            .cloned()
            .collect();
        if !missing.is_empty() {
            broken.push(BrokenPhoto {
                photo_id: row.id,
                listing_id: row.listing_id,
                missing,
            });
        }
        used.extend(keys);
    }
    let orphans = present
        .iter()
        .filter(|(key, _)| !used.contains(**key))
        .map(|(key, modified)| Orphan {
            key: (*key).to_owned(),
            age: now.duration_since(*modified).unwrap_or_default(),
        })
        .collect();
    Ok(MediaDrift { orphans, broken })
}

/// Deletes orphans older than `grace` and removes broken photo rows (see the module comment).
pub async fn fix(
    db: &Db,
    media: &MediaStore,
    drift: &MediaDrift,
    grace: Duration,
) -> Result<MediaRepair, AppError> {
    let mut repair = MediaRepair::default();
    for orphan in &drift.orphans {
        if orphan.age < grace {
            repair.orphans_spared += 1;
            continue;
        }
        media.delete(&orphan.key).await.map_err(storage)?;
        repair.orphans_deleted += 1;
    }
    for photo in &drift.broken {
        // Look again: the photo may have been deleted or its object written since the check.
        let mut still_missing = false;
        for key in &photo.missing {
            if media.head(key).await.map_err(storage)?.is_none() {
                still_missing = true;
            }
        }
        if !still_missing {
            continue;
        }
        let (listing_id, photo_id) = (photo.listing_id, photo.photo_id);
        let removed = db
            .run(move |conn| {
                conn.transaction(|conn| {
                    let Some(removed) = photos::delete(conn, listing_id, photo_id)? else {
                        return Ok(None);
                    };
                    let cover = listings::row(conn, listing_id)?.and_then(|r| r.cover_photo_id);
                    if cover == Some(photo_id) {
                        listings::set_cover(conn, listing_id, None)?;
                    }
                    listings::touch(conn, listing_id)?;
                    let in_use = photos::key_in_use(conn, &removed.content_key)?;
                    Ok(Some((removed, in_use)))
                })
            })
            .await?;
        let Some((removed, in_use)) = removed else {
            continue;
        };
        if !in_use {
            media
                .delete_prefix(&removed.content_key)
                .await
                .map_err(storage)?;
        }
        repair.photos_removed.push((listing_id, photo_id));
    }
    Ok(repair)
}
