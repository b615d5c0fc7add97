//! Turns one uploaded photo into upright, metadata-free, content-addressed WebP and JPEG variants.

use std::io::Cursor;

use base64::Engine as _;
use fast_image_resize::FilterType;
use image::metadata::Orientation;
use image::{ColorType, DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::color::convert_to_srgb;
use super::encode::{encode_in_parallel, EncodeJob};
use super::error::PhotoError;
use super::format::{sniff_format, SniffedFormat};
use super::jpeg_end::jpeg_reaches_end_of_image;
use super::jpeg_strips::decode_in_strips;
use super::pixels::Pixels;

/// Widths of the responsive variants a storefront picks from with `srcset`.
pub const VARIANT_WIDTHS: [u32; 3] = [320, 640, 1280];
/// Longest side of the kept master, large enough to cut future sizes from.
pub const MASTER_MAX_SIDE: u32 = 2560;
pub const WEBP_QUALITY: f32 = 75.0;
/// libwebp's speed/size trade-off, 0 (fastest) to 6; 4 is its default and libvips'.
pub const WEBP_METHOD: i32 = 4;
pub const JPEG_VARIANT_QUALITY: u8 = 80;
pub const JPEG_MASTER_QUALITY: u8 = 85;
/// Size of the link-preview picture (OpenGraph `og:image`): what Facebook and Zalo show large.
pub const SHARE_WIDTH: u32 = 1200;
pub const SHARE_HEIGHT: u32 = 630;
/// ThumbHash is defined for images of at most 100×100 pixels.
const PLACEHOLDER_MAX_SIDE: u32 = 100;
/// Hex characters of the master's SHA-256 used in storage keys (128 bits: collisions are not a concern).
const KEY_HASH_HEX_CHARS: usize = 32;

/// Bounds on what one upload may cost the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoLimits {
    pub max_width: u32,
    pub max_height: u32,
    /// Most memory one job may hold at its peak (see [`working_bytes`]), checked from the
    /// header before anything is allocated for the image.
    pub max_decoded_bytes: u64,
    /// Largest upload accepted, in bytes.
    pub max_file_bytes: usize,
    /// Threads one job may use to encode its variants in parallel (at least 1).
    pub encode_threads: usize,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            max_width: 12_000,
            max_height: 12_000,
            max_decoded_bytes: 256 * 1024 * 1024,
            max_file_bytes: 32 * 1024 * 1024,
            encode_threads: cores.min(2),
        }
    }
}

/// Encoding of a stored variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VariantFormat {
    Webp,
    Jpeg,
}

impl VariantFormat {
    /// Name used in the API ("webp" / "jpeg").
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webp => "webp",
            Self::Jpeg => "jpeg",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Webp => "image/webp",
            Self::Jpeg => "image/jpeg",
        }
    }

    /// File extension used in storage keys.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Webp => "webp",
            Self::Jpeg => "jpg",
        }
    }
}

/// One encoded file ready to be stored under `key`.
#[derive(Debug, Clone, Serialize)]
pub struct PhotoVariant {
    pub width: u32,
    pub height: u32,
    pub format: VariantFormat,
    pub content_type: &'static str,
    pub key: String,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// Everything made from one upload.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessedPhoto {
    /// Format the member uploaded ("jpeg", "png", "webp" or "heic").
    pub source_format: &'static str,
    /// Size of the upright original, before any resizing.
    pub width: u32,
    pub height: u32,
    /// width / height of the upright original.
    pub aspect_ratio: f32,
    /// ThumbHash of the photo, base64: the app paints it while the real image loads over 3G.
    pub placeholder: String,
    /// Common prefix of every key of this photo (`p/ab/<hash>/`), handy to delete them all.
    pub key_prefix: String,
    /// Stripped JPEG, longest side at most [`MASTER_MAX_SIDE`], to cut future sizes from.
    pub master: PhotoVariant,
    /// Responsive variants, narrowest first; each width comes as WebP then JPEG.
    pub variants: Vec<PhotoVariant>,
    /// [`SHARE_WIDTH`]×[`SHARE_HEIGHT`] JPEG cut around the centre, for link previews
    /// (`og:image`): a shared link shows the product in the chat. Key `…/og.jpg`.
    pub share: PhotoVariant,
}

impl ProcessedPhoto {
    /// The master, every variant and the share picture: all the objects to store.
    pub fn objects(&self) -> impl Iterator<Item = &PhotoVariant> {
        std::iter::once(&self.master)
            .chain(self.variants.iter())
            .chain(std::iter::once(&self.share))
    }
}

