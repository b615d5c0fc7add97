//! The statistics API: a listing's views and marketplace clicks per day for its cooperative, and
//! the commune report for admins.

use super::extract::{Admin, Auth};
use crate::error::AppError;
use crate::state::AppState;
use crate::stats::listing::{self, ListingStats};
use crate::stats::report::{self, CommuneReport};
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(listing_stats).service(commune_report);
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// How many days back from today (Vietnam time), today included: 30 when left out.
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<u32>,
}

/// A listing's shoppers' page views and marketplace clicks per day (and per marketplace), with
/// totals, for its cooperative's members and for admins. Robots, link previews and HEAD requests
/// are not counted; nothing about viewers is stored.
#[utoipa::path(
    tag = "member",
    params(("id" = i64, Path), StatsQuery),
    responses(
        (status = 200, body = ListingStats),
        (status = 400, description = "invalid_query (days out of range)", body = crate::error::Problem),
        (status = 403, description = "another cooperative's published listing", body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/my/listings/{id}/stats")]
pub async fn listing_stats(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let days = query.days.unwrap_or(listing::PERIODS[0]);
    let stats = state
        .db
        .run(move |conn| listing::for_listing(conn, &auth, id, days))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(stats))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First month, `YYYY-MM` (default: 11 months before `to`).
    pub from: Option<String>,
    /// Last month, `YYYY-MM` (default: this month). At most 36 months in all.
    pub to: Option<String>,
}

/// Per commune (where cooperatives are registered) and month: cooperatives, active members
/// (signed in or used an API token that month), listings on the storefront at the month's end
/// (with photos, OCOP), shoppers' page views and marketplace clicks. Months are Vietnam time.
#[utoipa::path(
    tag = "admin",
    params(ReportQuery),
    responses(
        (status = 200, body = CommuneReport),
        (status = 400, description = "invalid_query (a month that is not YYYY-MM, from after to, more than 36 months)", body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/admin/stats/communes")]
pub async fn commune_report(
    state: web::Data<AppState>,
    _admin: Admin,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let (from, to) = report::range(query.from.as_deref(), query.to.as_deref())?;
    let found = state
        .db
        .run(move |conn| report::build(conn, from, to))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(found))
}
