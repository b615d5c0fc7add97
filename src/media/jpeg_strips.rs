//! Cuts a baseline JPEG with restart markers into horizontal strips that decode independently.
//!
//! Phone cameras write restart markers (`RSTn`) every few MCUs so a damaged byte spoils only a
//! few blocks. They also make the entropy-coded data restartable: at a marker the DC
//! predictions reset and the bit stream starts byte-aligned, so the data after it is a valid
//! scan on its own. A strip is the original headers with the frame's height changed, the data
//! between two markers that fall at the start of an MCU row, and an end-of-image marker; each
//! strip decodes on its own thread, which halves the wall time of a 12 MP decode on two cores.
//!
//! Anything else (progressive or arithmetic-coded files, several scans, no restart markers, a
//! marker count that does not match the frame) gets `None`, and the caller decodes the file
//! whole as before.

use std::io::Cursor;

use image::codecs::jpeg::JpegDecoder;
use image::{ColorType, DynamicImage, GrayImage, ImageDecoder, Limits, RgbImage};

/// Decodes the JPEG `bytes` (`width`×`height`, decoding to `color`) in up to `threads` strips
/// on as many threads, into one buffer. `None` when the file cannot be cut or a strip does not
/// decode: the caller then decodes it whole, which also gives the error a damaged file earns.
pub(crate) fn decode_in_strips(
    bytes: &[u8],
    (width, height): (u32, u32),
    color: ColorType,
    limits: &Limits,
    threads: usize,
) -> Option<DynamicImage> {
    let channels = match color {
        ColorType::Rgb8 => 3,
        ColorType::L8 => 1,
        _ => return None,
    };
    let strips = split_into_strips(bytes, threads)?;
    let row_bytes = width as usize * channels;
    let rows = |from: u32, to: u32| from as usize * row_bytes..to as usize * row_bytes;
    let mut pixels = vec![0u8; row_bytes * height as usize];
    // Strips that decode only their own rows write straight into the image; the others (all
    // but the last when chroma is shared between rows) into their own buffer, copied after.
    let last = strips.len() - 1;
    let mut own: Vec<Option<Vec<u8>>> = strips
        .iter()
        .enumerate()
        .map(|(index, strip)| {
            (index != last && !strip.decodes_only_its_rows())
                .then(|| vec![0u8; strip.height as usize * row_bytes])
        })
        .collect();
    let mut targets: Vec<&mut [u8]> = Vec::with_capacity(strips.len());
    let mut rest = pixels.as_mut_slice();
    let mut rest_from = 0;
    for (strip, buffer) in strips.iter().zip(own.iter_mut()) {
        match buffer {
            Some(buffer) => targets.push(buffer.as_mut_slice()),
            None => {
                let range = rows(strip.first_row, strip.first_row + strip.height);
                let (_, tail) = rest.split_at_mut_checked(range.start.checked_sub(rest_from)?)?;
                let (part, tail) = tail.split_at_mut_checked(range.len())?;
                targets.push(part);
                rest = tail;
                rest_from = range.end;
            }
        }
    }
    let decoded = std::thread::scope(|scope| {
        let mut work = strips.iter().zip(targets);
        let first = work.next();
        let helpers: Vec<_> = work
            .map(|(strip, out)| scope.spawn(move || decode_strip(strip, out, width, color, limits)))
            .collect();
        let mut all =
            first.is_some_and(|(strip, out)| decode_strip(strip, out, width, color, limits));
        for helper in helpers {
            all &= helper.join().unwrap_or(false);
        }
        all
    });
    if !decoded {
        return None;
    }
    for (strip, buffer) in strips.iter().zip(own) {
        if let Some(buffer) = buffer {
            let kept = buffer.get(rows(
                strip.keep_from - strip.first_row,
                strip.keep_to - strip.first_row,
            ))?;
            pixels
                .get_mut(rows(strip.keep_from, strip.keep_to))?
                .copy_from_slice(kept);
        }
    }
    match color {
        ColorType::L8 => GrayImage::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8),
        _ => RgbImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8),
    }
}

