//! What a member or a shopper would notice about processed photos: upright, private, right sizes, clear refusals.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use image::{GenericImageView, Rgba, RgbaImage};

use super::*;
use crate::error::Code;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/images");

fn fixture(relative: &str) -> Vec<u8> {
    let path = format!("{FIXTURES}/{relative}");
    std::fs::read(&path).unwrap_or_else(|error| panic!("fixture {path}: {error}"))
}

fn process(bytes: &[u8]) -> ProcessedPhoto {
    process_photo(bytes, &PhotoLimits::default()).unwrap()
}

fn variant(photo: &ProcessedPhoto, width: u32, format: VariantFormat) -> &PhotoVariant {
    photo
        .variants
        .iter()
        .find(|variant| variant.width == width && variant.format == format)
        .unwrap_or_else(|| panic!("no {width} px {format:?} variant"))
}

fn decode(bytes: &[u8]) -> image::DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

/// Mean absolute difference per channel (0–255) of two images shrunk to 48×32-ish thumbnails.
fn mean_difference(a: &image::DynamicImage, b: &image::DynamicImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let (width, height) = (48, 48 * a.height() / a.width());
    let shrink = |image: &image::DynamicImage| {
        image
            .resize_exact(width, height, image::imageops::FilterType::Triangle)
            .into_rgb8()
    };
    let (a, b) = (shrink(a), shrink(b));
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

fn error_of(bytes: &[u8]) -> (&'static str, u16) {
    let error = process_photo(bytes, &PhotoLimits::default()).unwrap_err();
    (
        Code::from(&error).name(),
        Code::from(&error).status().as_u16(),
    )
}

#[test]
fn every_exif_orientation_comes_out_upright() {
    for shape in ["landscape", "portrait"] {
        let reference = process(&fixture(&format!("orientation/{shape}_1.jpg")));
        let reference_small = decode(&variant(&reference, 320, VariantFormat::Jpeg).bytes);
        let mirrored =
            image::DynamicImage::ImageRgba8(image::imageops::flip_horizontal(&reference_small));
        // The metric must tell a mirrored picture from the right one, or the test proves nothing.
        assert!(mean_difference(&reference_small, &mirrored) > 20.0);

        for orientation in 0..=8 {
            let name = format!("orientation/{shape}_{orientation}.jpg");
            let photo = process(&fixture(&name));
            let expected_size = if shape == "landscape" {
                (1800, 1200)
            } else {
                (1200, 1800)
            };
            assert_eq!((photo.width, photo.height), expected_size, "{name}");
            let small = variant(&photo, 320, VariantFormat::Jpeg);
            let small_pixels = decode(&small.bytes);
            assert_eq!(
                small_pixels.dimensions(),
                reference_small.dimensions(),
                "{name}"
            );
            let difference = mean_difference(&small_pixels, &reference_small);
            assert!(
                difference < 6.0,
                "{name} is not upright: difference {difference:.1}"
            );
            let webp = decode(&variant(&photo, 320, VariantFormat::Webp).bytes);
            assert!(
                mean_difference(&webp, &reference_small) < 8.0,
                "{name} WebP"
            );
        }
    }
}

/// The metadata segments of a JPEG: everything between SOI and the start of scan.
fn jpeg_header_segments(bytes: &[u8]) -> Vec<(u8, &[u8])> {
    assert_eq!(&bytes[..2], [0xFF, 0xD8]);
    let mut segments = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        segments.push((marker, &bytes[at + 4..at + 2 + length]));
        if marker == 0xDA {
            break;
        }
        at += 2 + length;
    }
    segments
}

