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

/// Every occurrence of a published event overlapping `from..=to`, earliest first; yearly
/// festivals resolve to their dates in each year.
pub fn event_occurrences(
    conn: &mut Conn,
    from: NaiveDate,
    to: NaiveDate,
    media_base: &str,
) -> Result<Vec<Occurrence>, AppError> {
    let mut found: Vec<(NaiveDate, NaiveDate, i64)> = listings::published_event_ids(conn)?
        .into_iter()
        .flat_map(|(id, start, end, recurs)| {
            occurrences_between(start, end, recurs, from, to)
                .into_iter()
                .map(move |o| (o.start, o.end, id))
        })
        .collect();
    found.sort();
    let mut ids: Vec<i64> = found.iter().map(|f| f.2).collect();
    ids.sort_unstable();
    ids.dedup();
    let views = listings::views_by_ids(conn, &ids, true, media_base)?;
    Ok(found
        .into_iter()
        .filter_map(|(start, end, id)| {
            views.iter().find(|v| v.id == id).map(|v| Occurrence {
                start,
                end,
                listing: v.clone(),
            })
        })
        .collect())
}
