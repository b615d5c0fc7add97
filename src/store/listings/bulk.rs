//! Bulk writes: the synthetic catalogue loader (benchmarks) and the import's batches (matching
//! rows by slug or external id, inserting many at once).

use super::*;

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
pub(super) const BULK_ROWS: usize = 400;

/// Inserts published listings with their certifications and marketplace links in a few
/// multi-row INSERTs, in one transaction. Listings whose slug is taken are skipped (so loading
/// twice adds nothing). Nothing is enqueued for search: run a reindex afterwards (the festival
/// calendar's version moves on all the same).
/// Returns how many listings were inserted.
pub fn insert_published_batch(conn: &mut Conn, rows: &[BulkListing]) -> Result<usize, AppError> {
    conn.transaction(|conn| {
        let mut inserted = 0;
        let mut published = Vec::with_capacity(rows.len());
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
            published.extend(ids.values().copied());
            insert_children(
                conn,
                fresh.iter().filter_map(|r| {
                    ids.get(&r.slug)
                        .map(|&id| (id, r.certifications.as_slice(), r.links.as_slice()))
                }),
            )?;
            inserted += fresh.len();
        }
        // Nothing passes the outbox here (the search index is rebuilt after a bulk load), so the
        // stored views, the festival calendar and the storefront are told directly.
        cards::changed(conn, &published)?;
        if inserted > 0 && rows.iter().any(|r| r.kind == ListingKind::Event) {
            crate::store::calendar_version::bump(conn)?;
        } else if inserted > 0 {
            crate::store::storefront_version::bump(conn)?;
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
pub(super) fn insert_children<'a>(
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
