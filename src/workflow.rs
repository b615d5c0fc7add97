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
    owned(auth, row)
}

/// [`owned_listing`], with the row locked until the transaction ends: what is checked on it
/// still holds when the transaction writes. Call inside [`Conn::transaction`].
pub fn owned_listing_locked(conn: &mut Conn, auth: &Auth, id: i64) -> Result<ListingRow, AppError> {
    let row =
        listings::locked_row(conn, id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    owned(auth, row)
}

fn owned(auth: &Auth, row: ListingRow) -> Result<ListingRow, AppError> {
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

/// Refuses a change made on a copy older than the stored listing (`expected` is the version the
/// client read: the API's `If-Match`, a form's hidden field); `None` asks for no check.
pub fn check_version(row: &ListingRow, expected: Option<i64>) -> Result<(), AppError> {
    match expected {
        Some(v) if v != row.version => {
            Err(AppError::new(Code::VersionMismatch).with_detail(format!(
                "you read version {v}; the listing is now at version {}",
                row.version
            )))
        }
        _ => Ok(()),
    }
}

/// The member's cooperative id, or `forbidden` for an account without one (an admin).
pub fn member_cooperative(auth: &Auth) -> Result<i64, AppError> {
    auth.user.cooperative_id.ok_or_else(|| {
        AppError::new(Code::Forbidden).with_detail("this account does not belong to a cooperative")
    })
}

/// A listing's place must be one its cooperative may sell from (its own province).
pub fn check_place(
    conn: &mut Conn,
    cooperative_id: i64,
    place: Option<&str>,
) -> Result<(), AppError> {
    let Some(place) = place else {
        return Ok(());
    };
    let coop = catalogue::cooperative_by_id(conn, cooperative_id)?
        .ok_or_else(|| AppError::new(Code::CooperativeNotFound))?;
    if catalogue::place(conn, place)?.is_some()
        && !catalogue::may_sell_from(conn, &coop.place_code, place)?
    {
        return Err(AppError::field("place", Message::PlaceOutsideProvince));
    }
    Ok(())
}

/// A new draft listing of the member's cooperative; returns its id.
pub fn create_draft(conn: &mut Conn, auth: &Auth, valid: ValidListing) -> Result<i64, AppError> {
    let coop_id = member_cooperative(auth)?;
    let coop = catalogue::cooperative_by_id(conn, coop_id)?
        .ok_or_else(|| AppError::new(Code::CooperativeNotFound))?;
    check_place(conn, coop_id, valid.place.as_deref())?;
    listings::create(conn, &coop, valid, ListingStatus::Draft)
}

/// Whether changes to this cooperative's published listings wait for an admin: review is on and
/// the cooperative's home commune does not skip it.
pub fn review_needed(
    conn: &mut Conn,
    cooperative_id: i64,
    review_required: bool,
) -> Result<bool, AppError> {
    Ok(review_required && !catalogue::cooperative_skips_review(conn, cooperative_id)?)
}

/// What became of an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edited {
    /// Saved; the public sees it (when the listing is published).
    Saved,
    /// Price, unit and season months saved; the rest waits for an admin as a revision, and the
    /// public keeps seeing the approved version.
    Proposed,
}

/// Changes a listing the account owns: `edit` turns the current values into the checked new
/// ones. An archived listing cannot be edited; a published one stays published, and where
/// review is needed what shoppers rely on waits as a revision (see [`crate::review`]).
/// Everything is read and checked inside one transaction with the row locked.
pub fn update(
    conn: &mut Conn,
    auth: &Auth,
    id: i64,
    expected: Option<i64>,
    review_required: bool,
    edit: impl FnOnce(ListingInput) -> Result<ValidListing, AppError>,
) -> Result<Edited, AppError> {
    conn.transaction(|conn| {
        let row = owned_listing_locked(conn, auth, id)?;
        check_version(&row, expected)?;
        if row.status() == ListingStatus::Archived {
            return Err(AppError::new(Code::InvalidTransition)
                .with_detail("an archived listing cannot be edited"));
        }
        if row.status() == ListingStatus::Published
            && review_needed(conn, row.cooperative_id, review_required)?
        {
            return crate::review::propose(conn, &row, edit).map(|()| Edited::Proposed);
        }
        let stored = listings::as_input(conn, &row)?;
        let valid = edit(stored)?;
        check_place(conn, row.cooperative_id, valid.place.as_deref())?;
        listings::update(conn, id, valid)?;
        Ok(Edited::Saved)
    })
}

/// Archives a listing the account owns: it leaves the storefront and search for good, and a
/// revision waiting for review goes with it.
pub fn archive(
    conn: &mut Conn,
    auth: &Auth,
    id: i64,
    expected: Option<i64>,
) -> Result<(), AppError> {
    conn.transaction(|conn| {
        let row = owned_listing_locked(conn, auth, id)?;
        check_version(&row, expected)?;
        if row.status() == ListingStatus::Archived {
            return Ok(());
        }
        crate::review::drop_revision(conn, id)?;
        listings::set_status(conn, id, ListingStatus::Archived, None)
    })
}

/// Sends the member's draft for review, or publishes it at once where review is not required
/// (switched off, or skipped by the cooperative's home commune). Returns the new status.
pub fn submit(
    conn: &mut Conn,
    auth: &Auth,
    id: i64,
    expected: Option<i64>,
    review_required: bool,
) -> Result<ListingStatus, AppError> {
    conn.transaction(|conn| {
        let row = owned_listing_locked(conn, auth, id)?;
        check_version(&row, expected)?;
        if row.status() != ListingStatus::Draft {
            return Err(AppError::new(Code::InvalidTransition)
                .with_detail(format!("a {} listing cannot be submitted", row.status)));
        }
        let to = if review_needed(conn, row.cooperative_id, review_required)? {
            ListingStatus::Pending
        } else {
            ListingStatus::Published
        };
        listings::set_status(conn, id, to, None)?;
        Ok(to)
    })
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
