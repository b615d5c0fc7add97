//! The numbers behind the statistics: listing views per day (written in batches), the views and
//! clicks of a listing or a cooperative, and what the commune report counts per commune.
//!
//! Nothing here knows who viewed or clicked: the tables hold counts per listing (or link) and day.

use super::schema::{
    cooperatives, link_clicks, listing_views, listings, marketplace_links, photos, places, tokens,
    users,
};
use super::Conn;
use crate::domain::listing::ListingStatus;
use crate::error::AppError;
use crate::store::users::Role;
use crate::with_conn;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{count, count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// Rows per INSERT: three binds each stays far below SQLite's limit of 32 766.
const ROWS_PER_STATEMENT: usize = 4000;

/// A photo waiting for review (`photos.review_state`) is not yet on the storefront.
const PHOTO_WAITING: &str = "added";

/// Adds counted views (listing, day, views) to the stored ones: one upsert statement (per 4000
/// rows, more than a flush ever holds in practice).
pub fn add_views(conn: &mut Conn, counts: &[(i64, NaiveDate, i64)]) -> Result<(), AppError> {
    use diesel::upsert::excluded;
    for chunk in counts.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(id, day, views)| {
                (
                    listing_views::listing_id.eq(*id),
                    listing_views::day.eq(*day),
                    listing_views::views.eq(*views),
                )
            })
            .collect();
        with_conn!(conn, |c| diesel::insert_into(listing_views::table)
            .values(&rows)
            .on_conflict((listing_views::listing_id, listing_views::day))
            .do_update()
            .set(listing_views::views.eq(listing_views::views + excluded(listing_views::views)))
            .execute(c))?;
    }
    Ok(())
}

/// Views of one listing per day from `since` on.
pub fn listing_views(
    conn: &mut Conn,
    listing_id: i64,
    since: NaiveDate,
) -> Result<Vec<(NaiveDate, i64)>, AppError> {
    with_conn!(conn, |c| listing_views::table
        .filter(listing_views::listing_id.eq(listing_id))
        .filter(listing_views::day.ge(since))
        .order(listing_views::day.asc())
        .select((listing_views::day, listing_views::views))
        .load(c))
    .map_err(AppError::from)
}

/// Clicks on one listing's links from `since` on: (platform, day, clicks), per link and day.
pub fn listing_clicks(
    conn: &mut Conn,
    listing_id: i64,
    since: NaiveDate,
) -> Result<Vec<(String, NaiveDate, i64)>, AppError> {
    with_conn!(conn, |c| link_clicks::table
        .inner_join(marketplace_links::table)
        .filter(marketplace_links::listing_id.eq(listing_id))
        .filter(link_clicks::day.ge(since))
        .order((link_clicks::day.asc(), marketplace_links::position.asc()))
        .select((
            marketplace_links::platform,
            link_clicks::day,
            link_clicks::clicks,
        ))
        .load(c))
    .map_err(AppError::from)
}

/// Views of every listing of a cooperative from `since` on: (listing, day, views).
pub fn cooperative_views(
    conn: &mut Conn,
    cooperative_id: i64,
    since: NaiveDate,
) -> Result<Vec<(i64, NaiveDate, i64)>, AppError> {
    with_conn!(conn, |c| listing_views::table
        .inner_join(listings::table)
        .filter(listings::cooperative_id.eq(cooperative_id))
        .filter(listing_views::day.ge(since))
        .select((
            listing_views::listing_id,
            listing_views::day,
            listing_views::views,
        ))
        .load(c))
    .map_err(AppError::from)
}

/// Every cooperative's home place and when it was registered.
pub fn cooperative_places(conn: &mut Conn) -> Result<Vec<(String, NaiveDateTime)>, AppError> {
    with_conn!(conn, |c| cooperatives::table
        .select((cooperatives::place_code, cooperatives::created_at))
        .load(c))
    .map_err(AppError::from)
}

/// The names of places, by code.
pub fn place_names(conn: &mut Conn, codes: &[String]) -> Result<Vec<(String, String)>, AppError> {
    with_conn!(conn, |c| places::table
        .filter(places::code.eq_any(codes))
        .select((places::code, places::name))
        .load(c))
    .map_err(AppError::from)
}

