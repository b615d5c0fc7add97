//! A signed-in account's own security page: changing the password, listing and revoking API
//! tokens.

use crate::error::{AppError, Code};
use crate::http::credentials::client_address;
use crate::messages::Message;
use crate::state::AppState;
use crate::store::users::{self, TokenRow};
use crate::web::extract::{SignedForm, SignedIn};
use crate::web::forms::{Errors, Form};
use crate::web::i18n::Lang;
use crate::web::refusal::{refused, with_retry_after};
use crate::web::{html, see_other, view, Caching, Chrome};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;

pub const PAGE: &str = "/tai-khoan/bao-mat";

pub struct TokenLine {
    pub id: i64,
    pub label: String,
    pub created: String,
    pub expires: String,
    pub expired: bool,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    c: Chrome,
    csrf: String,
    flash: String,
    errors: Errors,
    tokens: Vec<TokenLine>,
}

/// A stored UTC time as the day it was in Vietnam (UTC+7).
pub fn local_day(lang: Lang, at: NaiveDateTime) -> String {
    view::date(lang, (at + chrono::Duration::hours(7)).date())
}

fn line_of(lang: Lang, t: TokenRow, now: NaiveDateTime) -> TokenLine {
    TokenLine {
        id: t.id,
        label: t.label.unwrap_or_default(),
        created: local_day(lang, t.created_at),
        expires: t.expires_at.map(|e| local_day(lang, e)).unwrap_or_default(),
        expired: t.expires_at.is_some_and(|e| e <= now),
        last_used: t.last_used_at.map_or_else(
            || lang.t().accounts.never.to_owned(),
            |u| local_day(lang, u),
        ),
    }
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    s: SignedIn,
    errors: Errors,
    status: StatusCode,
) -> HttpResponse {
    let lang = Lang::of(req);
    let texts = lang.t().accounts;
    let user_id = s.auth.user.id;
    let tokens = match state
        .db
        .run(move |conn| users::tokens_of(conn, user_id))
        .await
    {
        Ok(tokens) => tokens,
        Err(e) => return refused(req, s.nav, &e),
    };
    let now = crate::store::now();
    let flash = match Form::parse(req.query_string().as_bytes()).get("ok") {
        "password" => texts.password_changed,
        "revoked" => texts.revoked,
        _ => "",
    }
    .to_owned();
    let csrf = s.nav.csrf.clone();
    let mut c = Chrome::new(req, "").private(s.nav);
    c.title = format!("{} · Vùng Cao", texts.security);
    let page = SecurityPage {
        c,
        csrf,
        flash,
        errors,
        tokens: tokens
            .into_iter()
            .filter(|t| t.revoked_at.is_none())
            .map(|t| line_of(lang, t, now))
            .collect(),
    };
    html(req, &page, status, Caching::NoStore)
}

#[get("/tai-khoan/bao-mat")]
pub(super) async fn security_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: SignedIn,
) -> HttpResponse {
    render(&state, &req, s, Errors::default(), StatusCode::OK).await
}

#[post("/tai-khoan/mat-khau")]
pub(super) async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
) -> HttpResponse {
    let SignedForm { who: s, form } = signed;
    let lang = Lang::of(&req);
    let current = form.get("current_password").to_owned();
    let new = form.get("new_password").to_owned();
    if new != form.get("new_password_again") {
        let mut errors = Errors::default();
        errors.add(
            "new_password_again",
            lang.field_message(&Message::PasswordsDiffer),
        );
        return render(&state, &req, s, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let changed = crate::sign_in::change_own_password(
        &state.db,
        &state.login_limiter,
        &client_address(&req, state.settings.trusted_proxy_header.as_deref()),
        s.auth.clone(),
        current,
        new,
    )
    .await;
    match changed {
        Ok(_) => see_other(&format!("{PAGE}?ok=password")),
        Err(e) if !e.errors.is_empty() => {
            let errors = Errors::from_fields(lang, &e.errors, str::to_owned);
            render(&state, &req, s, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        // Too many wrong passwords: said next to the field, with how long to wait.
        Err(e) if e.code == Code::RateLimited => {
            let mut errors = Errors::default();
            let wait = match lang {
                Lang::Vi => e.detail_vi.clone(),
                Lang::En => e.detail.clone(),
            };
            errors.add("current_password", wait.unwrap_or_default());
            let mut page = render(&state, &req, s, errors, e.code.status()).await;
            with_retry_after(&mut page, &e);
            page
        }
        Err(e) => refused(&req, s.nav, &e),
    }
}

#[post("/tai-khoan/the-api/{id}/thu-hoi")]
pub(super) async fn revoke_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
    id: web::Path<i64>,
) -> HttpResponse {
    let s = signed.who;
    let (user_id, token_id) = (s.auth.user.id, id.into_inner());
    match state
        .db
        .run(move |conn| users::revoke(conn, user_id, token_id))
        .await
    {
        Ok(true) => see_other(&format!("{PAGE}?ok=revoked")),
        Ok(false) => refused(&req, s.nav, &AppError::new(Code::NotFound)),
        Err(e) => refused(&req, s.nav, &e),
    }
}
