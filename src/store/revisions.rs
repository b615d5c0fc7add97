//! Revision rows: what a member proposes for a published listing while the public keeps seeing
//! the approved version. At most one per listing, pending or rejected with a reason.

use super::schema::listing_revisions;
use super::{now, Conn};
use crate::domain::listing::ListingInput;
use crate::error::AppError;
use crate::with_conn;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// What the member wants the listing to become: the whole content (the reviewed fields count;
/// price, unit and season months apply at once and are taken from the live listing), and the
/// photo order and cover they chose.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Proposal {
    pub content: ListingInput,
    /// Photo ids, the cover first, as the member arranged them; `None` keeps the live order.
    #[serde(default)]
    pub photo_order: Option<Vec<i64>>,
    /// The chosen cover; `None` keeps the live one.
    #[serde(default)]
    pub cover: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevisionStatus {
    Pending,
    Rejected,
}

impl RevisionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionStatus::Pending => "pending",
            RevisionStatus::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = listing_revisions)]
pub struct RevisionRow {
    pub listing_id: i64,
    pub proposal: String,
    pub status: String,
    pub rejection_reason: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl RevisionRow {
    pub fn status(&self) -> RevisionStatus {
        if self.status == "rejected" {
            RevisionStatus::Rejected
        } else {
            RevisionStatus::Pending
        }
    }

    /// The stored proposal; a row this code did not write reads as an empty one.
    pub fn proposal(&self) -> Proposal {
        serde_json::from_str(&self.proposal).unwrap_or_default()
    }
}

pub fn get(conn: &mut Conn, listing_id: i64) -> Result<Option<RevisionRow>, AppError> {
    with_conn!(conn, |c| listing_revisions::table
        .find(listing_id)
        .select(RevisionRow::as_select())
        .first(c)
        .optional())
    .map_err(AppError::from)
}

pub fn for_listings(conn: &mut Conn, ids: &[i64]) -> Result<Vec<RevisionRow>, AppError> {
    with_conn!(conn, |c| listing_revisions::table
        .filter(listing_revisions::listing_id.eq_any(ids))
        .select(RevisionRow::as_select())
        .load(c))
    .map_err(AppError::from)
}

/// Listings with a pending revision, oldest change first.
pub fn pending_ids(conn: &mut Conn, limit: i64) -> Result<Vec<i64>, AppError> {
    with_conn!(conn, |c| listing_revisions::table
        .filter(listing_revisions::status.eq(RevisionStatus::Pending.as_str()))
        .order((
            listing_revisions::updated_at.asc(),
            listing_revisions::listing_id.asc(),
        ))
        .select(listing_revisions::listing_id)
        .limit(limit)
        .load(c))
    .map_err(AppError::from)
}

/// Stores `proposal` as the listing's pending revision (replacing any earlier one).
pub fn propose(conn: &mut Conn, listing_id: i64, proposal: &Proposal) -> Result<(), AppError> {
    let json = serde_json::to_string(proposal)
        .map_err(|e| AppError::internal(format!("revision not serialisable: {e}")))?;
    let at = now();
    let existing = get(conn, listing_id)?;
    match existing {
        Some(_) => with_conn!(conn, |c| diesel::update(
            listing_revisions::table.find(listing_id)
        )
        .set((
            listing_revisions::proposal.eq(&json),
            listing_revisions::status.eq(RevisionStatus::Pending.as_str()),
            listing_revisions::rejection_reason.eq(None::<String>),
            listing_revisions::updated_at.eq(at),
        ))
        .execute(c))?,
        None => with_conn!(conn, |c| diesel::insert_into(listing_revisions::table)
            .values((
                listing_revisions::listing_id.eq(listing_id),
                listing_revisions::proposal.eq(&json),
                listing_revisions::status.eq(RevisionStatus::Pending.as_str()),
                listing_revisions::created_at.eq(at),
                listing_revisions::updated_at.eq(at),
            ))
            .execute(c))?,
    };
    Ok(())
}

/// An admin turned the revision down: the member sees why; the approved version stays public.
pub fn reject(conn: &mut Conn, listing_id: i64, reason: &str) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::update(
        listing_revisions::table.find(listing_id)
    )
    .set((
        listing_revisions::status.eq(RevisionStatus::Rejected.as_str()),
        listing_revisions::rejection_reason.eq(reason),
        listing_revisions::updated_at.eq(now()),
    ))
    .execute(c))?;
    Ok(())
}

pub fn delete(conn: &mut Conn, listing_id: i64) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::delete(
        listing_revisions::table.find(listing_id)
    )
    .execute(c))?;
    Ok(())
}
