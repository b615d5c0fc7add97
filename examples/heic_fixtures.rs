//! Makes the HEIC test fixtures in `tests/fixtures/heic/` with libheif's HEVC encoder (x265).
//!
//!     cargo run --features heic --example heic_fixtures -- tests/fixtures/heic
//!
//! `heif-enc` (libheif-examples 1.15) copies a JPEG's EXIF orientation without turning it into
//! the HEIF `irot`/`imir` properties an iPhone writes, so the oriented fixtures are encoded here
//! through libheif's C API with `image_orientation` set: the stored pixels stay as the camera
//! wrote them and the file says how to turn them upright, exactly like a phone's HEIC.
//! `tests/fixtures/heic/make.sh` runs this, then `heif-enc` for the 12 MP benchmark photo.

use std::ffi::{CStr, CString};
use std::path::Path;

use image::{imageops::FilterType, DynamicImage, ImageDecoder, ImageReader, RgbImage};
use libheif_sys as lh;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/images");

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/fixtures/heic".to_owned());
    let out = Path::new(&out);
    std::fs::create_dir_all(out)?;
    // SAFETY: initialises libheif's plugins once for this process.
    check(unsafe { lh::heif_init(std::ptr::null_mut()) })?;

    // Oriented like a phone's HEIC: sideways or mirrored pixels plus irot/imir (the EXIF values
    // and libheif's `heif_orientation` share their numbers).
    for orientation in [3u32, 5, 6, 8] {
        let path = format!("{SHARED}/orientation/landscape_{orientation}.jpg");
        let stored = image::open(&path)?; // `open` leaves the EXIF orientation unapplied.
        let small = stored.resize(
            stored.width() / 3,
            stored.height() / 3,
            FilterType::Lanczos3,
        );
        let rgb = small.to_rgb8();
        let file = out.join(format!("landscape_{orientation}.heic"));
        encode(&file, &Source::rgb8(&rgb), 50, None, orientation)?;
        if orientation >= 5 {
            // libheif 1.15 writes the turned (displayed) size into `ispe`; a phone writes the
            // size of the coded picture, which is what the format specifies. Write it so.
            let mut bytes = std::fs::read(&file)?;
            let ispe = find(&bytes, b"ispe").ok_or("no ispe box")?;
            let (width, height) = (ispe + 8, ispe + 12);
            let declared: Vec<u8> = bytes[width..height + 4].to_vec();
            bytes[width..height].copy_from_slice(&declared[4..8]);
            bytes[height..height + 4].copy_from_slice(&declared[0..4]);
            std::fs::write(&file, bytes)?;
        }
    }

    // The shared 12 MP phone photo, upright, at a quarter of its width.
    let phone = upright(&format!("{SHARED}/phone-12mp.jpg"))?;
    let phone = phone.resize(1008, 1008, FilterType::Lanczos3).to_rgb8();
    encode(&out.join("phone.heic"), &Source::rgb8(&phone), 60, None, 1)?;
    // The same at 10 bits a sample, as HDR iPhones write.
    let ten_bit: Vec<u16> = phone
        .as_raw()
        .iter()
        .map(|&value| (u32::from(value) * 1023 / 255) as u16)
        .collect();
    let ten_bit = Source {
        width: phone.width(),
        height: phone.height(),
        bits: 10,
        samples: Samples::Wide(&ten_bit),
    };
    encode(&out.join("phone-10bit.heic"), &ten_bit, 60, None, 1)?;

    // One colour, untagged and tagged Display P3 (what iPhones embed).
    let red = RgbImage::from_pixel(64, 48, image::Rgb([200, 60, 40]));
    let p3 = moxcms::ColorProfile::new_display_p3().encode()?;
    encode(
        &out.join("red-untagged.heic"),
        &Source::rgb8(&red),
        90,
        None,
        1,
    )?;
    encode(
        &out.join("red-p3.heic"),
        &Source::rgb8(&red),
        90,
        Some(&p3),
        1,
    )?;

    // Hostile files, all cut from the real ones above.
    let phone_heic = std::fs::read(out.join("phone.heic"))?;
    std::fs::write(
        out.join("truncated.heic"),
        &phone_heic[..phone_heic.len() / 2],
    )?;
    let mut garbled = phone_heic.clone();
    let mdat = find(&garbled, b"mdat").ok_or("no mdat box")?;
    let middle = mdat + (garbled.len() - mdat) / 2;
    for (i, byte) in garbled[middle..middle + 4000].iter_mut().enumerate() {
        *byte = (i * 97 % 251) as u8;
    }
    std::fs::write(out.join("garbled-data.heic"), &garbled)?;
    let mut broken_header = phone_heic;
    let iloc = find(&broken_header, b"iloc").ok_or("no iloc box")?;
    // The item locations now point far past the end of the file.
    for byte in &mut broken_header[iloc + 8..iloc + 40] {
        *byte = 0xEE;
    }
    std::fs::write(out.join("corrupt-header.heic"), &broken_header)?;
    let small = std::fs::read(out.join("red-untagged.heic"))?;
    for side in [20_000u32, 40_000] {
        let mut huge = small.clone();
        let mut at = 0;
        while let Some(found) = find(&huge[at..], b"ispe") {
            let ispe = at + found;
            huge[ispe + 8..ispe + 12].copy_from_slice(&side.to_be_bytes());
            huge[ispe + 12..ispe + 16].copy_from_slice(&side.to_be_bytes());
            at = ispe + 16;
        }
        std::fs::write(out.join(format!("huge-{side}.heic")), &huge)?;
    }
    // SAFETY: pairs the `heif_init` above; nothing of libheif's is alive any more.
    unsafe { lh::heif_deinit() };
    println!("fixtures written to {}", out.display());
    Ok(())
}

