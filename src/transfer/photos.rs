//! The photos a zip brings: each row's names checked against the `photos/` folder, each file
//! through the normal pipeline and into the media store before any row commits, then attached
//! to its listing (the first is the cover); content already on the listing is skipped.

use super::bundle::{Bundle, PhotoLookup};
use super::columns::Column;
use super::read::megabytes;
use super::report::{Msg, RowProblem};
use super::rows::{Headers, Record};
use crate::error::AppError;
use crate::media::{MediaStore, PhotoLimits};
use crate::photos::MAX_PHOTOS_PER_LISTING;
use crate::store::photos::{self as photo_rows, NewPhoto, StoredVariant};
use crate::store::{listings, Conn, Db};
use std::collections::HashMap;

/// A photo stored under its content key, waiting for its row.
#[derive(Debug, Clone)]
pub struct StoredPhoto {
    pub key_prefix: String,
    pub width: i32,
    pub height: i32,
    pub placeholder: String,
    pub variants: Vec<StoredVariant>,
}

/// Stored photos by the key the rows name them with ([`Bundle::key`]).
pub type StoredPhotos = HashMap<String, StoredPhoto>;

fn problem(record: &Record, headers: &Headers, value: &str, message: Msg) -> RowProblem {
    RowProblem {
        row: record.row,
        column: headers.name(Column::Photos),
        value: value.to_owned(),
        message,
    }
}

/// What is wrong with the photos a row names (nothing when it names none).
pub fn check_names(
    record: &Record,
    bundle: Option<&Bundle>,
    headers: &Headers,
    max_photo_bytes: u64,
) -> Vec<RowProblem> {
    let mut problems = Vec::new();
    if record.photos.is_empty() {
        return problems;
    }
    let Some(bundle) = bundle else {
        problems.push(problem(
            record,
            headers,
            &record.photos.join(", "),
            Msg::new(
                "photos come only in a .zip holding the sheet and a photos/ folder",
                "Ảnh chỉ nhập được trong tệp .zip gồm bảng tính và thư mục photos/.",
            ),
        ));
        return problems;
    };
    if record.photos.len() as i64 > MAX_PHOTOS_PER_LISTING {
        problems.push(problem(
            record,
            headers,
            &record.photos.join(", "),
            Msg::new(
                format!("a listing has at most {MAX_PHOTOS_PER_LISTING} photos"),
                format!("Mỗi sản phẩm có tối đa {MAX_PHOTOS_PER_LISTING} ảnh."),
            ),
        ));
    }
    for name in &record.photos {
        let message = match bundle.lookup(name, max_photo_bytes) {
            PhotoLookup::Image => continue,
            PhotoLookup::UnsafePath => Msg::new(
                "a photo is named by its file name inside photos/ (no ../ and no absolute path)",
                "Ảnh được ghi bằng tên tệp trong thư mục photos/ (không dùng ../ hay đường dẫn tuyệt đối).",
            ),
            PhotoLookup::Missing => Msg::new(
                format!("there is no file «{name}» in the zip's photos/ folder"),
                format!("Không có tệp «{name}» trong thư mục photos/ của tệp zip."),
            ),
            PhotoLookup::NotAnImage => Msg::new(
                format!("«{name}» is not a JPEG, PNG or WebP photo"),
                format!("Tệp «{name}» không phải ảnh JPEG, PNG hoặc WebP."),
            ),
            PhotoLookup::TooLarge { size } => {
                let (mb, max) = (megabytes(size), megabytes(max_photo_bytes));
                Msg::new(
                    format!("«{name}» is {mb} MB; a photo may be at most {max} MB"),
                    format!("Ảnh «{name}» nặng {mb} MB; mỗi ảnh tối đa {max} MB."),
                )
            }
        };
        problems.push(problem(record, headers, name, message));
    }
    problems
}

