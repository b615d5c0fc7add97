//! The admins' account pages: every account with its state, disabling and enabling, and setting
//! a new password.

use super::extract::{SignedForm, SignedIn, SignedInAdmin};
use super::forms::Form;
use super::i18n::Lang;
use super::member::local_day;
use super::refusal::refused;
use super::{html, see_other, Caching, Chrome};
use crate::accounts::{self, Account};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::users::Role;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;

const PAGE: &str = "/quan-tri/tai-khoan";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(accounts_page)
        .service(disable)
        .service(enable)
        .service(reset_password);
}

pub struct AccountLine {
    pub id: i64,
    pub email: String,
    pub role: &'static str,
    pub cooperative: String,
    pub disabled_since: String,
    pub disabled: bool,
    pub is_me: bool,
    pub error: String,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    c: Chrome,
    csrf: String,
    flash: String,
    accounts: Vec<AccountLine>,
}

fn line_of(lang: Lang, a: Account, me: i64, error_for: &Option<(i64, String)>) -> AccountLine {
    let t = lang.t();
    AccountLine {
        id: a.id,
        role: match a.role {
            Role::Admin => t.role_admin,
            Role::Member => t.role_member,
        },
        cooperative: a.cooperative_name.unwrap_or_default(),
        disabled_since: a
            .disabled_at
            .map(|at| local_day(lang, at))
            .unwrap_or_default(),
        disabled: a.disabled_at.is_some(),
        is_me: a.id == me,
        error: error_for
            .as_ref()
            .filter(|(id, _)| *id == a.id)
            .map(|(_, e)| e.clone())
            .unwrap_or_default(),
        email: a.email,
    }
}

async fn render(
    state: &AppState,
    req: &HttpRequest,
    s: SignedIn,
    error_for: Option<(i64, String)>,
    status: StatusCode,
) -> HttpResponse {
    let lang = Lang::of(req);
    let texts = lang.t().accounts;
    let all = match state.db.run(accounts::list).await {
        Ok(all) => all,
        Err(e) => return refused(req, s.nav, &e),
    };
    let flash = match Form::parse(req.query_string().as_bytes()).get("ok") {
        "disabled" => texts.disabled_done,
        "enabled" => texts.enabled_done,
        "password" => texts.reset_done,
        _ => "",
    }
    .to_owned();
    let me = s.auth.user.id;
    let csrf = s.nav.csrf.clone();
    let mut c = Chrome::new(req, "").private(s.nav);
    c.title = format!("{} · Vùng Cao", texts.accounts);
    let page = AccountsPage {
        c,
        csrf,
        flash,
        accounts: all
            .into_iter()
            .map(|a| line_of(lang, a, me, &error_for))
            .collect(),
    };
    html(req, &page, status, Caching::NoStore)
}

#[get("/quan-tri/tai-khoan")]
async fn accounts_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedInAdmin(s): SignedInAdmin,
) -> HttpResponse {
    render(&state, &req, s, None, StatusCode::OK).await
}

/// A refusal that names a field (an admin's own account, a short password) is shown on the
/// account's line; anything else gets the refusal page.
async fn answer(
    state: &AppState,
    req: &HttpRequest,
    s: SignedIn,
    id: i64,
    done: Result<(), AppError>,
    ok: &str,
) -> HttpResponse {
    match done {
        Ok(()) => see_other(&format!("{PAGE}?ok={ok}#u{id}")),
        Err(e) if !e.errors.is_empty() => {
            let lang = Lang::of(req);
            let message = e
                .errors
                .first()
                .map(|f| lang.field_message(&f.key))
                .unwrap_or_default();
            let status = e.code.status();
            render(state, req, s, Some((id, message)), status).await
        }
        Err(e) => refused(req, s.nav, &e),
    }
}

#[post("/quan-tri/tai-khoan/{id}/khoa")]
async fn disable(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm<SignedInAdmin>,
    id: web::Path<i64>,
) -> HttpResponse {
    let SignedInAdmin(s) = signed.who;
    let (id, actor) = (id.into_inner(), s.auth.user.id);
    let done = state
        .db
        .run(move |conn| accounts::disable(conn, id, Some(actor)).map(drop))
        .await;
    answer(&state, &req, s, id, done, "disabled").await
}

#[post("/quan-tri/tai-khoan/{id}/mo-khoa")]
async fn enable(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm<SignedInAdmin>,
    id: web::Path<i64>,
) -> HttpResponse {
    let SignedInAdmin(s) = signed.who;
    let id = id.into_inner();
    let done = state
        .db
        .run(move |conn| accounts::enable(conn, id).map(drop))
        .await;
    answer(&state, &req, s, id, done, "enabled").await
}

#[post("/quan-tri/tai-khoan/{id}/mat-khau")]
async fn reset_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm<SignedInAdmin>,
    id: web::Path<i64>,
) -> HttpResponse {
    let SignedForm {
        who: SignedInAdmin(s),
        form,
    } = signed;
    let id = id.into_inner();
    let password = form.get("new_password").to_owned();
    let done = state
        .db
        .run(move |conn| accounts::reset_password(conn, id, &password).map(drop))
        .await;
    answer(&state, &req, s, id, done, "password").await
}
