//! A listing's numbers for its cooperative (or an admin): shoppers' views and marketplace clicks
//! per day over the last days, per marketplace, with totals; and each listing's totals for the
//! "my listings" page.

use crate::accounts::Auth;
use crate::error::{AppError, Code};
use crate::store::{clicks, stats as rows, Conn};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The periods the pages offer; the API takes any number of days up to [`MAX_DAYS`].
pub const PERIODS: [u32; 2] = [30, 90];
pub const MAX_DAYS: u32 = 366;

/// The page's period switch: 90 when asked for, else 30.
pub fn period(asked: &str) -> u32 {
    asked
        .parse::<u32>()
        .ok()
        .filter(|d| PERIODS.contains(d))
        .unwrap_or(PERIODS[0])
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlatformClicks {
    /// Marketplace code (`shopee`, `lazada`, …).
    pub platform: String,
    pub clicks: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DayStats {
    pub day: NaiveDate,
    pub views: i64,
    /// All marketplaces together.
    pub clicks: i64,
    /// Only marketplaces clicked that day.
    pub platforms: Vec<PlatformClicks>,
}

/// Views and clicks of one listing, day by day (Vietnam's days), oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ListingStats {
    pub listing_id: i64,
    /// The listing's Vietnamese name.
    pub name: String,
    /// The first and last day counted (today).
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: u32,
    /// Shoppers' page views over the period (robots and link previews are not counted).
    pub views: i64,
    /// Marketplace clicks over the period.
    pub clicks: i64,
    /// Clicks per marketplace over the period, most clicked first.
    pub platforms: Vec<PlatformClicks>,
    /// Every day of the period, days without views or clicks included.
    pub daily: Vec<DayStats>,
}

/// The first day of a period of `days` days ending `to`.
pub fn first_day(to: NaiveDate, days: u32) -> NaiveDate {
    to - chrono::Duration::days(i64::from(days.max(1)) - 1)
}

/// One listing's numbers, for whoever may see the listing (its cooperative or an admin; another
/// cooperative gets what [`crate::workflow::owned_listing`] answers: 403 or 404).
pub fn for_listing(
    conn: &mut Conn,
    auth: &Auth,
    listing_id: i64,
    days: u32,
) -> Result<ListingStats, AppError> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::new(Code::InvalidQuery)
            .with_detail(format!("days must be between 1 and {MAX_DAYS}")));
    }
    let listing = crate::workflow::owned_listing(conn, auth, listing_id)?;
    let to = super::today();
    let from = first_day(to, days);
    let views = rows::listing_views(conn, listing_id, from)?;
    let clicks = rows::listing_clicks(conn, listing_id, from)?;
    let mut stats = assemble(listing_id, from, to, &views, &clicks);
    stats.name = listing.name_vi;
    Ok(stats)
}

/// The day-by-day series and totals from stored rows (views per day; clicks per link and day).
pub fn assemble(
    listing_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    views: &[(NaiveDate, i64)],
    clicks: &[(String, NaiveDate, i64)],
) -> ListingStats {
    let mut daily: BTreeMap<NaiveDate, DayStats> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|day| {
            (
                day,
                DayStats {
                    day,
                    views: 0,
                    clicks: 0,
                    platforms: Vec::new(),
                },
            )
        })
        .collect();
    for (day, n) in views {
        if let Some(d) = daily.get_mut(day) {
            d.views += n;
        }
    }
    let mut per_platform: BTreeMap<String, i64> = BTreeMap::new();
    for (platform, day, n) in clicks {
        let Some(d) = daily.get_mut(day) else {
            continue;
        };
        d.clicks += n;
        match d.platforms.iter_mut().find(|p| p.platform == *platform) {
            Some(p) => p.clicks += n,
            None => d.platforms.push(PlatformClicks {
                platform: platform.clone(),
                clicks: *n,
            }),
        }
        *per_platform.entry(platform.clone()).or_insert(0) += n;
    }
    let mut platforms: Vec<PlatformClicks> = per_platform
        .into_iter()
        .map(|(platform, clicks)| PlatformClicks { platform, clicks })
        .collect();
    platforms.sort_by_key(|p| std::cmp::Reverse(p.clicks));
    let daily: Vec<DayStats> = daily.into_values().collect();
    ListingStats {
        listing_id,
        name: String::new(),
        from,
        to,
        days: u32::try_from(daily.len()).unwrap_or(u32::MAX),
        views: daily.iter().map(|d| d.views).sum(),
        clicks: daily.iter().map(|d| d.clicks).sum(),
        platforms,
        daily,
    }
}

