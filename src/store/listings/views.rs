//! What clients see of a listing: the view types, and loading them by id or slug in one pass.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CategoryRef {
    pub code: String,
    pub name: Localized,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlaceCrumb {
    pub code: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlaceRef {
    pub code: String,
    pub name: String,
    pub lat: f64,
    pub lng: f64,
    /// From the province down to the place itself.
    pub path: Vec<PlaceCrumb>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CooperativeRef {
    pub slug: String,
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Price {
    pub vnd: i64,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OcopView {
    pub stars: i16,
    pub certificate: Option<String>,
    pub expires: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventView {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub recurs_yearly: bool,
    /// The next occurrence that has not ended (for yearly festivals, this or next year's dates).
    pub next_start: Option<NaiveDate>,
    pub next_end: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LinkView {
    pub id: i64,
    pub platform: String,
    pub url: String,
    /// Counts the click, then redirects to `url`.
    pub go_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Moves on with every change: send it back as `If-Match` (or a decision's `version`).
    pub version: i64,
    /// A change of a published listing waiting for review (its member's and the admins' views).
    #[serde(skip_serializing_if = "Option::is_none", skip_deserializing, default)]
    pub revision: Option<crate::review::RevisionView>,
}

/// What a list of listings shows of one (a card on the storefront's pages): read from a stored
/// card without the rest of the view (description, links, cooperative, every photo), which a
/// page of 20 search results spent a seventh of its time reading.
#[derive(Debug, Clone)]
pub struct ListingBrief {
    pub id: i64,
    pub slug: String,
    pub kind: ListingKind,
    pub name: Localized,
    pub category_code: String,
    pub place_name: String,
    pub price: Option<Price>,
    pub ocop_stars: Option<i16>,
    /// With its next dates worked out for the day it was read.
    pub event: Option<EventView>,
    /// The first photo.
    pub photo: Option<PhotoView>,
}

impl From<ListingView> for ListingBrief {
    fn from(v: ListingView) -> Self {
        ListingBrief {
            id: v.id,
            slug: v.slug,
            kind: v.kind,
            name: v.name,
            category_code: v.category.code,
            place_name: v.place.name,
            price: v.price,
            ocop_stars: v.ocop.map(|o| o.stars),
            event: v.event,
            photo: v.photos.into_iter().next(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cooperatives)]
pub struct CoopBrief {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub phone: Option<String>,
}

pub(super) type Joined = (ListingRow, CoopBrief, PlaceRow, Category);

/// Turns joined rows into views, loading links, certifications, photos and place ancestors in
/// one query each (never one per listing).
pub(super) fn views(
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
    for p in photos::for_listings(conn, &ids)?
        .into_iter()
        .filter(photos::PhotoRow::is_public)
    {
        photo_map
            .entry(p.listing_id)
            .or_default()
            .push(p.view(media_base));
    }
    let ancestors = places_on_paths(conn, &rows)?;
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
                version: l.version,
                revision: None,
            }
        })
        .collect())
}

/// Every place on the rows' place paths (each place and its ancestors), by code, in one query.
pub(super) fn places_on_paths(
    conn: &mut Conn,
    rows: &[Joined],
) -> Result<HashMap<String, PlaceRow>, AppError> {
    let mut codes: Vec<String> = rows.iter().flat_map(|r| r.2.path_codes()).collect();
    codes.sort();
    codes.dedup();
    Ok(catalogue::places_by_codes(conn, &codes)?
        .into_iter()
        .map(|p| (p.code.clone(), p))
        .collect())
}

pub(super) fn links_by_listing(
    conn: &mut Conn,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<LinkRow>>, AppError> {
    let rows: Vec<LinkRow> = with_conn!(conn, |c| marketplace_links::table
        .filter(in_list(marketplace_links::listing_id, ids))
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

pub(super) fn certifications_by_listing(
    conn: &mut Conn,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<Certification>>, AppError> {
    let rows: Vec<(i64, String)> = with_conn!(conn, |c| listing_certifications::table
        .filter(in_list(listing_certifications::listing_id, ids))
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
pub(super) fn joined_by_ids(conn: &mut Conn, ids: &[i64]) -> Result<Vec<Joined>, AppError> {
    with_conn!(conn, |c| listings::table
        .inner_join(cooperatives::table.on(cooperatives::id.eq(listings::cooperative_id)))
        .inner_join(places::table.on(places::code.eq(listings::place_code)))
        .inner_join(categories::table.on(categories::code.eq(listings::category_code)))
        .filter(in_list(listings::id, ids))
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
/// Published ones come from their stored cards ([`cards`]).
pub fn views_by_ids(
    conn: &mut Conn,
    ids: &[i64],
    visibility: Visibility,
    media_base: &str,
) -> Result<Vec<ListingView>, AppError> {
    match visibility {
        Visibility::PublishedOnly => cards::published_views(conn, ids, media_base),
        Visibility::AnyStatus => live_views_by_ids(conn, ids, visibility, media_base),
    }
}

/// [`views_by_ids`] from the listing tables.
pub(super) fn live_views_by_ids(
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

// ---------------------------------------------------------------------------------------------

/// The listing's row, locked until the transaction ends (PostgreSQL `FOR UPDATE`; SQLite's
/// `BEGIN IMMEDIATE` already holds the one write lock), so a check made on it still holds when
/// the transaction writes. Call inside [`Conn::transaction`].
pub fn locked_row(conn: &mut Conn, id: i64) -> Result<Option<ListingRow>, AppError> {
    match conn {
        Conn::Postgres(c) => listings::table
            .find(id)
            .select(ListingRow::as_select())
            .for_update()
            .first(&mut **c)
            .optional()
            .map_err(AppError::from),
        Conn::Sqlite(_) => row(conn, id),
    }
}
