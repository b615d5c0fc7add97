//! The search projection: documents for the index, published ids in order, sitemap entries.

use super::*;

/// Days since 1970-01-01, as the search index stores event days.
pub fn epoch_day(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}

/// Every day an event covers, from last year to three years ahead (yearly ones repeat).
pub(super) fn event_days(
    start: NaiveDate,
    end: NaiveDate,
    recurs: bool,
    today: NaiveDate,
) -> Vec<i32> {
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
    let chain = places_on_paths(conn, &rows)?;
    let today = chrono::Utc::now().date_naive();
    Ok(rows
        .into_iter()
        .map(|(l, coop, place, cat)| {
            // The place first, then its ancestors up to the province, as `place_path` is
            // documented (the stored path runs from the root): the place facet's roll-up
            // reads a chain in this order.
            let mut path = place.path_codes();
            path.reverse();
            let mut place_names = Vec::new();
            for code in &path {
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