/// Decodes one strip into `out`; false if it is not the strip it should be.
fn decode_strip(
    strip: &Strip,
    out: &mut [u8],
    width: u32,
    color: ColorType,
    limits: &Limits,
) -> bool {
    let Ok(mut decoder) = JpegDecoder::new(Cursor::new(strip.bytes.as_slice())) else {
        return false;
    };
    if decoder.dimensions() != (width, strip.height) || decoder.color_type() != color {
        return false;
    }
    decoder.set_limits(limits.clone()).is_ok() && decoder.read_image(out).is_ok()
}

/// One strip: a complete JPEG for the image rows `first_row..first_row + height`, of which
/// `keep_from..keep_to` are its share of the picture. Where chroma is shared between rows
/// (4:2:0), a strip decodes a few rows more above and below its share, so that the chroma of
/// its edge rows is interpolated from their true neighbours and comes out as in the whole
/// decode.
#[derive(Debug, Clone)]
pub(crate) struct Strip {
    pub first_row: u32,
    pub height: u32,
    pub keep_from: u32,
    pub keep_to: u32,
    pub bytes: Vec<u8>,
}

impl Strip {
    fn decodes_only_its_rows(&self) -> bool {
        (self.keep_from, self.keep_to) == (self.first_row, self.first_row + self.height)
    }
}

/// What the headers before the first scan say.
struct Frame {
    width: u32,
    height: u32,
    /// Offset of the frame header's 2-byte height field.
    height_field: usize,
    mcu_width: u32,
    mcu_height: u32,
    /// Some component has fewer rows than the image: its rows are interpolated vertically.
    vertically_subsampled: bool,
    restart_interval: u32,
    /// Offset of the first byte of entropy-coded data (after the SOS segment).
    data_start: usize,
}

/// Splits `bytes` (a JPEG whose end-of-image marker was already found) into at most `count`
/// strips of about equal height, or `None` when the file cannot be cut (see the module docs).
pub(crate) fn split_into_strips(bytes: &[u8], count: usize) -> Option<Vec<Strip>> {
    if count < 2 {
        return None;
    }
    let frame = read_frame(bytes)?;
    let mcus_per_row = u64::from(frame.width.div_ceil(frame.mcu_width));
    let mcu_rows = frame.height.div_ceil(frame.mcu_height);
    let interval = u64::from(frame.restart_interval);
    let total_mcus = mcus_per_row * u64::from(mcu_rows);
    let markers = restart_markers(bytes, frame.data_start)?;
    // Every interval but the last ends in a marker: anything else is a damaged file, which
    // the whole-file decoder handles more forgivingly.
    let expected_markers = total_mcus.div_ceil(interval).saturating_sub(1);
    if markers.positions.len() as u64 != expected_markers {
        return None;
    }
    // A strip can start at an MCU row only where a restart marker falls: every `period` rows.
    let period = (1..=mcu_rows).find(|&rows| (u64::from(rows) * mcus_per_row) % interval == 0)?;
    let overlap = if frame.vertically_subsampled {
        period
    } else {
        0
    };
    let parts = u32::try_from(count).ok()?;
    // Strips of at least two periods each, and decoding at most a quarter more than whole.
    if period.saturating_mul(2 * parts) > mcu_rows || overlap.saturating_mul(4 * parts) > mcu_rows {
        return None;
    }
    let mut starts: Vec<u32> = (0..parts)
        .map(|part| (mcu_rows * part / parts) / period * period)
        .collect();
    starts.dedup();

    let header = &bytes[..frame.data_start];
    let strips = starts
        .iter()
        .enumerate()
        .map(|(index, &keep_start)| {
            let keep_end = starts.get(index + 1).copied().unwrap_or(mcu_rows);
            let start = keep_start.saturating_sub(overlap);
            let end = (keep_end + overlap).min(mcu_rows);
            let pixel_row = |mcu_row: u32| (mcu_row * frame.mcu_height).min(frame.height);
            // Marker k (1-based) follows the k-th interval; the data of a strip starting at
            // MCU row `r` begins after marker r × mcus_per_row / interval.
            let marker_before = |row: u32| (u64::from(row) * mcus_per_row / interval) as usize;
            let data_from = match marker_before(start) {
                0 => frame.data_start,
                k => markers.positions.get(k - 1)? + 2,
            };
            let data_to = if end == mcu_rows {
                markers.end
            } else {
                *markers.positions.get(marker_before(end).checked_sub(1)?)?
            };
            let height = pixel_row(end) - pixel_row(start);
            let mut strip = Vec::with_capacity(header.len() + data_to - data_from + 2);
            strip.extend_from_slice(header);
            let field = frame.height_field;
            strip
                .get_mut(field..field + 2)?
                .copy_from_slice(&u16::try_from(height).ok()?.to_be_bytes());
            strip.extend_from_slice(bytes.get(data_from..data_to)?);
            strip.extend_from_slice(&[0xFF, 0xD9]);
            Some(Strip {
                first_row: pixel_row(start),
                height,
                keep_from: pixel_row(keep_start),
                keep_to: pixel_row(keep_end),
                bytes: strip,
            })
        })
        .collect::<Option<Vec<Strip>>>()?;
    (strips.len() > 1).then_some(strips)
}

