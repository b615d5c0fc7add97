//! Cross-site request forgery protection for every form POST.
//!
//! Signed in, the token is an HMAC-SHA256 keyed by the session secret (an HttpOnly cookie no
//! other site can read), so it is per session and needs no storage. Before signing in, the
//! sign-in form uses a double-submit cookie. Both are compared in constant time.

use crate::http::credentials::presented_token;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const FIELD: &str = "csrf";
pub const PRE_SESSION_COOKIE: &str = "vungcao_csrf";

/// The token forms carry for this session secret.
pub fn token_for(session_secret: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(session_secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(b"vungcao csrf v1");
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// The token for the session this request presents, if any.
pub fn session_token(req: &HttpRequest) -> Option<String> {
    presented_token(req).map(|p| token_for(p.secret()))
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether `sent` is this session's token.
pub fn check_session(req: &HttpRequest, sent: &str) -> bool {
    session_token(req).is_some_and(|expected| same(&expected, sent))
}

/// The pre-session token this browser holds, or a new one to set as a cookie.
pub fn pre_session(req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    match req.cookie(PRE_SESSION_COOKIE) {
        Some(c) if c.value().len() >= 32 => (c.value().to_owned(), None),
        _ => {
            let value = crate::auth::new_token();
            (value.clone(), Some(pre_session_cookie(req, value)))
        }
    }
}

fn pre_session_cookie(req: &HttpRequest, value: String) -> Cookie<'static> {
    let secure = req
        .app_data::<actix_web::web::Data<AppState>>()
        .is_some_and(|s| s.settings.secure_cookies());
    Cookie::build(PRE_SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}

pub fn check_pre_session(req: &HttpRequest, sent: &str) -> bool {
    req.cookie(PRE_SESSION_COOKIE)
        .is_some_and(|c| same(c.value(), sent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_per_session_and_compare_exactly() {
        let a = token_for("vc_session_a");
        assert_eq!(a, token_for("vc_session_a"));
        assert_ne!(a, token_for("vc_session_b"));
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, ""));
        assert!(!same("", ""));
    }
}