/// A JPEG decoded with its EXIF orientation applied.
fn upright(path: &str) -> Result<DynamicImage, Failure> {
    let mut decoder = ImageReader::open(path)?.into_decoder()?;
    let orientation = decoder.orientation()?;
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

enum Samples<'a> {
    Narrow(&'a [u8]),
    Wide(&'a [u16]),
}

/// Interleaved RGB pixels to encode.
struct Source<'a> {
    width: u32,
    height: u32,
    bits: u8,
    samples: Samples<'a>,
}

impl<'a> Source<'a> {
    fn rgb8(image: &'a RgbImage) -> Self {
        Self {
            width: image.width(),
            height: image.height(),
            bits: 8,
            samples: Samples::Narrow(image.as_raw()),
        }
    }
}

fn check(error: lh::heif_error) -> Result<(), Failure> {
    if error.code == 0 {
        return Ok(());
    }
    let message = if error.message.is_null() {
        String::new()
    } else {
        // SAFETY: libheif's messages are static NUL-terminated strings.
        unsafe { CStr::from_ptr(error.message) }
            .to_string_lossy()
            .into_owned()
    };
    Err(format!("libheif error {}/{}: {message}", error.code, error.subcode).into())
}

/// Encodes `source` as a HEIC at `quality`, with an optional ICC profile and the EXIF-numbered
/// `orientation` written as irot/imir, to `path`.
fn encode(
    path: &Path,
    source: &Source,
    quality: i32,
    icc: Option<&[u8]>,
    orientation: u32,
) -> Result<(), Failure> {
    let (width, height) = (i32::try_from(source.width)?, i32::try_from(source.height)?);
    let chroma = if source.bits > 8 {
        lh::heif_chroma_heif_chroma_interleaved_RRGGBB_LE
    } else {
        lh::heif_chroma_heif_chroma_interleaved_RGB
    };
    let file_name = CString::new(path.to_string_lossy().as_bytes())?;
    // SAFETY: every pointer below comes from libheif, is checked before use and released once
    // at the end; the plane is written within its stride × height bytes.
    unsafe {
        let context = lh::heif_context_alloc();
        let mut encoder = std::ptr::null_mut();
        let mut image = std::ptr::null_mut();
        let options = lh::heif_encoding_options_alloc();
        let result = (|| -> Result<(), Failure> {
            check(lh::heif_context_get_encoder_for_format(
                context,
                lh::heif_compression_format_heif_compression_HEVC,
                &mut encoder,
            ))?;
            check(lh::heif_encoder_set_lossy_quality(encoder, quality))?;
            check(lh::heif_image_create(
                width,
                height,
                lh::heif_colorspace_heif_colorspace_RGB,
                chroma,
                &mut image,
            ))?;
            check(lh::heif_image_add_plane(
                image,
                lh::heif_channel_heif_channel_interleaved,
                width,
                height,
                i32::from(source.bits),
            ))?;
            let mut stride = 0;
            let plane = lh::heif_image_get_plane(
                image,
                lh::heif_channel_heif_channel_interleaved,
                &mut stride,
            );
            if plane.is_null() {
                return Err("no plane".into());
            }
            let stride = usize::try_from(stride)?;
            let row_samples = source.width as usize * 3;
            for y in 0..source.height as usize {
                let row = plane.add(y * stride);
                match source.samples {
                    Samples::Narrow(samples) => {
                        let from = &samples[y * row_samples..(y + 1) * row_samples];
                        std::ptr::copy_nonoverlapping(from.as_ptr(), row, row_samples);
                    }
                    Samples::Wide(samples) => {
                        let from = &samples[y * row_samples..(y + 1) * row_samples];
                        for (x, value) in from.iter().enumerate() {
                            let bytes = value.to_le_bytes();
                            *row.add(2 * x) = bytes[0];
                            *row.add(2 * x + 1) = bytes[1];
                        }
                    }
                }
            }
            if let Some(icc) = icc {
                check(lh::heif_image_set_raw_color_profile(
                    image,
                    c"prof".as_ptr(),
                    icc.as_ptr().cast(),
                    icc.len(),
                ))?;
            }
            if options.is_null() {
                return Err("no encoding options".into());
            }
            (*options).image_orientation = orientation;
            let mut handle = std::ptr::null_mut();
            check(lh::heif_context_encode_image(
                context,
                image,
                encoder,
                options,
                &mut handle,
            ))?;
            lh::heif_image_handle_release(handle);
            check(lh::heif_context_write_to_file(context, file_name.as_ptr()))
        })();
        lh::heif_encoding_options_free(options);
        if !image.is_null() {
            lh::heif_image_release(image);
        }
        if !encoder.is_null() {
            lh::heif_encoder_release(encoder);
        }
        lh::heif_context_free(context);
        result
    }
}