/// The chunks of a RIFF/WebP file: fourcc and payload.
fn riff_chunks(bytes: &[u8]) -> Vec<([u8; 4], &[u8])> {
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WEBP");
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let fourcc = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        let size = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]);
        let size = size as usize;
        chunks.push((fourcc, &bytes[at + 8..(at + 8 + size).min(bytes.len())]));
        at += 8 + size + size % 2;
    }
    chunks
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[test]
fn no_variant_leaks_gps_or_any_metadata() {
    let original = fixture("phone-gps.jpg");
    // The fixture really carries what must not leak.
    assert!(contains(&original, b"Exif\0\0"));
    let original_headers = jpeg_header_segments(&original);
    // 0x8825 is the EXIF GPSInfo tag (big-endian in this iPhone file).
    assert!(original_headers
        .iter()
        .any(|(marker, payload)| *marker == 0xE1
            && payload.starts_with(b"Exif\0\0")
            && contains(payload, &[0x88, 0x25])));

    let photo = process(&original);
    assert_eq!(photo.objects().count(), 8);
    for object in photo.objects() {
        let bytes = &object.bytes;
        assert!(!contains(bytes, b"Exif\0\0"), "{} has EXIF", object.key);
        assert!(
            !contains(bytes, b"http://ns.adobe.com/xap"),
            "{} has XMP",
            object.key
        );
        match object.format {
            VariantFormat::Jpeg => {
                for (marker, payload) in jpeg_header_segments(bytes) {
                    // APP0 (JFIF) is harmless; APP1 = EXIF/XMP, APP2 = ICC, APP13 = IPTC, COM = comment.
                    assert!(
                        !matches!(marker, 0xE1..=0xEF | 0xFE),
                        "{} has metadata segment {marker:#04x}",
                        object.key
                    );
                    // Tables (DQT, DHT) are binary and may hold any bytes; text lives in APPn.
                    if marker == 0xE0 {
                        assert!(!contains(payload, b"GPS"), "{} mentions GPS", object.key);
                        assert!(
                            !contains(payload, &[0x88, 0x25]),
                            "{} has a GPS tag",
                            object.key
                        );
                    }
                }
            }
            VariantFormat::Webp => {
                for (fourcc, _) in riff_chunks(bytes) {
                    assert!(
                        matches!(&fourcc, b"VP8 " | b"VP8L" | b"VP8X" | b"ALPH"),
                        "{} has chunk {}",
                        object.key,
                        String::from_utf8_lossy(&fourcc)
                    );
                }
            }
        }
    }
}

