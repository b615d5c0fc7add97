//! Tells a complete JPEG from one cut off mid-upload, by walking its segments to the end-of-image marker.

/// True when the primary image's end-of-image marker (`FF D9`) is reached.
///
/// The JPEG decoder tolerates a missing tail and paints it grey, so an upload cut off by a 3G
/// drop would otherwise be accepted. Searching the last bytes for `FF D9` is not enough either:
/// Samsung and Pixel "motion photos" append megabytes of MP4 after the image. Walking the
/// segments finds the first image's end wherever it is; inside entropy-coded data a literal
/// `FF` is always stuffed as `FF 00`, so `FF D9` there can only be the real marker.
pub(crate) fn jpeg_reaches_end_of_image(bytes: &[u8]) -> bool {
    let mut at = 2; // after SOI (FF D8), which the format sniffing already checked
    loop {
        // Be lenient about stray bytes between segments, as decoders are: skip to the next FF.
        let Some(offset) = bytes
            .get(at..)
            .and_then(|rest| rest.iter().position(|&b| b == 0xFF))
        else {
            return false;
        };
        at += offset;
        // Any number of FF fill bytes may precede a marker.
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let Some(&marker) = bytes.get(at) else {
            return false;
        };
        at += 1;
        match marker {
            0xD9 => return true,
            // Markers without a length: restart markers, TEM, and a stray stuffed zero.
            0x00 | 0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(length) = bytes.get(at..at + 2) else {
            return false;
        };
        at += usize::from(u16::from_be_bytes([length[0], length[1]]));
        if marker == 0xDA {
            match end_of_entropy_coded_data(bytes, at) {
                Some(next_marker) => at = next_marker,
                None => return false,
            }
        }
    }
}

/// Position of the first real marker after a scan's entropy-coded data starting at `at`,
/// skipping stuffed `FF 00` and restart markers; `None` if the data runs to the end.
fn end_of_entropy_coded_data(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let offset = bytes.get(at..)?.iter().position(|&b| b == 0xFF)?;
        let candidate = at + offset;
        match bytes.get(candidate + 1)? {
            0x00 | 0xD0..=0xD7 => at = candidate + 2,
            0xFF => at = candidate + 1,
            _ => return Some(candidate),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/images");

    fn fixture(relative: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{relative}")).unwrap()
    }

    #[test]
    fn complete_photos_reach_their_end() {
        for name in [
            "phone-gps.jpg",
            "phone-12mp.jpg",
            "orientation/portrait_5.jpg",
        ] {
            assert!(jpeg_reaches_end_of_image(&fixture(name)), "{name}");
        }
    }

    #[test]
    fn cut_off_uploads_do_not() {
        assert!(!jpeg_reaches_end_of_image(&fixture("bad/truncated.jpg")));
        let whole = fixture("phone-gps.jpg");
        for keep in [3, 100, whole.len() / 2, whole.len() - 2, whole.len() - 1] {
            assert!(!jpeg_reaches_end_of_image(&whole[..keep]), "cut at {keep}");
        }
    }

    #[test]
    fn a_motion_photo_trailer_does_not_hide_the_end() {
        let mut motion_photo = fixture("orientation/landscape_1.jpg");
        // An MP4 appended after the image, as Samsung and Pixel cameras do.
        motion_photo.extend_from_slice(b"\0\0\0\x18ftypmp42\0\0\0\0isommp42");
        motion_photo.extend((0..200_000u32).map(|i| (i * 7 % 251) as u8));
        assert!(jpeg_reaches_end_of_image(&motion_photo));
    }
}
