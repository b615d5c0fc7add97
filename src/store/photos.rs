//! Photo rows: which processed photos a listing has, in order, and where their variants live.

use super::in_list::in_list;
use super::schema::photos;
use super::{now, Conn};
use crate::error::AppError;
use crate::with_conn;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

pub const REVIEW_LIVE: &str = "live";
pub const REVIEW_ADDED: &str = "added";
pub const REVIEW_REMOVED: &str = "removed";

/// `format` of the stored 1200×630 JPEG cut for link previews (`og:image`). It is not a
/// `srcset` candidate, so it is kept apart from the responsive variants clients see.
pub const SHARE_FORMAT: &str = "og";

/// One stored rendition of a photo, as the `variants` column keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredVariant {
    pub width: u32,
    pub height: u32,
    /// `webp` or `jpeg`; [`SHARE_FORMAT`] for the link-preview picture.
    pub format: String,
    /// Media key.
    pub key: String,
}

/// One rendition as clients see it, ready for `srcset`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VariantView {
    pub width: u32,
    pub height: u32,
    /// `webp` or `jpeg`.
    pub format: String,
    pub url: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = photos)]
pub struct PhotoRow {
    pub id: i64,
    pub listing_id: i64,
    pub position: i32,
    pub content_key: String,
    pub width: i32,
    pub height: i32,
    pub placeholder: String,
    pub variants: String,
    /// `live`; `added` (waiting in a revision, not public); `removed` (public until approved).
    pub review_state: String,
}

/// A photo as clients see it: variants ready for `srcset` and an inline placeholder.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PhotoView {
    pub id: i64,
    pub width: i32,
    pub height: i32,
    pub aspect_ratio: f64,
    /// ThumbHash, base64: paint it before the photo arrives.
    pub placeholder: String,
    pub variants: Vec<VariantView>,
    /// The picture a shared link shows (`og:image`): the 1200×630 cut, or for a photo stored
    /// before those were made, its largest JPEG. Pages only; not part of the JSON.
    #[serde(skip)]
    pub share: Option<VariantView>,
}

impl PhotoRow {
    /// Shown to shoppers: everything but a photo added in a revision not yet approved.
    pub fn is_public(&self) -> bool {
        self.review_state != REVIEW_ADDED
    }

    /// In the member's own gallery: everything but a photo they removed pending review.
    pub fn is_proposed(&self) -> bool {
        self.review_state != REVIEW_REMOVED
    }

    pub fn view(&self, media_base: &str) -> PhotoView {
        let stored: Vec<StoredVariant> = serde_json::from_str(&self.variants).unwrap_or_default();
        let (shares, variants): (Vec<VariantView>, Vec<VariantView>) = stored
            .into_iter()
            .map(|v| VariantView {
                url: format!("{media_base}/{}", v.key),
                width: v.width,
                height: v.height,
                format: v.format,
            })
            .partition(|v| v.format == SHARE_FORMAT);
        let share = shares.into_iter().next().or_else(|| {
            variants
                .iter()
                .filter(|v| v.format == "jpeg")
                .max_by_key(|v| v.width)
                .cloned()
        });
        PhotoView {
            id: self.id,
            width: self.width,
            height: self.height,
            aspect_ratio: if self.height > 0 {
                f64::from(self.width) / f64::from(self.height)
            } else {
                1.0
            },
            placeholder: self.placeholder.clone(),
            variants,
            share,
        }
    }

    /// Every object this photo needs in the media store: the master and each variant.
    pub fn object_keys(&self) -> Vec<String> {
        let variants: Vec<StoredVariant> = serde_json::from_str(&self.variants).unwrap_or_default();
        let mut keys: Vec<String> = variants.into_iter().map(|v| v.key).collect();
        keys.push(format!("{}master.jpg", self.content_key));
        keys
    }

    /// Every media key this photo uses.
    pub fn keys(&self) -> Vec<String> {
        let variants: Vec<StoredVariant> = serde_json::from_str(&self.variants).unwrap_or_default();
        let mut keys: Vec<String> = variants.into_iter().map(|v| v.key).collect();
        keys.push(self.content_key.clone());
        keys
    }
}

pub fn for_listings(conn: &mut Conn, listing_ids: &[i64]) -> Result<Vec<PhotoRow>, AppError> {
    with_conn!(conn, |c| photos::table
        .filter(in_list(photos::listing_id, listing_ids))
        .order((
            photos::listing_id.asc(),
            photos::position.asc(),
            photos::id.asc()
        ))
        .select(PhotoRow::as_select())
        .load(c))
    .map_err(AppError::from)
}

