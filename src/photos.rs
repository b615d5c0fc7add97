//! A listing's photos: upload (admitted under the upload budget, streamed with size limits,
//! each photo processed on the bounded pool as it arrives, stored by content key, recorded in
//! the database), delete and arrange. Used by the API and the member pages alike.

use crate::accounts::Auth;
use crate::error::{AppError, Code};
use crate::media::{MediaStore, PhotoError, PhotoLimits, ProcessedPhoto};
use crate::state::AppState;
use crate::store::photos::{self, NewPhoto, PhotoRow, PhotoView, StoredVariant};
use crate::store::{Conn, Db};
use crate::uploads::UploadPass;
use crate::workflow::owned_listing;
use actix_multipart::Multipart;
use futures_util::StreamExt;
use std::sync::Arc;

pub const MAX_PHOTOS_PER_LISTING: i64 = 10;

/// Parts a photo form may have: the photos, and a few small fields beside them.
const MAX_PARTS: usize = MAX_PHOTOS_PER_LISTING as usize + 8;
/// Largest non-file field (a CSRF token, a caption): anything bigger is not ours.
const MAX_FIELD_BYTES: usize = 4 * 1024;
/// Room for the multipart boundaries and part headers around the photos themselves.
const MULTIPART_OVERHEAD_BYTES: u64 = 64 * 1024;

fn cut_off(e: impl std::fmt::Display) -> AppError {
    AppError::new(Code::CorruptImage).with_detail(format!("the upload was cut off: {e}"))
}

fn form_too_large(detail: String) -> AppError {
    AppError::new(Code::FieldTooLarge)
        .with_detail(detail)
        .with_detail_vi(format!(
            "Biểu mẫu gửi lên quá lớn: mỗi ô chữ tối đa {} KB, tối đa {MAX_PARTS} phần.",
            MAX_FIELD_BYTES / 1024
        ))
}

/// Reads the form part by part, counting every byte against `pass`, and processes each photo
/// as soon as it has arrived: one request holds one original at a time, not all of them.
/// At most `room` photos, each at most `limits.max_file_bytes`.
async fn receive_photos(
    state: &AppState,
    mut payload: Multipart,
    pass: &mut UploadPass,
    limits: PhotoLimits,
    room: usize,
) -> Result<Vec<ProcessedPhoto>, AppError> {
    let max_bytes = limits.max_file_bytes;
    let mut processed = Vec::new();
    let mut parts = 0;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(cut_off)?;
        parts += 1;
        if parts > MAX_PARTS {
            return Err(form_too_large(format!(
                "a photo form has at most {MAX_PARTS} parts"
            )));
        }
        let is_file = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .is_some()
            || field.name() == Some("photo");
        let cap = if is_file { max_bytes } else { MAX_FIELD_BYTES };
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(cut_off)?;
            pass.read(chunk.len())?;
            let size = bytes.len() + chunk.len();
            if size > cap {
                return Err(if is_file {
                    AppError::from(PhotoError::FileTooLarge {
                        size_bytes: size,
                        max_bytes,
                    })
                } else {
                    form_too_large(format!(
                        "the field {:?} is larger than {MAX_FIELD_BYTES} bytes",
                        field.name().unwrap_or_default()
                    ))
                });
            }
            // Grow by at most a quarter at a time: doubling would hold up to twice the photo.
            if bytes.capacity() < size {
                bytes.reserve_exact(chunk.len().max(bytes.len() / 4).max(64 * 1024));
            }
            bytes.extend_from_slice(&chunk);
        }
        if !is_file {
            continue;
        }
        if processed.len() >= room {
            return Err(too_many());
        }
        processed.push(state.photo_pool.process(bytes, limits).await?);
    }
    if processed.is_empty() {
        return Err(AppError::new(Code::EmptyFile)
            .with_detail("send one or more photos in the multipart field `photo`")
            .with_detail_vi("Hãy chọn ít nhất một ảnh."));
    }
    Ok(processed)
}

fn too_many() -> AppError {
    AppError::new(Code::TooManyPhotos)
        .with_detail(format!(
            "a listing has at most {MAX_PHOTOS_PER_LISTING} photos"
        ))
        .with_detail_vi(format!(
            "Mỗi sản phẩm có tối đa {MAX_PHOTOS_PER_LISTING} ảnh."
        ))
}

/// The rows' record of a processed photo's files: the responsive variants, then the
/// link-preview picture (format [`photos::SHARE_FORMAT`]).
pub(crate) fn variants_of(photo: &ProcessedPhoto) -> Vec<StoredVariant> {
    let share = StoredVariant {
        width: photo.share.width,
        height: photo.share.height,
        format: photos::SHARE_FORMAT.to_owned(),
        key: photo.share.key.clone(),
    };
    photo
        .variants
        .iter()
        .map(|v| StoredVariant {
            width: v.width,
            height: v.height,
            format: v.format.as_str().to_owned(),
            key: v.key.clone(),
        })
        .chain(std::iter::once(share))
        .collect()
}

/// Removes a photo's stored objects unless another row still uses the same content.
pub(crate) async fn forget_objects(db: &Db, media: &MediaStore, key_prefix: String) {
    let prefix = key_prefix.clone();
    let in_use = db
        .run(move |conn| photos::key_in_use(conn, &prefix))
        .await
        .unwrap_or(true);
    if !in_use {
        if let Err(e) = media.delete_prefix(&key_prefix).await {
            tracing::warn!(error = %e, "could not remove photo files");
        }
    }
}

/// The gallery as its member sees it (photos waiting for review included).
fn gallery(conn: &mut Conn, listing_id: i64, media_base: &str) -> Result<Vec<PhotoView>, AppError> {
    crate::review::member_gallery(conn, listing_id, media_base)
}

