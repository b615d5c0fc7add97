//! Listings: how they are stored, found, changed and shown. Every change to what a published
//! listing shows enqueues its id in the outbox within the same transaction.

use super::catalogue::{self, Category, Cooperative, PlaceRow};
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

// ---------------------------------------------------------------------------------------------
// What clients see
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryRef {
    pub code: String,
    pub name: Localized,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlaceCrumb {
    pub code: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlaceRef {
    pub code: String,
    pub name: String,
    pub lat: f64,
    pub lng: f64,
    /// From the province down to the place itself.
    pub path: Vec<PlaceCrumb>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CooperativeRef {
    pub slug: String,
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Price {
    pub vnd: i64,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OcopView {
    pub stars: i16,
    pub certificate: Option<String>,
    pub expires: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub recurs_yearly: bool,
    /// The next occurrence that has not ended (for yearly festivals, this or next year's dates).
    pub next_start: Option<NaiveDate>,
    pub next_end: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    pub id: i64,
    pub platform: String,
    pub url: String,
    /// Counts the click, then redirects to `url`.
    pub go_url: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListingView {
    pub id: i64,
    pub slug: String,
    pub kind: ListingKind,
    pub status: ListingStatus,
    pub name: Localized,
    pub description: Localized,
    pub category: CategoryRef,
    pub place: PlaceRef,
    pub cooperative: CooperativeRef,
    pub price: Option<Price>,
    pub ocop: Option<OcopView>,
    pub certifications: Vec<Certification>,
    pub season_months: Vec<u8>,
    pub event: Option<EventView>,
    pub marketplace_links: Vec<LinkView>,
    pub photos: Vec<PhotoView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    /// The cooperative's own id for the listing ("Mã riêng" in its spreadsheet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cooperatives)]
pub struct CoopBrief {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub phone: Option<String>,
}

type Joined = (ListingRow, CoopBrief, PlaceRow, Category);

/// Turns joined rows into views, loading links, certifications, photos and place ancestors in
/// one query each (never one per listing).
fn views(
    conn: &mut Conn,
    rows: Vec<Joined>,
    media_base: &str,
) -> Result<Vec<ListingView>, AppError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.0.id).collect();
    let mut links = links_by_listing(conn, &ids)?;
    let mut certs = certifications_by_listing(conn, &ids)?;
    let mut photo_map: HashMap<i64, Vec<PhotoView>> = HashMap::new();
    for p in photos::for_listings(conn, &ids)? {
        photo_map
            .entry(p.listing_id)
            .or_default()
            .push(p.view(media_base));
    }
    let mut ancestor_codes: Vec<String> = rows.iter().flat_map(|r| r.2.path_codes()).collect();
    ancestor_codes.sort();
    ancestor_codes.dedup();
    let ancestors: HashMap<String, PlaceRow> = catalogue::places_by_codes(conn, &ancestor_codes)?
        .into_iter()
        .map(|p| (p.code.clone(), p))
        .collect();
    let today = chrono::Utc::now().date_naive();
    Ok(rows
        .into_iter()
        .map(|(l, coop, place, cat)| {
            let path = place
                .path_codes()
                .iter()
                .filter_map(|code| ancestors.get(code))
                .map(|p| PlaceCrumb {
                    code: p.code.clone(),
                    name: p.name.clone(),
                    kind: p.kind.clone(),
                })
                .collect();
            let mut gallery = photo_map.remove(&l.id).unwrap_or_default();
            if let Some(cover) = l.cover_photo_id {
                if let Some(i) = gallery.iter().position(|p| p.id == cover) {
                    let photo = gallery.remove(i);
                    gallery.insert(0, photo);
                }
            }
            let event = match (l.event_start, l.event_end) {
                (Some(start), Some(end)) => {
                    let next = next_occurrence(start, end, l.recurs_yearly, today);
                    Some(EventView {
                        start,
                        end,
                        recurs_yearly: l.recurs_yearly,
                        next_start: next.map(|o| o.start),
                        next_end: next.map(|o| o.end),
                    })
                }
                _ => None,
            };
            ListingView {
                id: l.id,
                slug: l.slug.clone(),
                kind: ListingKind::parse(&l.kind).unwrap_or(ListingKind::Product),
                status: l.status(),
                name: Localized {
                    vi: l.name_vi.clone(),
                    en: l.name_en.clone(),
                },
                description: Localized {
                    vi: l.description_vi.clone(),
                    en: l.description_en.clone(),
                },
                category: CategoryRef {
                    code: cat.code.clone(),
                    name: catalogue::category_name(&cat),
                },
                place: PlaceRef {
                    code: place.code.clone(),
                    name: place.name.clone(),
                    lat: place.lat,
                    lng: place.lng,
                    path,
                },
                cooperative: CooperativeRef {
                    slug: coop.slug,
                    name: coop.name,
                    phone: coop.phone,
                },
                price: l.price_vnd.map(|vnd| Price {
                    vnd,
                    unit: l.unit.clone(),
                }),
                ocop: l.ocop_stars.map(|stars| OcopView {
                    stars,
                    certificate: l.ocop_certificate.clone(),
                    expires: l.ocop_expires,
                }),
                certifications: certs.remove(&l.id).unwrap_or_default(),
                season_months: mask_to_months(l.season_mask),
                event,
                marketplace_links: links
                    .remove(&l.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|link| LinkView {
                        go_url: format!("/go/{}", link.id),
                        id: link.id,
                        platform: link.platform,
                        url: link.url,
                    })
                    .collect(),
                photos: gallery,
                rejection_reason: l.rejection_reason.clone(),
                created_at: l.created_at.and_utc(),
                updated_at: l.updated_at.and_utc(),
                published_at: l.published_at.map(|t| t.and_utc()),
                external_id: l.external_id.clone(),
            }
        })
        .collect())
}

fn links_by_listing(conn: &mut Conn, ids: &[i64]) -> Result<HashMap<i64, Vec<LinkRow>>, AppError> {
    let rows: Vec<LinkRow> = with_conn!(conn, |c| marketplace_links::table
        .filter(marketplace_links::listing_id.eq_any(ids))
        .order((
            marketplace_links::listing_id.asc(),
            marketplace_links::position.asc()
        ))
        .select(LinkRow::as_select())
        .load(c))?;
    let mut map: HashMap<i64, Vec<LinkRow>> = HashMap::new();
    for r in rows {
        map.entry(r.listing_id).or_default().push(r);
    }
    Ok(map)
}

fn certifications_by_listing(
    conn: &mut Conn,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<Certification>>, AppError> {
    let rows: Vec<(i64, String)> = with_conn!(conn, |c| listing_certifications::table
        .filter(listing_certifications::listing_id.eq_any(ids))
        .order((
            listing_certifications::listing_id.asc(),
            listing_certifications::code.asc()
        ))
        .select((
            listing_certifications::listing_id,
            listing_certifications::code
        ))
        .load(c))?;
    let mut map: HashMap<i64, Vec<Certification>> = HashMap::new();
    for (id, code) in rows {
        if let Some(cert) = Certification::parse(&code) {
            map.entry(id).or_default().push(cert);
        }
    }
    Ok(map)
}

/// The joined rows for the given listing ids (any status), in no particular order.
fn joined_by_ids(conn: &mut Conn, ids: &[i64]) -> Result<Vec<Joined>, AppError> {
    with_conn!(conn, |c| listings::table
        .inner_join(cooperatives::table.on(cooperatives::id.eq(listings::cooperative_id)))
        .inner_join(places::table.on(places::code.eq(listings::place_code)))
        .inner_join(categories::table.on(categories::code.eq(listings::category_code)))
        .filter(listings::id.eq_any(ids))
        .select((
            ListingRow::as_select(),
            CoopBrief::as_select(),
            PlaceRow::as_select(),
            Category::as_select(),
        ))
        .load(c))
    .map_err(AppError::from)
}

/// Which listings a read may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Only published ones (search hits are re-checked against the source of truth).
    PublishedOnly,
    /// Any status (a member's own listings, the review queue).
    AnyStatus,
}

/// Views of these listings in the order given, dropping ids the `visibility` does not show.
pub fn views_by_ids(
    conn: &mut Conn,
    ids: &[i64],
    visibility: Visibility,
    media_base: &str,
) -> Result<Vec<ListingView>, AppError> {
    let rows: Vec<Joined> = joined_by_ids(conn, ids)?
        .into_iter()
        .filter(|r| visibility == Visibility::AnyStatus || r.0.status() == ListingStatus::Published)
        .collect();
    let mut by_id: HashMap<i64, ListingView> = views(conn, rows, media_base)?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

pub fn row(conn: &mut Conn, id: i64) -> Result<Option<ListingRow>, AppError> {
    with_conn!(conn, |c| listings::table
        .find(id)
        .select(ListingRow::as_select())
        .first(c)
        .optional())
    .map_err(AppError::from)
}

pub fn view(conn: &mut Conn, id: i64, media_base: &str) -> Result<Option<ListingView>, AppError> {
    Ok(views_by_ids(conn, &[id], Visibility::AnyStatus, media_base)?.pop())
}

pub fn published_by_slug(
    conn: &mut Conn,
    slug: &str,
    media_base: &str,
) -> Result<Option<ListingView>, AppError> {
    let rows: Vec<Joined> = with_conn!(conn, |c| listings::table
        .inner_join(cooperatives::table.on(cooperatives::id.eq(listings::cooperative_id)))
        .inner_join(places::table.on(places::code.eq(listings::place_code)))
        .inner_join(categories::table.on(categories::code.eq(listings::category_code)))
        .filter(listings::slug.eq(slug))
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .select((
            ListingRow::as_select(),
            CoopBrief::as_select(),
            PlaceRow::as_select(),
            Category::as_select(),
        ))
        .load(c))?;
    Ok(views(conn, rows, media_base)?.pop())
}

// ---------------------------------------------------------------------------------------------
// Public lists with keyset pagination
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ListingFilter {
    pub kind: Option<ListingKind>,
    /// The place code as asked for (`place_codes` holds it and everything under it).
    pub place: Option<String>,
    /// The cooperative slug as asked for.
    pub cooperative: Option<String>,
    pub category: Option<String>,
    /// The place and everything under it, resolved by the caller.
    pub place_codes: Option<Vec<String>>,
    pub cooperative_id: Option<i64>,
    pub min_ocop_stars: Option<i16>,
    pub certification: Option<Certification>,
    pub in_season_month: Option<u8>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListSort {
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
}

/// Where the previous page stopped; bound to the query that made it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cursor {
    /// Fingerprint of filter + sort.
    q: String,
    /// The last row's sort key: micros since epoch (newest) or price.
    k: i64,
    i: i64,
}

fn fingerprint(filter: &ListingFilter, sort: ListSort) -> String {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_string(&(filter, sort)).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn encode_cursor(c: &Cursor) -> String {
    let json = serde_json::to_vec(c).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn decode_cursor(raw: &str, expected_q: &str) -> Result<Cursor, AppError> {
    let bad = || AppError::new(Code::InvalidCursor);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw.as_bytes())
        .map_err(|_| bad())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if cursor.q != expected_q {
        return Err(bad().with_detail("this cursor was made for a different query"));
    }
    Ok(cursor)
}

fn micros_to_time(micros: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp_micros(micros).map(|d| d.naive_utc())
}

pub struct Page {
    pub items: Vec<ListingView>,
    pub next: Option<String>,
}

/// Published listings matching `filter`, one page, in a stable order.
pub fn list_public(
    conn: &mut Conn,
    filter: &ListingFilter,
    sort: ListSort,
    cursor: Option<&str>,
    limit: i64,
    media_base: &str,
) -> Result<Page, AppError> {
    let q = fingerprint(filter, sort);
    let after = cursor.map(|raw| decode_cursor(raw, &q)).transpose()?;
    let after_time = match (&after, sort) {
        (Some(c), ListSort::Newest) => {
            Some(micros_to_time(c.k).ok_or_else(|| AppError::new(Code::InvalidCursor))?)
        }
        _ => None,
    };
    let rows: Vec<Joined> = with_conn!(conn, |c| {
        let mut query = listings::table
            .inner_join(cooperatives::table.on(cooperatives::id.eq(listings::cooperative_id)))
            .inner_join(places::table.on(places::code.eq(listings::place_code)))
            .inner_join(categories::table.on(categories::code.eq(listings::category_code)))
            .filter(listings::status.eq(ListingStatus::Published.as_str()))
            .select((
                ListingRow::as_select(),
                CoopBrief::as_select(),
                PlaceRow::as_select(),
                Category::as_select(),
            ))
            .into_boxed();
        if let Some(kind) = filter.kind {
            query = query.filter(listings::kind.eq(kind.as_str()));
        }
        if let Some(cat) = &filter.category {
            query = query.filter(listings::category_code.eq(cat));
        }
        if let Some(codes) = &filter.place_codes {
            query = query.filter(listings::place_code.eq_any(codes));
        }
        if let Some(coop) = filter.cooperative_id {
            query = query.filter(listings::cooperative_id.eq(coop));
        }
        if let Some(stars) = filter.min_ocop_stars {
            query = query.filter(listings::ocop_stars.ge(stars));
        }
        if let Some(cert) = filter.certification {
            query = query.filter(
                listings::id.eq_any(
                    listing_certifications::table
                        .filter(listing_certifications::code.eq(cert.code()))
                        .select(listing_certifications::listing_id),
                ),
            );
        }
        if let Some(month) = filter.in_season_month {
            // The month is a validated 1..=12, so formatting it into SQL is safe.
            let bit = 1i32 << month.min(12);
            query = query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
                "(listings.season_mask & {bit}) <> 0"
            )));
        }
        if let Some(min) = filter.price_min {
            query = query.filter(listings::price_vnd.ge(min));
        }
        if let Some(max) = filter.price_max {
            query = query.filter(listings::price_vnd.le(max));
        }
        match sort {
            ListSort::Newest => {
                if let (Some(t), Some(c)) = (after_time, &after) {
                    query = query.filter(
                        listings::published_at
                            .lt(t)
                            .or(listings::published_at.eq(t).and(listings::id.lt(c.i))),
                    );
                }
                query = query.order((listings::published_at.desc(), listings::id.desc()));
            }
            ListSort::PriceAsc => {
                query = query.filter(listings::price_vnd.is_not_null());
                if let Some(c) = &after {
                    query = query.filter(
                        listings::price_vnd
                            .gt(c.k)
                            .or(listings::price_vnd.eq(c.k).and(listings::id.gt(c.i))),
                    );
                }
                query = query.order((listings::price_vnd.asc(), listings::id.asc()));
            }
            ListSort::PriceDesc => {
                query = query.filter(listings::price_vnd.is_not_null());
                if let Some(c) = &after {
                    query = query.filter(
                        listings::price_vnd
                            .lt(c.k)
                            .or(listings::price_vnd.eq(c.k).and(listings::id.lt(c.i))),
                    );
                }
                query = query.order((listings::price_vnd.desc(), listings::id.desc()));
            }
        }
        query.limit(limit + 1).load(c)
    })?;
    let has_more = rows.len() as i64 > limit;
    let rows: Vec<Joined> = rows.into_iter().take(limit.max(0) as usize).collect();
    let next = if has_more {
        rows.last().map(|(l, ..)| {
            let k = match sort {
                ListSort::Newest => l
                    .published_at
                    .map(|t| t.and_utc().timestamp_micros())
                    .unwrap_or_default(),
                ListSort::PriceAsc | ListSort::PriceDesc => l.price_vnd.unwrap_or_default(),
            };
            encode_cursor(&Cursor {
                q: q.clone(),
                k,
                i: l.id,
            })
        })
    } else {
        None
    };
    Ok(Page {
        items: views(conn, rows, media_base)?,
        next,
    })
}

/// Published events, with the dates the caller filters by occurrence.
pub fn published_event_ids(
    conn: &mut Conn,
) -> Result<Vec<(i64, NaiveDate, NaiveDate, bool)>, AppError> {
    let rows: Vec<(i64, Option<NaiveDate>, Option<NaiveDate>, bool)> =
        with_conn!(conn, |c| listings::table
            .filter(listings::status.eq(ListingStatus::Published.as_str()))
            .filter(listings::kind.eq("event"))
            .select((
                listings::id,
                listings::event_start,
                listings::event_end,
                listings::recurs_yearly,
            ))
            .load(c))?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, s, e, r)| Some((id, s?, e?, r)))
        .collect())
}

/// A cooperative's listings in every status, newest change first (the member's own list).
pub fn for_cooperative(
    conn: &mut Conn,
    cooperative_id: i64,
    media_base: &str,
) -> Result<Vec<ListingView>, AppError> {
    let ids: Vec<i64> = with_conn!(conn, |c| listings::table
        .filter(listings::cooperative_id.eq(cooperative_id))
        .order((listings::updated_at.desc(), listings::id.desc()))
        .limit(500)
        .select(listings::id)
        .load(c))?;
    views_by_ids(conn, &ids, Visibility::AnyStatus, media_base)
}

/// Listings waiting for review, oldest first.
pub fn review_queue(conn: &mut Conn, media_base: &str) -> Result<Vec<ListingView>, AppError> {
    let ids: Vec<i64> = with_conn!(conn, |c| listings::table
        .filter(listings::status.eq(ListingStatus::Pending.as_str()))
        .order((listings::updated_at.asc(), listings::id.asc()))
        .limit(500)
        .select(listings::id)
        .load(c))?;
    views_by_ids(conn, &ids, Visibility::AnyStatus, media_base)
}

// ---------------------------------------------------------------------------------------------
// Changes
// ---------------------------------------------------------------------------------------------

/// The stored listing as input, so a PATCH can be laid over it and validated as a whole.
pub fn as_input(conn: &mut Conn, l: &ListingRow) -> Result<ListingInput, AppError> {
    let links = links_by_listing(conn, &[l.id])?
        .remove(&l.id)
        .unwrap_or_default();
    let certs = certifications_by_listing(conn, &[l.id])?
        .remove(&l.id)
        .unwrap_or_default();
    Ok(ListingInput {
        kind: ListingKind::parse(&l.kind),
        slug: None,
        name: Some(Localized {
            vi: l.name_vi.clone(),
            en: l.name_en.clone(),
        }),
        description: Some(Localized {
            vi: l.description_vi.clone(),
            en: l.description_en.clone(),
        }),
        category: Some(l.category_code.clone()),
        place: Some(l.place_code.clone()),
        price_vnd: Some(l.price_vnd),
        unit: Some(l.unit.clone()),
        ocop_stars: Some(l.ocop_stars),
        ocop_certificate: Some(l.ocop_certificate.clone()),
        ocop_expires: Some(l.ocop_expires),
        certifications: Some(certs.iter().map(|c| c.code().to_owned()).collect()),
        season_months: Some(mask_to_months(l.season_mask)),
        event: Some(match (l.event_start, l.event_end) {
            (Some(start), Some(end)) => Some(EventDatesInput {
                start,
                end,
                recurs_yearly: l.recurs_yearly,
            }),
            _ => None,
        }),
        marketplace_links: Some(
            links
                .into_iter()
                .filter_map(|r| {
                    Platform::parse(&r.platform).map(|platform| LinkInput {
                        platform,
                        url: r.url,
                    })
                })
                .collect(),
        ),
    })
}

/// Checks what only the database knows: the category and place exist.
fn check_references(conn: &mut Conn, v: &ValidListing, place: &str) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if !catalogue::category_exists(conn, &v.category)? {
        errors.push(FieldError::new("category", Message::UnknownCategory));
    }
    if catalogue::place(conn, place)?.is_none() {
        errors.push(FieldError::new("place", Message::UnknownPlace));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

pub fn exists_with_slug(conn: &mut Conn, slug: &str) -> Result<bool, AppError> {
    slug_taken(conn, slug, None)
}

fn slug_taken(conn: &mut Conn, slug: &str, except_id: Option<i64>) -> Result<bool, AppError> {
    let found: Option<i64> = with_conn!(conn, |c| listings::table
        .filter(listings::slug.eq(slug))
        .select(listings::id)
        .first(c)
        .optional())?;
    Ok(found.is_some_and(|id| Some(id) != except_id))
}

/// An explicit slug must be free; one folded from the name gets `-2`, `-3`… when taken.
fn choose_slug(conn: &mut Conn, v: &ValidListing) -> Result<String, AppError> {
    if let Some(slug) = &v.slug {
        if slug_taken(conn, slug, None)? {
            return Err(AppError::conflict("slug", Message::SlugTaken));
        }
        return Ok(slug.clone());
    }
    let base: String = crate::text::slugify(&v.name.vi).chars().take(100).collect();
    let base = base.trim_end_matches('-').to_owned();
    if !slug_taken(conn, &base, None)? {
        return Ok(base);
    }
    for n in 2..1000 {
        let candidate = format!("{base}-{n}");
        if !slug_taken(conn, &candidate, None)? {
            return Ok(candidate);
        }
    }
    Err(AppError::conflict("name.vi", Message::NameTaken))
}

fn write_children(conn: &mut Conn, id: i64, v: &ValidListing) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::delete(
        listing_certifications::table.filter(listing_certifications::listing_id.eq(id))
    )
    .execute(c))?;
    let certs: Vec<_> = v
        .certifications
        .iter()
        .map(|cert| {
            (
                listing_certifications::listing_id.eq(id),
                listing_certifications::code.eq(cert.code()),
            )
        })
        .collect();
    if !certs.is_empty() {
        with_conn!(conn, |c| diesel::insert_into(listing_certifications::table)
            .values(&certs)
            .execute(c))?;
    }
    // Links keep their id (and so their click history) when platform and URL stay the same.
    let existing = links_by_listing(conn, &[id])?
        .remove(&id)
        .unwrap_or_default();
    let mut kept = Vec::new();
    for (position, (platform, url)) in v.links.iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        let same = existing
            .iter()
            .find(|l| l.platform == platform.code() && &l.url == url && !kept.contains(&l.id));
        match same {
            Some(link) => {
                kept.push(link.id);
                with_conn!(conn, |c| diesel::update(
                    marketplace_links::table.find(link.id)
                )
                .set(marketplace_links::position.eq(position))
                .execute(c))?;
            }
            None => {
                with_conn!(conn, |c| diesel::insert_into(marketplace_links::table)
                    .values((
                        marketplace_links::listing_id.eq(id),
                        marketplace_links::platform.eq(platform.code()),
                        marketplace_links::url.eq(url),
                        marketplace_links::position.eq(position),
                    ))
                    .execute(c))?;
            }
        }
    }
    let gone: Vec<i64> = existing
        .iter()
        .map(|l| l.id)
        .filter(|lid| !kept.contains(lid))
        .collect();
    if !gone.is_empty() {
        with_conn!(conn, |c| diesel::delete(
            marketplace_links::table.filter(marketplace_links::id.eq_any(&gone))
        )
        .execute(c))?;
    }
    Ok(())
}

