//! Signing in and out, and API tokens: a session cookie for the web, bearer tokens for clients.

use super::extract::{presented_token, Auth, JsonBody, SESSION_COOKIE};
use crate::accounts;
use crate::error::{AppError, Code};
use crate::startup::AppState;
use crate::store::catalogue;
use crate::store::users::{self, Role, TokenRow};
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login)
        .service(logout)
        .service(current_user)
        .service(create_token)
        .service(list_tokens)
        .service(revoke_token);
}

/// Failed sign-ins per account and per address; past the limit, wait for the window to pass.
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    window: Duration,
}

impl Default for LoginLimiter {
    fn default() -> LoginLimiter {
        LoginLimiter {
            failures: Mutex::new(HashMap::new()),
            window: Duration::from_secs(15 * 60),
        }
    }
}

const MAX_FAILURES_PER_ACCOUNT: u32 = 5;
const MAX_FAILURES_PER_ADDRESS: u32 = 20;

impl LoginLimiter {
    /// Seconds to wait if either key is over its limit.
    pub fn blocked(&self, account: &str, address: &str) -> Option<u64> {
        let mut map = self.failures.lock().ok()?;
        let now = Instant::now();
        map.retain(|_, (_, since)| now.duration_since(*since) < self.window);
        [
            (account, MAX_FAILURES_PER_ACCOUNT),
            (address, MAX_FAILURES_PER_ADDRESS),
        ]
        .iter()
        .filter_map(|(key, max)| {
            map.get(*key).filter(|(n, _)| n >= max).map(|(_, since)| {
                self.window
                    .saturating_sub(now.duration_since(*since))
                    .as_secs()
                    .max(1)
            })
        })
        .max()
    }

    pub fn failed(&self, account: &str, address: &str) {
        if let Ok(mut map) = self.failures.lock() {
            for key in [account, address] {
                let entry = map.entry(key.to_owned()).or_insert((0, Instant::now()));
                entry.0 += 1;
            }
        }
    }

    pub fn succeeded(&self, account: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(account);
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
    /// For `POST /api/v1/auth/tokens`: a name to recognise the token by.
    #[serde(default)]
    pub label: Option<String>,
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

fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| format!("ip:{}", a.ip()))
        .unwrap_or_else(|| "ip:unknown".into())
}

/// Checks credentials under the rate limit; used by the API and the sign-in page.
pub async fn verify_login(
    state: &AppState,
    req: &HttpRequest,
    email: &str,
    password: &str,
) -> Result<users::UserRow, AppError> {
    let account = format!("account:{}", email.trim().to_lowercase());
    let address = client_address(req);
    if let Some(wait) = state.login_limiter.blocked(&account, &address) {
        return Err(AppError::new(Code::RateLimited).with_detail(format!(
            "too many failed sign-ins; try again in {} minutes",
            wait.div_ceil(60)
        )));
    }
    let (email, password) = (email.to_owned(), password.to_owned());
    let result = state
        .db
        .run(move |conn| accounts::check_password(conn, &email, &password))
        .await;
    match &result {
        Ok(_) => state.login_limiter.succeeded(&account),
        Err(e) if e.code == Code::Unauthorized => state.login_limiter.failed(&account, &address),
        Err(_) => {}
    }
    result
}

pub fn session_cookie(state: &AppState, secret: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, secret)
        .path("/")
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::days(accounts::SESSION_DAYS))
        .finish()
}

/// Signs in with email and password and sets the session cookie (for the web).
#[utoipa::path(
    tag = "auth",
    request_body = Credentials,
    responses(
        (status = 200, body = Me),
        (status = 401, body = crate::error::Problem),
        (status = 429, description = "rate_limited", body = crate::error::Problem)
    )
)]
#[post("/api/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<Credentials>,
) -> Result<HttpResponse, AppError> {
    let user = verify_login(&state, &req, &body.0.email, &body.0.password).await?;
    let user_id = user.id;
    let secret = state
        .db
        .run(move |conn| accounts::issue_session(conn, user_id))
        .await?;
    let account = me_of(&state, user).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&state, secret))
        .json(account))
}

/// Ends the session (the cookie's, or revokes the bearer token used).
#[utoipa::path(tag = "auth", responses((status = 204)))]
#[post("/api/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    if let Some((token, _)) = presented_token(&req) {
        let hash = crate::auth::token_hash(&token);
        state
            .db
            .run(move |conn| users::revoke_by_hash(conn, &hash))
            .await?;
    }
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
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

/// Issues an API bearer token for these credentials.
#[utoipa::path(
    tag = "auth",
    request_body = Credentials,
    responses((status = 201, body = NewToken), (status = 401, body = crate::error::Problem))
)]
#[post("/api/v1/auth/tokens")]
pub async fn create_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<Credentials>,
) -> Result<HttpResponse, AppError> {
    let user = verify_login(&state, &req, &body.0.email, &body.0.password).await?;
    let label: Option<String> = body.0.label.map(|l| l.chars().take(80).collect());
    let (token, info) = state
        .db
        .run(move |conn| accounts::issue_token(conn, user.id, "api", label.as_deref(), None))
        .await?;
    Ok(HttpResponse::Created().json(NewToken { token, info }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenRow>,
}

#[utoipa::path(tag = "auth", responses((status = 200, body = TokenList)), security(("bearer" = [])))]
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
    responses((status = 204), (status = 404, body = crate::error::Problem)),
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
