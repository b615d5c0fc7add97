//! The storefront's version: one number moved on in the transaction of every change a shopper
//! may see on the home page, so each process knows when the page it keeps is out of date.
//!
//! It moves with every outbox entry (any change of a published listing), with every move of the
//! festival calendar's version (so a page showing both may be kept by this number alone), and
//! with the catalogue's names (categories, places, cooperatives) and bulk loads.
//!
//! The cost: on PostgreSQL, writes that change published listings take this row's lock until
//! they commit, one after another (SQLite writes one at a time anyway).

use super::schema::storefront_version;
use super::Conn;
use crate::error::AppError;
use crate::with_conn;
use diesel::prelude::*;

/// The stored version (a read by primary key: cheap enough for every home page request).
pub fn current(conn: &mut Conn) -> Result<i64, AppError> {
    let found: Option<i64> = with_conn!(conn, |c| storefront_version::table
        .find(1)
        .select(storefront_version::version)
        .first(c)
        .optional())?;
    Ok(found.unwrap_or_default())
}

/// Moves the version on. Call inside the transaction of the change, so no process can see the
/// change and still the old number.
pub fn bump(conn: &mut Conn) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::update(storefront_version::table.find(1))
        .set(storefront_version::version.eq(storefront_version::version + 1))
        .execute(c))?;
    Ok(())
}