/// The columns a member's input decides, shared by create and update (`None` clears).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = listings, treat_none_as_null = true)]
struct Content<'a> {
    kind: &'a str,
    name_vi: &'a str,
    name_en: Option<&'a str>,
    description_vi: &'a str,
    description_en: Option<&'a str>,
    category_code: &'a str,
    place_code: &'a str,
    price_vnd: Option<i64>,
    unit: Option<&'a str>,
    ocop_stars: Option<i16>,
    ocop_certificate: Option<&'a str>,
    ocop_expires: Option<NaiveDate>,
    season_mask: i32,
    event_start: Option<NaiveDate>,
    event_end: Option<NaiveDate>,
    recurs_yearly: bool,
}

impl<'a> Content<'a> {
    fn of(v: &'a ValidListing, place: &'a str) -> Content<'a> {
        Content {
            kind: v.kind.as_str(),
            name_vi: &v.name.vi,
            name_en: v.name.en.as_deref(),
            description_vi: &v.description.vi,
            description_en: v.description.en.as_deref(),
            category_code: &v.category,
            place_code: place,
            price_vnd: v.price_vnd,
            unit: v.unit.as_deref(),
            ocop_stars: v.ocop.as_ref().map(|o| o.stars),
            ocop_certificate: v.ocop.as_ref().and_then(|o| o.certificate.as_deref()),
            ocop_expires: v.ocop.as_ref().and_then(|o| o.expires),
            season_mask: months_to_mask(&v.season_months),
            event_start: v.event.as_ref().map(|e| e.start),
            event_end: v.event.as_ref().map(|e| e.end),
            recurs_yearly: v.event.as_ref().is_some_and(|e| e.recurs_yearly),
        }
    }
}