/// Walks the segments up to the first scan; `None` unless the file is one baseline (or
/// extended Huffman) scan of all components with a restart interval.
fn read_frame(bytes: &[u8]) -> Option<Frame> {
    let mut at = 2;
    // The frame header's facts, and how many components it has.
    let mut frame: Option<(Frame, usize)> = None;
    let mut restart_interval = 0u32;
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes.get(at)?;
        at += 1;
        // Markers without a length (TEM, a stray restart marker).
        if matches!(marker, 0x01 | 0xD0..=0xD7) {
            continue;
        }
        let length = usize::from(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
        let segment = bytes.get(at + 2..at + length)?;
        match marker {
            // Baseline and extended sequential, Huffman-coded.
            0xC0 | 0xC1 => {
                let (&precision, rest) = segment.split_first()?;
                let height = u32::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
                let width = u32::from(u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?]));
                let components = usize::from(*rest.get(4)?);
                let specs = rest.get(5..5 + 3 * components)?;
                if precision != 8 || height == 0 || width == 0 || components == 0 {
                    return None;
                }
                let (mut h_max, mut v_max, mut v_min) = (1u32, 1u32, 4u32);
                for spec in specs.chunks_exact(3) {
                    let (h, v) = (u32::from(spec[1] >> 4), u32::from(spec[1] & 0x0F));
                    if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
                        return None;
                    }
                    h_max = h_max.max(h);
                    v_max = v_max.max(v);
                    v_min = v_min.min(v);
                }
                // A single-component scan is not interleaved: its MCU is one 8×8 block.
                if components == 1 {
                    (h_max, v_max, v_min) = (1, 1, 1);
                }
                let sof = Frame {
                    width,
                    height,
                    height_field: at + 3,
                    mcu_width: 8 * h_max,
                    mcu_height: 8 * v_max,
                    vertically_subsampled: v_min < v_max,
                    restart_interval: 0,
                    data_start: 0,
                };
                frame = Some((sof, components));
            }
            // Any other frame type: progressive, lossless, arithmetic, hierarchical.
            0xC2..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xDD => {
                restart_interval =
                    u32::from(u16::from_be_bytes([*segment.first()?, *segment.get(1)?]));
            }
            0xDA => {
                let (sof, components) = frame?;
                if usize::from(*segment.first()?) != components || restart_interval == 0 {
                    return None;
                }
                return Some(Frame {
                    restart_interval,
                    data_start: at + length,
                    ..sof
                });
            }
            0xD9 => return None,
            _ => {}
        }
        at += length;
    }
}

/// The restart markers of the scan starting at `at`, and where the scan's data ends.
struct RestartMarkers {
    positions: Vec<usize>,
    /// Offset of the marker that ends the scan (which must be the end of the image).
    end: usize,
}

fn restart_markers(bytes: &[u8], mut at: usize) -> Option<RestartMarkers> {
    let mut positions = Vec::new();
    loop {
        let offset = bytes.get(at..)?.iter().position(|&b| b == 0xFF)?;
        let candidate = at + offset;
        match *bytes.get(candidate + 1)? {
            0x00 => at = candidate + 2,
            0xFF => at = candidate + 1,
            0xD0..=0xD7 => {
                positions.push(candidate);
                at = candidate + 2;
            }
            // One scan, then the end: more scans or a DNL marker are not for cutting.
            0xD9 => {
                return Some(RestartMarkers {
                    positions,
                    end: candidate,
                })
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "jpeg_strips_tests.rs"]
mod tests;
