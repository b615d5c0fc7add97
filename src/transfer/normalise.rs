//! One cell into the value a listing field takes: text in NFC and trimmed, prices written
//! "450.000" or "450,000 đ", OCOP "4 sao", Excel serial dates, numbers stored as text, yes/no.

use super::read::{number_text, Cell};
use super::report::Msg;
use crate::domain::listing::{LinkInput, ListingKind};
use crate::domain::marketplace::{validate_url, Platform};
use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

/// The cell as text, composed and trimmed; `None` when empty. Whole numbers lose their ".0".
pub fn text(cell: &Cell) -> Option<String> {
    let raw = match cell {
        Cell::Empty => return None,
        Cell::Text(t) => t.clone(),
        Cell::Number(n) | Cell::Date(n) => number_text(*n),
        Cell::Bool(b) => b.to_string(),
        Cell::Error(e) => e.clone(),
    };
    let composed: String = raw.trim().nfc().collect();
    (!composed.is_empty()).then_some(composed)
}

fn bad(en: &str, vi: &str) -> Msg {
    Msg::new(en, vi)
}

/// Refuses Excel error values (`#N/A`) in any column.
pub fn no_error(cell: &Cell) -> Result<(), Msg> {
    match cell {
        Cell::Error(e) => Err(bad(
            &format!("the cell shows an Excel error ({e})"),
            &format!("Ô đang báo lỗi Excel ({e})."),
        )),
        _ => Ok(()),
    }
}

/// The cooperative's own id for a listing: any text up to 100 characters, no line breaks.
pub fn external_id(cell: &Cell) -> Result<Option<String>, Msg> {
    let Some(t) = text(cell) else { return Ok(None) };
    if t.chars().count() > 100 || t.chars().any(char::is_control) {
        return Err(bad(
            "must be at most 100 characters on one line",
            "Mã riêng tối đa 100 ký tự, trên một dòng.",
        ));
    }
    Ok(Some(t))
}

/// A price in whole đồng: 450000, "450000", "450.000", "450,000 đ", "450 000 VND".
pub fn price(cell: &Cell) -> Result<Option<i64>, Msg> {
    let not_a_price = || {
        bad(
            "must be a price in đồng, e.g. 450000 or 450.000",
            "Giá phải là số đồng, ví dụ 450000 hoặc 450.000.",
        )
    };
    match cell {
        Cell::Number(n) => {
            if n.fract() != 0.0 || !n.is_finite() || n.abs() > 9e15 {
                return Err(bad(
                    "must be a whole number of đồng",
                    "Giá phải là số đồng nguyên, không có phần lẻ.",
                ));
            }
            Ok(Some(*n as i64))
        }
        Cell::Bool(_) | Cell::Date(_) => Err(not_a_price()),
        _ => {
            let Some(t) = text(cell) else { return Ok(None) };
            let lower = t.to_lowercase();
            let mut digits = lower.as_str();
            for suffix in ["vnđ", "vnd", "đồng", "dong", "đ", "d", "₫"] {
                if let Some(rest) = digits.trim_end().strip_suffix(suffix) {
                    digits = rest;
                    break;
                }
            }
            let compact: String = digits
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
                .collect();
            if compact.is_empty()
                || !compact
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
            {
                return Err(not_a_price());
            }
            // Thousands are grouped by "." (Vietnamese) or "," (English): groups of three.
            let groups: Vec<&str> = compact.split(['.', ',']).collect();
            let grouped = groups.len() > 1;
            if grouped
                && (groups[0].is_empty()
                    || groups[0].len() > 3
                    || groups[1..].iter().any(|g| g.len() != 3))
            {
                return Err(bad(
                    "must be a whole number of đồng (use . or , only between thousands)",
                    "Giá phải là số đồng nguyên (dấu . hoặc , chỉ để ngăn hàng nghìn).",
                ));
            }
            let joined: String = groups.concat();
            joined.parse::<i64>().map(Some).map_err(|_| not_a_price())
        }
    }
}

/// OCOP stars: 4, "4", "4 sao", "4 stars", "★★★★".
pub fn stars(cell: &Cell) -> Result<Option<i16>, Msg> {
    let wrong = || bad("must be 3, 4 or 5", "Chỉ 3, 4 hoặc 5 sao.");
    if let Cell::Number(n) = cell {
        return if n.fract() == 0.0 && (0.0..100.0).contains(n) {
            Ok(Some(*n as i16))
        } else {
            Err(wrong())
        };
    }
    let Some(t) = text(cell) else { return Ok(None) };
    let stars = t.chars().filter(|c| *c == '★' || *c == '⭐').count();
    if stars > 0
        && t.chars()
            .all(|c| c == '★' || c == '⭐' || c.is_whitespace())
    {
        return Ok(i16::try_from(stars).ok());
    }
    let folded = crate::text::fold(&t);
    let rest = folded
        .trim_end_matches("stars")
        .trim_end_matches("star")
        .trim_end_matches("sao")
        .trim();
    rest.parse::<i16>().map(Some).map_err(|_| wrong())
}