/// Adds the uploaded photos to the end of the listing's gallery; all or nothing. The upload is
/// admitted (the account's share, the server's byte budget, by `content_length`) before a
/// byte of the body is read.
pub async fn upload(
    state: &AppState,
    auth: &Auth,
    listing_id: i64,
    content_length: Option<u64>,
    payload: Multipart,
) -> Result<Vec<PhotoView>, AppError> {
    // Who may upload is settled before a byte of the body is read.
    let owner = auth.clone();
    let existing = state
        .db
        .run(move |conn| {
            owned_listing(conn, &owner, listing_id)?;
            photos::count_for(conn, listing_id)
        })
        .await?;
    if existing >= MAX_PHOTOS_PER_LISTING {
        return Err(too_many());
    }
    let room = (MAX_PHOTOS_PER_LISTING - existing) as usize;
    let max_file_bytes = state.settings.upload_max_bytes;
    let max_body = room as u64 * max_file_bytes as u64 + MULTIPART_OVERHEAD_BYTES;
    let mut pass = state
        .uploads
        .admit(auth.user.id, content_length, max_body)?;
    let limits = PhotoLimits {
        max_file_bytes,
        ..PhotoLimits::default()
    };
    let processed = receive_photos(state, payload, &mut pass, limits, room).await?;
    // Storing and recording run as a task of their own, so a client that hangs up cannot stop
    // them half-way; the task notices it and records nothing (see `store_and_record`).
    let (_client_waits, client_gone) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(store_and_record(
        state.db.clone(),
        state.media.clone(),
        state.media_base.clone(),
        processed,
        listing_id,
        state.settings.review_required,
        client_gone,
    ));
    task.await
        .map_err(|e| AppError::internal(format!("photo upload task: {e}")))?
}

/// Writes every object of every photo, then commits their rows in one transaction. Any failure,
/// or the client going away before the commit, removes the objects again: no objects without
/// rows, no rows without objects.
async fn store_and_record(
    db: Db,
    media: MediaStore,
    media_base: Arc<str>,
    processed: Vec<ProcessedPhoto>,
    listing_id: i64,
    review_required: bool,
    mut client_gone: tokio::sync::oneshot::Receiver<()>,
) -> Result<Vec<PhotoView>, AppError> {
    let mut stored: Vec<String> = Vec::new();
    for photo in &processed {
        if let Err(e) = media.put_photo(photo).await {
            for prefix in stored {
                forget_objects(&db, &media, prefix).await;
            }
            return Err(e.into());
        }
        stored.push(photo.key_prefix.clone());
    }
    let rows: Vec<(String, i32, i32, String, Vec<StoredVariant>)> = processed
        .iter()
        .map(|p| {
            (
                p.key_prefix.clone(),
                i32::try_from(p.width).unwrap_or(i32::MAX),
                i32::try_from(p.height).unwrap_or(i32::MAX),
                p.placeholder.clone(),
                variants_of(p),
            )
        })
        .collect();
    let recorded = db
        .run(move |conn| {
            conn.transaction(|conn| {
                let mut new_ids = Vec::with_capacity(rows.len());
                for (key, width, height, placeholder, variants) in &rows {
                    let inserted = photos::insert(
                        conn,
                        &NewPhoto {
                            listing_id,
                            content_key: key,
                            width: *width,
                            height: *height,
                            placeholder,
                            variants,
                        },
                    )?;
                    new_ids.push(inserted.id);
                }
                if photos::count_for(conn, listing_id)? > MAX_PHOTOS_PER_LISTING {
                    return Err(too_many());
                }
                crate::review::photos_recorded(conn, listing_id, &new_ids, review_required)?;
                if matches!(
                    client_gone.try_recv(),
                    Err(tokio::sync::oneshot::error::TryRecvError::Closed)
                ) {
                    return Err(AppError::internal(
                        "the client went away before its photos were recorded",
                    ));
                }
                Ok(())
            })?;
            gallery(conn, listing_id, &media_base)
        })
        .await;
    match recorded {
        Ok(gallery) => Ok(gallery),
        Err(e) => {
            for prefix in stored {
                forget_objects(&db, &media, prefix).await;
            }
            Err(e)
        }
    }
}

/// Removes one photo from the listing (and its files when no other listing uses them); on a
/// published listing under review, a public photo leaves only when the revision is approved.
pub async fn delete(
    state: &AppState,
    auth: &Auth,
    listing_id: i64,
    photo_id: i64,
) -> Result<Vec<PhotoView>, AppError> {
    let owner = auth.clone();
    let media_base = state.media_base.clone();
    let review_required = state.settings.review_required;
    let (removed, gallery): (Option<PhotoRow>, Vec<PhotoView>) = state
        .db
        .run(move |conn| {
            let removed =
                crate::review::remove_photo(conn, &owner, listing_id, photo_id, review_required)?;
            Ok((removed, gallery(conn, listing_id, &media_base)?))
        })
        .await?;
    if let Some(removed) = removed {
        forget_objects(&state.db, &state.media, removed.content_key).await;
    }
    Ok(gallery)
}

/// Puts the gallery in `order` and/or picks the cover photo.
pub async fn arrange(
    state: &AppState,
    auth: &Auth,
    listing_id: i64,
    order: Option<Vec<i64>>,
    cover: Option<i64>,
) -> Result<Vec<PhotoView>, AppError> {
    let owner = auth.clone();
    let media_base = state.media_base.clone();
    let review_required = state.settings.review_required;
    state
        .db
        .run(move |conn| {
            crate::review::arrange_photos(conn, &owner, listing_id, order, cover, review_required)?;
            gallery(conn, listing_id, &media_base)
        })
        .await
}
