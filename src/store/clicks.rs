//! Link-out clicks, counted per marketplace link per day (no personal data).

use super::schema::{link_clicks, listings, marketplace_links};
use super::Conn;
use crate::domain::listing::ListingStatus;
use crate::error::AppError;
use crate::with_conn;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

/// Where `/go/{id}` may send a shopper: the stored URL of a link on a published listing.
pub fn published_link_url(conn: &mut Conn, link_id: i64) -> Result<Option<String>, AppError> {
    with_conn!(conn, |c| marketplace_links::table
        .inner_join(listings::table)
        .filter(marketplace_links::id.eq(link_id))
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .select(marketplace_links::url)
        .first(c)
        .optional())
    .map_err(AppError::from)
}

pub fn count(conn: &mut Conn, link_id: i64, day: NaiveDate) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::insert_into(link_clicks::table)
        .values((
            link_clicks::link_id.eq(link_id),
            link_clicks::day.eq(day),
            link_clicks::clicks.eq(1i64),
        ))
        .on_conflict((link_clicks::link_id, link_clicks::day))
        .do_update()
        .set(link_clicks::clicks.eq(link_clicks::clicks + 1i64))
        .execute(c))?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClickRow {
    pub link_id: i64,
    pub listing_id: i64,
    pub platform: String,
    pub day: NaiveDate,
    pub clicks: i64,
}

/// Clicks on the cooperative's links from `since` on, per link and day.
pub fn for_cooperative(
    conn: &mut Conn,
    cooperative_id: i64,
    since: NaiveDate,
) -> Result<Vec<ClickRow>, AppError> {
    let rows: Vec<(i64, i64, String, NaiveDate, i64)> = with_conn!(conn, |c| link_clicks::table
        .inner_join(marketplace_links::table.inner_join(listings::table))
        .filter(listings::cooperative_id.eq(cooperative_id))
        .filter(link_clicks::day.ge(since))
        .order((link_clicks::day.asc(), link_clicks::link_id.asc()))
        .select((
            link_clicks::link_id,
            marketplace_links::listing_id,
            marketplace_links::platform,
            link_clicks::day,
            link_clicks::clicks,
        ))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(link_id, listing_id, platform, day, clicks)| ClickRow {
            link_id,
            listing_id,
            platform,
            day,
            clicks,
        })
        .collect())
}
