//! Signing in (email and password, under the rate limit) and out.

use crate::error::{AppError, Code};
use crate::http::credentials::{
    authenticate, client_address, presented_token, session_cookie, session_removal,
};
use crate::sign_in::{self, verify_login};
use crate::state::AppState;
use crate::store::users;
use crate::web::extract::SignOutForm;
use crate::web::forms::Form;
use crate::web::i18n::Lang;
use crate::web::{csrf, html, see_other, Caching, Chrome};
use actix_web::cookie::Cookie;
use actix_web::http::header::RETRY_AFTER;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    csrf: String,
    email: String,
    next: String,
    error: String,
}

/// Only local paths, so the sign-in page cannot send anyone elsewhere.
fn safe_next(next: &str) -> Option<String> {
    crate::web::same_origin_path(next)
}

fn login_response(
    req: &HttpRequest,
    email: String,
    next: String,
    error: String,
    status: StatusCode,
) -> HttpResponse {
    let (token, cookie) = csrf::pre_session(req);
    let mut c = Chrome::new(req, "");
    c.title = format!("{} · Vùng Cao", c.t.sign_in);
    c.noindex = true;
    let page = LoginPage {
        c,
        csrf: token,
        email,
        next,
        error,
    };
    let mut res = html(req, &page, status, Caching::NoStore);
    if let Some(cookie) = cookie {
        let _ = res.add_cookie(&cookie);
    }
    res
}

#[get("/dang-nhap")]
pub(super) async fn login_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if authenticate(&state.db, &req).await.is_ok() {
        return see_other("/tai-khoan");
    }
    let next = Form::parse(req.query_string().as_bytes())
        .get("next")
        .to_owned();
    login_response(&req, String::new(), next, String::new(), StatusCode::OK)
}

#[post("/dang-nhap")]
pub(super) async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(&req);
    let form = Form::parse(&body);
    let email = form.get("email").trim().to_owned();
    let next = form.get("next").to_owned();
    if !csrf::check_pre_session(&req, form.get(csrf::FIELD)) {
        return Ok(login_response(
            &req,
            email,
            next,
            lang.t().form_expired.into(),
            StatusCode::FORBIDDEN,
        ));
    }
    let user = match verify_login(
        &state.db,
        &state.login_limiter,
        &client_address(&req, state.settings.trusted_proxy_header.as_deref()),
        &email,
        form.get("password"),
    )
    .await
    {
        Ok(user) => user,
        Err(e) if e.code == Code::Unauthorized => {
            return Ok(login_response(
                &req,
                email,
                next,
                lang.t().wrong_login.into(),
                StatusCode::UNAUTHORIZED,
            ))
        }
        Err(e) if e.code == Code::AccountDisabled => {
            return Ok(login_response(
                &req,
                email,
                next,
                lang.t().accounts.account_disabled.into(),
                StatusCode::FORBIDDEN,
            ))
        }
        Err(e) if matches!(e.code, Code::RateLimited | Code::SignInBusy) => {
            let wait = e.retry_after.unwrap_or(1);
            let message = if e.code == Code::RateLimited {
                lang.wait_before_signing_in(wait)
            } else {
                lang.t().sign_in_busy.into()
            };
            let mut res = login_response(&req, email, next, message, e.code.status());
            if let Ok(value) = wait.to_string().parse() {
                res.headers_mut().insert(RETRY_AFTER, value);
            }
            return Ok(res);
        }
        Err(e) => return Err(e),
    };
    let is_admin = user.role() == users::Role::Admin;
    let secret = sign_in::start_session(&state.db, user.id).await?;
    let to = safe_next(&next)
        .unwrap_or_else(|| if is_admin { "/quan-tri" } else { "/tai-khoan" }.to_owned());
    let mut used = Cookie::build(csrf::PRE_SESSION_COOKIE, "")
        .path("/")
        .finish();
    used.make_removal();
    let mut res = see_other(&to);
    let _ = res.add_cookie(&session_cookie(&state.settings, secret));
    let _ = res.add_cookie(&used);
    Ok(res)
}

#[post("/dang-xuat")]
pub(super) async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    _signed: SignOutForm,
) -> Result<HttpResponse, AppError> {
    let secret = presented_token(&req).map(|p| p.into_secret());
    sign_in::sign_out(&state.db, secret).await?;
    let mut res = see_other("/");
    let _ = res.add_cookie(&session_removal());
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/tai-khoan").as_deref(), Some("/tai-khoan"));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        // What a form decodes `next=/%09/evil.example` to: the browser drops the tab.
        assert_eq!(safe_next("/\t/evil.example"), None);
        assert_eq!(safe_next("/\n/evil.example"), None);
        assert_eq!(safe_next("/./\\evil.example"), None);
        assert_eq!(safe_next("/.//evil.example"), None);
        assert_eq!(
            safe_next("/a/../../tai-khoan").as_deref(),
            Some("/tai-khoan")
        );
        assert_eq!(
            safe_next("/tai-khoan/san-pham/3?tab=anh").as_deref(),
            Some("/tai-khoan/san-pham/3?tab=anh")
        );
    }
}
