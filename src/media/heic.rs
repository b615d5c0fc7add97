//! Decodes HEIC/HEIF photos (the iPhone default) with libheif, upright and under the same limits as every other photo.
//!
//! Only built with the `heic` cargo feature (needs the system libheif, Debian's `libheif-dev`).
//! libheif applies the file's own `irot`/`imir`/`clap` transforms while decoding, so the pixels
//! come out upright and the EXIF orientation inside a HEIC is never applied on top. An embedded
//! ICC profile (iPhone: Display P3) is handed back for the pipeline's conversion to sRGB, as
//! for a JPEG.

use std::sync::LazyLock;

use image::metadata::Orientation;
use image::{DynamicImage, RgbImage, RgbaImage};
use libheif_rs::{
    color_profile_types, ColorSpace, HeifContext, HeifError, HeifErrorCode, HeifErrorSubCode,
    ImageHandle, LibHeif, RgbChroma,
};

use super::error::PhotoError;
use super::pipeline::{heif_working_bytes, Decoded, PhotoLimits};

/// libheif's global state (plugins), set up once for the process rather than per upload.
static LIBHEIF: LazyLock<LibHeif> = LazyLock::new(LibHeif::new);

/// Reads the primary image of a HEIF file into 8-bit RGB(A), after checking its declared size
/// and the memory its decoding would take against `limits`.
pub(crate) fn decode_heif(bytes: &[u8], limits: &PhotoLimits) -> Result<Decoded, PhotoError> {
    let mut context =
        HeifContext::read_from_bytes(bytes).map_err(|error| refusal(error, bytes, limits))?;
    // Tiles (iPhone photos are grids of 512×512 tiles) decode on at most as many threads as
    // one job may encode on.
    context.set_max_decoding_threads(u32::try_from(limits.encode_threads.max(1)).unwrap_or(1));
    let handle = context
        .primary_image_handle()
        .map_err(|error| refusal(error, bytes, limits))?;

    // The size the file declares (its `ispe` property; libheif 1.15 gives it before any turn),
    // known before a single pixel is decoded. The limits are the same both ways round.
    let (width, height) = (handle.width(), handle.height());
    let too_large = || PhotoError::ImageTooLarge {
        width,
        height,
        max_width: limits.max_width,
        max_height: limits.max_height,
        max_alloc_mib: limits.max_decoded_bytes / (1024 * 1024),
    };
    let has_alpha = handle.has_alpha_channel();
    let bits = handle
        .luma_bits_per_pixel()
        .max(handle.chroma_bits_per_pixel());
    if width > limits.max_width
        || height > limits.max_height
        || heif_working_bytes(width, height, has_alpha, bits, limits.encode_threads)
            > limits.max_decoded_bytes
    {
        return Err(too_large());
    }
    if width == 0 || height == 0 {
        return Err(PhotoError::CorruptImage {
            detail: "HEIF image has no pixels".to_owned(),
        });
    }

    let icc_profile = icc_profile_of(&handle);
    // 8-bit files straight to 8-bit RGB(A); deeper ones (10-bit HDR) to 16-bit samples, brought
    // down to 8 bits here.
    let wide = bits > 8;
    let chroma = match (has_alpha, wide) {
        (false, false) => RgbChroma::Rgb,
        (true, false) => RgbChroma::Rgba,
        (false, true) => RgbChroma::HdrRgbLe,
        (true, true) => RgbChroma::HdrRgbaLe,
    };
    // No decoding options: their defaults apply the file's transforms, which is what makes the
    // photo upright (and libheif-rs 0.20 frees options passed here before libheif reads them).
    let decoded = LIBHEIF
        .decode(&handle, ColorSpace::Rgb(chroma), None)
        .map_err(|error| match error.code {
            HeifErrorCode::MemoryAllocationError => too_large(),
            _ => refusal(error, bytes, limits),
        })?;
    let image = packed_rgb(&decoded, has_alpha)?;
    Ok(Decoded {
        image,
        // Already applied by libheif; the EXIF tag inside a HEIC must not turn it again.
        orientation: Orientation::NoTransforms,
        icc_profile,
    })
}

/// The ICC profile stored in a `colr` box (`prof` or `rICC`), if any. An `nclx` box describes
/// how libheif turns YCbCr into RGB, which it already did.
fn icc_profile_of(handle: &ImageHandle) -> Option<Vec<u8>> {
    let profile = handle.color_profile_raw()?;
    let kind = libheif_rs::ColorProfile::profile_type(&profile);
    (kind == color_profile_types::PROF || kind == color_profile_types::R_ICC)
        .then_some(profile.data)
}