/// A date: an Excel date cell or serial number (also typed as text), "2027-02-12", or
/// "12/02/2027" (day first, as in Vietnam).
pub fn date(cell: &Cell) -> Result<Option<NaiveDate>, Msg> {
    let wrong = || {
        bad(
            "must be a date, e.g. 2027-02-12 or 12/02/2027",
            "Ngày không hợp lệ, ví dụ 2027-02-12 hoặc 12/02/2027.",
        )
    };
    match cell {
        Cell::Number(n) | Cell::Date(n) => serial(*n).map(Some).ok_or_else(wrong),
        _ => {
            let Some(t) = text(cell) else { return Ok(None) };
            if let Ok(n) = t.parse::<f64>() {
                return serial(n).map(Some).ok_or_else(wrong);
            }
            // Calamine gives ISO date-times for some cells; keep the date.
            let day = t.split(['T', ' ']).next().unwrap_or(&t);
            NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(day, "%d/%m/%Y"))
                .or_else(|_| NaiveDate::parse_from_str(day, "%d-%m-%Y"))
                .or_else(|_| NaiveDate::parse_from_str(day, "%d.%m.%Y"))
                .map(Some)
                .map_err(|_| wrong())
        }
    }
}

/// Days since 1899-12-30 (Excel's 1900 date system, which counts a 29 February 1900 that
/// never was; from 1 March 1900 on the offset below is right).
fn serial(n: f64) -> Option<NaiveDate> {
    if !(61.0..2_958_466.0).contains(&n) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_days(chrono::Days::new(n.floor() as u64))
}

/// Yes/no: "có", "x", "yes", "true", "1" (and Excel's TRUE); empty is no.
pub fn yes_no(cell: &Cell) -> Result<bool, Msg> {
    match cell {
        Cell::Bool(b) => Ok(*b),
        Cell::Number(n) if *n == 0.0 || *n == 1.0 => Ok(*n == 1.0),
        _ => {
            let Some(t) = text(cell) else {
                return Ok(false);
            };
            match crate::text::fold(&t).as_str() {
                "co" | "x" | "yes" | "y" | "true" | "1" => Ok(true),
                "khong" | "no" | "n" | "false" | "0" => Ok(false),
                _ => Err(bad(
                    "must be yes or no (có/không)",
                    "Ghi «có» hoặc «không».",
                )),
            }
        }
    }
}

/// A kind by its code or its Vietnamese name.
pub fn kind(cell: &Cell) -> Result<Option<ListingKind>, Msg> {
    let Some(t) = text(cell) else { return Ok(None) };
    match crate::text::fold(&t).as_str() {
        "product" | "san pham" => Ok(Some(ListingKind::Product)),
        "experience" | "trai nghiem" | "du lich" => Ok(Some(ListingKind::Experience)),
        "event" | "su kien" | "le hoi" => Ok(Some(ListingKind::Event)),
        _ => Err(bad(
            "must be product, experience or event (sản phẩm, trải nghiệm, sự kiện)",
            "Loại phải là sản phẩm, trải nghiệm hoặc sự kiện (product, experience, event).",
        )),
    }
}

