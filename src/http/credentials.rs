//! Who a request presents itself as: a bearer token or the session cookie, and the cookie itself.

use crate::accounts::{self, Auth};
use crate::config::Settings;
use crate::error::{AppError, Code};
use crate::store::Db;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::HttpRequest;

pub const SESSION_COOKIE: &str = "vungcao_session";

/// The secret a request carries, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// `Authorization: Bearer …` (API clients).
    Bearer(String),
    /// The session cookie (pages, and scripts on them).
    Cookie(String),
}

impl Presented {
    pub fn secret(&self) -> &str {
        match self {
            Presented::Bearer(s) | Presented::Cookie(s) => s,
        }
    }

    pub fn into_secret(self) -> String {
        match self {
            Presented::Bearer(s) | Presented::Cookie(s) => s,
        }
    }
}

/// The presented secret, if any: the `Authorization` header wins over the cookie.
pub fn presented_token(req: &HttpRequest) -> Option<Presented> {
    if let Some(value) = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or_default()
            .trim();
        return Some(Presented::Bearer(token.to_owned()));
    }
    req.cookie(SESSION_COOKIE)
        .map(|c| Presented::Cookie(c.value().to_owned()))
}

/// The account behind the request's token or cookie.
pub async fn authenticate(db: &Db, req: &HttpRequest) -> Result<Auth, AppError> {
    let Some(presented) = presented_token(req) else {
        return Err(AppError::new(Code::Unauthorized).with_detail("sign in or send a bearer token"));
    };
    let secret = presented.into_secret();
    accounts::screen_secret(&secret)?;
    db.run(move |conn| accounts::authenticate(conn, &secret))
        .await
}

/// The session cookie holding `secret`.
pub fn session_cookie(settings: &Settings, secret: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, secret)
        .path("/")
        .http_only(true)
        .secure(settings.secure_cookies())
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::days(accounts::SESSION_DAYS))
        .finish()
}

/// A cookie that removes the session cookie.
pub fn session_removal() -> Cookie<'static> {
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    gone
}

/// The client's address as the sign-in limiter counts it.
pub fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| format!("ip:{}", a.ip()))
        .unwrap_or_else(|| "ip:unknown".into())
}
