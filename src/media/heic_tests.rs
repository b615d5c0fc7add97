//! HEIC photos (built with the `heic` feature): upright from their irot/imir, true colours, hostile files refused like hostile JPEGs.

use super::*;

const HEIC_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/heic");

fn heic(name: &str) -> Vec<u8> {
    let path = format!("{HEIC_FIXTURES}/{name}");
    std::fs::read(&path).unwrap_or_else(|error| panic!("fixture {path}: {error}"))
}

#[test]
fn heic_photos_turned_by_irot_and_imir_come_out_upright() {
    let reference = process(&fixture("orientation/landscape_1.jpg"));
    let reference_small = decode(&variant(&reference, 320, VariantFormat::Jpeg).bytes);
    let mirrored =
        image::DynamicImage::ImageRgba8(image::imageops::flip_horizontal(&reference_small));
    assert!(mean_difference(&reference_small, &mirrored) > 20.0);

    // 5 is a mirror plus a turn (imir + irot), 3, 6 and 8 turns only.
    for orientation in [3, 5, 6, 8] {
        let name = format!("landscape_{orientation}.heic");
        let bytes = heic(&name);
        assert_eq!(sniff_format(&bytes), SniffedFormat::Heif);
        // The file really is stored turned, and says so the way an iPhone does: irot (imir).
        assert!(contains(&bytes, b"irot"), "{name}");
        assert_eq!(contains(&bytes, b"imir"), orientation == 5, "{name}");
        let ispe = bytes.windows(4).position(|w| w == b"ispe").unwrap();
        let stored_width = u32::from_be_bytes(bytes[ispe + 8..ispe + 12].try_into().unwrap());
        assert_eq!(
            stored_width,
            if orientation == 3 { 600 } else { 400 },
            "{name}"
        );
        let photo = process(&bytes);
        assert_eq!(photo.source_format, "heic");
        assert_eq!((photo.width, photo.height), (600, 400), "{name}");
        let small = decode(&variant(&photo, 320, VariantFormat::Jpeg).bytes);
        assert_eq!(small.dimensions(), reference_small.dimensions(), "{name}");
        let difference = mean_difference(&small, &reference_small);
        assert!(
            difference < 8.0,
            "{name} is not upright: difference {difference:.1}"
        );
        let webp = decode(&variant(&photo, 320, VariantFormat::Webp).bytes);
        assert!(
            mean_difference(&webp, &reference_small) < 9.0,
            "{name} WebP"
        );
    }
}

#[test]
fn heic_phone_photo_has_the_colours_of_the_same_jpeg() {
    let jpeg = process(&fixture("phone-12mp.jpg"));
    let jpeg_small = decode(&variant(&jpeg, 320, VariantFormat::Jpeg).bytes);
    for name in ["phone.heic", "phone-10bit.heic"] {
        let photo = process(&heic(name));
        assert_eq!((photo.width, photo.height), (1008, 756), "{name}");
        assert_eq!(photo.objects().count(), 8, "{name}");
        let small = decode(&variant(&photo, 320, VariantFormat::Jpeg).bytes);
        assert_eq!(small.dimensions(), jpeg_small.dimensions());
        let difference = mean_difference(&small, &jpeg_small);
        assert!(difference < 4.0, "{name}: difference {difference:.1}");
        // Not a grey or a channel-swapped picture: the mean colour matches per channel.
        let mean = |image: &image::DynamicImage| -> [f64; 3] {
            let rgb = image.to_rgb8();
            let mut sums = [0.0; 3];
            for pixel in rgb.pixels() {
                for (sum, value) in sums.iter_mut().zip(pixel.0) {
                    *sum += f64::from(value);
                }
            }
            sums.map(|sum| sum / f64::from(rgb.width() * rgb.height()))
        };
        let (ours, theirs) = (mean(&small), mean(&jpeg_small));
        for channel in 0..3 {
            assert!(
                (ours[channel] - theirs[channel]).abs() < 3.0,
                "{name} channel {channel}: {ours:?} vs {theirs:?}"
            );
        }
        // Nothing of the HEIF container or its EXIF leaks into the variants.
        for object in photo.objects() {
            assert!(!contains(&object.bytes, b"Exif\0\0"), "{}", object.key);
            assert!(!contains(&object.bytes, b"ftyp"), "{}", object.key);
        }
    }
}

#[test]
fn heic_display_p3_profile_is_converted_to_srgb() {
    let untagged = centre_of_small_jpeg(&process(&heic("red-untagged.heic")));
    let tagged_p3 = centre_of_small_jpeg(&process(&heic("red-p3.heic")));
    // The untagged file decodes to about the colour it was made from (200, 60, 40).
    assert!(
        untagged
            .iter()
            .zip([200u8, 60, 40])
            .all(|(got, want)| got.abs_diff(want) <= 6),
        "{untagged:?}"
    );
    // Display P3's red is more saturated: in sRGB it needs more red and less green.
    assert!(
        tagged_p3[0] > untagged[0] + 8 && tagged_p3[1] + 8 < untagged[1],
        "P3 {tagged_p3:?} vs untagged {untagged:?}"
    );
}

#[test]
fn hostile_heic_files_get_the_codes_of_hostile_jpegs() {
    assert_eq!(error_of(&heic("truncated.heic")), ("corrupt_image", 422));
    assert_eq!(
        error_of(&heic("corrupt-header.heic")),
        ("corrupt_image", 422)
    );
    assert_eq!(error_of(&heic_header_only()), ("corrupt_image", 422));
    // The HEVC decoder may conceal damaged blocks; either way the answer is a photo or a 422.
    if let Err(error) = process_photo(&heic("garbled-data.heic"), &PhotoLimits::default()) {
        assert_eq!(Code::from(&error).name(), "corrupt_image");
    }

    for (name, side) in [("huge-20000.heic", 20_000), ("huge-40000.heic", 40_000)] {
        let bytes = heic(name);
        assert!(bytes.len() < 10_000, "{name} is small on disk");
        LARGEST_ALLOCATION.with(|largest| largest.set(Some(0)));
        let started = Instant::now();
        let outcome = process_photo(&bytes, &PhotoLimits::default());
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
            ("image_too_large", 413),
            "{name}: {error}"
        );
        assert!(
            error.to_string().contains(&format!("{side}×{side}")),
            "{error}"
        );
        assert!(error.message_vi().contains("Ảnh quá lớn"));
        assert!(
            elapsed < Duration::from_millis(500),
            "{name} took {elapsed:?}"
        );
        assert!(
            largest < 1024 * 1024,
            "{name}: allocated {largest} bytes at once"
        );
    }

    // Within the pixel limits but over the memory budget: refused before decoding.
    let tight = PhotoLimits {
        max_decoded_bytes: 1024 * 1024,
        ..PhotoLimits::default()
    };
    let error = process_photo(&heic("phone.heic"), &tight).unwrap_err();
    assert_eq!(Code::from(&error).name(), "image_too_large");
}
