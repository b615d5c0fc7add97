//! The festival calendar: event occurrences in a date range, a page at a time, served from
//! every published event's occurrences kept in memory and rebuilt when the events change.
//!
//! The events' listings shown on a page are kept too, and used while each one's stored version
//! (read by key for the page alone) is the one kept.
//!
//! How fresh it is: each request reads the calendar's version (`store::calendar_version`, one
//! row by key) and rebuilds when the stored number moved past the one the list was built at.
//! The number moves in the same transaction as every change to a published event, on whichever
//! replica made it, so a request that starts after a change committed never sees the calendar
//! from before it: there is no staleness window, only the (bounded) cost of one rebuild after
//! each change. Blocking: call inside `Db::run`.

use crate::domain::season::occurrences_between;
use crate::error::{AppError, Code};
use crate::store::calendar_version;
use crate::store::listings::{self, ListingView, Visibility};
use crate::store::Conn;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

/// One occurrence of a published event.
pub struct Occurrence {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub listing: ListingView,
}

/// Where a page of the festival calendar stops: its last occurrence. Opaque to clients
/// (`start.end.id`), bound to nothing else, so a link to the next page keeps working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CalendarCursor {
    start: NaiveDate,
    end: NaiveDate,
    id: i64,
}

impl CalendarCursor {
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.start, self.end, self.id)
    }

    /// Reads a cursor made by [`CalendarCursor::encode`]; anything else is `invalid_cursor`.
    pub fn parse(raw: &str) -> Result<CalendarCursor, AppError> {
        let mut parts = raw.splitn(3, '.');
        let date = |p: Option<&str>| p.and_then(|d| d.parse::<NaiveDate>().ok());
        match (date(parts.next()), date(parts.next()), parts.next()) {
            (Some(start), Some(end), Some(id)) => Ok(CalendarCursor {
                start,
                end,
                id: id.parse().map_err(|_| AppError::new(Code::InvalidCursor))?,
            }),
            _ => Err(AppError::new(Code::InvalidCursor)),
        }
    }
}

/// A page of the festival calendar.
pub struct CalendarPage {
    pub items: Vec<Occurrence>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<CalendarCursor>,
}