/// Copies libheif's interleaved plane (rows may be padded) into a tightly packed 8-bit image;
/// 16-bit little-endian samples holding more than 8 bits are scaled down to 8.
fn packed_rgb(decoded: &libheif_rs::Image, has_alpha: bool) -> Result<DynamicImage, PhotoError> {
    let failed = |detail: &str| PhotoError::ProcessingFailed {
        detail: format!("HEIF decoding: {detail}"),
    };
    let planes = decoded.planes();
    let plane = planes
        .interleaved
        .ok_or_else(|| failed("no interleaved plane"))?;
    let channels: usize = if has_alpha { 4 } else { 3 };
    let (width, height) = (plane.width, plane.height);
    let sample_bytes = usize::from(plane.storage_bits_per_pixel) / (8 * channels);
    let significant_bits = u32::from(plane.bits_per_pixel);
    if !matches!(sample_bytes, 1 | 2)
        || usize::from(plane.storage_bits_per_pixel) != channels * 8 * sample_bytes
        || (sample_bytes == 2 && !(9..=16).contains(&significant_bits))
    {
        return Err(failed("unexpected pixel layout"));
    }
    let row_bytes = width as usize * channels * sample_bytes;
    if plane.stride < row_bytes {
        return Err(failed("rows shorter than the image"));
    }
    let mut data = Vec::with_capacity(width as usize * channels * height as usize);
    for row in plane.data.chunks(plane.stride).take(height as usize) {
        let row = row.get(..row_bytes).ok_or_else(|| failed("short row"))?;
        if sample_bytes == 1 {
            data.extend_from_slice(row);
        } else {
            let max_in = (1u32 << significant_bits) - 1;
            data.extend(row.chunks_exact(2).map(|sample| {
                let value = u32::from(u16::from_le_bytes([sample[0], sample[1]])).min(max_in);
                ((value * 255 + max_in / 2) / max_in) as u8
            }));
        }
    }
    let image = if has_alpha {
        RgbaImage::from_raw(width, height, data).map(DynamicImage::ImageRgba8)
    } else {
        RgbImage::from_raw(width, height, data).map(DynamicImage::ImageRgb8)
    };
    image.ok_or_else(|| failed("plane smaller than the image"))
}

/// What libheif's refusal means for the member: the same codes as for a hostile JPEG.
fn refusal(error: HeifError, bytes: &[u8], limits: &PhotoLimits) -> PhotoError {
    let detail = error.to_string();
    match (error.code, error.sub_code) {
        // libheif's own cap (32768 pixels a side) on the size a file declares.
        (_, HeifErrorSubCode::SecurityLimitExceeded)
        | (HeifErrorCode::MemoryAllocationError, _) => match largest_declared_size(bytes) {
            Some((width, height)) => PhotoError::ImageTooLarge {
                width,
                height,
                max_width: limits.max_width,
                max_height: limits.max_height,
                max_alloc_mib: limits.max_decoded_bytes / (1024 * 1024),
            },
            None => PhotoError::CorruptImage { detail },
        },
        // A HEIF container holding something no installed decoder reads (AV1 without a
        // decoder, VVC, JPEG 2000, …). Other "unsupported" answers (an unknown box version)
        // come from damaged files.
        (HeifErrorCode::UnsupportedFileType, _)
        | (
            HeifErrorCode::UnsupportedFeature,
            HeifErrorSubCode::UnsupportedCodec | HeifErrorSubCode::UnsupportedImageType,
        ) => PhotoError::UnsupportedFormat,
        _ => PhotoError::CorruptImage { detail },
    }
}

/// The largest size any `ispe` (image spatial extents) property of the file declares, read
/// straight from the bytes, for the message when libheif refuses the file for its size.
fn largest_declared_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let read = |at: usize| -> Option<u32> {
        let word = bytes.get(at..at + 4)?;
        Some(u32::from_be_bytes([word[0], word[1], word[2], word[3]]))
    };
    bytes
        .windows(4)
        .enumerate()
        .filter(|(_, window)| *window == b"ispe")
        // `ispe`, version and flags (4 bytes), width, height.
        .filter_map(|(at, _)| Some((read(at + 8)?, read(at + 12)?)))
        .max_by_key(|&(width, height)| u64::from(width) * u64::from(height))
}
