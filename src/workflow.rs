//! The listing life cycle both front ends follow: who may see and change a listing, creating a
//! draft, editing, archiving, submitting for review, an admin's decision, and the calendar of
//! event occurrences. Blocking: call inside `Db::run`.

use crate::accounts::Auth;
use crate::domain::listing::{ListingInput, ListingStatus, ValidListing};
use crate::domain::season::occurrences_between;
use crate::error::{AppError, Code};
use crate::messages::Message;
use crate::store::listings::{self, ListingRow, ListingView, Visibility};
use crate::store::{catalogue, Conn};
use chrono::NaiveDate;

/// What this account may do with the listing `id`: 404 if they cannot see it at all,
/// 403 if they can see it (it is public) but it is not theirs.
pub fn owned_listing(conn: &mut Conn, auth: &Auth, id: i64) -> Result<ListingRow, AppError> {
    let row = listings::row(conn, id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    if auth.is_admin() || Some(row.cooperative_id) == auth.user.cooperative_id {
        return Ok(row);
    }
    if row.status() == ListingStatus::Published {
        Err(AppError::new(Code::Forbidden)
            .with_detail("this listing belongs to another cooperative"))
    } else {
        Err(AppError::new(Code::ListingNotFound))
    }
}

/// The member's cooperative id, or `forbidden` for an account without one (an admin).
pub fn member_cooperative(auth: &Auth) -> Result<i64, AppError> {
    auth.user.cooperative_id.ok_or_else(|| {
        AppError::new(Code::Forbidden).with_detail("this account does not belong to a cooperative")
    })
}

/// A new draft listing of the member's cooperative; returns its id.
pub fn create_draft(conn: &mut Conn, auth: &Auth, valid: ValidListing) -> Result<i64, AppError> {
    let coop_id = member_cooperative(auth)?;
    let coop = catalogue::cooperative_by_id(conn, coop_id)?
        .ok_or_else(|| AppError::new(Code::CooperativeNotFound))?;
    listings::create(conn, &coop, valid, ListingStatus::Draft)
}

/// Changes a listing the account owns: `edit` turns the stored values into the checked new
/// ones. An archived listing cannot be edited; a published one stays published.
pub fn update(
    conn: &mut Conn,
    auth: &Auth,
    id: i64,
    edit: impl FnOnce(ListingInput) -> Result<ValidListing, AppError>,
) -> Result<(), AppError> {
    let row = owned_listing(conn, auth, id)?;
    if row.status() == ListingStatus::Archived {
        return Err(AppError::new(Code::InvalidTransition)
            .with_detail("an archived listing cannot be edited"));
    }
    let stored = listings::as_input(conn, &row)?;
    let valid = edit(stored)?;
    listings::update(conn, id, valid)
}

/// Archives a listing the account owns: it leaves the storefront and search for good.
pub fn archive(conn: &mut Conn, auth: &Auth, id: i64) -> Result<(), AppError> {
    owned_listing(conn, auth, id)?;
    listings::set_status(conn, id, ListingStatus::Archived, None)
}

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

/// The reason a rejected listing's member reads: 1 to 1000 characters, trimmed.
pub fn rejection_reason(raw: &str) -> Result<String, AppError> {
    let reason = raw.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::field("reason", Message::RejectionReason));
    }
    Ok(reason.to_owned())
}

/// An admin publishes a pending listing.
pub fn approve(conn: &mut Conn, id: i64) -> Result<(), AppError> {
    decide(conn, id, ListingStatus::Published, None)
}

/// An admin sends a pending listing back to draft, with a reason for its member.
pub fn reject(conn: &mut Conn, id: i64, raw_reason: &str) -> Result<(), AppError> {
    let reason = rejection_reason(raw_reason)?;
    decide(conn, id, ListingStatus::Draft, Some(reason))
}

/// An admin's decision on a pending listing: publish it, or send it back to draft with a reason.
fn decide(
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
        listings::views_by_ids(conn, &ids, Visibility::PublishedOnly, media_base)?
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;
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
    }
}
