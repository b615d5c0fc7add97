//! The listing life cycle both the API and the pages follow: submitting for review, an admin's
//! decision, and the calendar of event occurrences. Blocking: call inside `Db::run`.

use crate::api::extract::Auth;
use crate::api::member::owned_listing;
use crate::domain::listing::ListingStatus;
use crate::domain::season::occurrences_between;
use crate::error::{AppError, Code};
use crate::store::listings::{self, ListingView};
use crate::store::{catalogue, Conn};
use chrono::NaiveDate;

/// Sends the member's draft for review, or publishes it at once where review is not required
/// (switched off, or skipped by its commune). Returns the new status.
pub fn submit(
    conn: &mut Conn,
    auth: &Auth,
    id: i64,
    review_required: bool,
) -> Result<ListingStatus, AppError> {
    let row = owned_listing(conn, auth, id)?;
    if row.status() != ListingStatus::Draft {
        return Err(AppError::new(Code::InvalidTransition)
            .with_detail(format!("a {} listing cannot be submitted", row.status)));
    }
    let skip = !review_required || catalogue::skips_review(conn, &row.place_code)?;
    let to = if skip {
        ListingStatus::Published
    } else {
        ListingStatus::Pending
    };
    listings::set_status(conn, id, to, None)?;
    Ok(to)
}

/// An admin's decision on a pending listing: publish it, or send it back to draft with a reason.
pub fn decide(
    conn: &mut Conn,
    id: i64,
    to: ListingStatus,
    reason: Option<String>,
) -> Result<(), AppError> {
    let row = listings::row(conn, id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    if row.status() != ListingStatus::Pending {
        return Err(AppError::new(Code::InvalidTransition).with_detail(format!(
            "only pending listings are reviewed; this one is {}",
            row.status
        )));
    }
    listings::set_status(conn, id, to, reason)
}

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

/// The occurrences of published events overlapping `from..=to`, earliest first, at most `limit`
/// of them after `after`; yearly festivals resolve to their dates in each year. Only the events'
/// dates are read for the whole catalogue (from one covering index); listings are loaded for
/// the page alone.
pub fn event_occurrences(
    conn: &mut Conn,
    from: NaiveDate,
    to: NaiveDate,
    after: Option<CalendarCursor>,
    limit: usize,
    media_base: &str,
) -> Result<CalendarPage, AppError> {
    let mut found: Vec<CalendarCursor> = listings::published_event_ids(conn)?
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
        .filter(|o| after.is_none_or(|a| *o > a))
        .collect();
    // Only the page is sorted in full.
    let page_len = limit.min(found.len());
    if found.len() > page_len {
        found.select_nth_unstable(page_len);
    }
    let more = found.len() > page_len;
    found.truncate(page_len);
    found.sort_unstable();
    let mut ids: Vec<i64> = found.iter().map(|o| o.id).collect();
    ids.sort_unstable();
    ids.dedup();
    let views: std::collections::HashMap<i64, ListingView> =
        listings::views_by_ids(conn, &ids, true, media_base)?
            .into_iter()
            .map(|v| (v.id, v))
            .collect();
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
