//! Media: phone photos in, metadata-free responsive variants out; and where their bytes live.

mod color;
mod encode;
mod error;
mod format;
mod pipeline;
mod pixels;
mod pool;
mod store;

pub use error::PhotoError;
pub use format::{sniff_format, SniffedFormat};
pub use pipeline::{
    process_photo, PhotoLimits, PhotoVariant, ProcessedPhoto, VariantFormat, JPEG_MASTER_QUALITY,
    JPEG_VARIANT_QUALITY, MASTER_MAX_SIDE, VARIANT_WIDTHS, WEBP_QUALITY,
};
pub use pool::PhotoPool;
pub use store::{LocalStore, MediaStore, StoreError, StoredObject};
