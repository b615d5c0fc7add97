//! Recognises what an upload really is from its first bytes (magic numbers), never from its name.

/// What the first bytes of an upload say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SniffedFormat {
    Jpeg,
    Png,
    WebP,
    /// HEIC/HEIF from an iPhone or recent Android: decoded with libheif when the server is built
    /// with the `heic` feature, otherwise refused with a message asking for JPEG.
    Heif,
    /// Anything else: SVG, GIF, text, PDF, AVIF, …
    Unknown,
}

/// ISO-BMFF brands that mean an HEVC-coded HEIF image (iPhone photos), or a generic HEIF container.
const HEIF_BRANDS: [&[u8; 4]; 10] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1",
];

/// Looks at the magic numbers only; the decoder later checks the rest.
pub fn sniff_format(bytes: &[u8]) -> SniffedFormat {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        SniffedFormat::Jpeg
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        SniffedFormat::Png
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        SniffedFormat::WebP
    } else if is_heif(bytes) {
        SniffedFormat::Heif
    } else {
        SniffedFormat::Unknown
    }
}

/// An ISO-BMFF file starts with a `ftyp` box: size (4 bytes), "ftyp", major brand, minor version,
/// then compatible brands. Some HEIF writers put `mif1` as major brand and `heic` only among the
/// compatible ones, so every brand in the box is checked.
fn is_heif(bytes: &[u8]) -> bool {
    if bytes.len() < 12 || &bytes[4..8] != b"ftyp" {
        return false;
    }
    let declared_box_len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let box_end = declared_box_len.clamp(12, bytes.len().min(256));
    let major_brand = &bytes[8..12];
    // AVIF files also list `mif1`; they are not HEIC and get the generic refusal.
    if major_brand == b"avif" || major_brand == b"avis" {
        return false;
    }
    let compatible_brands = bytes.get(16..box_end).unwrap_or_default().chunks_exact(4);
    std::iter::once(major_brand)
        .chain(compatible_brands)
        .any(|brand| HEIF_BRANDS.iter().any(|known| brand == known.as_slice()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_format_from_magic_numbers() {
        assert_eq!(
            sniff_format(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            SniffedFormat::Jpeg
        );
        assert_eq!(sniff_format(b"\x89PNG\r\n\x1a\n\0\0"), SniffedFormat::Png);
        assert_eq!(sniff_format(b"RIFF\x10\0\0\0WEBPVP8 "), SniffedFormat::WebP);
        assert_eq!(
            sniff_format(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
            SniffedFormat::Heif
        );
        assert_eq!(
            sniff_format(b"\0\0\0\x18ftypmif1\0\0\0\0mif1heic"),
            SniffedFormat::Heif
        );
        assert_eq!(
            sniff_format(b"\0\0\0\x18ftypavif\0\0\0\0avifmif1"),
            SniffedFormat::Unknown
        );
        assert_eq!(
            sniff_format(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            SniffedFormat::Unknown
        );
        assert_eq!(sniff_format(b"GIF89a"), SniffedFormat::Unknown);
        assert_eq!(sniff_format(b""), SniffedFormat::Unknown);
    }
}