/// Creates a listing for the cooperative in `status` (draft, or published for trusted imports).
pub fn create(
    conn: &mut Conn,
    coop: &Cooperative,
    v: ValidListing,
    status: ListingStatus,
) -> Result<i64, AppError> {
    let coop = coop.clone();
    conn.transaction(move |conn| {
        let place = v.place.clone().unwrap_or_else(|| coop.place_code.clone());
        check_references(conn, &v, &place)?;
        let slug = choose_slug(conn, &v)?;
        let at = now();
        let published_at = (status == ListingStatus::Published).then_some(at);
        with_conn!(conn, |c| diesel::insert_into(listings::table)
            .values((
                Content::of(&v, &place),
                listings::slug.eq(&slug),
                listings::status.eq(status.as_str()),
                listings::cooperative_id.eq(coop.id),
                listings::created_at.eq(at),
                listings::updated_at.eq(at),
                listings::published_at.eq(published_at),
            ))
            .execute(c))?;
        let id: i64 = with_conn!(conn, |c| listings::table
            .filter(listings::slug.eq(&slug))
            .select(listings::id)
            .first(c))?;
        write_children(conn, id, &v)?;
        if status == ListingStatus::Published {
            outbox::enqueue(conn, &[id])?;
        }
        Ok(id)
    })
}

