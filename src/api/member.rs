//! The member API: a cooperative member manages their own cooperative's listings.

use super::extract::{Auth, JsonBody};
use crate::domain::listing::ListingInput;
use crate::error::{AppError, Code};
use crate::http::etag::{if_match_version, version_tag};
use crate::state::AppState;
use crate::store::listings::{self, ListingView};
use crate::store::{clicks, Conn};
use crate::workflow::{self, member_cooperative, owned_listing};
use actix_web::http::header;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::Serialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_listing)
        .service(my_listings)
        .service(get_my_listing)
        .service(update_listing)
        .service(archive_listing)
        .service(submit_listing)
        .service(my_clicks);
}

/// The listing as its member sees it: the public version plus any revision waiting for review.
fn load_view(conn: &mut Conn, id: i64, media_base: &str) -> Result<ListingView, AppError> {
    let view = listings::view(conn, id, media_base)?
        .ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    let mut views = [view];
    crate::review::attach_revisions(conn, &mut views, media_base)?;
    let [view] = views;
    Ok(view)
}

/// 200 with the listing and its version as the ETag.
fn versioned(view: &ListingView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, version_tag(view.version)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view)
}

/// Creates a draft listing for the member's cooperative.
#[utoipa::path(
    tag = "member",
    request_body = ListingInput,
    responses(
        (status = 201, body = ListingView),
        (status = 401, body = crate::error::Problem),
        (status = 409, description = "conflict (slug taken)", body = crate::error::Problem),
        (status = 422, description = "validation_failed", body = crate::error::Problem)
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/my/listings")]
pub async fn create_listing(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<ListingInput>,
) -> Result<HttpResponse, AppError> {
    member_cooperative(&auth)?;
    let valid = body.0.validate().map_err(AppError::validation)?;
    let media_base = state.media_base.clone();
    let view = state
        .db
        .run(move |conn| {
            let id = workflow::create_draft(conn, &auth, valid)?;
            load_view(conn, id, &media_base)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/my/listings/{}", view.id)))
        .json(view))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MyListings {
    pub items: Vec<ListingView>,
}

/// The member's listings in every status, with rejection reasons.
#[utoipa::path(tag = "member", responses((status = 200, body = MyListings)), security(("bearer" = [])))]
#[get("/api/v1/my/listings")]
pub async fn my_listings(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, AppError> {
    let coop_id = member_cooperative(&auth)?;
    let media_base = state.media_base.clone();
    let items = state
        .db
        .run(move |conn| listings::for_cooperative(conn, coop_id, &media_base))
        .await?;
    Ok(HttpResponse::Ok().json(MyListings { items }))
}

#[utoipa::path(
    tag = "member",
    params(("id" = i64, Path)),
    responses((status = 200, body = ListingView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []))
)]
#[get("/api/v1/my/listings/{id}")]
pub async fn get_my_listing(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let media_base = state.media_base.clone();
    let view = state
        .db
        .run(move |conn| {
            owned_listing(conn, &auth, id)?;
            load_view(conn, id, &media_base)
        })
        .await?;
    Ok(versioned(&view))
}

/// Changes some fields; `null` clears an optional one. A draft changes at once. A published
/// listing stays published: price, unit and season months change at once, and where review is
/// needed the rest waits as a revision (`revision` in the answer) while shoppers keep seeing
/// the approved version. Send `If-Match` with the ETag you read to refuse overwriting a newer
/// change (412).
#[utoipa::path(
    tag = "member",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "the ETag read, e.g. \"v3\"")),
    request_body = ListingInput,
    responses(
        (status = 200, body = ListingView),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "invalid_transition (archived)", body = crate::error::Problem),
        (status = 412, description = "version_mismatch", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)
    ),
    security(("bearer" = []))
)]
#[patch("/api/v1/my/listings/{id}")]
pub async fn update_listing(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<i64>,
    body: JsonBody<ListingInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let expected = if_match_version(&req)?;
    let patch = body.0;
    let media_base = state.media_base.clone();
    let review_required = state.settings.review_required;
    let view = state
        .db
        .run(move |conn| {
            workflow::update(conn, &auth, id, expected, review_required, |stored| {
                stored.merge(patch).validate().map_err(AppError::validation)
            })?;
            load_view(conn, id, &media_base)
        })
        .await?;
    Ok(versioned(&view))
}

/// Archives the listing: it leaves the storefront and search, and can no longer be edited.
#[utoipa::path(
    tag = "member",
    params(("id" = i64, Path)),
    responses((status = 200, body = ListingView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 412, description = "version_mismatch", body = crate::error::Problem)),
    security(("bearer" = []))
)]
#[delete("/api/v1/my/listings/{id}")]
pub async fn archive_listing(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let expected = if_match_version(&req)?;
    let media_base = state.media_base.clone();
    let view = state
        .db
        .run(move |conn| {
            workflow::archive(conn, &auth, id, expected)?;
            load_view(conn, id, &media_base)
        })
        .await?;
    Ok(versioned(&view))
}

/// Sends a draft for review; it is published at once where review is not required.
#[utoipa::path(
    tag = "member",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = ListingView),
        (status = 409, description = "invalid_transition", body = crate::error::Problem),
        (status = 412, description = "version_mismatch", body = crate::error::Problem)
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/my/listings/{id}/submit")]
pub async fn submit_listing(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let expected = if_match_version(&req)?;
    let review_required = state.settings.review_required;
    let media_base = state.media_base.clone();
    let view = state
        .db
        .run(move |conn| {
            workflow::submit(conn, &auth, id, expected, review_required)?;
            load_view(conn, id, &media_base)
        })
        .await?;
    Ok(versioned(&view))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClickReport {
    pub since: chrono::NaiveDate,
    pub items: Vec<clicks::ClickRow>,
}

/// Clicks on the cooperative's marketplace links per link and day, the last 30 days in Vietnam
/// (clicks are counted per Vietnam day, UTC+7, so the window is cut on the same days).
#[utoipa::path(tag = "member", responses((status = 200, body = ClickReport)), security(("bearer" = [])))]
#[get("/api/v1/my/clicks")]
pub async fn my_clicks(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, AppError> {
    let coop_id = member_cooperative(&auth)?;
    let since = crate::stats::today() - chrono::Duration::days(29);
    let items = state
        .db
        .run(move |conn| clicks::for_cooperative(conn, coop_id, since))
        .await?;
    Ok(HttpResponse::Ok().json(ClickReport { since, items }))
}