/// The dates kept in memory around `today`: from the start of last year to the end of the year
/// three years ahead (the years the search index gives yearly festivals), which holds the home
/// page's, `/le-hoi`'s and the API's default year ahead. Ranges reaching outside are worked
/// out from the database for that request.
fn window_around(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let year = today.year();
    let first = NaiveDate::from_ymd_opt(year - 1, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(year + 3, 12, 31).unwrap_or(NaiveDate::MAX);
    (first, last)
}

/// Occurrences overlapping a range of dates, sorted by `(start, end, id)`.
struct Occurrences {
    /// The range they were worked out for (every occurrence overlapping it is here).
    from: NaiveDate,
    to: NaiveDate,
    sorted: Vec<CalendarCursor>,
    /// The longest occurrence, in days: no occurrence starting earlier than this before a date
    /// can still be running on it.
    longest_days: i64,
}

impl Occurrences {
    fn of(events: Vec<(i64, NaiveDate, NaiveDate, bool)>, from: NaiveDate, to: NaiveDate) -> Self {
        let mut sorted: Vec<CalendarCursor> = events
            .into_iter()
            .flat_map(|(id, start, end, recurs)| {
                occurrences_between(start, end, recurs, from, to)
                    .into_iter()
                    .map(move |o| CalendarCursor {
                        start: o.start,
                        end: o.end,
                        id,
                    })
            })
            .collect();
        sorted.sort_unstable();
        let longest_days = sorted
            .iter()
            .map(|o| (o.end - o.start).num_days())
            .max()
            .unwrap_or_default()
            .max(0);
        Occurrences {
            from,
            to,
            sorted,
            longest_days,
        }
    }

    fn covers(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.from <= from && to <= self.to
    }

    /// The first `limit` occurrences overlapping `from..=to` after `after`, and whether more
    /// follow. Walks only from the first occurrence that may still run on `from`.
    fn page(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<CalendarCursor>,
        limit: usize,
    ) -> (Vec<CalendarCursor>, bool) {
        let earliest = from
            .checked_sub_signed(chrono::Duration::days(self.longest_days))
            .unwrap_or(NaiveDate::MIN);
        let mut begin = self.sorted.partition_point(|o| o.start < earliest);
        if let Some(a) = after {
            begin = begin.max(self.sorted.partition_point(|o| *o <= a));
        }
        let mut found: Vec<CalendarCursor> = self.sorted[begin..]
            .iter()
            .take_while(|o| o.start <= to)
            .filter(|o| o.end >= from)
            .take(limit.saturating_add(1))
            .copied()
            .collect();
        let more = found.len() > limit;
        found.truncate(limit);
        (found, more)
    }
}

/// The calendar as last built, and the version of the events it was built from.
struct Built {
    version: i64,
    occurrences: Occurrences,
    /// The events' listings as shown on pages already served, and the day they were read
    /// (a listing shows its next dates, which move with the day). Used only while the listing's
    /// version is still the stored one; the calendar's version moves on with its cooperative,
    /// place and category too, and a new calendar starts empty.
    listings: Mutex<(NaiveDate, HashMap<i64, ListingView>)>,
}

/// The festival calendar of this process (one per app state).
#[derive(Default)]
pub struct FestivalCalendar {
    built: RwLock<Option<Arc<Built>>>,
    /// One rebuild at a time: requests arriving meanwhile wait for it rather than repeat it.
    rebuilding: Mutex<()>,
}

impl FestivalCalendar {
    /// The occurrences of published events overlapping `from..=to`, earliest first, at most
    /// `limit` of them after `after`; yearly festivals resolve to their dates in each year.
    /// Only the page's listings are loaded.
    pub fn occurrences(
        &self,
        conn: &mut Conn,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<CalendarCursor>,
        limit: usize,
        media_base: &str,
    ) -> Result<CalendarPage, AppError> {
        let (window_from, window_to) = window_around(chrono::Utc::now().date_naive());
        if window_from <= from && to <= window_to {
            let built = self.current(conn, window_from, window_to)?;
            let (found, more) = built.occurrences.page(from, to, after, limit);
            page_of(conn, Some(&built.listings), found, more, media_base)
        } else {
            let (found, more) = Occurrences::of(listings::published_event_ids(conn)?, from, to)
                .page(from, to, after, limit);
            page_of(conn, None, found, more, media_base)
        }
    }

    /// Builds the calendar ahead of the first shopper (at start-up).
    pub fn prepare(&self, conn: &mut Conn) -> Result<(), AppError> {
        let (from, to) = window_around(chrono::Utc::now().date_naive());
        self.current(conn, from, to).map(|_| ())
    }

    /// The calendar built from the events as they are now, rebuilt if they changed since.
    fn current(
        &self,
        conn: &mut Conn,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Arc<Built>, AppError> {
        let version = calendar_version::current(conn)?;
        let fresh = || {
            self.built
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .filter(|b| b.version >= version && b.occurrences.covers(from, to))
                .cloned()
        };
        if let Some(built) = fresh() {
            return Ok(built);
        }
        let _one_at_a_time = self.rebuilding.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(built) = fresh() {
            return Ok(built);
        }
        // The events are read after the version: a change committed in between is in the list
        // already and only costs one more rebuild, never a missed change.
        let built = Arc::new(Built {
            version,
            occurrences: Occurrences::of(listings::published_event_ids(conn)?, from, to),
            listings: Mutex::new((NaiveDate::MIN, HashMap::new())),
        });
        *self.built.write().unwrap_or_else(|p| p.into_inner()) = Some(built.clone());
        Ok(built)
    }
}

/// Loads the listings of a page of occurrences (one that stopped being published since is left
/// out): from `kept` when the one kept there is still the stored version, else from the
/// database (and kept).
fn page_of(
    conn: &mut Conn,
    kept: Option<&Mutex<(NaiveDate, HashMap<i64, ListingView>)>>,
    found: Vec<CalendarCursor>,
    more: bool,
    media_base: &str,
) -> Result<CalendarPage, AppError> {
    let mut ids: Vec<i64> = found.iter().map(|o| o.id).collect();
    ids.sort_unstable();
    ids.dedup();
    let today = chrono::Utc::now().date_naive();
    let mut views: HashMap<i64, ListingView> = HashMap::new();
    let mut missing = ids.clone();
    if let Some(kept) = kept {
        let stored: HashMap<i64, i64> = listings::published_versions(conn, &ids)?
            .into_iter()
            .collect();
        let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.0 != today {
            *kept = (today, HashMap::new());
        }
        missing.retain(|id| match (kept.1.get(id), stored.get(id)) {
            (Some(view), Some(&version)) if view.version == version => {
                views.insert(*id, view.clone());
                false
            }
            (_, None) => false,
            _ => true,
        });
    }
    if !missing.is_empty() {
        let loaded = listings::views_by_ids(conn, &missing, Visibility::PublishedOnly, media_base)?;
        if let Some(kept) = kept {
            let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
            if kept.0 == today {
                kept.1.extend(loaded.iter().map(|v| (v.id, v.clone())));
            }
        }
        views.extend(loaded.into_iter().map(|v| (v.id, v)));
    }
    let next = found.last().copied().filter(|_| more);
    let items = found
        .into_iter()
        .filter_map(|o| {
            views.get(&o.id).map(|v| Occurrence {
                start: o.start,
                end: o.end,
                listing: v.clone(),
            })
        })
        .collect();
    Ok(CalendarPage { items, next })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        let (min, max) = (
            NaiveDate::MIN.num_days_from_ce(),
            NaiveDate::MAX.num_days_from_ce(),
        );
        (min..=max).prop_filter_map("a day chrono knows", NaiveDate::from_num_days_from_ce_opt)
    }

    fn calendar_cursor() -> impl Strategy<Value = CalendarCursor> {
        (any_date(), any_date(), any::<i64>()).prop_map(|(start, end, id)| CalendarCursor {
            start,
            end,
            id,
        })
    }

    fn day(offset: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default() + chrono::Duration::days(offset)
    }

    /// Events as stored: id, start and end (as days after 1 January 2026), yearly or not.
    fn events() -> impl Strategy<Value = Vec<(i64, NaiveDate, NaiveDate, bool)>> {
        prop::collection::vec((0i64..1500, 0i64..60, any::<bool>()), 0..40).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (s, len, yearly))| (i as i64 + 1, day(s), day(s + len), yearly))
                .collect()
        })
    }

    /// What a range asks for, worked out the plain way: every occurrence, sorted, then cut.
    fn plainly(
        events: &[(i64, NaiveDate, NaiveDate, bool)],
        from: NaiveDate,
        to: NaiveDate,
        after: Option<CalendarCursor>,
    ) -> Vec<CalendarCursor> {
        let mut all: Vec<CalendarCursor> = events
            .iter()
            .flat_map(|&(id, s, e, y)| {
                occurrences_between(s, e, y, from, to)
                    .into_iter()
                    .map(move |o| CalendarCursor {
                        start: o.start,
                        end: o.end,
                        id,
                    })
            })
            .filter(|o| after.is_none_or(|a| *o > a))
            .collect();
        all.sort_unstable();
        all
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_text_is_a_calendar_cursor_or_invalid_cursor(raw in prop_oneof![
            any::<String>(),
            "[0-9+-]{1,8}-[0-9]{1,2}-[0-9]{1,2}\\.[0-9+-]{1,8}-[0-9]{1,2}-[0-9]{1,2}\\.[0-9+-]{0,22}",
        ]) {
            match CalendarCursor::parse(&raw) {
                Ok(c) => prop_assert_eq!(CalendarCursor::parse(&c.encode()).ok(), Some(c)),
                Err(e) => prop_assert_eq!(e.code, Code::InvalidCursor),
            }
        }

        #[test]
        fn an_encoded_calendar_cursor_reads_back(cursor in calendar_cursor()) {
            let raw = cursor.encode();
            prop_assert_eq!(CalendarCursor::parse(&raw).ok(), Some(cursor), "{}", raw);
        }

        /// The calendar kept for a wide window pages through any range inside it exactly as
        /// working the range out on its own would.
        #[test]
        fn pages_from_the_window_match_the_range_worked_out_alone(
            events in events(),
            from in 0i64..1300,
            span in 0i64..500,
            limit in 1usize..7,
        ) {
            let (window_from, window_to) = window_around(day(400));
            let kept = Occurrences::of(events.clone(), window_from, window_to);
            let (from, to) = (day(from), day(from + span));
            prop_assert!(kept.covers(from, to));
            let mut after = None;
            let mut paged = Vec::new();
            loop {
                let (page, more) = kept.page(from, to, after, limit);
                prop_assert!(page.len() <= limit);
                paged.extend(page.iter().copied());
                match (more, page.last()) {
                    (true, Some(last)) => after = Some(*last),
                    _ => break,
                }
            }
            prop_assert_eq!(paged, plainly(&events, from, to, None));
        }
    }
}
