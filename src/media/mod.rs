//! Media: phone photos in, metadata-free responsive variants out; and where their bytes live.
//!
//! Upload flow for the HTTP layer:
//! 1. `pool.process(bytes, PhotoLimits::default()).await` ([`PhotoPool`], one per app) runs
//!    [`process_photo`] on a blocking thread, or answers `processing_busy` (503) at once.
//! 2. `store.put_photo(&photo).await` ([`MediaStore`]) writes the master and every variant
//!    under their content-addressed keys (`p/ab/<32 hex>/320.webp`, `…/master.jpg`, and the
//!    1200×630 link-preview picture `…/og.jpg`).
//! 3. Save `photo.key_prefix`, the variants' keys/sizes and `photo.placeholder` in the database;
//!    `store.delete_prefix(&photo.key_prefix)` removes them all again.
//!
//! Errors: answer [`PhotoError::http_status`] with [`PhotoError::code`] and
//! [`PhotoError::message_vi`] (English: `to_string()`); [`StoreError`] has the same methods.

mod color;
mod encode;
mod error;
mod format;
#[cfg(feature = "heic")]
mod heic;
mod jpeg_end;
mod jpeg_strips;
mod pipeline;
mod pixels;
mod pool;
mod s3;
#[doc(hidden)]
pub use s3::TestBucket;
mod store;

pub use error::PhotoError;
pub use format::{sniff_format, SniffedFormat};
pub use pipeline::{
    process_photo, PhotoLimits, PhotoVariant, ProcessedPhoto, VariantFormat, JPEG_MASTER_QUALITY,
    JPEG_VARIANT_QUALITY, MASTER_MAX_SIDE, SHARE_HEIGHT, SHARE_WIDTH, VARIANT_WIDTHS, WEBP_QUALITY,
};
pub use pool::PhotoPool;
pub use store::{
    ListedObject, LocalStore, MediaStore, ObjectInfo, ObjectReader, S3Config, S3Store, StoreError,
    StoredObject,
};
