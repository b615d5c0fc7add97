//! Signing in and out, changing one's password, and API tokens: a session cookie for the web,
//! bearer tokens for clients.

use super::extract::{Auth, JsonBody};
use crate::accounts;
use crate::error::{AppError, Code};
use crate::http::credentials::{client_address, presented_token, session_cookie, session_removal};
use crate::sign_in::{self, verify_login};
use crate::state::AppState;
use crate::store::catalogue;
use crate::store::users::{self, Role, TokenRow};
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login)
        .service(logout)
        .service(current_user)
        .service(create_token)
        .service(list_tokens)
        .service(revoke_token)
        .service(change_password);
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
    /// Ignored: name a token in `POST /api/v1/auth/tokens`.
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub email: String,
    pub password: String,
    /// A name to recognise the token by (80 characters are kept).
    #[serde(default)]
    pub label: Option<String>,
    /// How many days the token lasts: 1 to `VUNGCAO_TOKEN_DAYS_MAX` (365 unless configured);
    /// omitted, `VUNGCAO_TOKEN_DAYS_DEFAULT` (90).
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CooperativeBrief {
    pub slug: String,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub cooperative: Option<CooperativeBrief>,
}

async fn me_of(state: &AppState, user: users::UserRow) -> Result<Me, AppError> {
    let coop = match user.cooperative_id {
        Some(id) => {
            state
                .db
                .run(move |conn| catalogue::cooperative_by_id(conn, id))
                .await?
        }
        None => None,
    };
    Ok(Me {
        id: user.id,
        role: user.role(),
        email: user.email,
        cooperative: coop.map(|c| CooperativeBrief {
            slug: c.slug,
            name: c.name,
        }),
    })
}

/// Signs in with email and password and sets the session cookie (for the web).
#[utoipa::path(
    tag = "auth",
    request_body = Credentials,
    responses(
        (status = 200, body = Me),
        (status = 401, body = crate::error::Problem),
        (status = 403, description = "account_disabled (only after the right password)", body = crate::error::Problem),
        (status = 429, description = "rate_limited", body = crate::error::Problem)
    )
)]
#[post("/api/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<Credentials>,
) -> Result<HttpResponse, AppError> {
    let user = verify_login(
        &state.db,
        &state.login_limiter,
        &client_address(&req, state.settings.trusted_proxy_header.as_deref()),
        &body.0.email,
        &body.0.password,
    )
    .await?;
    let secret = sign_in::start_session(&state.db, user.id).await?;
    let account = me_of(&state, user).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&state.settings, secret))
        .json(account))
}

/// Ends the session (the cookie's, or revokes the bearer token used).
#[utoipa::path(tag = "auth", responses((status = 204)))]
#[post("/api/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let secret = presented_token(&req).map(|p| p.into_secret());
    sign_in::sign_out(&state.db, secret).await?;
    Ok(HttpResponse::NoContent().cookie(session_removal()).finish())
}

#[utoipa::path(tag = "auth", responses((status = 200, body = Me), (status = 401, body = crate::error::Problem)), security(("bearer" = [])))]
#[get("/api/v1/auth/me")]
pub async fn current_user(
    state: web::Data<AppState>,
    auth: Auth,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(me_of(&state, auth.user).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NewToken {
    /// The bearer token. It is shown only this once; only its hash is stored.
    pub token: String,
    pub info: TokenRow,
}

/// Issues an API bearer token for these credentials. It expires after `expires_in_days`.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 201, body = NewToken),
        (status = 400, description = "malformed_json", body = crate::error::Problem),
        (status = 401, body = crate::error::Problem),
        (status = 403, description = "account_disabled", body = crate::error::Problem),
        (status = 415, description = "unsupported_media_type", body = crate::error::Problem),
        (status = 422, description = "validation_failed: `expires_in_days` outside 1 to the maximum", body = crate::error::Problem),
        (status = 429, description = "rate_limited", body = crate::error::Problem)
    )
)]
#[post("/api/v1/auth/tokens")]
pub async fn create_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<TokenRequest>,
) -> Result<HttpResponse, AppError> {
    let expires_at = accounts::TokenTerms::of(&state.settings).expiry(body.0.expires_in_days)?;
    let user = verify_login(
        &state.db,
        &state.login_limiter,
        &client_address(&req, state.settings.trusted_proxy_header.as_deref()),
        &body.0.email,
        &body.0.password,
    )
    .await?;
    let label = body.0.label;
    let (token, info) = state
        .db
        .run(move |conn| accounts::issue_api_token(conn, user.id, label.as_deref(), expires_at))
        .await?;
    Ok(HttpResponse::Created().json(NewToken { token, info }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenRow>,
}

/// Your API tokens, oldest first, revoked and expired ones included.
#[utoipa::path(tag = "auth", responses((status = 200, body = TokenList), (status = 401, body = crate::error::Problem)), security(("bearer" = [])))]
#[get("/api/v1/auth/tokens")]
pub async fn list_tokens(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, AppError> {
    let user_id = auth.user.id;
    let items = state
        .db
        .run(move |conn| users::tokens_of(conn, user_id))
        .await?;
    Ok(HttpResponse::Ok().json(TokenList { items }))
}

/// Revokes one of your API tokens; it stops working at once.
#[utoipa::path(
    tag = "auth",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []))
)]
#[delete("/api/v1/auth/tokens/{id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (user_id, token_id) = (auth.user.id, id.into_inner());
    let found = state
        .db
        .run(move |conn| users::revoke(conn, user_id, token_id))
        .await?;
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AppError::new(Code::NotFound).with_detail("no such token"))
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// 8 to 200 characters.
    pub new_password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PasswordChanged {
    /// How many of your other sessions and tokens stopped working.
    pub revoked: usize,
}

/// Changes your password. Every other session and token of yours stops working; the session or
/// token sending this request stays signed in.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordChange,
    responses(
        (status = 200, body = PasswordChanged),
        (status = 400, description = "malformed_json", body = crate::error::Problem),
        (status = 401, body = crate::error::Problem),
        (status = 403, description = "a cookie-signed request without X-Requested-With", body = crate::error::Problem),
        (status = 415, description = "unsupported_media_type", body = crate::error::Problem),
        (status = 422, description = "validation_failed: `current_password` is wrong or `new_password` breaks the rule", body = crate::error::Problem),
        (status = 429, description = "rate_limited: too many wrong passwords for this account from this address (with Retry-After)", body = crate::error::Problem),
        (status = 503, description = "sign_in_busy: the password-checking pool is full (with Retry-After)", body = crate::error::Problem)
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    body: JsonBody<PasswordChange>,
) -> Result<HttpResponse, AppError> {
    let change = body.0;
    let revoked = sign_in::change_own_password(
        &state.db,
        &state.login_limiter,
        &client_address(&req, state.settings.trusted_proxy_header.as_deref()),
        auth,
        change.current_password,
        change.new_password,
    )
    .await?;
    Ok(HttpResponse::Ok().json(PasswordChanged { revoked }))
}