#[test]
fn makes_three_widths_in_two_formats_plus_a_master() {
    let photo = process(&fixture("phone-gps.jpg"));
    assert_eq!((photo.width, photo.height), (3264, 2448));
    assert!((photo.aspect_ratio - 4.0 / 3.0).abs() < 0.001);
    assert_eq!(photo.source_format, "jpeg");

    let listed: Vec<(u32, u32, &str, &str)> = photo
        .variants
        .iter()
        .map(|v| (v.width, v.height, v.format.as_str(), v.content_type))
        .collect();
    assert_eq!(
        listed,
        [
            (320, 240, "webp", "image/webp"),
            (320, 240, "jpeg", "image/jpeg"),
            (640, 480, "webp", "image/webp"),
            (640, 480, "jpeg", "image/jpeg"),
            (1280, 960, "webp", "image/webp"),
            (1280, 960, "jpeg", "image/jpeg"),
        ]
    );
    assert_eq!((photo.master.width, photo.master.height), (2560, 1920));

    let prefix = &photo.key_prefix;
    assert!(prefix.starts_with("p/") && prefix.ends_with('/'));
    let hash = &prefix[5..prefix.len() - 1];
    assert_eq!(hash.len(), 32);
    assert_eq!(&prefix[2..4], &hash[..2]);
    assert!(hash
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(photo.master.key, format!("{prefix}master.jpg"));
    assert_eq!(
        variant(&photo, 640, VariantFormat::Webp).key,
        format!("{prefix}640.webp")
    );
    assert_eq!(
        variant(&photo, 640, VariantFormat::Jpeg).key,
        format!("{prefix}640.jpg")
    );

    for object in photo.objects() {
        let decoded = decode(&object.bytes);
        assert_eq!(
            decoded.dimensions(),
            (object.width, object.height),
            "{}",
            object.key
        );
        let expected = match object.format {
            VariantFormat::Jpeg => SniffedFormat::Jpeg,
            VariantFormat::Webp => SniffedFormat::WebP,
        };
        assert_eq!(sniff_format(&object.bytes), expected);
    }

    // The placeholder is a real ThumbHash of the same shape, small enough for a JSON field.
    use base64::Engine as _;
    let hash = base64::engine::general_purpose::STANDARD
        .decode(&photo.placeholder)
        .unwrap();
    assert!(hash.len() <= 25);
    let ratio = thumbhash::thumb_hash_to_approximate_aspect_ratio(&hash).unwrap();
    assert!((ratio - 4.0 / 3.0).abs() < 0.1, "placeholder ratio {ratio}");
}

/// Mean colour of a picture, per channel.
fn mean_rgb(image: &image::DynamicImage) -> [f64; 3] {
    let rgb = image.to_rgb8();
    let mut sums = [0u64; 3];
    for pixel in rgb.pixels() {
        for (sum, channel) in sums.iter_mut().zip(pixel.0) {
            *sum += u64::from(channel);
        }
    }
    let count = f64::from(rgb.width() * rgb.height());
    sums.map(|sum| sum as f64 / count)
}

#[test]
fn the_share_picture_is_1200_by_630_cut_around_the_centre() {
    // A phone photo: the link preview is the same picture, its top and bottom cut away.
    let photo = process(&fixture("orientation/landscape_1.jpg"));
    let share = &photo.share;
    assert_eq!((share.width, share.height), (SHARE_WIDTH, SHARE_HEIGHT));
    assert_eq!((SHARE_WIDTH, SHARE_HEIGHT), (1200, 630));
    assert_eq!(share.format, VariantFormat::Jpeg);
    assert_eq!(share.key, format!("{}og.jpg", photo.key_prefix));
    assert_eq!(sniff_format(&share.bytes), SniffedFormat::Jpeg);
    assert!(photo.objects().any(|object| object.key == share.key));
    let decoded = decode(&share.bytes);
    assert_eq!(decoded.dimensions(), (1200, 630));
    // The 1800×1200 photo's centre band (1800×945 from y = 127) scaled to 1200×630.
    let reference = decode(&photo.master.bytes)
        .crop_imm(0, 127, 1800, 945)
        .resize_exact(1200, 630, image::imageops::FilterType::Triangle);
    let difference = mean_difference(&decoded, &reference);
    assert!(difference < 6.0, "not the photo's centre: {difference:.1}");

    // A tall picture in three bands: only the middle (green) one is in the preview.
    let bands = RgbaImage::from_fn(600, 1500, |_, y| match y {
        0..=499 => Rgba([200, 30, 30, 255]),
        500..=999 => Rgba([40, 160, 60, 255]),
        _ => Rgba([30, 40, 200, 255]),
    });
    let photo = process(&png_bytes(&bands));
    let share = decode(&photo.share.bytes);
    assert_eq!(share.dimensions(), (1200, 630));
    let [red, green, blue] = mean_rgb(&share);
    assert!(
        green > 140.0 && red < 70.0 && blue < 90.0,
        "the centre stays green: {red:.0} {green:.0} {blue:.0}"
    );
    // A small photo is enlarged to fill the frame rather than left small.
    let small = RgbaImage::from_pixel(200, 100, Rgba([220, 120, 20, 255]));
    let share = decode(&process(&png_bytes(&small)).share.bytes);
    assert_eq!(share.dimensions(), (1200, 630));
    let [red, green, blue] = mean_rgb(&share);
    assert!(
        (red - 220.0).abs() < 8.0 && (green - 120.0).abs() < 8.0 && blue < 30.0,
        "orange stays orange: {red:.0} {green:.0} {blue:.0}"
    );
}

#[test]
fn same_photo_gets_the_same_keys() {
    let bytes = fixture("orientation/landscape_3.jpg");
    assert_eq!(process(&bytes).master.key, process(&bytes).master.key);
    assert_ne!(
        process(&bytes).key_prefix,
        process(&fixture("orientation/landscape_1.jpg")).key_prefix
    );
}

fn png_bytes(image: &RgbaImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn never_upscales_a_small_photo() {
    let small = RgbaImage::from_pixel(500, 300, Rgba([40, 120, 60, 255]));
    let photo = process(&png_bytes(&small));
    let widths: Vec<(u32, u32, VariantFormat)> = photo
        .variants
        .iter()
        .map(|v| (v.width, v.height, v.format))
        .collect();
    assert_eq!(
        widths,
        [
            (320, 192, VariantFormat::Webp),
            (320, 192, VariantFormat::Jpeg),
            (500, 300, VariantFormat::Webp),
            (500, 300, VariantFormat::Jpeg),
        ]
    );
    assert_eq!((photo.master.width, photo.master.height), (500, 300));
    assert_eq!(photo.source_format, "png");

    let tiny = RgbaImage::from_pixel(200, 100, Rgba([40, 120, 60, 255]));
    let photo = process(&png_bytes(&tiny));
    assert_eq!(photo.variants.len(), 2);
    assert!(photo
        .variants
        .iter()
        .all(|v| (v.width, v.height) == (200, 100)));
}

#[test]
fn transparent_png_becomes_a_jpeg_on_white() {
    // Left half fully transparent (its colour is meaningless black), right half opaque red.
    let mut image = RgbaImage::from_pixel(400, 200, Rgba([0, 0, 0, 0]));
    for (x, _, pixel) in image.enumerate_pixels_mut() {
        if x >= 200 {
            *pixel = Rgba([220, 20, 20, 255]);
        }
    }
    let photo = process(&png_bytes(&image));
    let jpeg = decode(&variant(&photo, 320, VariantFormat::Jpeg).bytes).into_rgb8();
    let left = jpeg.get_pixel(40, 80);
    let right = jpeg.get_pixel(280, 80);
    assert!(
        left.0.iter().all(|&c| c >= 245),
        "transparent area should be white, got {left:?}"
    );
    assert!(
        right[0] > 190 && right[1] < 60 && right[2] < 60,
        "red stays red, got {right:?}"
    );
    let master = decode(&photo.master.bytes).into_rgb8();
    assert!(master.get_pixel(20, 20).0.iter().all(|&c| c >= 245));

    // WebP keeps the transparency.
    let webp = decode(&variant(&photo, 320, VariantFormat::Webp).bytes).into_rgba8();
    assert!(webp.get_pixel(40, 80)[3] < 10);
    assert!(webp.get_pixel(280, 80)[3] > 245);
}

#[test]
fn every_jpeg_looks_like_the_photo_it_came_from() {
    // A real photo (upright as stored): each JPEG, master included, is the upload at its size.
    let upload = fixture("orientation/landscape_1.jpg");
    let original = decode(&upload);
    let photo = process(&upload);
    let jpegs: Vec<&PhotoVariant> = photo
        .objects()
        .filter(|object| object.format == VariantFormat::Jpeg && object.key != photo.share.key)
        .collect();
    assert_eq!(jpegs.len(), 4);
    for jpeg in jpegs {
        let decoded = decode(&jpeg.bytes);
        assert_eq!(
            decoded.dimensions(),
            (jpeg.width, jpeg.height),
            "{}",
            jpeg.key
        );
        let expected = original.resize_exact(
            jpeg.width,
            jpeg.height,
            image::imageops::FilterType::Triangle,
        );
        let difference = mean_difference(&decoded, &expected);
        assert!(difference < 3.0, "{} differs by {difference:.1}", jpeg.key);
        for (got, want) in mean_rgb(&decoded).iter().zip(mean_rgb(&expected)) {
            assert!(
                (got - want).abs() < 2.0,
                "{} mean colour {got:.1} vs {want:.1}",
                jpeg.key
            );
        }
    }

    // Four flat colours keep their hue in every JPEG, the link preview's included: no channel
    // swapped, no colour washed out by the chroma handling.
    let colours = [[200, 30, 40], [30, 160, 60], [40, 60, 190], [230, 200, 40]];
    let mut quadrants = RgbaImage::new(1600, 1200);
    for (x, y, pixel) in quadrants.enumerate_pixels_mut() {
        let [r, g, b] = colours[usize::from(x >= 800) + 2 * usize::from(y >= 600)];
        *pixel = Rgba([r, g, b, 255]);
    }
    let photo = process(&png_bytes(&quadrants));
    for jpeg in photo
        .objects()
        .filter(|object| object.format == VariantFormat::Jpeg)
    {
        let decoded = decode(&jpeg.bytes).into_rgb8();
        for (index, colour) in colours.iter().enumerate() {
            let x = decoded.width() * (1 + 2 * (index as u32 % 2)) / 4;
            let y = decoded.height() * (1 + 2 * (index as u32 / 2)) / 4;
            let got = decoded.get_pixel(x, y).0;
            assert!(
                got.iter().zip(colour).all(|(&g, &w)| g.abs_diff(w) <= 6),
                "{} at ({x}, {y}): {got:?}, expected {colour:?}",
                jpeg.key
            );
        }
    }
}

#[test]
fn bad_files_get_clear_distinct_errors() {
    assert_eq!(error_of(&fixture("bad/empty.jpg")), ("empty_file", 400));
    assert_eq!(
        error_of(&fixture("bad/truncated.jpg")),
        ("corrupt_image", 422)
    );
    assert_eq!(
        error_of(&fixture("bad/not-an-image.jpg")),
        ("unsupported_image_format", 415)
    );
    // A PNG cut off in the middle of its pixel data.
    let png = png_bytes(&RgbaImage::from_fn(300, 300, |x, y| {
        Rgba([(x * 7) as u8, (y * 13) as u8, (x ^ y) as u8, 255])
    }));
    assert_eq!(error_of(&png[..png.len() / 2]), ("corrupt_image", 422));
    // A JPEG whose header is fine but whose scan data is garbage.
    let mut garbled = fixture("orientation/landscape_1.jpg");
    let middle = garbled.len() / 2;
    garbled[middle..middle + 2000].fill(0xFF);
    let outcome = process_photo(&garbled, &PhotoLimits::default());
    // zune-jpeg may conceal damaged blocks; either way the server answers and does not crash.
    if let Err(error) = outcome {
        assert_eq!(Code::from(&error).name(), "corrupt_image");
    }
}

thread_local! {
    /// Largest single allocation requested by this thread while tracking is on.
    static LARGEST_ALLOCATION: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Passes everything to the system allocator, noting the largest request of a tracking thread.
struct TrackingAllocator;

// SAFETY: every call is forwarded unchanged to `System`.
unsafe impl GlobalAlloc for TrackingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note_allocation(size: usize) {
    let _ = LARGEST_ALLOCATION.try_with(|largest| {
        if let Some(so_far) = largest.get() {
            largest.set(Some(so_far.max(size)));
        }
    });
}

#[global_allocator]
static ALLOCATOR: TrackingAllocator = TrackingAllocator;

#[test]
fn decompression_bomb_is_refused_before_allocating() {
    let bomb = fixture("bad/bomb-40000x40000.png");
    LARGEST_ALLOCATION.with(|largest| largest.set(Some(0)));
    let started = Instant::now();
    let outcome = process_photo(&bomb, &PhotoLimits::default());
    let elapsed = started.elapsed();
    let largest = LARGEST_ALLOCATION
        .with(|largest| largest.replace(None))
        .unwrap_or(0);

    let error = outcome.unwrap_err();
    assert_eq!(
        (
            Code::from(&error).name(),
            Code::from(&error).status().as_u16()
        ),
        ("image_too_large", 413)
    );
    assert!(error.to_string().contains("40000×40000"));
    assert!(error.message_vi().contains("Ảnh quá lớn"));
    assert!(elapsed < Duration::from_millis(500), "took {elapsed:?}");
    // The only sizeable allocation allowed is a copy of the 1.5 MB upload itself.
    assert!(
        largest < 4 * 1024 * 1024,
        "allocated {largest} bytes at once"
    );

    // Within pixel limits but over the memory budget: refused the same way.
    let tight = PhotoLimits {
        max_decoded_bytes: 1024,
        ..PhotoLimits::default()
    };
    let error = process_photo(&fixture("orientation/landscape_1.jpg"), &tight).unwrap_err();
    assert_eq!(Code::from(&error).name(), "image_too_large");
}

#[test]
fn svg_and_gif_are_refused_with_415() {
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>"#;
    assert_eq!(error_of(svg), ("unsupported_image_format", 415));
    assert_eq!(
        error_of(b"GIF89a\x01\0\x01\0\0\0\0;"),
        ("unsupported_image_format", 415)
    );
}

/// What an iPhone sends starts like this: an ISO-BMFF `ftyp` box with brand heic, then a `meta`
/// box (here an empty one).
fn heic_header_only() -> Vec<u8> {
    let mut heic = Vec::new();
    heic.extend_from_slice(&24u32.to_be_bytes());
    heic.extend_from_slice(b"ftypheic");
    heic.extend_from_slice(&0u32.to_be_bytes());
    heic.extend_from_slice(b"mif1heic");
    heic.extend_from_slice(&[0, 0, 0, 8]);
    heic.extend_from_slice(b"meta");
    heic
}

#[cfg(not(feature = "heic"))]
#[test]
fn without_the_heic_feature_a_heic_upload_is_refused_asking_for_jpeg() {
    let heic_files = [
        heic_header_only(),
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/heic/phone.heic"
        ))
        .unwrap(),
    ];
    for heic in heic_files {
        let error = process_photo(&heic, &PhotoLimits::default()).unwrap_err();
        assert_eq!(
            (
                Code::from(&error).name(),
                Code::from(&error).status().as_u16()
            ),
            ("heic_not_supported", 415)
        );
        let english = error.to_string();
        assert!(
            english.contains("built without HEIC support") && english.contains("JPEG"),
            "{english}"
        );
        let vietnamese = error.message_vi();
        assert!(
            vietnamese.contains("không kèm hỗ trợ HEIC")
                && vietnamese.contains("JPEG")
                && vietnamese.contains("Vui lòng gửi ảnh"),
            "{vietnamese}"
        );
    }
}

#[cfg(feature = "heic")]
#[path = "heic_tests.rs"]
mod heic;

#[test]
fn oversized_upload_is_refused_by_size() {
    let limits = PhotoLimits {
        max_file_bytes: 1000,
        ..PhotoLimits::default()
    };
    let error = process_photo(&fixture("orientation/landscape_1.jpg"), &limits).unwrap_err();
    assert_eq!(
        (
            Code::from(&error).name(),
            Code::from(&error).status().as_u16()
        ),
        ("file_too_large", 413)
    );
}

#[test]
fn variant_sizes_follow_the_photo_width() {
    assert_eq!(
        variant_sizes(2560, 1920),
        [(320, 240), (640, 480), (1280, 960)]
    );
    assert_eq!(variant_sizes(500, 300), [(320, 192), (500, 300)]);
    assert_eq!(variant_sizes(640, 640), [(320, 320), (640, 640)]);
    assert_eq!(variant_sizes(100, 4000), [(100, 4000)]);
    assert_eq!(fit_within(4032, 3024, 2560), (2560, 1920));
    assert_eq!(fit_within(3024, 4032, 2560), (1920, 2560));
    assert_eq!(fit_within(800, 600, 2560), (800, 600));
}

fn jpeg_with_profile(pixel: [u8; 3], icc: Option<Vec<u8>>) -> Vec<u8> {
    use image::ImageEncoder as _;
    let image = image::RgbImage::from_pixel(64, 48, image::Rgb(pixel));
    let mut out = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95);
    if let Some(icc) = icc {
        encoder.set_icc_profile(icc).unwrap();
    }
    encoder
        .write_image(image.as_raw(), 64, 48, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

fn centre_of_small_jpeg(photo: &ProcessedPhoto) -> [u8; 3] {
    let pixels = decode(&variant(photo, 64, VariantFormat::Jpeg).bytes).into_rgb8();
    pixels.get_pixel(32, 24).0
}

#[test]
fn wide_gamut_photos_are_converted_to_srgb() {
    let p3 = moxcms::ColorProfile::new_display_p3().encode().unwrap();
    let srgb = moxcms::ColorProfile::new_srgb().encode().unwrap();
    let red = [200, 60, 40];
    assert!(contains(
        &jpeg_with_profile(red, Some(p3.clone())),
        b"ICC_PROFILE"
    ));

    let untagged = centre_of_small_jpeg(&process(&jpeg_with_profile(red, None)));
    let tagged_srgb = centre_of_small_jpeg(&process(&jpeg_with_profile(red, Some(srgb))));
    let tagged_p3 = centre_of_small_jpeg(&process(&jpeg_with_profile(red, Some(p3))));

    let close = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 4);
    assert!(
        close(untagged, tagged_srgb),
        "{untagged:?} vs {tagged_srgb:?}"
    );
    // The same numbers mean a more saturated red in Display P3: sRGB needs more red, less green.
    assert!(
        tagged_p3[0] > untagged[0] + 8 && tagged_p3[1] + 8 < untagged[1],
        "P3 {tagged_p3:?} vs untagged {untagged:?}"
    );
}

#[test]
fn motion_photo_with_a_video_trailer_is_accepted() {
    let mut motion_photo = fixture("orientation/landscape_1.jpg");
    motion_photo.extend_from_slice(b"\0\0\0\x18ftypmp42\0\0\0\0isommp42");
    motion_photo.extend((0..300_000u32).map(|i| (i * 13 % 251) as u8));
    let photo = process(&motion_photo);
    assert_eq!((photo.width, photo.height), (1800, 1200));
}

#[test]
fn the_memory_estimate_counts_the_rgb_copy_of_a_greyscale_image() {
    let budget = PhotoLimits::default().max_decoded_bytes;
    // 144 MB of grey pixels become 432 MB of RGB while the grey ones are still held.
    let grey = working_bytes(12_000, 12_000, ColorType::L8, 144_000_000, 2);
    assert!(grey >= 576_000_000, "{grey}");
    assert!(grey > budget);
    // A 12 MP phone photo and a 48 MP one (decoded straight to RGB) fit.
    assert!(working_bytes(4000, 3000, ColorType::Rgb8, 36_000_000, 2) < budget / 2);
    assert!(working_bytes(8000, 6000, ColorType::Rgb8, 144_000_000, 2) < budget);
}

#[test]
fn the_heic_memory_estimate_counts_libheif_decode_buffers() {
    let budget = PhotoLimits::default().max_decoded_bytes;
    let jpeg = working_bytes(4032, 3024, ColorType::Rgb8, 4032 * 3024 * 3, 2);
    let heic = heif_working_bytes(4032, 3024, false, 8, 2);
    // YCbCr planes, libheif's RGB image and our copy of it: two full RGB images at least, and
    // never less than the same photo as JPEG (the phases after decoding are the same).
    assert!(heic >= 2 * 4032 * 3024 * 3, "{heic}");
    assert!(heic >= jpeg, "{heic} vs {jpeg}");
    // At 10 bits a sample, decoding is the peak: twice the 16-bit planes.
    assert!(heif_working_bytes(4032, 3024, false, 10, 2) >= 4 * 4032 * 3024 * 3);
    // A 12 MP and a 24 MP iPhone photo fit; 10 bits a sample cost more than 8.
    assert!(heic < budget / 2);
    assert!(heif_working_bytes(5712, 4284, false, 8, 2) < budget);
    assert!(heif_working_bytes(4032, 3024, false, 10, 2) > heic);
    assert!(heif_working_bytes(4032, 3024, true, 8, 2) > heic);
    // A 12 000 × 12 000 HDR file is refused from its header.
    assert!(heif_working_bytes(12_000, 12_000, false, 10, 2) > budget);
}

#[test]
fn a_small_greyscale_png_of_12000_by_12000_pixels_is_refused_before_decoding() {
    use image::ImageEncoder as _;
    let mut png = Vec::new();
    let grey = image::GrayImage::new(12_000, 12_000);
    image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(grey.as_raw(), 12_000, 12_000, image::ExtendedColorType::L8)
    .unwrap();
    drop(grey);
    assert!(png.len() < 2 * 1024 * 1024, "{} bytes", png.len());
    let started = Instant::now();
    let error = process_photo(&png, &PhotoLimits::default()).unwrap_err();
    assert_eq!(
        (
            Code::from(&error).name(),
            Code::from(&error).status().as_u16()
        ),
        ("image_too_large", 413)
    );
    assert!(error.message_vi().contains("Ảnh quá lớn để xử lý"));
    assert!(started.elapsed() < Duration::from_secs(2));
}
