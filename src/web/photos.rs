//! The member pages' door to the photo service, kept to three calls so merging the upload
//! module (`crate::photos`) is a one-place change.

use crate::api::extract::Auth;
use crate::api::member::owned_listing;
use crate::domain::listing::ListingStatus;
use crate::error::{AppError, Code};
use crate::startup::AppState;
use crate::store::photos::PhotoView;
use crate::store::{listings, photos};

/// Stores the photos of a multipart form (field `photo`, one or several files).
///
/// TODO(merge): `crate::photos::upload(state, auth, listing_id, payload).await` once the photo
/// pipeline lands; until then uploads answer 503 and the page says so.
pub async fn upload(
    state: &AppState,
    auth: &Auth,
    listing_id: i64,
    payload: actix_multipart::Multipart,
) -> Result<Vec<PhotoView>, AppError> {
    let _ = (state, auth, listing_id, payload);
    Err(AppError::new(Code::ServiceUnavailable).with_detail("photo upload is not available yet"))
}

/// Puts the gallery in `order`, with `cover` first on the storefront.
///
/// TODO(merge): the lead's `PATCH …/photos` logic may replace this; it only touches rows.
pub async fn reorder(
    state: &AppState,
    auth: &Auth,
    listing_id: i64,
    order: Vec<i64>,
    cover: Option<i64>,
) -> Result<(), AppError> {
    let auth = auth.clone();
    state
        .db
        .run(move |conn| {
            let row = owned_listing(conn, &auth, listing_id)?;
            if row.status() == ListingStatus::Archived {
                return Err(AppError::new(Code::InvalidTransition));
            }
            conn.transaction(|conn| {
                photos::reorder(conn, listing_id, &order)?;
                listings::set_cover(conn, listing_id, cover)?;
                listings::touch(conn, listing_id)
            })
        })
        .await
}

/// Removes a photo from the listing.
///
/// TODO(merge): call the photo service's delete, which also frees media no other photo uses;
/// this interim version removes the row only.
pub async fn delete(
    state: &AppState,
    auth: &Auth,
    listing_id: i64,
    photo_id: i64,
) -> Result<(), AppError> {
    let auth = auth.clone();
    state
        .db
        .run(move |conn| {
            let row = owned_listing(conn, &auth, listing_id)?;
            if row.status() == ListingStatus::Archived {
                return Err(AppError::new(Code::InvalidTransition));
            }
            conn.transaction(|conn| {
                photos::delete(conn, listing_id, photo_id)?
                    .ok_or_else(|| AppError::new(Code::PhotoNotFound))?;
                if row.cover_photo_id == Some(photo_id) {
                    listings::set_cover(conn, listing_id, None)?;
                }
                listings::touch(conn, listing_id)
            })
        })
        .await
}