/// A list written in one cell, split on `;`, `,` or new lines.
pub fn list(cell: &Cell) -> Vec<String> {
    text(cell)
        .map(|t| {
            t.split([';', ',', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Season months: "3, 4, 5", "3-5", "11-2" (across the new year), "tháng 3; tháng 4".
pub fn months(cell: &Cell) -> Result<Vec<u8>, Msg> {
    let wrong = || {
        bad(
            "must be months from 1 to 12, e.g. 3, 4, 5 or 3-5",
            "Tháng từ 1 đến 12, ví dụ 3, 4, 5 hoặc 3-5.",
        )
    };
    if let Cell::Number(n) = cell {
        return if n.fract() == 0.0 && (1.0..=12.0).contains(n) {
            Ok(vec![*n as u8])
        } else {
            Err(wrong())
        };
    }
    let mut out = Vec::new();
    for part in list(cell) {
        let folded = crate::text::fold(&part);
        let cleaned = folded.replace("thang", "").replace('t', "");
        let month = |s: &str| s.trim().parse::<u8>().ok().filter(|m| (1..=12).contains(m));
        match cleaned.split_once(['-', '–']) {
            Some((a, b)) => {
                let (Some(a), Some(b)) = (month(a), month(b)) else {
                    return Err(wrong());
                };
                let mut m = a;
                loop {
                    out.push(m);
                    if m == b {
                        break;
                    }
                    m = m % 12 + 1;
                }
            }
            None => out.push(month(&cleaned).ok_or_else(wrong)?),
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Marketplace links, one per line: "shopee https://…" or just the URL (the platform is then
/// the one whose host it is, or the cooperative's own website).
pub fn links(cell: &Cell) -> Result<Vec<LinkInput>, Msg> {
    let Some(t) = text(cell) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for line in t
        .split(['\n', '|'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or_default();
        let (platform, url) = match words.next() {
            Some(url) => {
                let platform = Platform::parse(&crate::text::fold(first).replace(' ', "_"))
                    .ok_or_else(|| {
                        let codes: Vec<&str> = Platform::ALL.iter().map(|p| p.code()).collect();
                        bad(
                            &format!("unknown platform {first} (one of {})", codes.join(", ")),
                            &format!(
                                "Không có sàn «{first}» (chọn một trong {}).",
                                codes.join(", ")
                            ),
                        )
                    })?;
                (platform, url)
            }
            None => {
                let platform = Platform::ALL
                    .into_iter()
                    .filter(|p| *p != Platform::Website)
                    .find(|p| validate_url(*p, first).is_ok())
                    .unwrap_or(Platform::Website);
                (platform, first)
            }
        };
        out.push(LinkInput {
            platform,
            url: url.to_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }

    #[test]
    fn prices_in_the_ways_people_write_them() {
        for (input, want) in [
            (t("450000"), 450_000),
            (t("450.000"), 450_000),
            (t("450,000 đ"), 450_000),
            (t("450.000đ"), 450_000),
            (t(" 1.250.000 VNĐ "), 1_250_000),
            (t("450 000 vnd"), 450_000),
            (Cell::Number(450000.0), 450_000),
        ] {
            assert_eq!(price(&input), Ok(Some(want)), "{input:?}");
        }
        assert_eq!(price(&t("")), Ok(None));
        assert!(price(&t("450,5")).is_err());
        assert!(price(&t("liên hệ")).is_err());
        assert!(price(&Cell::Number(1.5)).is_err());
    }

    #[test]
    fn ocop_stars_in_words() {
        assert_eq!(stars(&t("4 sao")), Ok(Some(4)));
        assert_eq!(stars(&t("5 Sao")), Ok(Some(5)));
        assert_eq!(stars(&t("3 stars")), Ok(Some(3)));
        assert_eq!(stars(&t("★★★★")), Ok(Some(4)));
        assert_eq!(stars(&Cell::Number(4.0)), Ok(Some(4)));
        assert!(stars(&t("bốn")).is_err());
    }

    #[test]
    fn dates_as_serials_text_and_day_first() {
        let d = NaiveDate::from_ymd_opt(2027, 2, 12);
        assert_eq!(date(&Cell::Date(46430.0)), Ok(d));
        assert_eq!(date(&Cell::Number(46430.0)), Ok(d));
        assert_eq!(date(&t("46430")), Ok(d));
        assert_eq!(date(&t("2027-02-12")), Ok(d));
        assert_eq!(date(&t("12/02/2027")), Ok(d));
        assert!(date(&t("30/02/2027")).is_err());
    }

    #[test]
    fn months_lists_and_ranges() {
        assert_eq!(months(&t("3, 4, 5")), Ok(vec![3, 4, 5]));
        assert_eq!(months(&t("3-5")), Ok(vec![3, 4, 5]));
        assert_eq!(months(&t("11-2")), Ok(vec![1, 2, 11, 12]));
        assert_eq!(months(&t("tháng 3; tháng 4")), Ok(vec![3, 4]));
        assert_eq!(months(&Cell::Number(7.0)), Ok(vec![7]));
        assert!(months(&t("13")).is_err());
    }

    #[test]
    fn text_is_composed_and_trimmed() {
        let nfd: String = "  Chè Shan tuyết ".nfd().collect();
        assert_eq!(text(&t(&nfd)).as_deref(), Some("Chè Shan tuyết"));
        assert_eq!(
            text(&Cell::Number(84912345678.0)).as_deref(),
            Some("84912345678")
        );
    }

    #[test]
    fn links_with_and_without_platform() {
        let got = links(&t("shopee https://shopee.vn/a\nhttps://tiki.vn/b")).unwrap_or_default();
        assert_eq!(got[0].platform, Platform::Shopee);
        assert_eq!(got[1].platform, Platform::Tiki);
        assert!(links(&t("amazon https://amazon.com/x")).is_err());
    }
}
