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
use crate::review::{self, REVIEWED_FIELDS};
use crate::state::AppState;
use crate::store::catalogue::{self, NewCooperative};
use crate::store::users::Role;
use crate::store::Conn;
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
    /// The version shown: a decision names it, so a newer edit is never published unseen.
    pub version: i64,
    pub cooperative: String,
    pub category: String,
    pub description: String,
    pub links: Vec<String>,
    /// For a published listing's revision: each changed field, public now and proposed.
    pub changes: Vec<ChangeRow>,
    pub is_revision: bool,
    pub photos_changed: bool,
    pub proposed_photos: Vec<String>,
    pub error: String,
}

pub struct ChangeRow {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// A field's value as an admin reads it in the diff.
fn shown(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) if s.is_empty() => "—".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.is_empty() => "—".to_owned(),
        Value::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join("\n"),
        Value::Object(map) => {
            let text = |k: &str| map.get(k).map(shown);
            if let (Some(platform), Some(url)) = (map.get("platform"), text("url")) {
                let name = platform
                    .as_str()
                    .and_then(Platform::parse)
                    .map_or_else(|| shown(platform), |p| p.display_name().to_owned());
                format!("{name}: {url}")
            } else if let Some(vi) = text("vi") {
                match map.get("en").filter(|e| !e.is_null()) {
                    Some(en) => format!("{vi}\n({})", shown(en)),
                    None => vi,
                }
            } else if let (Some(start), Some(end)) = (text("start"), text("end")) {
                let yearly = map
                    .get("recurs_yearly")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false);
                format!("{start} → {end}{}", if yearly { " ↻" } else { "" })
            } else {
                map.iter()
                    .map(|(k, v)| format!("{k}: {}", shown(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
    }
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
        .run(move |conn| review::queue(conn, &media_base))
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
    let texts = lang.t().revisions;
    let items = queue
        .iter()
        .map(|l| ReviewItem {
            row: row_of(lang, l),
            version: l.version,
            changes: l
                .revision
                .iter()
                .flat_map(|r| r.changes.iter())
                .map(|ch| ChangeRow {
                    field: REVIEWED_FIELDS
                        .iter()
                        .position(|f| *f == ch.field)
                        .and_then(|i| texts.fields.get(i))
                        .map_or_else(|| ch.field.clone(), |s| (*s).to_owned()),
                    before: shown(&ch.before),
                    after: shown(&ch.after),
                })
                .collect(),
            is_revision: l.revision.is_some(),
            photos_changed: l.revision.as_ref().is_some_and(|r| r.photos_changed),
            proposed_photos: l
                .revision
                .iter()
                .flat_map(|r| r.photos.iter())
                .filter_map(|p| {
                    p.variants
                        .iter()
                        .min_by_key(|v| v.width)
                        .map(|v| v.url.clone())
                })
                .collect(),
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

/// Applies an admin's decision (a rule of `review`) and deletes the media it left unused.
async fn decide(
    state: &AppState,
    id: i64,
    decision: impl FnOnce(&mut Conn, i64) -> Result<review::Forgotten, AppError> + Send + 'static,
) -> Result<(), AppError> {
    let forgotten = state.db.run(move |conn| decision(conn, id)).await?;
    for key in forgotten {
        crate::photos::forget_objects(&state.db, &state.media, key).await;
    }
    Ok(())
}

/// The version the admin saw, from the form's hidden field.
fn form_version(form: &Form) -> Result<i64, AppError> {
    form.get("version")
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::new(Code::VersionRequired))
}

/// A refused decision: a stale version shows the queue again with the newest version and a
/// note on that listing (409); anything else is refused as usual.
async fn decision_refused(
    state: &AppState,
    req: &HttpRequest,
    s: SignedIn,
    id: i64,
    e: AppError,
) -> HttpResponse {
    if matches!(e.code, Code::VersionMismatch | Code::VersionRequired) {
        let message = Lang::of(req).t().revisions.stale.to_owned();
        return render_review(state, req, s, Some((id, message)), StatusCode::CONFLICT).await;
    }
    refused(req, s.nav, &e)
}

#[post("/quan-tri/duyet/{id}/dang")]
async fn approve(
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
    let result = match form_version(&form) {
        Ok(version) => {
            decide(&state, id, move |conn, id| {
                review::approve(conn, id, version)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => see_other("/quan-tri?ok=approved"),
        Err(e) => decision_refused(&state, &req, s, id, e).await,
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
    let reason = match review::rejection_reason(form.get("reason")) {
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
    let result = match form_version(&form) {
        Ok(version) => {
            decide(&state, id, move |conn, id| {
                review::reject(conn, id, version, &reason)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => see_other("/quan-tri?ok=rejected"),
        Err(e) => decision_refused(&state, &req, s, id, e).await,
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
