//! A JPEG decoded in strips shows exactly the picture the whole file decodes to; files that cannot be cut are left whole.

use image::{DynamicImage, GenericImageView, ImageFormat};
use jpeg_encoder::{ColorType as JpegColor, Encoder, SamplingFactor};

use super::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/images");

fn whole(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory_with_format(bytes, ImageFormat::Jpeg).unwrap()
}

fn in_strips(bytes: &[u8], threads: usize) -> Option<DynamicImage> {
    let decoder = JpegDecoder::new(Cursor::new(bytes)).unwrap();
    decode_in_strips(
        bytes,
        decoder.dimensions(),
        decoder.color_type(),
        &Limits::default(),
        threads,
    )
}

/// Gradients, hard edges and fine texture in every channel, so a misplaced block would show.
fn photo_like(width: u32, height: u32, channels: u32) -> Vec<u8> {
    (0..height)
        .flat_map(|y| {
            (0..width).flat_map(move |x| {
                (0..channels).map(move |c| {
                    let edge = if (x / 37 + y / 23 + c) % 2 == 0 {
                        60
                    } else {
                        0
                    };
                    ((x * (3 + c) + y * (5 - c) + (x * y) % 17 + edge) % 256) as u8
                })
            })
        })
        .collect()
}

fn encode(
    width: u16,
    height: u16,
    color: JpegColor,
    sampling: SamplingFactor,
    restart_interval: Option<u16>,
    progressive: bool,
) -> Vec<u8> {
    let channels = if color == JpegColor::Luma { 1 } else { 3 };
    let pixels = photo_like(u32::from(width), u32::from(height), channels);
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, 85);
    encoder.set_sampling_factor(sampling);
    if let Some(interval) = restart_interval {
        encoder.set_restart_interval(interval);
    }
    encoder.set_progressive(progressive);
    encoder.encode(&pixels, width, height, color).unwrap();
    out
}

#[test]
fn the_phone_photo_decodes_in_strips_to_exactly_its_pixels() {
    // 4032×3024, 4:2:2, a restart marker every 4 MCUs: as a phone writes it.
    let photo = std::fs::read(format!("{FIXTURES}/phone-12mp.jpg")).unwrap();
    let strips = split_into_strips(&photo, 2).unwrap();
    assert_eq!(strips.len(), 2);
    // No chroma shared between rows: each strip decodes exactly its own half.
    assert_eq!((strips[0].first_row, strips[0].keep_from), (0, 0));
    assert_eq!(strips[0].keep_to, strips[0].height);
    assert_eq!(strips[1].first_row, strips[0].height);
    assert_eq!(strips[1].keep_from, strips[0].height);
    assert_eq!(strips[0].height + strips[1].height, 3024);
    assert!(
        strips[0].height.abs_diff(1512) <= 16,
        "{}",
        strips[0].height
    );

    let expected = whole(&photo);
    for threads in [2, 3] {
        let got = in_strips(&photo, threads).unwrap();
        assert_eq!(got.dimensions(), (4032, 3024));
        assert!(got.as_bytes() == expected.as_bytes(), "{threads} strips");
    }
}

#[test]
fn every_chroma_layout_and_grey_decode_in_strips_like_the_whole_file() {
    // Odd sizes, so the last MCU row and column are partial; an interval that does not divide
    // the MCU row, so only some rows can start a strip.
    for (color, sampling) in [
        (JpegColor::Rgb, SamplingFactor::F_1_1),
        (JpegColor::Rgb, SamplingFactor::F_2_1),
        (JpegColor::Rgb, SamplingFactor::F_1_2),
        (JpegColor::Rgb, SamplingFactor::F_2_2),
        (JpegColor::Luma, SamplingFactor::F_1_1),
    ] {
        let jpeg = encode(517, 389, color, sampling, Some(3), false);
        assert_eq!(
            split_into_strips(&jpeg, 2).unwrap().len(),
            2,
            "{sampling:?}"
        );
        let expected = whole(&jpeg);
        let got = in_strips(&jpeg, 2).unwrap_or_else(|| panic!("{sampling:?} not cut"));
        assert_eq!(got.color(), expected.color(), "{sampling:?}");
        assert_eq!(got.dimensions(), expected.dimensions(), "{sampling:?}");
        assert!(
            got.as_bytes() == expected.as_bytes(),
            "{color:?} {sampling:?} differs"
        );
    }
}

#[test]
fn files_that_cannot_be_cut_are_left_whole() {
    let rgb = |restart, progressive| {
        encode(
            640,
            480,
            JpegColor::Rgb,
            SamplingFactor::F_2_2,
            restart,
            progressive,
        )
    };
    assert!(
        split_into_strips(&rgb(None, false), 2).is_none(),
        "no restart markers"
    );
    assert!(
        split_into_strips(&rgb(Some(4), true), 2).is_none(),
        "progressive"
    );
    assert!(
        split_into_strips(&rgb(Some(4), false), 1).is_none(),
        "one thread"
    );
    let one_mcu_row = encode(
        640,
        16,
        JpegColor::Rgb,
        SamplingFactor::F_2_2,
        Some(4),
        false,
    );
    assert!(split_into_strips(&one_mcu_row, 2).is_none(), "one MCU row");

    // A restart marker lost in transit: the counts no longer add up, so the forgiving whole
    // decoder gets the file.
    let mut damaged = rgb(Some(4), false);
    let marker = damaged
        .windows(2)
        .rposition(|pair| pair[0] == 0xFF && (0xD0..=0xD7).contains(&pair[1]))
        .unwrap();
    damaged.drain(marker..marker + 2);
    assert!(split_into_strips(&damaged, 2).is_none(), "damaged");
    assert!(in_strips(&damaged, 2).is_none());

    // Cut cleanly, the same file is split.
    assert_eq!(split_into_strips(&rgb(Some(4), false), 2).unwrap().len(), 2);
}
