//! QR labels for packaging and market stalls: a published listing's QR code (SVG, PNG) to its
//! page, which listings someone may print labels for, and how many labels fit an A4 sheet.

use crate::accounts::Auth;
use crate::domain::listing::{ListingKind, ListingStatus};
use crate::error::AppError;
use crate::messages::Message;
use crate::store::listings::{self, ListSort, ListingFilter, ListingView};
use crate::store::Conn;
use qrcode::{Color, EcLevel, QrCode};
use std::fmt::Write as _;

/// The most labels on one A4 sheet (3 columns of 8: about 65 × 35 mm, a QR code still scans).
pub const MAX_PER_PAGE: usize = 24;

/// The most listings offered on the form (an admin's newest published ones).
pub const MAX_LISTINGS: usize = 500;

/// White modules around the code: the QR standard asks for four.
const QUIET_ZONE: usize = 4;

/// Pixels per module in the PNG: a 37-module code is 360 px, sharp on a phone and in print.
const PNG_SCALE: usize = 8;

/// How many labels go on one sheet: 1 to [`MAX_PER_PAGE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerPage(usize);

impl PerPage {
    pub fn parse(raw: &str) -> Result<PerPage, Message> {
        raw.trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PER_PAGE).contains(n))
            .map(PerPage)
            .ok_or(Message::LabelsPerPage)
    }

    pub fn get(self) -> usize {
        self.0
    }

    /// Columns and rows of labels on a portrait A4 sheet: one column up to 3 labels (wide
    /// strips), two up to 8 (and for 10), three beyond.
    pub fn grid(self) -> (usize, usize) {
        let columns = match self.0 {
            0..=3 => 1,
            4..=8 | 10 => 2,
            _ => 3,
        };
        (columns, self.0.div_ceil(columns))
    }
}

/// The absolute address a listing's QR code leads to: its page on the site.
pub fn listing_url(public_url: &str, kind: ListingKind, slug: &str) -> String {
    format!(
        "{}{}",
        public_url.trim_end_matches('/'),
        kind.page_path(slug)
    )
}

/// The code's modules, row by row (`true` is dark), and its width in modules.
fn modules(text: &str) -> Result<(Vec<bool>, usize), AppError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| AppError::internal(format!("qr code: {e}")))?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok((dark, width))
}

/// The QR code of `text` as a standalone SVG, drawn as one dashed line that snakes through the
/// rows (left to right, down one, right to left, …): the dashes are the dark modules. A list of
/// small numbers compresses far better than a path per module, so 24 codes fit a light page.
pub fn qr_svg(text: &str) -> Result<String, AppError> {
    let (dark, width) = modules(text)?;
    let side = width + 2 * QUIET_ZONE;
    // Lengths along the line, alternating dark and light and starting with dark (a zero when
    // the line starts light); the step down between rows is light.
    let mut runs: Vec<usize> = Vec::new();
    let mut run_is_dark = true;
    let mut run = 0;
    let mut step = |is_dark: bool, runs: &mut Vec<usize>| {
        if is_dark == run_is_dark {
            run += 1;
        } else {
            runs.push(run);
            run_is_dark = is_dark;
            run = 1;
        }
    };
    let mut d = format!("M{QUIET_ZONE} {QUIET_ZONE}.5");
    for (y, row) in dark.chunks(width.max(1)).enumerate() {
        if y > 0 {
            step(false, &mut runs);
            d.push_str("v1");
        }
        if y % 2 == 0 {
            row.iter().for_each(|m| step(*m, &mut runs));
            let _ = write!(d, "h{width}");
        } else {
            row.iter().rev().for_each(|m| step(*m, &mut runs));
            let _ = write!(d, "h-{width}");
        }
    }
    runs.push(run);
    let mut dashes = String::with_capacity(runs.len() * 2);
    for (i, r) in runs.iter().enumerate() {
        if i > 0 {
            dashes.push(' ');
        }
        let _ = write!(dashes, "{r}");
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"none\" stroke=\"#000\" d=\"{d}\" stroke-dasharray=\"{dashes}\"/></svg>"
    ))
}