/// Processes one upload. Pure and synchronous (CPU-heavy): call it from a blocking thread,
/// e.g. through [`super::PhotoPool`].
pub fn process_photo(bytes: &[u8], limits: &PhotoLimits) -> Result<ProcessedPhoto, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::EmptyFile);
    }
    if bytes.len() > limits.max_file_bytes {
        return Err(PhotoError::FileTooLarge {
            size_bytes: bytes.len(),
            max_bytes: limits.max_file_bytes,
        });
    }
    let (image_format, source_format) = match sniff_format(bytes) {
        SniffedFormat::Jpeg => (Some(ImageFormat::Jpeg), "jpeg"),
        SniffedFormat::Png => (Some(ImageFormat::Png), "png"),
        SniffedFormat::WebP => (Some(ImageFormat::WebP), "webp"),
        SniffedFormat::Heif if cfg!(feature = "heic") => (None, "heic"),
        SniffedFormat::Heif => return Err(PhotoError::HeicNotSupported),
        SniffedFormat::Unknown => return Err(PhotoError::UnsupportedFormat),
    };
    if image_format == Some(ImageFormat::Jpeg) && !jpeg_reaches_end_of_image(bytes) {
        return Err(PhotoError::CorruptImage {
            detail: "JPEG ends before its end-of-image marker".to_owned(),
        });
    }

    let Decoded {
        image: decoded,
        orientation,
        icc_profile,
    } = match image_format {
        Some(format) => decode(bytes, format, limits)?,
        None => decode_heif(bytes, limits)?,
    };
    let source = Pixels::from_dynamic(decoded);
    let swaps_axes = orientation_swaps_axes(orientation);
    let (upright_width, upright_height) = if swaps_axes {
        (source.height, source.width)
    } else {
        (source.width, source.height)
    };

    // Shrink before rotating: rotating the 12 MP original would copy 36 MB for nothing.
    let (master_width, master_height) = fit_within(upright_width, upright_height, MASTER_MAX_SIDE);
    let (stored_width, stored_height) = if swaps_axes {
        (master_height, master_width)
    } else {
        (master_width, master_height)
    };
    // Catmull-Rom is as sharp as Lanczos3 for this mild reduction (12 MP to 5 MP) and a third
    // cheaper on the largest image; the variants below get Lanczos3.
    let mut master = source
        .resized(stored_width, stored_height, FilterType::CatmullRom)?
        .oriented(orientation)?;
    // The full-size decode (36 MB for 12 MP) is not needed any more: free it before encoding.
    drop(source);
    // Converting after the shrink touches 5 MP instead of 12; every variant derives from it.
    if let Some(icc) = &icc_profile {
        convert_to_srgb(&mut master, icc);
    }

    // The master is the largest file to encode: a helper thread encodes it while this one cuts
    // the variants from it, then both share the remaining files.
    let master_job = EncodeJob::Jpeg {
        pixels: &master,
        quality: JPEG_MASTER_QUALITY,
    };
    let (master_bytes, derived) = std::thread::scope(|scope| {
        let early = (limits.encode_threads > 1).then(|| scope.spawn(move || master_job.run()));
        let derived = derive_and_encode(&master, limits.encode_threads);
        let master_bytes = match early {
            Some(encoding) => encoding.join().unwrap_or_else(|_| Err(thread_panicked())),
            None => master_job.run(),
        };
        (master_bytes, derived)
    });
    let master_bytes = master_bytes?;
    let Derived {
        placeholder,
        share_pixels,
        share_bytes,
        variants: variant_files,
    } = derived?;
    let key_prefix = key_prefix_for(&master_bytes);
    let share = PhotoVariant {
        width: share_pixels.width,
        height: share_pixels.height,
        format: VariantFormat::Jpeg,
        content_type: VariantFormat::Jpeg.content_type(),
        key: format!("{key_prefix}og.jpg"),
        bytes: share_bytes,
    };
    let master_variant = PhotoVariant {
        width: master.width,
        height: master.height,
        format: VariantFormat::Jpeg,
        content_type: VariantFormat::Jpeg.content_type(),
        key: format!("{key_prefix}master.jpg"),
        bytes: master_bytes,
    };
    let mut variants: Vec<PhotoVariant> = variant_files
        .into_iter()
        .map(|(width, height, format, bytes)| PhotoVariant {
            width,
            height,
            format,
            content_type: format.content_type(),
            key: format!("{key_prefix}{width}.{}", format.extension()),
            bytes,
        })
        .collect();
    // Jobs ran largest first; callers expect narrowest first, WebP before JPEG.
    variants.sort_by_key(|variant| (variant.width, variant.format != VariantFormat::Webp));

    Ok(ProcessedPhoto {
        source_format,
        width: upright_width,
        height: upright_height,
        aspect_ratio: upright_width as f32 / upright_height as f32,
        placeholder,
        key_prefix,
        master: master_variant,
        variants,
        share,
    })
}