/// Up to `limit` photo rows with an id above `after`, in id order (to walk them all in pages).
pub fn page_after(conn: &mut Conn, after: i64, limit: i64) -> Result<Vec<PhotoRow>, AppError> {
    with_conn!(conn, |c| photos::table
        .filter(photos::id.gt(after))
        .order(photos::id.asc())
        .limit(limit)
        .select(PhotoRow::as_select())
        .load(c))
    .map_err(AppError::from)
}

/// The photos a listing has or will have once its revision is approved (not those removed).
pub fn count_for(conn: &mut Conn, listing_id: i64) -> Result<i64, AppError> {
    with_conn!(conn, |c| photos::table
        .filter(photos::listing_id.eq(listing_id))
        .filter(photos::review_state.ne(REVIEW_REMOVED))
        .count()
        .get_result(c))
    .map_err(AppError::from)
}

pub struct NewPhoto<'a> {
    pub listing_id: i64,
    pub content_key: &'a str,
    pub width: i32,
    pub height: i32,
    pub placeholder: &'a str,
    pub variants: &'a [StoredVariant],
}

/// Appends a photo at the end of the listing's gallery.
pub fn insert(conn: &mut Conn, photo: &NewPhoto<'_>) -> Result<PhotoRow, AppError> {
    let position: Option<i32> = with_conn!(conn, |c| photos::table
        .filter(photos::listing_id.eq(photo.listing_id))
        .select(diesel::dsl::max(photos::position))
        .first(c))?;
    let variants = serde_json::to_string(photo.variants)
        .map_err(|e| AppError::internal(format!("variants json: {e}")))?;
    with_conn!(conn, |c| diesel::insert_into(photos::table)
        .values((
            photos::listing_id.eq(photo.listing_id),
            photos::position.eq(position.map_or(0, |p| p + 1)),
            photos::content_key.eq(photo.content_key),
            photos::width.eq(photo.width),
            photos::height.eq(photo.height),
            photos::placeholder.eq(photo.placeholder),
            photos::variants.eq(&variants),
            photos::created_at.eq(now()),
        ))
        .execute(c))?;
    with_conn!(conn, |c| photos::table
        .filter(photos::listing_id.eq(photo.listing_id))
        .order(photos::id.desc())
        .select(PhotoRow::as_select())
        .first(c))
    .map_err(AppError::from)
}

pub fn delete(
    conn: &mut Conn,
    listing_id: i64,
    photo_id: i64,
) -> Result<Option<PhotoRow>, AppError> {
    let row: Option<PhotoRow> = with_conn!(conn, |c| photos::table
        .filter(photos::id.eq(photo_id))
        .filter(photos::listing_id.eq(listing_id))
        .select(PhotoRow::as_select())
        .first(c)
        .optional())?;
    if row.is_some() {
        with_conn!(conn, |c| diesel::delete(photos::table.find(photo_id))
            .execute(c))?;
    }
    Ok(row)
}

/// Puts the listing's photos in the given order (ids not listed keep their relative order after).
pub fn reorder(conn: &mut Conn, listing_id: i64, ordered_ids: &[i64]) -> Result<(), AppError> {
    let rows = for_listings(conn, &[listing_id])?;
    let mut order: Vec<i64> = ordered_ids
        .iter()
        .copied()
        .filter(|id| rows.iter().any(|r| r.id == *id))
        .collect();
    order.extend(
        rows.iter()
            .map(|r| r.id)
            .filter(|id| !ordered_ids.contains(id)),
    );
    for (position, id) in order.iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        with_conn!(conn, |c| diesel::update(photos::table.find(*id))
            .set(photos::position.eq(position))
            .execute(c))?;
    }
    Ok(())
}

pub fn set_review_state(conn: &mut Conn, photo_id: i64, state: &str) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::update(photos::table.find(photo_id))
        .set(photos::review_state.eq(state))
        .execute(c))?;
    Ok(())
}

/// Whether any photo row still uses this content key (photos are content-addressed and shared).
pub fn key_in_use(conn: &mut Conn, content_key: &str) -> Result<bool, AppError> {
    let n: i64 = with_conn!(conn, |c| photos::table
        .filter(photos::content_key.eq(content_key))
        .count()
        .get_result(c))?;
    Ok(n > 0)
}