/// Replaces the listing's content with `v` (already merged and validated).
pub fn update(conn: &mut Conn, id: i64, v: ValidListing) -> Result<(), AppError> {
    conn.transaction(move |conn| {
        let current = row(conn, id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
        let place = v
            .place
            .clone()
            .unwrap_or_else(|| current.place_code.clone());
        check_references(conn, &v, &place)?;
        if let Some(slug) = &v.slug {
            if slug_taken(conn, slug, Some(id))? {
                return Err(AppError::conflict("slug", Message::SlugTaken));
            }
        }
        let slug = v.slug.clone().unwrap_or(current.slug.clone());
        with_conn!(conn, |c| diesel::update(listings::table.find(id))
            .set((
                Content::of(&v, &place),
                listings::slug.eq(&slug),
                listings::updated_at.eq(now()),
            ))
            .execute(c))?;
        write_children(conn, id, &v)?;
        if current.status() == ListingStatus::Published {
            outbox::enqueue(conn, &[id])?;
        }
        Ok(())
    })
}

/// Moves a listing to `to`; publishing stamps `published_at` the first time, and any move into
/// or out of `published` refreshes search. A rejection is a move back to draft with a reason.
pub fn set_status(
    conn: &mut Conn,
    id: i64,
    to: ListingStatus,
    reason: Option<String>,
) -> Result<(), AppError> {
    conn.transaction(move |conn| {
        let current = row(conn, id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
        let from = current.status();
        let at = now();
        let published_at = match (to, current.published_at) {
            (ListingStatus::Published, None) => Some(at),
            (_, existing) => existing,
        };
        let reason = if to == ListingStatus::Draft {
            reason
        } else {
            None
        };
        with_conn!(conn, |c| diesel::update(listings::table.find(id))
            .set((
                listings::status.eq(to.as_str()),
                listings::rejection_reason.eq(&reason),
                listings::updated_at.eq(at),
                listings::published_at.eq(published_at),
            ))
            .execute(c))?;
        if from == ListingStatus::Published || to == ListingStatus::Published {
            outbox::enqueue(conn, &[id])?;
        }
        Ok(())
    })
}

pub fn set_cover(conn: &mut Conn, id: i64, photo_id: Option<i64>) -> Result<(), AppError> {
    conn.transaction(move |conn| {
        let current = row(conn, id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
        with_conn!(conn, |c| diesel::update(listings::table.find(id))
            .set((
                listings::cover_photo_id.eq(photo_id),
                listings::updated_at.eq(now())
            ))
            .execute(c))?;
        if current.status() == ListingStatus::Published {
            outbox::enqueue(conn, &[id])?;
        }
        Ok(())
    })
}

/// Marks a listing changed (e.g. a photo added) so clients and search see it.
pub fn touch(conn: &mut Conn, id: i64) -> Result<(), AppError> {
    let current = row(conn, id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    with_conn!(conn, |c| diesel::update(listings::table.find(id))
        .set(listings::updated_at.eq(now()))
        .execute(c))?;
    if current.status() == ListingStatus::Published {
        outbox::enqueue(conn, &[id])?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Search documents
// ---------------------------------------------------------------------------------------------

/// Days since 1970-01-01, as the search index stores event days.
pub fn epoch_day(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}

/// Every day an event covers, from last year to three years ahead (yearly ones repeat).
fn event_days(start: NaiveDate, end: NaiveDate, recurs: bool, today: NaiveDate) -> Vec<i32> {
    let occurrences: Vec<(NaiveDate, NaiveDate)> = if recurs {
        (today.year() - 1..=today.year() + 3)
            .filter_map(|y| occurrence_in(start, end, y))
            .filter(|o| o.start >= start)
            .map(|o| (o.start, o.end))
            .collect()
    } else {
        vec![(start, end)]
    };
    occurrences
        .into_iter()
        .flat_map(|(s, e)| (epoch_day(s)..=epoch_day(e)).take(400))
        .collect()
}

/// Search documents for those of `ids` that are published (the rest must leave the index).
pub fn search_documents(conn: &mut Conn, ids: &[i64]) -> Result<Vec<SearchDocument>, AppError> {
    let rows: Vec<Joined> = joined_by_ids(conn, ids)?
        .into_iter()
        .filter(|r| r.0.status() == ListingStatus::Published)
        .collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.0.id).collect();
    let mut certs = certifications_by_listing(conn, &ids)?;
    let mut codes: Vec<String> = rows.iter().flat_map(|r| r.2.path_codes()).collect();
    codes.sort();
    codes.dedup();
    let chain: HashMap<String, PlaceRow> = catalogue::places_by_codes(conn, &codes)?
        .into_iter()
        .map(|p| (p.code.clone(), p))
        .collect();
    let today = chrono::Utc::now().date_naive();
    Ok(rows
        .into_iter()
        .map(|(l, coop, place, cat)| {
            let path = place.path_codes();
            let mut place_names = Vec::new();
            for code in path.iter().rev() {
                if let Some(p) = chain.get(code) {
                    place_names.push(p.name.clone());
                    place_names.extend(p.alias_list());
                }
            }
            SearchDocument {
                id: l.id,
                slug: l.slug,
                kind: l.kind,
                name_vi: l.name_vi,
                name_en: l.name_en,
                description_vi: l.description_vi,
                description_en: l.description_en,
                category_code: cat.code,
                category_name_vi: cat.name_vi,
                place_code: place.code.clone(),
                place_path: path,
                place_names,
                cooperative_slug: coop.slug,
                cooperative_name: coop.name,
                price_vnd: l.price_vnd,
                ocop_stars: l.ocop_stars,
                certifications: certs
                    .remove(&l.id)
                    .unwrap_or_default()
                    .iter()
                    .map(|c| c.code().to_owned())
                    .collect(),
                season_months: mask_to_months(l.season_mask),
                event_days: match (l.event_start, l.event_end) {
                    (Some(s), Some(e)) => event_days(s, e, l.recurs_yearly, today),
                    _ => Vec::new(),
                },
                lat: place.lat,
                lng: place.lng,
                published_at: l
                    .published_at
                    .map(|t| t.and_utc().timestamp())
                    .unwrap_or_default(),
            }
        })
        .collect())
}

/// Published listing ids after `after_id`, ascending, for reindexing in batches.
pub fn published_ids_after(
    conn: &mut Conn,
    after_id: i64,
    limit: i64,
) -> Result<Vec<i64>, AppError> {
    with_conn!(conn, |c| listings::table
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .filter(listings::id.gt(after_id))
        .order(listings::id.asc())
        .limit(limit)
        .select(listings::id)
        .load(c))
    .map_err(AppError::from)
}

pub fn count_published(conn: &mut Conn) -> Result<i64, AppError> {
    with_conn!(conn, |c| listings::table
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .count()
        .get_result(c))
    .map_err(AppError::from)
}

/// Published listings as a sitemap lists them, in id order: (kind, slug, last change), at most
/// `limit` from the `offset`-th on.
pub fn sitemap_entries(
    conn: &mut Conn,
    offset: i64,
    limit: i64,
) -> Result<Vec<(String, String, NaiveDateTime)>, AppError> {
    with_conn!(conn, |c| listings::table
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .order(listings::id.asc())
        .offset(offset)
        .limit(limit)
        .select((listings::kind, listings::slug, listings::updated_at))
        .load(c))
    .map_err(AppError::from)
}

// ---------------------------------------------------------------------------------------------
// Bulk loading (synthetic catalogues for benchmarks)
// ---------------------------------------------------------------------------------------------

/// A published listing for [`insert_published_batch`]: already valid, no review, no photos.
#[derive(Debug, Clone)]
pub struct BulkListing {
    pub slug: String,
    pub kind: ListingKind,
    pub name_vi: String,
    pub description_vi: String,
    pub category_code: String,
    pub place_code: String,
    pub cooperative_id: i64,
    pub price_vnd: Option<i64>,
    pub unit: Option<String>,
    pub ocop_stars: Option<i16>,
    pub certifications: Vec<Certification>,
    pub season_months: Vec<u8>,
    /// Start, end, yearly.
    pub event: Option<(NaiveDate, NaiveDate, bool)>,
    pub links: Vec<(Platform, String)>,
    pub published_at: NaiveDateTime,
}

/// Rows per INSERT: 22 columns × 400 stays under every SQLite's and PostgreSQL's variable limit.
const BULK_ROWS: usize = 400;

/// Inserts published listings with their certifications and marketplace links in a few
/// multi-row INSERTs, in one transaction. Listings whose slug is taken are skipped (so loading
/// twice adds nothing). Nothing is enqueued for search: run a reindex afterwards.
/// Returns how many listings were inserted.
pub fn insert_published_batch(conn: &mut Conn, rows: &[BulkListing]) -> Result<usize, AppError> {
    conn.transaction(|conn| {
        let mut inserted = 0;
        for chunk in rows.chunks(BULK_ROWS) {
            let slugs: Vec<&str> = chunk.iter().map(|r| r.slug.as_str()).collect();
            let taken: Vec<String> = with_conn!(conn, |c| listings::table
                .filter(listings::slug.eq_any(&slugs))
                .select(listings::slug)
                .load(c))?;
            let fresh: Vec<&BulkListing> =
                chunk.iter().filter(|r| !taken.contains(&r.slug)).collect();
            if fresh.is_empty() {
                continue;
            }
            let values: Vec<_> = fresh
                .iter()
                .map(|r| {
                    let (event_start, event_end, recurs) = match r.event {
                        Some((s, e, y)) => (Some(s), Some(e), y),
                        None => (None, None, false),
                    };
                    (
                        listings::slug.eq(r.slug.as_str()),
                        listings::kind.eq(r.kind.as_str()),
                        listings::status.eq(ListingStatus::Published.as_str()),
                        listings::name_vi.eq(r.name_vi.as_str()),
                        listings::name_en.eq(None::<String>),
                        listings::description_vi.eq(r.description_vi.as_str()),
                        listings::description_en.eq(None::<String>),
                        listings::category_code.eq(r.category_code.as_str()),
                        listings::place_code.eq(r.place_code.as_str()),
                        listings::cooperative_id.eq(r.cooperative_id),
                        listings::price_vnd.eq(r.price_vnd),
                        listings::unit.eq(r.unit.as_deref()),
                        listings::ocop_stars.eq(r.ocop_stars),
                        listings::season_mask.eq(months_to_mask(&r.season_months)),
                        listings::event_start.eq(event_start),
                        listings::event_end.eq(event_end),
                        listings::recurs_yearly.eq(recurs),
                        listings::created_at.eq(r.published_at),
                        listings::updated_at.eq(r.published_at),
                        listings::published_at.eq(Some(r.published_at)),
                    )
                })
                .collect();
            let ids: HashMap<String, i64> =
                with_conn!(conn, |c| diesel::insert_into(listings::table)
                    .values(&values)
                    .returning((listings::slug, listings::id))
                    .get_results::<(String, i64)>(c))?
                .into_iter()
                .collect();
            insert_children(
                conn,
                fresh.iter().filter_map(|r| {
                    ids.get(&r.slug)
                        .map(|&id| (id, r.certifications.as_slice(), r.links.as_slice()))
                }),
            )?;
            inserted += fresh.len();
        }
        Ok(inserted)
    })
}

// ---------------------------------------------------------------------------------------------
// Bulk import (matching rows by slug, archiving what a file no longer names)
// ---------------------------------------------------------------------------------------------

/// `(slug, id)` of the listings with these slugs, in any status.
pub fn ids_by_slugs(conn: &mut Conn, slugs: &[String]) -> Result<Vec<(String, i64)>, AppError> {
    let mut found = Vec::with_capacity(slugs.len());
    for chunk in slugs.chunks(BULK_ROWS) {
        let part: Vec<(String, i64)> = with_conn!(conn, |c| listings::table
            .filter(listings::slug.eq_any(chunk))
            .select((listings::slug, listings::id))
            .load(c))?;
        found.extend(part);
    }
    Ok(found)
}

/// `(id, slug, external_id)` of the published listings of these cooperatives.
pub fn published_of_cooperatives(
    conn: &mut Conn,
    cooperative_ids: &[i64],
) -> Result<Vec<(i64, String, Option<String>)>, AppError> {
    with_conn!(conn, |c| listings::table
        .filter(listings::cooperative_id.eq_any(cooperative_ids))
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .order(listings::id.asc())
        .select((listings::id, listings::slug, listings::external_id))
        .load(c))
    .map_err(AppError::from)
}

/// `(cooperative_id, external_id, id)` of the listings with these cooperatives' external ids
/// (`pairs` of cooperative id and external id), in any status.
pub fn ids_by_external_ids(
    conn: &mut Conn,
    pairs: &[(i64, String)],
) -> Result<Vec<(i64, String, i64)>, AppError> {
    let mut found = Vec::new();
    for chunk in pairs.chunks(BULK_ROWS) {
        let coops: Vec<i64> = chunk.iter().map(|p| p.0).collect();
        let externals: Vec<&str> = chunk.iter().map(|p| p.1.as_str()).collect();
        let part: Vec<(i64, Option<String>, i64)> = with_conn!(conn, |c| listings::table
            .filter(listings::external_id.eq_any(&externals))
            .filter(listings::cooperative_id.eq_any(&coops))
            .select((
                listings::cooperative_id,
                listings::external_id,
                listings::id
            ))
            .load(c))?;
        found.extend(part.into_iter().filter_map(|(coop, external, id)| {
            let external = external?;
            chunk
                .iter()
                .any(|p| p.0 == coop && p.1 == external)
                .then_some((coop, external, id))
        }));
    }
    Ok(found)
}

/// Gives a listing its cooperative's external id (a bulk import naming it for the first time).
pub fn set_external_id(conn: &mut Conn, id: i64, external_id: &str) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::update(listings::table.find(id))
        .set((
            listings::external_id.eq(external_id),
            listings::updated_at.eq(now())
        ))
        .execute(c))?;
    Ok(())
}

/// Multi-row INSERTs of new listings' certifications and marketplace links (in link order).
fn insert_children<'a>(
    conn: &mut Conn,
    listings: impl Iterator<Item = (i64, &'a [Certification], &'a [(Platform, String)])>,
) -> Result<(), AppError> {
    let mut certs = Vec::new();
    let mut links = Vec::new();
    for (id, certifications, marketplace) in listings {
        for cert in certifications {
            certs.push((
                listing_certifications::listing_id.eq(id),
                listing_certifications::code.eq(cert.code()),
            ));
        }
        for (position, (platform, url)) in marketplace.iter().enumerate() {
            links.push((
                marketplace_links::listing_id.eq(id),
                marketplace_links::platform.eq(platform.code()),
                marketplace_links::url.eq(url.as_str()),
                marketplace_links::position.eq(i32::try_from(position).unwrap_or(0)),
            ));
        }
    }
    if !certs.is_empty() {
        with_conn!(conn, |c| diesel::insert_into(listing_certifications::table)
            .values(&certs)
            .execute(c))?;
    }
    if !links.is_empty() {
        with_conn!(conn, |c| diesel::insert_into(marketplace_links::table)
            .values(&links)
            .execute(c))?;
    }
    Ok(())
}

/// A new listing for [`create_many`].
pub struct NewListing {
    pub cooperative_id: i64,
    pub listing: ValidListing,
    pub status: ListingStatus,
    pub external_id: Option<String>,
}

/// Creates many new listings at once (a bulk import's checked rows): multi-row INSERTs for the
/// listings, their certifications and links, and the outbox rows of the published ones, in the
/// caller's transaction. Each row's slug must be free and its category and place must exist
/// (the importer checked both); a clash fails the whole call. Returns their ids, in order.
pub fn create_many(conn: &mut Conn, rows: &[NewListing]) -> Result<Vec<i64>, AppError> {
    let mut created = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(BULK_ROWS) {
        let at = now();
        let places: Vec<&str> = chunk
            .iter()
            .map(|n| n.listing.place.as_deref().unwrap_or_default())
            .collect();
        let values: Vec<_> = chunk
            .iter()
            .zip(&places)
            .map(|(n, place)| {
                let (v, status) = (&n.listing, &n.status);
                (
                    Content::of(v, place),
                    listings::slug.eq(v.slug.as_deref().unwrap_or_default()),
                    listings::status.eq(status.as_str()),
                    listings::cooperative_id.eq(n.cooperative_id),
                    listings::external_id.eq(n.external_id.as_deref()),
                    listings::created_at.eq(at),
                    listings::updated_at.eq(at),
                    listings::published_at.eq((*status == ListingStatus::Published).then_some(at)),
                )
            })
            .collect();
        // RETURNING, not a SELECT by slug afterwards: PostgreSQL plans that lookup once, on a
        // table that was still empty, and would scan the whole growing table for every chunk.
        let ids: HashMap<String, i64> = with_conn!(conn, |c| diesel::insert_into(listings::table)
            .values(&values)
            .returning((listings::slug, listings::id))
            .get_results::<(String, i64)>(c))?
        .into_iter()
        .collect();
        let mut children = Vec::with_capacity(chunk.len());
        let mut published = Vec::new();
        for n in chunk {
            let (v, status) = (&n.listing, &n.status);
            let Some(&id) = ids.get(v.slug.as_deref().unwrap_or_default()) else {
                return Err(AppError::internal("a listing just inserted is missing"));
            };
            if *status == ListingStatus::Published {
                published.push(id);
            }
            children.push((id, v.certifications.as_slice(), v.links.as_slice()));
            created.push(id);
        }
        insert_children(conn, children.into_iter())?;
        if !published.is_empty() {
            outbox::enqueue(conn, &published)?;
        }
    }
    Ok(created)
}
