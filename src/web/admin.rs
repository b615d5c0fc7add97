//! Admin pages: the review queue, cooperatives and their accounts.

use super::extract::{SignedForm, SignedIn, SignedInAdmin};
use super::forms::{Errors, Form};
use super::i18n::Lang;
use super::member::{row_of, Row};
use super::refusal::refused;
use super::shop::Choice;
use super::view;
use super::{html, see_other, Caching, Chrome};
use crate::accounts::{self, NewAccount};
use crate::domain::marketplace::Platform;
use crate::error::{AppError, Code};
use crate::messages::Message;
use crate::state::AppState;
use crate::store::catalogue::{self, NewCooperative};
use crate::store::users::Role;
use crate::store::{listings, Conn};
use crate::workflow;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(review_page)
        .service(approve)
        .service(reject)
        .service(cooperatives_page)
        .service(create_cooperative)
        .service(create_account);
}

pub struct ReviewItem {
    pub row: Row,
    pub cooperative: String,
    pub category: String,
    pub description: String,
    pub links: Vec<String>,
    pub error: String,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    c: Chrome,
    csrf: String,
    flash: String,
    items: Vec<ReviewItem>,
}

async fn render_review(
    state: &AppState,
    req: &HttpRequest,
    s: SignedIn,
    error_for: Option<(i64, String)>,
    status: StatusCode,
) -> HttpResponse {
    let lang = Lang::of(req);
    let media_base = state.media_base.clone();
    let queue = match state
        .db
        .run(move |conn| listings::review_queue(conn, &media_base))
        .await
    {
        Ok(q) => q,
        Err(e) => return refused(req, s.nav, &e),
    };
    let flash = match Form::parse(req.query_string().as_bytes()).get("ok") {
        "approved" => lang.t().approved,
        "rejected" => lang.t().rejected_done,
        _ => "",
    }
    .to_owned();
    let csrf = s.nav.csrf.clone();
    let mut c = Chrome::new(req, "").private(s.nav);
    c.title = format!("{} · Vùng Cao", c.t.review_queue);
    let items = queue
        .iter()
        .map(|l| ReviewItem {
            row: row_of(lang, l),
            cooperative: l.cooperative.name.clone(),
            category: view::localized(lang, &l.category.name),
            description: l.description.vi.clone(),
            links: l
                .marketplace_links
                .iter()
                .map(|link| {
                    let name = Platform::parse(&link.platform)
                        .map_or(link.platform.as_str(), |p| p.display_name());
                    format!("{name}: {}", link.url)
                })
                .collect(),
            error: error_for
                .as_ref()
                .filter(|(id, _)| *id == l.id)
                .map(|(_, e)| e.clone())
                .unwrap_or_default(),
        })
        .collect();
    html(
        req,
        &ReviewPage {
            c,
            csrf,
            flash,
            items,
        },
        status,
        Caching::NoStore,
    )
}

#[get("/quan-tri")]
async fn review_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedInAdmin(s): SignedInAdmin,
) -> HttpResponse {
    render_review(&state, &req, s, None, StatusCode::OK).await
}

/// Applies an admin's decision (a rule of `workflow`).
async fn decide(
    state: &AppState,
    id: i64,
    decision: impl FnOnce(&mut Conn, i64) -> Result<(), AppError> + Send + 'static,
) -> Result<(), AppError> {
    state.db.run(move |conn| decision(conn, id)).await
}

#[post("/quan-tri/duyet/{id}/dang")]
async fn approve(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm<SignedInAdmin>,
    id: web::Path<i64>,
) -> HttpResponse {
    let SignedInAdmin(s) = signed.who;
    match decide(&state, id.into_inner(), workflow::approve).await {
        Ok(()) => see_other("/quan-tri?ok=approved"),
        Err(e) => refused(&req, s.nav, &e),
    }
}

