//! The festival calendar's version: one number moved on in the transaction of every change to a
//! published event, so each process knows when its calendar in memory is out of date.

use super::in_list::in_list;
use super::schema::{calendar_version, listings};
use super::Conn;
use crate::error::AppError;
use crate::with_conn;
use diesel::prelude::*;

/// The stored version (a read by primary key: cheap enough for every calendar request).
pub fn current(conn: &mut Conn) -> Result<i64, AppError> {
    let found: Option<i64> = with_conn!(conn, |c| calendar_version::table
        .find(1)
        .select(calendar_version::version)
        .first(c)
        .optional())?;
    Ok(found.unwrap_or_default())
}

/// Moves the version on, and the storefront's with it (the home page shows coming festivals).
/// Call inside the transaction of the change, so no process can see the change and still the
/// old number.
pub fn bump(conn: &mut Conn) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::update(calendar_version::table.find(1))
        .set(calendar_version::version.eq(calendar_version::version + 1))
        .execute(c))?;
    super::storefront_version::bump(conn)
}

/// Moves the version on when one of these listings is an event (as written now). Changes to
/// products leave it alone, so product edits never wait on this row's lock.
pub fn bump_if_events(conn: &mut Conn, listing_ids: &[i64]) -> Result<(), AppError> {
    // One bound list, however many ids: the statement stays prepared on this write path.
    let events: i64 = with_conn!(conn, |c| listings::table
        .filter(in_list(listings::id, listing_ids))
        .filter(listings::kind.eq("event"))
        .count()
        .get_result(c))?;
    if events > 0 {
        bump(conn)?;
    }
    Ok(())
}