/// The QR code of `text` as a greyscale PNG, [`PNG_SCALE`] pixels per module.
pub fn qr_png(text: &str) -> Result<Vec<u8>, AppError> {
    use image::ImageEncoder;
    let (dark, width) = modules(text)?;
    let side = (width + 2 * QUIET_ZONE) * PNG_SCALE;
    let side_px = u32::try_from(side).map_err(|_| AppError::internal("qr code too large"))?;
    let pixels: Vec<u8> = (0..side * side)
        .map(|i| {
            let (x, y) = (i % side / PNG_SCALE, i / side / PNG_SCALE);
            let inside = QUIET_ZONE..QUIET_ZONE + width;
            let is_dark = inside.contains(&x)
                && inside.contains(&y)
                && dark[(y - QUIET_ZONE) * width + (x - QUIET_ZONE)];
            if is_dark {
                0
            } else {
                255
            }
        })
        .collect();
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, side_px, side_px, image::ExtendedColorType::L8)
        .map_err(|e| AppError::internal(format!("qr png: {e}")))?;
    Ok(png)
}

/// The listings `who` may print labels for, newest first: a member, their cooperative's
/// published ones; an admin, every published one (the newest [`MAX_LISTINGS`]).
pub fn printable(
    conn: &mut Conn,
    who: &Auth,
    media_base: &str,
) -> Result<Vec<ListingView>, AppError> {
    if who.is_admin() {
        let newest = listings::list_public(
            conn,
            &ListingFilter::default(),
            ListSort::Newest,
            None,
            MAX_LISTINGS as i64,
            media_base,
        )?;
        return Ok(newest.items);
    }
    let Some(coop) = who.user.cooperative_id else {
        return Ok(Vec::new());
    };
    Ok(listings::for_cooperative(conn, coop, media_base)?
        .into_iter()
        .filter(|l| l.status == ListingStatus::Published)
        .collect())
}