/// A listing's totals over the period and its views and clicks per day (oldest first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingTotals {
    pub views: i64,
    pub clicks: i64,
    pub daily_views: Vec<i64>,
    pub daily_clicks: Vec<i64>,
}

/// Every listing of a cooperative with views or clicks in the last `days` days, by listing id.
pub fn for_cooperative(
    conn: &mut Conn,
    cooperative_id: i64,
    days: u32,
) -> Result<HashMap<i64, ListingTotals>, AppError> {
    let to = super::today();
    let from = first_day(to, days);
    let views = rows::cooperative_views(conn, cooperative_id, from)?;
    let clicks = clicks::for_cooperative(conn, cooperative_id, from)?;
    let length = usize::try_from(days).unwrap_or(0);
    let slot = |day: NaiveDate| {
        usize::try_from((day - from).num_days())
            .ok()
            .filter(|i| *i < length)
    };
    let mut out: HashMap<i64, ListingTotals> = HashMap::new();
    fn totals(out: &mut HashMap<i64, ListingTotals>, id: i64, length: usize) -> &mut ListingTotals {
        out.entry(id).or_insert_with(|| ListingTotals {
            views: 0,
            clicks: 0,
            daily_views: vec![0; length],
            daily_clicks: vec![0; length],
        })
    }
    for (listing, day, n) in views {
        if let Some(i) = slot(day) {
            let t = totals(&mut out, listing, length);
            t.views += n;
            t.daily_views[i] += n;
        }
    }
    for c in clicks {
        if let Some(i) = slot(c.day) {
            let t = totals(&mut out, c.listing_id, length);
            t.clicks += c.clicks;
            t.daily_clicks[i] += c.clicks;
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn every_day_of_the_period_is_there_and_the_totals_add_up() {
        let to = day("2026-12-02");
        let from = first_day(to, 30);
        assert_eq!(from, day("2026-11-03"));
        let views = [
            (day("2026-11-03"), 4),
            (day("2026-12-02"), 6),
            (day("2026-11-02"), 99),
        ];
        let clicks = [
            ("shopee".to_owned(), day("2026-12-01"), 2),
            ("lazada".to_owned(), day("2026-12-01"), 1),
            ("shopee".to_owned(), day("2026-12-02"), 3),
            // A second Shopee link on the same day adds to the same marketplace.
            ("shopee".to_owned(), day("2026-12-02"), 1),
        ];
        let s = assemble(7, from, to, &views, &clicks);
        assert_eq!(s.daily.len(), 30);
        assert_eq!(s.days, 30);
        assert_eq!(s.daily[0].day, from);
        assert_eq!(s.daily[29].day, to);
        assert_eq!(s.views, 10, "the day before the period is left out");
        assert_eq!(s.clicks, 7);
        assert_eq!(
            s.platforms,
            vec![
                PlatformClicks {
                    platform: "shopee".into(),
                    clicks: 6
                },
                PlatformClicks {
                    platform: "lazada".into(),
                    clicks: 1
                }
            ]
        );
        assert_eq!(s.daily[29].clicks, 4);
        assert_eq!(s.daily[29].platforms.len(), 1);
        assert_eq!(s.daily[28].platforms.len(), 2);
    }

    #[test]
    fn the_page_switch_offers_30_or_90_days() {
        assert_eq!(period("90"), 90);
        assert_eq!(period("30"), 30);
        assert_eq!(period("7"), 30);
        assert_eq!(period(""), 30);
    }
}