/// What is cut from the master: the placeholder, the share picture and the responsive
/// variants (width, height, format, bytes), each encoded.
struct Derived {
    placeholder: String,
    share_pixels: Pixels,
    share_bytes: Vec<u8>,
    variants: Vec<(u32, u32, VariantFormat, Vec<u8>)>,
}

/// Cuts the variants, the placeholder and the share picture from `master` and encodes them on
/// up to `threads` threads.
fn derive_and_encode(master: &Pixels, threads: usize) -> Result<Derived, PhotoError> {
    let mut sizes = variant_sizes(master.width, master.height);
    // Each variant is cut from the next larger one: a factor of about two per step keeps
    // Lanczos sharp and costs far less than resampling the master three times.
    let mut variant_pixels: Vec<Pixels> = Vec::with_capacity(sizes.len());
    sizes.sort_by_key(|&(width, _)| std::cmp::Reverse(width));
    for &(width, height) in &sizes {
        let larger = variant_pixels.last().unwrap_or(master);
        variant_pixels.push(larger.resized(width, height, FilterType::Lanczos3)?);
    }
    variant_pixels.reverse();

    let placeholder = placeholder_of(variant_pixels.first().unwrap_or(master))?;
    // Cut from the smallest picture that still fills the frame without enlarging: the 1280 px
    // variant for a phone photo, which costs a fraction of resampling the master.
    let share_source = variant_pixels
        .iter()
        .find(|pixels| pixels.width >= SHARE_WIDTH && pixels.height >= SHARE_HEIGHT)
        .unwrap_or(master);
    let share_pixels = share_source.covering(SHARE_WIDTH, SHARE_HEIGHT, FilterType::Lanczos3)?;

    let mut jobs = vec![EncodeJob::Jpeg {
        pixels: &share_pixels,
        quality: JPEG_VARIANT_QUALITY,
    }];
    // Largest first, so the encoding threads finish at about the same time.
    for pixels in variant_pixels.iter().rev() {
        jobs.push(EncodeJob::Webp {
            pixels,
            quality: WEBP_QUALITY,
        });
        jobs.push(EncodeJob::Jpeg {
            pixels,
            quality: JPEG_VARIANT_QUALITY,
        });
    }
    let mut encoded = encode_in_parallel(&jobs, threads)?.into_iter();
    let share_bytes = encoded.next().ok_or_else(|| PhotoError::ProcessingFailed {
        detail: "share picture was not encoded".to_owned(),
    })?;
    let variants = jobs
        .iter()
        .skip(1)
        .zip(encoded)
        .map(|(job, bytes)| {
            let pixels = job.pixels();
            (pixels.width, pixels.height, job.format(), bytes)
        })
        .collect();
    Ok(Derived {
        placeholder,
        share_pixels,
        share_bytes,
        variants,
    })
}

fn thread_panicked() -> PhotoError {
    PhotoError::ProcessingFailed {
        detail: "an encoding thread panicked".to_owned(),
    }
}

/// A decoded upload: its pixels as stored, the turn that makes them upright, its ICC profile.
pub(crate) struct Decoded {
    pub image: DynamicImage,
    pub orientation: Orientation,
    pub icc_profile: Option<Vec<u8>>,
}

/// HEIF files go to libheif ([`super::heic`]) when the server is built with it.
#[cfg(feature = "heic")]
fn decode_heif(bytes: &[u8], limits: &PhotoLimits) -> Result<Decoded, PhotoError> {
    super::heic::decode_heif(bytes, limits)
}

/// Never reached: without the `heic` feature a HEIF upload is refused before decoding.
#[cfg(not(feature = "heic"))]
fn decode_heif(_bytes: &[u8], _limits: &PhotoLimits) -> Result<Decoded, PhotoError> {
    Err(PhotoError::HeicNotSupported)
}

