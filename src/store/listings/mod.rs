//! Listings: how they are stored, found, changed and shown. Every change to what a published
//! listing shows enqueues its id in the outbox within the same transaction.
//! One file per job: `views`, `cards` (the views stored for public reads), `paging`, `writes`,
//! `search_docs`, `bulk`; the rows live here.

mod views;
pub use views::*;
mod paging;
pub use paging::*;
mod writes;
pub use writes::*;
mod search_docs;
pub use search_docs::*;
mod bulk;
pub use bulk::*;
pub mod cards;
pub use cards::{published_by_slug, published_json_by_slug, published_json_by_slugs};

use super::catalogue::{self, Category, Cooperative, PlaceRow};
use super::in_list::in_list;
use super::photos::{self, PhotoView};
use super::schema::{
    categories, cooperatives, listing_certifications, listings, marketplace_links, places,
};
use super::{now, outbox, Conn};
use crate::domain::listing::{
    Certification, EventDatesInput, LinkInput, ListingInput, ListingKind, ListingStatus, Localized,
    ValidListing,
};
use crate::domain::marketplace::Platform;
use crate::domain::season::{mask_to_months, months_to_mask, next_occurrence, occurrence_in};
use crate::error::{AppError, Code, FieldError};
use crate::messages::Message;
use crate::search::SearchDocument;
use crate::with_conn;
use base64::Engine;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = listings)]
pub struct ListingRow {
    pub id: i64,
    pub slug: String,
    pub kind: String,
    pub status: String,
    pub name_vi: String,
    pub name_en: Option<String>,
    pub description_vi: String,
    pub description_en: Option<String>,
    pub category_code: String,
    pub place_code: String,
    pub cooperative_id: i64,
    pub price_vnd: Option<i64>,
    pub unit: Option<String>,
    pub ocop_stars: Option<i16>,
    pub ocop_certificate: Option<String>,
    pub ocop_expires: Option<NaiveDate>,
    pub season_mask: i32,
    pub event_start: Option<NaiveDate>,
    pub event_end: Option<NaiveDate>,
    pub recurs_yearly: bool,
    pub rejection_reason: Option<String>,
    pub cover_photo_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    /// The cooperative's own id for the listing (bulk import matches rows by it).
    pub external_id: Option<String>,
    /// Bumped by every change: the ETag, and the version a form or a decision was made on.
    pub version: i64,
}

impl ListingRow {
    pub fn status(&self) -> ListingStatus {
        ListingStatus::parse(&self.status).unwrap_or(ListingStatus::Draft)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = marketplace_links)]
pub struct LinkRow {
    pub id: i64,
    pub listing_id: i64,
    pub platform: String,
    pub url: String,
    pub position: i32,
}
