//! What the indexer applied to a search index several processes share (Meilisearch): each
//! process keeps its own query-understanding vocabulary (did-you-mean, synonyms, places, the
//! exact-spelling ranking), and learns here of the listings another process indexed.
//!
//! Rows are written in the transaction that completes the outbox rows and read past the last id
//! a process saw. On PostgreSQL the writer first takes an exclusive lock on the table, so ids
//! become visible in id order (a reader that has seen id N will never see a smaller one appear
//! later); SQLite writes one at a time anyway.

use super::schema::indexed_changes;
use super::{now, Conn};
use crate::error::AppError;
use crate::with_conn;
use chrono::Duration;
use diesel::prelude::*;

/// Rows older than this are pruned; a process that has not read the record for half as long
/// reads its whole vocabulary again instead (`indexer::Follower`).
pub const KEPT_HOURS: i64 = 24;

/// Notes that the search index now holds these listings' current documents (or no longer holds
/// them). Call inside the transaction completing their outbox rows.
pub fn record(conn: &mut Conn, listing_ids: &[i64]) -> Result<(), AppError> {
    if listing_ids.is_empty() {
        return Ok(());
    }
    if let Conn::Postgres(c) = conn {
        use diesel::connection::SimpleConnection;
        c.batch_execute("LOCK TABLE indexed_changes IN EXCLUSIVE MODE")?;
    }
    let at = now();
    for chunk in listing_ids.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|id| {
                (
                    indexed_changes::listing_id.eq(*id),
                    indexed_changes::recorded_at.eq(at),
                )
            })
            .collect();
        with_conn!(conn, |c| diesel::insert_into(indexed_changes::table)
            .values(&rows)
            .execute(c))?;
    }
    with_conn!(conn, |c| diesel::delete(indexed_changes::table.filter(
        indexed_changes::recorded_at.lt(at - Duration::hours(KEPT_HOURS))
    ))
    .execute(c))?;
    Ok(())
}

/// The last id written (0 when none): where a process that has just read the whole catalogue
/// starts following.
pub fn latest(conn: &mut Conn) -> Result<i64, AppError> {
    let last: Option<i64> = with_conn!(conn, |c| indexed_changes::table
        .select(diesel::dsl::max(indexed_changes::id))
        .first(c))?;
    Ok(last.unwrap_or(0))
}

/// The rows after `after`, oldest first, at most `limit`: (row id, listing id).
pub fn after(conn: &mut Conn, after: i64, limit: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(with_conn!(conn, |c| indexed_changes::table
        .filter(indexed_changes::id.gt(after))
        .order(indexed_changes::id)
        .select((indexed_changes::id, indexed_changes::listing_id))
        .limit(limit)
        .load(c))?)
}