/// Decodes under `limits`, checking the header's dimensions before a single pixel is allocated
/// (a 1.5 MB PNG can claim 40 000 × 40 000 pixels).
fn decode(bytes: &[u8], format: ImageFormat, limits: &PhotoLimits) -> Result<Decoded, PhotoError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    // Our own check below gives a better error than the crate's; its limits are set right after.
    reader.no_limits();
    let mut decoder = reader.into_decoder().map_err(corrupt_or_unsupported)?;

    let (width, height) = decoder.dimensions();
    let too_large = || PhotoError::ImageTooLarge {
        width,
        height,
        max_width: limits.max_width,
        max_height: limits.max_height,
        max_alloc_mib: limits.max_decoded_bytes / (1024 * 1024),
    };
    if width > limits.max_width
        || height > limits.max_height
        || working_bytes(
            width,
            height,
            decoder.color_type(),
            decoder.total_bytes(),
            limits.encode_threads,
        ) > limits.max_decoded_bytes
    {
        return Err(too_large());
    }
    if width == 0 || height == 0 {
        return Err(PhotoError::CorruptImage {
            detail: "image has no pixels".to_owned(),
        });
    }
    let mut image_limits = image::Limits::no_limits();
    image_limits.max_image_width = Some(limits.max_width);
    image_limits.max_image_height = Some(limits.max_height);
    image_limits.max_alloc = Some(limits.max_decoded_bytes);
    decoder
        .set_limits(image_limits.clone())
        .map_err(|error| match error {
            ImageError::Limits(_) => too_large(),
            other => corrupt_or_unsupported(other),
        })?;

    // A broken EXIF block must not cost the member their photo: fall back to "as stored".
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let icc_profile = decoder.icc_profile().ok().flatten();
    // A phone JPEG with restart markers decodes in strips on the job's threads; anything else
    // (and any strip that fails) is decoded whole.
    let in_strips = match format {
        ImageFormat::Jpeg if limits.encode_threads > 1 => decode_in_strips(
            bytes,
            (width, height),
            decoder.color_type(),
            &image_limits,
            limits.encode_threads,
        ),
        _ => None,
    };
    let image = match in_strips {
        Some(image) => image,
        None => DynamicImage::from_decoder(decoder).map_err(|error| match error {
            ImageError::Limits(_) => too_large(),
            other => corrupt_or_unsupported(other),
        })?,
    };
    Ok(Decoded {
        image,
        orientation,
        icc_profile,
    })
}

/// The most memory one job holds at once for an image of this size and native layout, from its
/// header alone. The pipeline runs in phases, each freeing what the next does not need:
/// decoding (the image in its native layout, then its 8-bit RGB or RGBA copy unless it already
/// is one: a 144 MB greyscale image becomes 432 MB more), shrinking to the master (the source,
/// the resizer's intermediate rows at full height, the master), and encoding (the master, a
/// rotated copy of it, the share picture and its flattened copy, and per encoding thread, the
/// one that starts on the master early included, a flattened copy and the encoder's own
/// buffers). A JPEG decoded in strips ([`decode_in_strips`]) may hold all but its last strip
/// twice while decoding (4:2:0 strips decode a few rows past their share into a buffer of
/// their own), counted as three quarters of the image for two threads.
pub(crate) fn working_bytes(
    width: u32,
    height: u32,
    native: ColorType,
    native_bytes: u64,
    encode_threads: usize,
) -> u64 {
    let (w, h) = (u64::from(width), u64::from(height));
    let channels: u64 = if native.has_alpha() { 4 } else { 3 };
    let converted = if matches!(native, ColorType::Rgb8 | ColorType::Rgba8) {
        0
    } else {
        w * h * channels
    };
    let source = if converted > 0 {
        converted
    } else {
        native_bytes
    };
    let (master_width, master_height) = fit_within(width, height, MASTER_MAX_SIDE);
    let (mw, mh) = (u64::from(master_width), u64::from(master_height));
    let master = mw * mh * channels;
    // A two-pass resampler keeps one pass's output: the master's width at the source's height
    // (or the other way round); count the larger.
    let intermediate = mw.max(mh) * w.max(h) * channels;
    let strips =
        native_bytes * 3 * (encode_threads.max(1) as u64 - 1) / (2 * encode_threads.max(1) as u64);
    let decoding = native_bytes + converted + strips;
    let shrinking = source + intermediate + master;
    let threads = encode_threads.max(1) as u64 + u64::from(encode_threads > 1);
    let share = u64::from(SHARE_WIDTH) * u64::from(SHARE_HEIGHT) * channels;
    let encoding = master * (2 + 2 * threads) + 2 * share;
    decoding.max(shrinking).max(encoding)
}

