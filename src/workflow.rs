//! The listing life cycle both front ends follow: who may see and change a listing, creating a
//! draft, editing, archiving, submitting for review, an admin's decision. Blocking: call inside
//! `Db::run`.

use crate::accounts::Auth;
use crate::domain::listing::{ListingInput, ListingStatus, ValidListing};
use crate::error::{AppError, Code};
use crate::messages::Message;
use crate::store::listings::{self, ListingRow};
use crate::store::{catalogue, Conn};

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