/// Runs each named photo through the pipeline and stores it, one at a time (memory stays at one
/// photo's variants). A photo the pipeline refuses comes back in the error map with its
/// message; a store that fails removes what this call stored and fails the import.
pub async fn process_and_store(
    db: &Db,
    media: &MediaStore,
    bundle: &mut Bundle,
    names: Vec<String>,
    limits: PhotoLimits,
    mut progress: impl FnMut(usize, usize),
) -> Result<(StoredPhotos, HashMap<String, Msg>), AppError> {
    let mut stored = StoredPhotos::new();
    let mut refused = HashMap::new();
    let total = names.len();
    for (i, name) in names.into_iter().enumerate() {
        progress(i, total);
        let key = Bundle::key(&name);
        if stored.contains_key(&key) || refused.contains_key(&key) {
            continue;
        }
        let bytes = match bundle.read_photo(&name) {
            Ok(bytes) => bytes,
            Err(e) => {
                forget(db, media, &stored).await;
                return Err(e);
            }
        };
        let processed =
            tokio::task::spawn_blocking(move || crate::media::process_photo(&bytes, &limits))
                .await
                .map_err(|e| AppError::internal(format!("photo task: {e}")));
        let photo = match processed {
            Ok(Ok(photo)) => photo,
            Ok(Err(e)) => {
                refused.insert(key, Msg::new(e.to_string(), e.message_vi()));
                continue;
            }
            Err(e) => {
                forget(db, media, &stored).await;
                return Err(e);
            }
        };
        if let Err(e) = media.put_photo(&photo).await {
            forget(db, media, &stored).await;
            return Err(e.into());
        }
        stored.insert(
            key,
            StoredPhoto {
                key_prefix: photo.key_prefix.clone(),
                width: i32::try_from(photo.width).unwrap_or(i32::MAX),
                height: i32::try_from(photo.height).unwrap_or(i32::MAX),
                placeholder: photo.placeholder.clone(),
                variants: crate::photos::variants_of(&photo),
            },
        );
    }
    progress(total, total);
    Ok((stored, refused))
}

/// Removes the stored photos no row uses (after a failed import, or content that turned out
/// to be on its listing already and was never recorded again).
pub async fn forget(db: &Db, media: &MediaStore, stored: &StoredPhotos) {
    for photo in stored.values() {
        crate::photos::forget_objects(db, media, photo.key_prefix.clone()).await;
    }
}

/// Gives a listing the photos its row names, in order, skipping content it already has, and
/// makes the first its cover. Answers whether anything changed.
pub fn attach(
    conn: &mut Conn,
    listing_id: i64,
    row: usize,
    names: &[String],
    stored: &StoredPhotos,
) -> Result<bool, AppError> {
    if names.is_empty() {
        return Ok(false);
    }
    let mut have: Vec<(String, i64)> = photo_rows::for_listings(conn, &[listing_id])?
        .into_iter()
        .map(|p| (p.content_key, p.id))
        .collect();
    let mut changed = false;
    let mut cover = None;
    for name in names {
        let Some(photo) = stored.get(&Bundle::key(name)) else {
            return Err(AppError::internal(format!(
                "row {row}: photo {name} was not stored"
            )));
        };
        let id = match have.iter().find(|(key, _)| *key == photo.key_prefix) {
            Some((_, id)) => *id,
            None => {
                if have.len() as i64 >= MAX_PHOTOS_PER_LISTING {
                    return Err(Msg::new(
                        format!("row {row}: the listing would have more than {MAX_PHOTOS_PER_LISTING} photos"),
                        format!("Dòng {row}: sản phẩm sẽ có quá {MAX_PHOTOS_PER_LISTING} ảnh."),
                    )
                    .refusal(crate::error::Code::TooManyPhotos));
                }
                let inserted = photo_rows::insert(
                    conn,
                    &NewPhoto {
                        listing_id,
                        content_key: &photo.key_prefix,
                        width: photo.width,
                        height: photo.height,
                        placeholder: &photo.placeholder,
                        variants: &photo.variants,
                    },
                )?;
                have.push((photo.key_prefix.clone(), inserted.id));
                changed = true;
                inserted.id
            }
        };
        cover.get_or_insert(id);
    }
    let current = listings::row(conn, listing_id)?.and_then(|r| r.cover_photo_id);
    if cover.is_some() && current != cover {
        listings::set_cover(conn, listing_id, cover)?;
        changed = true;
    } else if changed {
        listings::touch(conn, listing_id)?;
    }
    Ok(changed)
}
