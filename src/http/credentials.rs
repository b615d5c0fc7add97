//! Who a request presents itself as: a bearer token or the session cookie, and the cookie itself.

use crate::accounts::{self, Auth};
use crate::config::Settings;
use crate::error::{AppError, Code};
use crate::sign_in::limiter::address_key;
use crate::store::Db;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::HttpRequest;
use std::net::IpAddr;

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

/// Whether the request counts as a shopper's, for listing views and marketplace clicks: not a
/// `HEAD` (a link checker), not a robot or a link preview ([`crate::stats::is_bot`]).
pub fn is_shopper(req: &HttpRequest) -> bool {
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    !super::middleware::head::came_as_head(req) && !crate::stats::is_bot(user_agent)
}

/// The client's address as the sign-in limits count it. With `trusted_header` (the reverse
/// proxy's, e.g. `X-Forwarded-For`) the right-most address in it counts: the one the proxy
/// itself appended, which the client cannot forge (addresses to its left can be anything).
/// Without it, or when the header is missing or unreadable, the connection's address counts.
pub fn client_address(req: &HttpRequest, trusted_header: Option<&str>) -> String {
    let forwarded = trusted_header.and_then(|name| {
        let last_value = req.headers().get_all(name).last()?.to_str().ok()?;
        let last = last_value.rsplit(',').next()?.trim();
        parse_forwarded_ip(last)
    });
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .map_or_else(|| "ip:unknown".into(), address_key)
}

/// `192.0.2.1`, `2001:db8::1`, and the forms with a port (`192.0.2.1:4711`, `[2001:db8::1]:4711`).
fn parse_forwarded_ip(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_trusted_header_counts_only_when_configured_and_only_its_right_most_address() {
        let req = TestRequest::default()
            .peer_addr("127.0.0.1:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "203.0.113.9, 198.51.100.4"))
            .to_http_request();
        assert_eq!(client_address(&req, None), "ip:127.0.0.1");
        assert_eq!(
            client_address(&req, Some("X-Forwarded-For")),
            "ip:198.51.100.4"
        );
        let garbled = TestRequest::default()
            .insert_header(("X-Forwarded-For", "not-an-address"))
            .to_http_request();
        assert_eq!(
            client_address(&garbled, Some("x-forwarded-for")),
            "ip:unknown"
        );
        let with_port = TestRequest::default()
            .insert_header(("X-Real-Ip", "[2001:db8::1]:4711"))
            .to_http_request();
        assert_eq!(
            client_address(&with_port, Some("X-Real-Ip")),
            "ip:2001:db8:0:0::/64"
        );
    }
}