/// Signs of members at work in `[from, until)`: (their cooperative's place, the account, when):
/// a session or API token opened (signing in), and an API token presented (its `last_used_at`).
pub fn member_activity(
    conn: &mut Conn,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<Vec<(String, i64, NaiveDateTime)>, AppError> {
    let member = Role::Member.as_str();
    let mut opened: Vec<(String, i64, NaiveDateTime)> = with_conn!(conn, |c| tokens::table
        .inner_join(users::table.inner_join(cooperatives::table))
        .filter(users::role.eq(member))
        .filter(tokens::created_at.ge(from))
        .filter(tokens::created_at.lt(until))
        .select((cooperatives::place_code, users::id, tokens::created_at))
        .load(c))?;
    let used: Vec<(String, i64, Option<NaiveDateTime>)> = with_conn!(conn, |c| tokens::table
        .inner_join(users::table.inner_join(cooperatives::table))
        .filter(users::role.eq(member))
        .filter(tokens::last_used_at.ge(from))
        .filter(tokens::last_used_at.lt(until))
        .select((cooperatives::place_code, users::id, tokens::last_used_at))
        .load(c))?;
    opened.extend(
        used.into_iter()
            .filter_map(|(place, user, at)| at.map(|at| (place, user, at))),
    );
    Ok(opened)
}

/// What the storefront showed at `at`, per cooperative place: listings published by then (and
/// still published, or archived only later), how many of them are OCOP products, and how many had
/// a public photo by then. Archiving is the last change an archived listing gets, so its
/// `updated_at` says when it left the storefront.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShowCounts {
    pub listings: i64,
    pub ocop: i64,
    pub with_photos: i64,
}

pub fn listings_shown_at(
    conn: &mut Conn,
    at: NaiveDateTime,
) -> Result<Vec<(String, ShowCounts)>, AppError> {
    let published = ListingStatus::Published.as_str();
    let archived = ListingStatus::Archived.as_str();
    let counted: Vec<(String, i64, i64)> = with_conn!(conn, |c| listings::table
        .inner_join(cooperatives::table)
        .filter(listings::published_at.lt(at))
        .filter(
            listings::status.eq(published).or(listings::status
                .eq(archived)
                .and(listings::updated_at.ge(at))),
        )
        .group_by(cooperatives::place_code)
        .select((
            cooperatives::place_code,
            count_star(),
            count(listings::ocop_stars),
        ))
        .load(c))?;
    let with_photos: Vec<(String, i64)> = with_conn!(conn, |c| listings::table
        .inner_join(cooperatives::table)
        .filter(listings::published_at.lt(at))
        .filter(
            listings::status.eq(published).or(listings::status
                .eq(archived)
                .and(listings::updated_at.ge(at))),
        )
        .filter(
            listings::id.eq_any(
                photos::table
                    .filter(photos::review_state.ne(PHOTO_WAITING))
                    .filter(photos::created_at.lt(at))
                    .select(photos::listing_id),
            ),
        )
        .group_by(cooperatives::place_code)
        .select((cooperatives::place_code, count_star()))
        .load(c))?;
    Ok(counted
        .into_iter()
        .map(|(place, listings, ocop)| {
            let with_photos = with_photos
                .iter()
                .find(|(p, _)| *p == place)
                .map_or(0, |(_, n)| *n);
            (
                place,
                ShowCounts {
                    listings,
                    ocop,
                    with_photos,
                },
            )
        })
        .collect())
}

/// Listing views per cooperative place and day in `[from, to]`.
pub fn views_per_place(
    conn: &mut Conn,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, NaiveDate, i64)>, AppError> {
    with_conn!(conn, |c| listing_views::table
        .inner_join(listings::table.inner_join(cooperatives::table))
        .filter(listing_views::day.ge(from))
        .filter(listing_views::day.le(to))
        .group_by((cooperatives::place_code, listing_views::day))
        .select((
            cooperatives::place_code,
            listing_views::day,
            sql::<BigInt>("CAST(SUM(listing_views.views) AS BIGINT)"),
        ))
        .load(c))
    .map_err(AppError::from)
}

/// Marketplace clicks per cooperative place and day in `[from, to]`.
pub fn clicks_per_place(
    conn: &mut Conn,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, NaiveDate, i64)>, AppError> {
    with_conn!(conn, |c| link_clicks::table
        .inner_join(
            marketplace_links::table.inner_join(listings::table.inner_join(cooperatives::table)),
        )
        .filter(link_clicks::day.ge(from))
        .filter(link_clicks::day.le(to))
        .group_by((cooperatives::place_code, link_clicks::day))
        .select((
            cooperatives::place_code,
            link_clicks::day,
            sql::<BigInt>("CAST(SUM(link_clicks.clicks) AS BIGINT)"),
        ))
        .load(c))
    .map_err(AppError::from)
}
