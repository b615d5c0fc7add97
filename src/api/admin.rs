//! The admin API: the commune/province digital team reviews listings and manages
//! cooperatives, accounts (disabling, enabling, resetting passwords) and places.

use super::extract::{Admin, JsonBody};
use super::member::MyListings;
use crate::accounts::{self, Account, NewAccount};
use crate::error::{AppError, Code};
use crate::http::etag::if_match_version;
use crate::review;
use crate::state::AppState;
use crate::store::catalogue::{self, Cooperative, NewCooperative, NewPlace};
use crate::store::listings::{self, ListingView};
use crate::store::users::Role;
use crate::store::Conn;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(review_queue)
        .service(approve)
        .service(reject)
        .service(create_cooperative)
        .service(update_cooperative)
        .service(create_user)
        .service(list_users)
        .service(disable_user)
        .service(enable_user)
        .service(reset_password)
        .service(create_place)
        .service(update_place)
        .service(reindex);
}

/// Listings waiting for review, oldest first: new listings (`status: pending`), then published
/// listings whose edit waits (`revision.changes`: each reviewed field before and after). Decide
/// on the `version` shown.
#[utoipa::path(tag = "admin", responses((status = 200, body = MyListings), (status = 403, body = crate::error::Problem)), security(("bearer" = [])))]
#[get("/api/v1/admin/review")]
pub async fn review_queue(
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, AppError> {
    let media_base = state.media_base.clone();
    let items = state
        .db
        .run(move |conn| review::queue(conn, &media_base))
        .await?;
    Ok(HttpResponse::Ok().json(MyListings { items }))
}

/// The version an admin reviewed: `If-Match` (the ETag) or the body's `version`; one is needed,
/// and where both are given they must agree.
fn reviewed_version(req: &HttpRequest, body: Option<i64>) -> Result<i64, AppError> {
    match (if_match_version(req)?, body) {
        (Some(a), Some(b)) if a != b => Err(AppError::new(Code::VersionMismatch)
            .with_detail("If-Match and version name different versions")),
        (Some(v), _) | (None, Some(v)) => Ok(v),
        (None, None) => Err(AppError::new(Code::VersionRequired)),
    }
}

/// Applies an admin's decision (a rule of `review`), deletes the media of photos it left
/// without a row, and answers with the listing.
async fn decide(
    state: &AppState,
    id: i64,
    decision: impl FnOnce(&mut Conn, i64) -> Result<review::Forgotten, AppError> + Send + 'static,
) -> Result<ListingView, AppError> {
    let media_base = state.media_base.clone();
    let (view, forgotten) = state
        .db
        .run(move |conn| {
            let forgotten = decision(conn, id)?;
            let mut view = [listings::view(conn, id, &media_base)?
                .ok_or_else(|| AppError::new(Code::ListingNotFound))?];
            review::attach_revisions(conn, &mut view, &media_base)?;
            let [view] = view;
            Ok((view, forgotten))
        })
        .await?;
    for key in forgotten {
        crate::photos::forget_objects(&state.db, &state.media, key).await;
    }
    Ok(view)
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The version reviewed (or send it as `If-Match`).
    pub version: Option<i64>,
}

/// Publishes a pending listing, or a published listing's pending revision, as it was at the
/// version reviewed.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "the ETag reviewed, e.g. \"v3\"")),
    request_body(content = Option<Approval>, description = "`{\"version\": 3}` unless If-Match is sent"),
    responses(
        (status = 200, body = ListingView),
        (status = 409, description = "invalid_transition", body = crate::error::Problem),
        (status = 412, description = "version_mismatch: it changed after you reviewed it", body = crate::error::Problem),
        (status = 428, description = "version_required", body = crate::error::Problem)
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/listings/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    req: HttpRequest,
    _admin: Admin,
    id: web::Path<i64>,
    body: Option<JsonBody<Approval>>,
) -> Result<HttpResponse, AppError> {
    let version = reviewed_version(&req, body.and_then(|b| b.0.version))?;
    let view = decide(&state, id.into_inner(), move |conn, id| {
        review::approve(conn, id, version)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// Shown to the member, e.g. "Ảnh bị mờ, vui lòng chụp lại".
    pub reason: String,
    /// The version reviewed (or send it as `If-Match`).
    pub version: Option<i64>,
}

/// Sends a pending listing back to draft, or turns down a published listing's revision (the
/// approved version stays public), with a reason the member sees.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header, description = "the ETag reviewed")),
    request_body = Rejection,
    responses(
        (status = 200, body = ListingView),
        (status = 409, description = "invalid_transition", body = crate::error::Problem),
        (status = 412, description = "version_mismatch", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
        (status = 428, description = "version_required", body = crate::error::Problem)
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/listings/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    req: HttpRequest,
    _admin: Admin,
    id: web::Path<i64>,
    body: JsonBody<Rejection>,
) -> Result<HttpResponse, AppError> {
    let Rejection { reason, version } = body.0;
    review::rejection_reason(&reason)?;
    let version = reviewed_version(&req, version)?;
    let view = decide(&state, id.into_inner(), move |conn, id| {
        review::reject(conn, id, version, &reason)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(
    tag = "admin",
    request_body = NewCooperative,
    responses((status = 201, body = Cooperative), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/cooperatives")]
pub async fn create_cooperative(
    state: web::Data<AppState>,
    _admin: Admin,
    body: JsonBody<NewCooperative>,
) -> Result<HttpResponse, AppError> {
    let new = body.0;
    let coop = state
        .db
        .run(move |conn| catalogue::save_cooperative(conn, &new, catalogue::OnExisting::Refuse))
        .await?;
    Ok(HttpResponse::Created().json(coop))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CooperativeChange {
    pub name: Option<String>,
    pub place: Option<String>,
    pub phone: Option<String>,
}

/// Renames or moves a cooperative; its published listings get fresh search entries.
#[utoipa::path(
    tag = "admin",
    params(("slug" = String, Path)),
    request_body = CooperativeChange,
    responses((status = 200, body = Cooperative), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []))
)]
#[patch("/api/v1/admin/cooperatives/{slug}")]
pub async fn update_cooperative(
    state: web::Data<AppState>,
    _admin: Admin,
    slug: web::Path<String>,
    body: JsonBody<CooperativeChange>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let change = body.0;
    let coop = state
        .db
        .run(move |conn| {
            let existing = catalogue::cooperative_by_slug(conn, &slug)?
                .ok_or_else(|| AppError::new(Code::CooperativeNotFound))?;
            let new = NewCooperative {
                slug: existing.slug,
                name: change.name.unwrap_or(existing.name),
                place: change.place.unwrap_or(existing.place_code),
                phone: change.phone.or(existing.phone),
            };
            catalogue::save_cooperative(conn, &new, catalogue::OnExisting::Update)
        })
        .await?;
    Ok(HttpResponse::Ok().json(coop))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    pub role: Role,
    /// The cooperative's slug, for members.
    pub cooperative: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedUser {
    pub id: i64,
    pub email: String,
    pub role: Role,
}

#[utoipa::path(
    tag = "admin",
    request_body = NewUser,
    responses((status = 201, body = CreatedUser), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    _admin: Admin,
    body: JsonBody<NewUser>,
) -> Result<HttpResponse, AppError> {
    let new = body.0;
    let user = state
        .db
        .run(move |conn| {
            accounts::create(
                conn,
                &NewAccount {
                    email: &new.email,
                    password: &new.password,
                    role: new.role,
                    cooperative_slug: new.cooperative.as_deref(),
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(CreatedUser {
        id: user.id,
        role: user.role(),
        email: user.email,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AccountList {
    pub items: Vec<Account>,
}

/// Every account with its state (`disabled_at`), by email.
#[utoipa::path(
    tag = "admin",
    responses((status = 200, body = AccountList), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []))
)]
#[get("/api/v1/admin/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, AppError> {
    let items = state.db.run(accounts::list).await?;
    Ok(HttpResponse::Ok().json(AccountList { items }))
}

/// Disables an account: sign-in is refused and every session and token of it stops working at
/// once. Disabling a disabled account changes nothing; an admin cannot disable themselves.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = Account),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "user_not_found", body = crate::error::Problem),
        (status = 409, description = "conflict: your own account", body = crate::error::Problem)
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/users/{id}/disable")]
pub async fn disable_user(
    state: web::Data<AppState>,
    Admin(admin): Admin,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, actor) = (id.into_inner(), admin.user.id);
    let account = state
        .db
        .run(move |conn| accounts::disable(conn, id, Some(actor)))
        .await?;
    Ok(HttpResponse::Ok().json(account))
}

/// Lets a disabled account sign in again (its old sessions and tokens stay revoked).
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = Account),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "user_not_found", body = crate::error::Problem)
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/users/{id}/enable")]
pub async fn enable_user(
    state: web::Data<AppState>,
    _admin: Admin,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let account = state.db.run(move |conn| accounts::enable(conn, id)).await?;
    Ok(HttpResponse::Ok().json(account))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// 8 to 200 characters.
    pub new_password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PasswordWasReset {
    /// How many sessions and tokens of the account stopped working.
    pub revoked: usize,
}

/// Sets a new password for an account; every session and token of it stops working.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path)),
    request_body = PasswordReset,
    responses(
        (status = 200, body = PasswordWasReset),
        (status = 400, description = "malformed_json", body = crate::error::Problem),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "user_not_found", body = crate::error::Problem),
        (status = 415, description = "unsupported_media_type", body = crate::error::Problem),
        (status = 422, description = "validation_failed: `new_password` breaks the rule", body = crate::error::Problem)
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/users/{id}/password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    _admin: Admin,
    id: web::Path<i64>,
    body: JsonBody<PasswordReset>,
) -> Result<HttpResponse, AppError> {
    let (id, new_password) = (id.into_inner(), body.0.new_password);
    let revoked = state
        .db
        .run(move |conn| accounts::reset_password(conn, id, &new_password))
        .await?;
    Ok(HttpResponse::Ok().json(PasswordWasReset { revoked }))
}

#[utoipa::path(
    tag = "admin",
    request_body = NewPlace,
    responses((status = 201), (status = 409, description = "conflict: this place exists", body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/places")]
pub async fn create_place(
    state: web::Data<AppState>,
    _admin: Admin,
    body: JsonBody<NewPlace>,
) -> Result<HttpResponse, AppError> {
    let new = body.0;
    let valid_code = !new.code.is_empty()
        && new.code.len() <= 40
        && new
            .code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !valid_code {
        return Err(AppError::field("code", "letters, digits and dashes only"));
    }
    if new.name.trim().is_empty() || new.name.chars().count() > 100 {
        return Err(AppError::field("name", "must be 1 to 100 characters"));
    }
    state
        .db
        .run(move |conn| {
            if catalogue::place(conn, &new.code)?.is_some() {
                return Err(AppError::conflict("code", "this place exists"));
            }
            catalogue::upsert_place(conn, &new)
        })
        .await?;
    Ok(HttpResponse::Created().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceChange {
    pub name: Option<String>,
    pub aliases: Option<Vec<String>>,
    /// Listings of cooperatives at or under this place are published without review.
    pub skip_review: Option<bool>,
}

/// Renames a place, changes its aliases or lets it skip review.
#[utoipa::path(
    tag = "admin",
    params(("code" = String, Path)),
    request_body = PlaceChange,
    responses((status = 200), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []))
)]
#[patch("/api/v1/admin/places/{code}")]
pub async fn update_place(
    state: web::Data<AppState>,
    _admin: Admin,
    code: web::Path<String>,
    body: JsonBody<PlaceChange>,
) -> Result<HttpResponse, AppError> {
    let code = code.into_inner();
    let change = body.0;
    if let Some(name) = &change.name {
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(AppError::field("name", "must be 1 to 100 characters"));
        }
    }
    let row = state
        .db
        .run(move |conn| {
            catalogue::update_place(
                conn,
                &code,
                change.name.as_deref().map(str::trim),
                change.aliases.as_deref(),
                change.skip_review,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "code": row.code, "name": row.name, "aliases": row.alias_list(), "skip_review": row.skip_review
    })))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Reindexed {
    pub documents: u64,
    pub seconds: f64,
}

/// Rebuilds the search index from the database and swaps it in (search keeps answering from
/// the old index meanwhile).
#[utoipa::path(tag = "admin", responses((status = 200, body = Reindexed)), security(("bearer" = [])))]
#[post("/api/v1/admin/reindex")]
pub async fn reindex(state: web::Data<AppState>, _admin: Admin) -> Result<HttpResponse, AppError> {
    let started = std::time::Instant::now();
    let documents = crate::indexer::reindex(
        &state.db,
        &state.search,
        |_, _| {},
        crate::search::Vocabulary::Rebuild,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Reindexed {
        documents,
        seconds: started.elapsed().as_secs_f64(),
    }))
}