/// [`working_bytes`] for a HEIF image, whose decoding holds more than a JPEG's: libheif's
/// YCbCr planes (counted as 4:4:4, 2 bytes a sample above 8 bits; the HEVC decoder's own picture
/// and libheif's copy of it are briefly both alive), the RGB(A) image converted from them (for
/// more than 8 bits through a 16-bit RGB step), and our packed copy of that. The phases after
/// decoding are a JPEG's of the same size.
#[cfg(any(feature = "heic", test))]
pub(crate) fn heif_working_bytes(
    width: u32,
    height: u32,
    has_alpha: bool,
    bits_per_sample: u8,
    encode_threads: usize,
) -> u64 {
    let pixels = u64::from(width) * u64::from(height);
    let channels: u64 = if has_alpha { 4 } else { 3 };
    let sample_bytes: u64 = if bits_per_sample > 8 { 2 } else { 1 };
    let planes = pixels * channels * sample_bytes;
    let rgb = pixels * channels;
    let wide_rgb = if sample_bytes > 1 { rgb * 2 } else { 0 };
    let decoding = (2 * planes)
        .max(planes + wide_rgb.max(rgb))
        .max(wide_rgb + rgb)
        .max(2 * rgb);
    let rgb_type = if has_alpha {
        ColorType::Rgba8
    } else {
        ColorType::Rgb8
    };
    decoding.max(working_bytes(width, height, rgb_type, rgb, encode_threads))
}

fn corrupt_or_unsupported(error: ImageError) -> PhotoError {
    match error {
        ImageError::Unsupported(_) => PhotoError::UnsupportedFormat,
        ImageError::Decoding(_) | ImageError::IoError(_) | ImageError::Limits(_) => {
            PhotoError::CorruptImage {
                detail: error.to_string(),
            }
        }
        ImageError::Parameter(_) | ImageError::Encoding(_) => PhotoError::ProcessingFailed {
            detail: error.to_string(),
        },
    }
}

fn orientation_swaps_axes(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Scales (width, height) down so the longest side is at most `max_side`; never up.
fn fit_within(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max_side {
        return (width, height);
    }
    let scale = f64::from(max_side) / f64::from(longest);
    let scaled = |side: u32| ((f64::from(side) * scale).round() as u32).clamp(1, max_side);
    (scaled(width), scaled(height))
}

/// Widths from [`VARIANT_WIDTHS`] narrower than the photo, plus the photo's own width when it
/// is narrower than the widest variant: a 500 px photo gives 320 and 500, never an upscale.
fn variant_sizes(width: u32, height: u32) -> Vec<(u32, u32)> {
    let widest = VARIANT_WIDTHS.iter().copied().max().unwrap_or(width);
    let mut widths: Vec<u32> = VARIANT_WIDTHS
        .iter()
        .copied()
        .filter(|&candidate| candidate < width)
        .collect();
    widths.push(width.min(widest));
    widths.sort_unstable();
    widths.dedup();
    widths
        .into_iter()
        .map(|variant_width| {
            let variant_height = (f64::from(height) * f64::from(variant_width) / f64::from(width))
                .round()
                .max(1.0) as u32;
            (variant_width, variant_height)
        })
        .collect()
}

fn placeholder_of(pixels: &Pixels) -> Result<String, PhotoError> {
    let (width, height) = fit_within(pixels.width, pixels.height, PLACEHOLDER_MAX_SIDE);
    let tiny = pixels.resized(width, height, FilterType::Bilinear)?;
    let rgba = tiny.to_rgba();
    let hash = thumbhash::rgba_to_thumb_hash(width as usize, height as usize, &rgba);
    Ok(base64::engine::general_purpose::STANDARD.encode(hash))
}

/// `p/<2 hex>/<32 hex>/`: content-addressed, so the same photo uploaded twice lands on the same
/// keys, and the two-character fan-out keeps directories small.
fn key_prefix_for(master_bytes: &[u8]) -> String {
    let digest = Sha256::digest(master_bytes);
    let hex: String = digest
        .iter()
        .take(KEY_HASH_HEX_CHARS / 2)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("p/{}/{}/", &hex[..2], hex)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "pipeline_tests.rs"]
mod tests;
