//! The commune report for officers: per commune and month, the cooperatives, the members at
//! work, what the storefront showed, and what shoppers did with it; as rows, CSV and XLSX.
//!
//! A cooperative, its members and its listings count in the commune the cooperative is
//! registered in (its home place), wherever a listing itself is placed. Months are Vietnam's
//! (UTC+7). The rules, as the page states them:
//! - cooperatives: registered by the end of the month;
//! - members active: member accounts that signed in (opened a session or an API token) or used
//!   an API token during the month;
//! - listings published, with photos, OCOP: on the storefront at the end of the month (the
//!   current month: now); with photos means at least one public photo; OCOP means OCOP stars;
//! - page views and marketplace clicks: shoppers' (robots and link previews are not counted)
//!   during the month.

use super::{local_day, today};
use crate::error::{AppError, Code};
use crate::store::stats::{self as rows, ShowCounts};
use crate::store::Conn;
use crate::transfer::{Cell, Format};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// The longest range one report covers.
pub const MAX_MONTHS: usize = 36;
/// The range when none is asked for: the last 12 months, this one included.
pub const DEFAULT_MONTHS: u32 = 12;

/// The CSV and XLSX column headings, in row order.
pub const HEADERS: [&str; 10] = [
    "Mã địa phương",
    "Xã",
    "Tháng",
    "Hợp tác xã",
    "Thành viên hoạt động",
    "Sản phẩm đang đăng",
    "Sản phẩm có ảnh",
    "Sản phẩm OCOP",
    "Lượt xem trang",
    "Lượt bấm sang sàn",
];