#[post("/quan-tri/duyet/{id}/tu-choi")]
async fn reject(
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
    let reason = match workflow::rejection_reason(form.get("reason")) {
        Ok(reason) => reason,
        Err(e) => {
            let lang = Lang::of(&req);
            let message = e
                .errors
                .first()
                .map(|f| lang.field_message(&f.key))
                .unwrap_or_default();
            return render_review(
                &state,
                &req,
                s,
                Some((id, message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match decide(&state, id, move |conn, id| {
        workflow::reject(conn, id, &reason)
    })
    .await
    {
        Ok(()) => see_other("/quan-tri?ok=rejected"),
        Err(e) => refused(&req, s.nav, &e),
    }
}

pub struct CoopRow {
    pub slug: String,
    pub name: String,
    pub place: String,
    pub phone: String,
}

#[derive(Template)]
#[template(path = "cooperatives.html")]
struct CooperativesPage {
    c: Chrome,
    csrf: String,
    flash: String,
    coops: Vec<CoopRow>,
    places: Vec<Choice>,
    coop_choices: Vec<Choice>,
    roles: Vec<Choice>,
    coop_form: [String; 4],
    account_form: [String; 1],
    coop_errors: Errors,
    account_errors: Errors,
}

#[derive(Default)]
struct AdminForms {
    coop: [String; 4],
    email: String,
    role: String,
    cooperative: String,
    coop_errors: Errors,
    account_errors: Errors,
}

async fn render_cooperatives(
    state: &AppState,
    req: &HttpRequest,
    s: SignedIn,
    forms: AdminForms,
    status: StatusCode,
) -> HttpResponse {
    let lang = Lang::of(req);
    let t = lang.t();
    let loaded = state
        .db
        .run(|conn| {
            Ok((
                catalogue::all_cooperatives(conn)?,
                catalogue::all_places(conn)?,
            ))
        })
        .await;
    let (coops, places) = match loaded {
        Ok(found) => found,
        Err(e) => return refused(req, s.nav, &e),
    };
    let flash = if Form::parse(req.query_string().as_bytes()).get("ok") == "created" {
        t.created.to_owned()
    } else {
        String::new()
    };
    let csrf = s.nav.csrf.clone();
    let mut c = Chrome::new(req, "").private(s.nav);
    c.title = format!("{} · Vùng Cao", t.cooperatives);
    let mut coop_choices = vec![Choice::new("", t.none, &forms.cooperative)];
    coop_choices.extend(
        coops
            .iter()
            .map(|co| Choice::new(co.slug.clone(), co.name.clone(), &forms.cooperative)),
    );
    let role = if forms.role.is_empty() {
        "member"
    } else {
        forms.role.as_str()
    };
    let page = CooperativesPage {
        csrf,
        flash,
        coops: coops
            .iter()
            .map(|co| CoopRow {
                slug: co.slug.clone(),
                name: co.name.clone(),
                place: places
                    .iter()
                    .find(|p| p.code == co.place_code)
                    .map_or(co.place_code.clone(), |p| p.name.clone()),
                phone: co.phone.clone().unwrap_or_default(),
            })
            .collect(),
        places: places
            .iter()
            .filter(|p| p.kind == "commune")
            .map(|p| Choice::new(p.code.clone(), p.name.clone(), &forms.coop[2]))
            .collect(),
        coop_choices,
        roles: vec![
            Choice::new("member", t.role_member, role),
            Choice::new("admin", t.role_admin, role),
        ],
        account_form: [forms.email],
        coop_form: forms.coop,
        coop_errors: forms.coop_errors,
        account_errors: forms.account_errors,
        c,
    };
    html(req, &page, status, Caching::NoStore)
}

#[get("/quan-tri/htx")]
async fn cooperatives_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedInAdmin(s): SignedInAdmin,
) -> HttpResponse {
    render_cooperatives(&state, &req, s, AdminForms::default(), StatusCode::OK).await
}

#[post("/quan-tri/htx")]
async fn create_cooperative(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm<SignedInAdmin>,
) -> HttpResponse {
    let SignedForm {
        who: SignedInAdmin(s),
        form,
    } = signed;
    let lang = Lang::of(&req);
    let phone = form.get("phone").trim().to_owned();
    let new = NewCooperative {
        slug: form.get("slug").trim().to_owned(),
        name: form.get("name").trim().to_owned(),
        place: form.get("place").trim().to_owned(),
        phone: (!phone.is_empty()).then_some(phone.clone()),
    };
    let values = [new.slug.clone(), new.name.clone(), new.place.clone(), phone];
    match state
        .db
        .run(move |conn| catalogue::save_cooperative(conn, &new, catalogue::OnExisting::Refuse))
        .await
    {
        Ok(_) => see_other("/quan-tri/htx?ok=created"),
        Err(e) if !e.errors.is_empty() => {
            let forms = AdminForms {
                coop: values,
                coop_errors: Errors::from_fields(lang, &e.errors, str::to_owned),
                ..AdminForms::default()
            };
            render_cooperatives(&state, &req, s, forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => refused(&req, s.nav, &e),
    }
}

#[post("/quan-tri/tai-khoan")]
async fn create_account(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm<SignedInAdmin>,
) -> HttpResponse {
    let SignedForm {
        who: SignedInAdmin(s),
        form,
    } = signed;
    let lang = Lang::of(&req);
    let email = form.get("email").trim().to_owned();
    let password = form.get("password").to_owned();
    let role = if form.get("role") == "admin" {
        Role::Admin
    } else {
        Role::Member
    };
    let cooperative = form.get("cooperative").trim().to_owned();
    let (e2, c2) = (email.clone(), cooperative.clone());
    let created = state
        .db
        .run(move |conn| {
            accounts::create(
                conn,
                &NewAccount {
                    email: &e2,
                    password: &password,
                    role,
                    cooperative_slug: (!c2.is_empty()).then_some(c2.as_str()),
                },
            )
        })
        .await;
    match created {
        Ok(_) => see_other("/quan-tri/htx?ok=created"),
        Err(e) if !e.errors.is_empty() || e.code == Code::Conflict => {
            let mut errors = Errors::from_fields(lang, &e.errors, str::to_owned);
            if e.code == Code::Conflict && e.errors.is_empty() {
                errors.add("email", lang.field_message(&Message::AlreadyExists));
            }
            let forms = AdminForms {
                email,
                role: role.as_str().to_owned(),
                cooperative,
                account_errors: errors,
                ..AdminForms::default()
            };
            render_cooperatives(&state, &req, s, forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => refused(&req, s.nav, &e),
    }
}
