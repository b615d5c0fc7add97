//! The outbox: listings whose search document must be refreshed, written in the same
//! transaction as the change and drained by the indexer (at least once).

use super::schema::outbox;
use super::{now, Conn};
use crate::error::AppError;
use crate::with_conn;
use chrono::Duration;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub listing_id: i64,
    pub attempts: i32,
}

/// Records that these listings' documents must be refreshed. Every change a shopper may see
/// passes here: the response cache learns which public answers a write made stale
/// ([`super::changes`]), their stored views are written again at the commit
/// ([`super::listings::cards`]), the storefront's version moves on, and the festival calendar's
/// when events are among them.
pub fn enqueue(conn: &mut Conn, listing_ids: &[i64]) -> Result<(), AppError> {
    if listing_ids.is_empty() {
        return Ok(());
    }
    super::changes::record(listing_ids);
    super::listings::cards::changed(conn, listing_ids)?;
    super::storefront_version::bump(conn)?;
    super::calendar_version::bump_if_events(conn, listing_ids)?;
    let at = now();
    for chunk in listing_ids.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|id| {
                (
                    outbox::listing_id.eq(*id),
                    outbox::created_at.eq(at),
                    outbox::available_at.eq(at),
                )
            })
            .collect();
        with_conn!(conn, |c| diesel::insert_into(outbox::table)
            .values(&rows)
            .execute(c))?;
    }
    Ok(())
}

/// How long a claimed row stays invisible to other indexers (other replicas) before it may be
/// claimed again, should this one die mid-batch.
const LEASE_SECONDS: i64 = 60;

/// Claims the oldest due rows, at most `limit`: they are leased to this caller, so replicas
/// running their own indexer do not work on the same rows. A crash just lets the lease expire.
pub fn claim(conn: &mut Conn, limit: i64) -> Result<Vec<OutboxRow>, AppError> {
    let at = now();
    let lease_until = at + Duration::seconds(LEASE_SECONDS);
    conn.transaction(|conn| {
        let ids: Vec<i64> = with_conn!(conn, |c| outbox::table
            .filter(outbox::available_at.le(at))
            .order(outbox::id.asc())
            .limit(limit)
            .select(outbox::id)
            .load(c))?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Re-checking `available_at` makes a concurrent claimer's rows drop out (PostgreSQL
        // re-evaluates the condition on rows another transaction just updated).
        with_conn!(conn, |c| diesel::update(
            outbox::table
                .filter(outbox::id.eq_any(&ids))
                .filter(outbox::available_at.le(at))
        )
        .set(outbox::available_at.eq(lease_until))
        .returning(OutboxRow::as_returning())
        .get_results(c))
        .map_err(AppError::from)
    })
}

/// Removes rows whose work is done (by row id, so a newer row for the same listing stays).
pub fn complete(conn: &mut Conn, row_ids: &[i64]) -> Result<(), AppError> {
    for chunk in row_ids.chunks(500) {
        with_conn!(conn, |c| diesel::delete(
            outbox::table.filter(outbox::id.eq_any(chunk))
        )
        .execute(c))?;
    }
    Ok(())
}

/// Puts rows back with exponential back-off (1 s, 2 s, 4 s … capped at 5 minutes).
pub fn retry_later(conn: &mut Conn, rows: &[OutboxRow], error: &str) -> Result<(), AppError> {
    let error: String = error.chars().take(500).collect();
    for row in rows {
        let attempts = row.attempts.saturating_add(1);
        let delay = Duration::seconds(1i64 << attempts.clamp(0, 8)).min(Duration::minutes(5));
        with_conn!(conn, |c| diesel::update(outbox::table.find(row.id))
            .set((
                outbox::attempts.eq(attempts),
                outbox::available_at.eq(now() + delay),
                outbox::last_error.eq(&error),
            ))
            .execute(c))?;
    }
    Ok(())
}

/// Every row, due or not, as (row id, listing id): a rebuild about to read every listing
/// covers them all.
pub fn all_rows(conn: &mut Conn) -> Result<Vec<(i64, i64)>, AppError> {
    with_conn!(conn, |c| outbox::table
        .select((outbox::id, outbox::listing_id))
        .load(c))
    .map_err(AppError::from)
}

pub fn pending(conn: &mut Conn) -> Result<i64, AppError> {
    with_conn!(conn, |c| outbox::table.count().get_result(c)).map_err(AppError::from)
}

/// Seconds since the oldest waiting row was written (0 when none waits): the indexer's lag.
pub fn oldest_age_seconds(conn: &mut Conn) -> Result<f64, AppError> {
    let oldest = with_conn!(conn, |c| outbox::table
        .select(diesel::dsl::min(outbox::created_at))
        .first::<Option<chrono::NaiveDateTime>>(c))?;
    Ok(oldest.map_or(0.0, |at| {
        (now() - at).num_milliseconds().max(0) as f64 / 1000.0
    }))
}