const SHEET: &str = "Báo cáo theo xã";

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// `2026-01`.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        let (year, month) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
        ((2000..=2200).contains(&year) && (1..=12).contains(&month) && m.len() == 2)
            .then_some(Month { year, month })
    }

    pub fn of(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month `n` months before this one.
    pub fn back(self, n: u32) -> Month {
        let index = self.year * 12 + self.month as i32 - 1 - n as i32;
        Month {
            year: index.div_euclid(12),
            month: index.rem_euclid(12) as u32 + 1,
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day() - chrono::Duration::days(1)
    }

    /// When the month began in Vietnam, as a stored (UTC) time.
    pub fn start(self) -> NaiveDateTime {
        self.first_day().and_time(chrono::NaiveTime::MIN) - chrono::Duration::hours(7)
    }

    /// The months from `self` to `to`, both included.
    pub fn through(self, to: Month) -> Vec<Month> {
        let mut out = Vec::new();
        let mut m = self;
        while m <= to {
            out.push(m);
            m = m.next();
        }
        out
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The range asked for (`from`, `to` as `YYYY-MM`, either may be left out): by default the last
/// 12 months up to this one; at most [`MAX_MONTHS`] months.
pub fn range(from: Option<&str>, to: Option<&str>) -> Result<(Month, Month), AppError> {
    let parse = |field: &str, s: &str| {
        Month::parse(s).ok_or_else(|| {
            AppError::new(Code::InvalidQuery)
                .with_detail(format!("{field} must be a month like 2026-01, not {s:?}"))
        })
    };
    fn given(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    let to = match given(to) {
        Some(s) => parse("to", s)?,
        None => Month::of(today()),
    };
    let from = match given(from) {
        Some(s) => parse("from", s)?,
        None => to.back(DEFAULT_MONTHS - 1),
    };
    if from > to {
        return Err(AppError::new(Code::InvalidQuery).with_detail("from must not be after to"));
    }
    if from.through(to).len() > MAX_MONTHS {
        return Err(AppError::new(Code::InvalidQuery)
            .with_detail(format!("a report covers at most {MAX_MONTHS} months")));
    }
    Ok((from, to))
}

/// One commune in one month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MonthRow {
    /// `2026-11`.
    pub month: String,
    pub cooperatives: i64,
    pub active_members: i64,
    pub listings_published: i64,
    pub listings_with_photos: i64,
    pub ocop_products: i64,
    pub page_views: i64,
    pub marketplace_clicks: i64,
}

/// A commune (a place cooperatives are registered in) and its months, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CommuneRows {
    pub code: String,
    pub name: String,
    pub months: Vec<MonthRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CommuneReport {
    pub from: String,
    pub to: String,
    /// Every place with a cooperative registered by the end of the range, by code.
    pub communes: Vec<CommuneRows>,
}

/// The report for the months `from` to `to`.
pub fn build(conn: &mut Conn, from: Month, to: Month) -> Result<CommuneReport, AppError> {
    let months = from.through(to);
    let end = to.next().start();
    let cooperatives = rows::cooperative_places(conn)?;
    let mut codes: Vec<String> = cooperatives
        .iter()
        .filter(|(_, created)| *created < end)
        .map(|(place, _)| place.clone())
        .collect();
    codes.sort();
    codes.dedup();
    let names: BTreeMap<String, String> = rows::place_names(conn, &codes)?.into_iter().collect();
    let active: HashSet<(String, Month, i64)> = rows::member_activity(conn, from.start(), end)?
        .into_iter()
        .map(|(place, user, at)| (place, Month::of(local_day(at)), user))
        .collect();
    let mut shown: BTreeMap<(String, Month), ShowCounts> = BTreeMap::new();
    for m in &months {
        for (place, counts) in rows::listings_shown_at(conn, m.next().start())? {
            shown.insert((place, *m), counts);
        }
    }
    let mut views: BTreeMap<(String, Month), i64> = BTreeMap::new();
    for (place, day, n) in rows::views_per_place(conn, from.first_day(), to.last_day())? {
        *views.entry((place, Month::of(day))).or_insert(0) += n;
    }
    let mut clicks: BTreeMap<(String, Month), i64> = BTreeMap::new();
    for (place, day, n) in rows::clicks_per_place(conn, from.first_day(), to.last_day())? {
        *clicks.entry((place, Month::of(day))).or_insert(0) += n;
    }
    let communes = codes
        .into_iter()
        .map(|code| {
            let months = months
                .iter()
                .map(|m| {
                    let key = (code.clone(), *m);
                    let show = shown.get(&key).cloned().unwrap_or_default();
                    let month_end = m.next().start();
                    MonthRow {
                        month: m.to_string(),
                        cooperatives: cooperatives
                            .iter()
                            .filter(|(place, created)| *place == code && *created < month_end)
                            .count() as i64,
                        active_members: active
                            .iter()
                            .filter(|(place, month, _)| *place == code && month == m)
                            .count() as i64,
                        listings_published: show.listings,
                        listings_with_photos: show.with_photos,
                        ocop_products: show.ocop,
                        page_views: views.get(&key).copied().unwrap_or(0),
                        marketplace_clicks: clicks.get(&key).copied().unwrap_or(0),
                    }
                })
                .collect();
            CommuneRows {
                name: names.get(&code).cloned().unwrap_or_else(|| code.clone()),
                code,
                months,
            }
        })
        .collect();
    Ok(CommuneReport {
        from: from.to_string(),
        to: to.to_string(),
        communes,
    })
}

/// The report as table rows under [`HEADERS`]: one per commune and month.
fn table(report: &CommuneReport) -> Vec<Vec<Cell>> {
    let number = |n: i64| Cell::Number(n as f64);
    report
        .communes
        .iter()
        .flat_map(|c| {
            c.months.iter().map(move |m| {
                vec![
                    Cell::Text(c.code.clone()),
                    Cell::Text(c.name.clone()),
                    Cell::Text(m.month.clone()),
                    number(m.cooperatives),
                    number(m.active_members),
                    number(m.listings_published),
                    number(m.listings_with_photos),
                    number(m.ocop_products),
                    number(m.page_views),
                    number(m.marketplace_clicks),
                ]
            })
        })
        .collect()
}

/// The report as a file to download: CSV (UTF-8 with BOM) or a workbook with one sheet,
/// numbers as numbers; its name. JSON is the API's answer, not a file.
pub fn file(report: &CommuneReport, format: Format) -> Result<(Vec<u8>, String), AppError> {
    let bytes = match format {
        Format::Csv => crate::transfer::csv_table(HEADERS, table(report))?,
        Format::Xlsx => crate::transfer::xlsx_table(SHEET, HEADERS, table(report))?,
        Format::Json => return Err(AppError::new(Code::NotFound)),
    };
    let name = format!(
        "bao-cao-xa-{}-{}.{}",
        report.from,
        report.to,
        format.extension()
    );
    Ok((bytes, name))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_step_and_begin_at_midnight_in_vietnam() {
        let m = Month::parse("2026-01").unwrap();
        assert_eq!(m.back(1).to_string(), "2025-12");
        assert_eq!(m.back(13).to_string(), "2024-12");
        assert_eq!(
            Month::parse("2026-12").unwrap().next().to_string(),
            "2027-01"
        );
        assert_eq!(m.start().to_string(), "2025-12-31 17:00:00");
        assert_eq!(m.last_day().to_string(), "2026-01-31");
        for bad in ["2026-13", "2026-1", "26-01", "2026", "", "2026-00", "x-01"] {
            assert_eq!(Month::parse(bad), None, "{bad:?}");
        }
        assert_eq!(m.through(Month::parse("2026-03").unwrap()).len(), 3);
    }

    #[test]
    fn a_range_defaults_to_the_last_twelve_months_and_is_bounded() {
        let (from, to) = range(None, None).unwrap();
        assert_eq!(to, Month::of(today()));
        assert_eq!(from.through(to).len(), 12);
        let (from, to) = range(Some("2025-03"), Some("2025-05")).unwrap();
        assert_eq!(
            (from.to_string(), to.to_string()),
            ("2025-03".into(), "2025-05".into())
        );
        assert!(range(Some("2025-06"), Some("2025-05")).is_err());
        assert!(range(Some("2020-01"), Some("2025-05")).is_err());
        assert!(range(Some("tháng 5"), None).is_err());
    }
}