/// Of the listings someone may label ([`printable`]), those with these ids, in the order asked
/// and each once; any other id is left out, as if it did not exist.
pub fn chosen(printable: &[ListingView], ids: &[i64]) -> Vec<ListingView> {
    let mut picked: Vec<ListingView> = Vec::new();
    for id in ids {
        if picked.iter().any(|l| l.id == *id) {
            continue;
        }
        if let Some(l) = printable.iter().find(|l| l.id == *id) {
            picked.push(l.clone());
        }
    }
    picked
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn per_page_is_one_to_twenty_four() {
        assert_eq!(PerPage::parse("1").map(PerPage::get), Ok(1));
        assert_eq!(PerPage::parse(" 24 ").map(PerPage::get), Ok(24));
        for bad in ["0", "25", "-1", "", "3.5", "mười", "300"] {
            assert_eq!(PerPage::parse(bad), Err(Message::LabelsPerPage), "{bad:?}");
        }
    }

    #[test]
    fn every_sheet_layout_holds_its_labels_in_a_tall_grid() {
        for n in 1..=MAX_PER_PAGE {
            let (columns, rows) = PerPage(n).grid();
            assert!(columns * rows >= n, "{n}: {columns}×{rows}");
            assert!(columns * (rows - 1) < n, "{n}: a row left empty");
            assert!(columns <= rows, "{n}: {columns}×{rows} on a portrait page");
        }
        assert_eq!(PerPage(2).grid(), (1, 2));
        assert_eq!(PerPage(24).grid(), (3, 8));
    }

    #[test]
    fn the_url_is_the_listing_page() {
        assert_eq!(
            listing_url("https://vungcao.vn/", ListingKind::Product, "mat-ong"),
            "https://vungcao.vn/san-pham/mat-ong"
        );
        assert_eq!(
            listing_url("https://vungcao.vn", ListingKind::Event, "le-hoi-hoa-le"),
            "https://vungcao.vn/le-hoi/le-hoi-hoa-le"
        );
    }

    fn attribute<'a>(svg: &'a str, name: &str) -> &'a str {
        let marker = format!(" {name}=\"");
        svg.split(marker.as_str())
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
    }

    /// Walks the SVG's line unit by unit (`M`, `h`, `v` with whole-unit steps after a half-unit
    /// start), inking the modules its dash pattern covers.
    fn replay(svg: &str, side: usize) -> Vec<bool> {
        let d = attribute(svg, "d");
        let dashes: Vec<usize> = attribute(svg, "stroke-dasharray")
            .split(' ')
            .map(|n| n.parse().unwrap())
            .collect();
        // Whether each unit along the line is inked.
        let inked: Vec<bool> = dashes
            .iter()
            .enumerate()
            .flat_map(|(i, n)| std::iter::repeat_n(i % 2 == 0, *n))
            .collect();
        let mut drawn = vec![false; side * side];
        let starts: Vec<usize> = d.match_indices(['M', 'h', 'v']).map(|(i, _)| i).collect();
        let (mut x, mut y) = (0i64, 0i64);
        let mut along = 0;
        for (n, start) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(d.len());
            let args = &d[start + 1..end];
            match &d[*start..=*start] {
                "M" => {
                    let (mx, my) = args.split_once(' ').unwrap();
                    x = mx.parse().unwrap();
                    y = my.parse::<f64>().unwrap().floor() as i64;
                }
                "h" => {
                    let len: i64 = args.parse().unwrap();
                    for _ in 0..len.abs() {
                        // A unit to the left covers the module left of the pen.
                        let module = if len > 0 { x } else { x - 1 };
                        if inked.get(along).copied().unwrap_or(false) {
                            let cell = &mut drawn[y as usize * side + module as usize];
                            assert!(!*cell, "drawn twice");
                            *cell = true;
                        }
                        x += len.signum();
                        along += 1;
                    }
                }
                _ => {
                    let len: i64 = args.parse().unwrap();
                    for _ in 0..len {
                        assert!(
                            !inked.get(along).copied().unwrap_or(false),
                            "a step down is inked"
                        );
                        y += 1;
                        along += 1;
                    }
                }
            }
        }
        assert_eq!(along, inked.len(), "the pattern is as long as the line");
        drawn
    }

    #[test]
    fn the_svg_draws_exactly_the_dark_modules() {
        let text = "https://vungcao.vn/san-pham/che-shan-tuyet-co-thu-hong-thai";
        let (dark, width) = modules(text).unwrap();
        let side = width + 2 * QUIET_ZONE;
        let drawn = replay(&qr_svg(text).unwrap(), side);
        for y in 0..side {
            for x in 0..side {
                let inside = QUIET_ZONE..QUIET_ZONE + width;
                let expected = inside.contains(&x)
                    && inside.contains(&y)
                    && dark[(y - QUIET_ZONE) * width + x - QUIET_ZONE];
                assert_eq!(drawn[y * side + x], expected, "module {x},{y}");
            }
        }
        assert!(dark.iter().any(|m| *m) && dark.iter().any(|m| !*m));
    }

    #[test]
    fn the_png_is_a_square_with_its_quiet_zone() {
        let png = qr_png("https://vungcao.vn/san-pham/mat-ong").unwrap();
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        assert_eq!(img.width(), img.height());
        assert!(img.width() >= (21 * PNG_SCALE) as u32);
        // The quiet zone is white; the top-left finder pattern starts right after it.
        let q = (QUIET_ZONE * PNG_SCALE) as u32;
        assert_eq!(img.get_pixel(q - 1, q - 1).0, [255]);
        assert_eq!(img.get_pixel(q, q).0, [0]);
        assert_eq!(img.get_pixel(0, 0).0, [255]);
    }
}
