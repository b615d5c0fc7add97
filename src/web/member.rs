//! Cooperative member pages: sign in and out, my listings, the listing form, photos, clicks.

use super::extract::{SignOutForm, SignedForm, SignedIn, SignedUpload};
use super::forms::{listing_field, Errors, Form};
use super::i18n::Lang;
use super::refusal::refused;
use super::shop::Choice;
use super::view::{self, Picture};
use super::{csrf, html, see_other, AccountNav, Caching, Chrome};
use crate::accounts::Auth;
use crate::domain::listing::{
    EventDatesInput, LinkInput, ListingInput, ListingKind, ListingStatus, Localized,
};
use crate::domain::marketplace::Platform;
use crate::error::{AppError, Code, FieldError};
use crate::http::credentials::{
    authenticate, client_address, presented_token, session_cookie, session_removal,
};
use crate::messages::Message;
use crate::sign_in::{self, verify_login};
use crate::state::AppState;
use crate::store::listings::{self, ListingView};
use crate::store::{catalogue, clicks, users};
use crate::workflow::{self, owned_listing};
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use std::collections::BTreeMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login_page)
        .service(login)
        .service(logout)
        .service(my_listings)
        .service(new_listing_page)
        .service(create_listing)
        .service(edit_listing_page)
        .service(update_listing)
        .service(submit_listing)
        .service(archive_listing)
        .service(upload_photos)
        .service(move_photo_up)
        .service(delete_photo);
}

// ---------------------------------------------------------------------------------------------
// Signing in and out
// ---------------------------------------------------------------------------------------------

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
    super::same_origin_path(next)
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
async fn login_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if authenticate(&state.db, &req).await.is_ok() {
        return see_other("/tai-khoan");
    }
    let next = Form::parse(req.query_string().as_bytes())
        .get("next")
        .to_owned();
    login_response(&req, String::new(), next, String::new(), StatusCode::OK)
}

#[post("/dang-nhap")]
async fn login(
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
        &client_address(&req),
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
        Err(e) if e.code == Code::RateLimited => {
            let minutes: u64 = e
                .detail
                .unwrap_or_default()
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(15);
            return Ok(login_response(
                &req,
                email,
                next,
                lang.wait_minutes(minutes),
                StatusCode::TOO_MANY_REQUESTS,
            ));
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
async fn logout(
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

// ---------------------------------------------------------------------------------------------
// My listings and clicks
// ---------------------------------------------------------------------------------------------

pub struct Row {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub status_class: &'static str,
    pub rejection: String,
    pub price: String,
    pub public_url: String,
    pub picture: Option<Picture>,
}

pub struct ClickBar {
    pub listing: String,
    pub label: String,
    pub clicks: i64,
    pub percent: i64,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    flash: String,
    rows: Vec<Row>,
    bars: Vec<ClickBar>,
}

fn flash(lang: Lang, req: &HttpRequest) -> String {
    let t = lang.t();
    match Form::parse(req.query_string().as_bytes()).get("ok") {
        "saved" => t.saved,
        "submitted" => t.submitted,
        "published" => t.published_now,
        "archived" => t.archived_done,
        "approved" => t.approved,
        "rejected" => t.rejected_done,
        "created" => t.created,
        _ => "",
    }
    .to_owned()
}

fn status_class(s: ListingStatus) -> &'static str {
    match s {
        ListingStatus::Draft => "draft",
        ListingStatus::Pending => "pending",
        ListingStatus::Published => "published",
        ListingStatus::Archived => "archived",
    }
}

pub fn row_of(lang: Lang, l: &ListingView) -> Row {
    Row {
        id: l.id,
        name: l.name.vi.clone(),
        status: lang.status(l.status).to_owned(),
        status_class: status_class(l.status),
        rejection: l.rejection_reason.clone().unwrap_or_default(),
        price: view::price_text(l),
        public_url: if l.status == ListingStatus::Published {
            view::listing_path(l.kind, &l.slug)
        } else {
            String::new()
        },
        picture: l.photos.first().and_then(Picture::of),
    }
}

#[get("/tai-khoan")]
async fn my_listings(state: web::Data<AppState>, req: HttpRequest, s: SignedIn) -> HttpResponse {
    let Some(coop_id) = s.auth.user.cooperative_id else {
        return see_other("/quan-tri");
    };
    let lang = Lang::of(&req);
    let since = chrono::Utc::now().date_naive() - chrono::Duration::days(29);
    let media_base = state.media_base.clone();
    let found = state
        .db
        .run(move |conn| {
            Ok((
                listings::for_cooperative(conn, coop_id, &media_base)?,
                clicks::for_cooperative(conn, coop_id, since)?,
            ))
        })
        .await;
    let (items, click_rows) = match found {
        Ok(found) => found,
        Err(e) => return refused(&req, s.nav, &e),
    };
    let mut per_link: BTreeMap<i64, (i64, String, i64)> = BTreeMap::new();
    for r in &click_rows {
        let entry = per_link
            .entry(r.link_id)
            .or_insert((r.listing_id, r.platform.clone(), 0));
        entry.2 += r.clicks;
    }
    let max = per_link.values().map(|v| v.2).max().unwrap_or(1).max(1);
    let mut bars: Vec<ClickBar> = per_link
        .values()
        .map(|(listing_id, platform, n)| ClickBar {
            listing: items
                .iter()
                .find(|l| l.id == *listing_id)
                .map(|l| l.name.vi.clone())
                .unwrap_or_default(),
            label: Platform::parse(platform)
                .map(|p| p.display_name().to_owned())
                .unwrap_or_else(|| platform.clone()),
            clicks: *n,
            percent: (n * 100 / max).max(2),
        })
        .collect();
    bars.sort_by_key(|b| std::cmp::Reverse(b.clicks));
    let mut c = Chrome::new(&req, "").private(s.nav);
    c.title = format!("{} · Vùng Cao", c.t.my_listings);
    let page = AccountPage {
        flash: flash(lang, &req),
        rows: items.iter().map(|l| row_of(lang, l)).collect(),
        bars,
        c,
    };
    html(&req, &page, StatusCode::OK, Caching::NoStore)
}

// ---------------------------------------------------------------------------------------------
// The listing form
// ---------------------------------------------------------------------------------------------

/// The form's values as typed, so a refused form comes back exactly as sent.
#[derive(Debug, Clone, Default)]
struct Fields {
    kind: String,
    name: String,
    category: String,
    price: String,
    unit: String,
    months: Vec<u8>,
    description: String,
    /// (platform code, URL); only filled rows.
    links: Vec<(String, String)>,
    event_start: String,
    event_end: String,
    recurs: bool,
}

impl Fields {
    fn from_form(f: &Form) -> Fields {
        let platforms = f.all("platform");
        let urls = f.all("url");
        Fields {
            kind: f.get("kind").to_owned(),
            name: f.get("name").to_owned(),
            category: f.get("category").to_owned(),
            price: f.get("price").trim().to_owned(),
            unit: f.get("unit").to_owned(),
            months: f
                .all("month")
                .iter()
                .filter_map(|m| m.parse().ok())
                .collect(),
            description: f.get("description").to_owned(),
            links: platforms
                .iter()
                .zip(urls.iter())
                .filter(|(_, u)| !u.trim().is_empty())
                .map(|(p, u)| ((*p).to_owned(), u.trim().to_owned()))
                .collect(),
            event_start: f.get("event_start").to_owned(),
            event_end: f.get("event_end").to_owned(),
            recurs: f.has("recurs"),
        }
    }

    fn from_input(i: &ListingInput) -> Fields {
        let event = i.event.clone().flatten();
        Fields {
            kind: i.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
            name: i.name.as_ref().map(|n| n.vi.clone()).unwrap_or_default(),
            category: i.category.clone().unwrap_or_default(),
            price: i
                .price_vnd
                .flatten()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            unit: i.unit.clone().flatten().unwrap_or_default(),
            months: i.season_months.clone().unwrap_or_default(),
            description: i
                .description
                .as_ref()
                .map(|d| d.vi.clone())
                .unwrap_or_default(),
            links: i
                .marketplace_links
                .iter()
                .flatten()
                .map(|l| (l.platform.code().to_owned(), l.url.clone()))
                .collect(),
            event_start: event
                .as_ref()
                .map(|e| e.start.to_string())
                .unwrap_or_default(),
            event_end: event
                .as_ref()
                .map(|e| e.end.to_string())
                .unwrap_or_default(),
            recurs: event.is_some_and(|e| e.recurs_yearly),
        }
    }

    /// The input the API would receive, laid over `stored` (what the form does not show is kept),
    /// and the errors only the form can make (a price that is not a number, a bad date).
    fn to_input(&self, stored: Option<ListingInput>) -> (ListingInput, Vec<FieldError>) {
        let mut errors = Vec::new();
        let stored = stored.unwrap_or_default();
        let english = |l: &Option<Localized>| l.as_ref().and_then(|l| l.en.clone());
        let digits: String = self
            .price
            .chars()
            .filter(|c| !matches!(c, '.' | ',' | ' ' | '\u{a0}' | 'đ' | '₫'))
            .collect();
        let price_vnd = if digits.is_empty() {
            None
        } else {
            match digits.parse::<i64>() {
                Ok(p) => Some(p),
                Err(_) => {
                    errors.push(FieldError::new("price_vnd", Message::NotANumber));
                    None
                }
            }
        };
        let kind = ListingKind::parse(&self.kind);
        let date = |s: &str, errors: &mut Vec<FieldError>| -> Option<NaiveDate> {
            if s.trim().is_empty() {
                return None;
            }
            let parsed = crate::domain::calendar::parse(s);
            if parsed.is_none() {
                errors.push(FieldError::new("event", Message::NotADate));
            }
            parsed
        };
        let event = if kind == Some(ListingKind::Event) {
            match (
                date(&self.event_start, &mut errors),
                date(&self.event_end, &mut errors),
            ) {
                (Some(start), Some(end)) => Some(EventDatesInput {
                    start,
                    end,
                    recurs_yearly: self.recurs,
                }),
                _ => None,
            }
        } else {
            None
        };
        let mut links = Vec::new();
        for (i, (platform, url)) in self.links.iter().enumerate() {
            match Platform::parse(platform) {
                Some(platform) => links.push(LinkInput {
                    platform,
                    url: url.clone(),
                }),
                None => errors.push(FieldError::new(
                    format!("marketplace_links[{i}].url"),
                    Message::UnknownPlatform,
                )),
            }
        }
        let unit = self.unit.trim();
        let patch = ListingInput {
            kind,
            name: Some(Localized {
                vi: self.name.clone(),
                en: english(&stored.name),
            }),
            description: Some(Localized {
                vi: self.description.clone(),
                en: english(&stored.description),
            }),
            category: Some(self.category.clone()),
            price_vnd: Some(price_vnd),
            unit: Some((!unit.is_empty()).then(|| unit.to_owned())),
            season_months: Some(self.months.clone()),
            event: Some(event),
            marketplace_links: Some(links),
            ..ListingInput::default()
        };
        (stored.merge(patch), errors)
    }
}

pub struct LinkRow {
    pub platforms: Vec<Choice>,
    pub url: String,
    pub error: String,
}

pub struct MonthBox {
    pub value: u8,
    pub label: String,
    pub checked: bool,
}

pub struct PhotoItem {
    pub id: i64,
    pub src: String,
    pub first: bool,
}

#[derive(Template)]
#[template(path = "listing_form.html")]
struct ListingFormPage {
    c: Chrome,
    csrf: String,
    id: i64,
    action: String,
    heading: String,
    flash: String,
    status: String,
    status_class: &'static str,
    rejection: String,
    public_url: String,
    can_submit: bool,
    editable: bool,
    kinds: Vec<Choice>,
    categories: Vec<Choice>,
    name: String,
    price: String,
    unit: String,
    months: Vec<MonthBox>,
    description: String,
    links: Vec<LinkRow>,
    is_event: bool,
    event_start: String,
    event_end: String,
    recurs: bool,
    errors: Errors,
    top_errors: Vec<String>,
    photos: Vec<PhotoItem>,
    upload_error: String,
}

struct FormContext {
    listing: Option<ListingView>,
    categories: Vec<catalogue::Category>,
}

async fn form_context(
    state: &AppState,
    auth: &Auth,
    id: Option<i64>,
) -> Result<FormContext, AppError> {
    let auth = auth.clone();
    let media_base = state.media_base.clone();
    state
        .db
        .run(move |conn| {
            let listing = match id {
                Some(id) => {
                    owned_listing(conn, &auth, id)?;
                    listings::view(conn, id, &media_base)?
                }
                None => None,
            };
            Ok(FormContext {
                listing,
                categories: catalogue::categories(conn)?,
            })
        })
        .await
}

/// A refused save: field errors re-show the form with the member's input kept, anything else
/// is a refusal page.
async fn reshow_or_refuse(
    state: &AppState,
    req: &HttpRequest,
    s: SignedIn,
    listing: Option<i64>,
    fields: &Fields,
    lang: Lang,
    e: AppError,
) -> HttpResponse {
    if e.errors.is_empty() {
        return refused(req, s.nav, &e);
    }
    match form_context(state, &s.auth, listing).await {
        Ok(ctx) => render_form(
            req,
            s.nav,
            &ctx,
            fields,
            form_errors(lang, &e.errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => refused(req, s.nav, &e),
    }
}

fn render_form(
    req: &HttpRequest,
    nav: AccountNav,
    ctx: &FormContext,
    fields: &Fields,
    errors: Errors,
    status: StatusCode,
) -> HttpResponse {
    let lang = Lang::of(req);
    let t = lang.t();
    let csrf = nav.csrf.clone();
    let mut c = Chrome::new(req, "").private(nav);
    let kind = if fields.kind.is_empty() {
        "product"
    } else {
        fields.kind.as_str()
    };
    let mut link_rows: Vec<(String, String)> = fields.links.clone();
    let blanks = if link_rows.is_empty() { 2 } else { 1 };
    for _ in 0..blanks {
        if link_rows.len() < crate::domain::listing::MAX_LINKS {
            link_rows.push(("shopee".into(), String::new()));
        }
    }
    let l = ctx.listing.as_ref();
    let heading = match l {
        Some(l) => format!("{}: {}", t.edit_listing, l.name.vi),
        None => t.add_listing.to_owned(),
    };
    c.title = format!("{heading} · Vùng Cao");
    let status_of = l.map(|l| l.status);
    let shown = [
        "name",
        "kind",
        "category",
        "price",
        "unit",
        "months",
        "description",
        "event",
        "links",
    ];
    let upload_error = match Form::parse(req.query_string().as_bytes()).get("err") {
        "photo-busy" => t.upload_busy,
        "photo-heic" => t.upload_heic,
        "photo-format" => t.upload_format,
        "photo-big" => t.upload_big,
        "photo-corrupt" => t.upload_corrupt,
        "photo-many" => t.upload_many,
        "photo" => t.upload_failed,
        _ => "",
    };
    let page = ListingFormPage {
        csrf,
        id: l.map_or(0, |l| l.id),
        action: l.map_or("/tai-khoan/san-pham/moi".to_owned(), |l| {
            format!("/tai-khoan/san-pham/{}", l.id)
        }),
        heading,
        flash: flash(lang, req),
        status: status_of
            .map(|s| lang.status(s).to_owned())
            .unwrap_or_default(),
        status_class: status_of.map_or("draft", status_class),
        rejection: l
            .and_then(|l| l.rejection_reason.clone())
            .unwrap_or_default(),
        public_url: l
            .filter(|l| l.status == ListingStatus::Published)
            .map(|l| view::listing_path(l.kind, &l.slug))
            .unwrap_or_default(),
        can_submit: status_of == Some(ListingStatus::Draft),
        editable: status_of != Some(ListingStatus::Archived),
        kinds: vec![
            Choice::new("product", t.kind_product, kind),
            Choice::new("experience", t.kind_experience, kind),
            Choice::new("event", t.kind_event, kind),
        ],
        categories: ctx
            .categories
            .iter()
            .map(|cat| {
                let label = match lang {
                    Lang::Vi => cat.name_vi.clone(),
                    Lang::En => cat.name_en.clone(),
                };
                Choice::new(cat.code.clone(), label, &fields.category)
            })
            .collect(),
        name: fields.name.clone(),
        price: fields.price.clone(),
        unit: fields.unit.clone(),
        months: (1..=12u8)
            .map(|m| MonthBox {
                value: m,
                label: lang.month_short(m),
                checked: fields.months.contains(&m),
            })
            .collect(),
        description: fields.description.clone(),
        links: link_rows
            .iter()
            .enumerate()
            .map(|(i, (platform, url))| LinkRow {
                platforms: Platform::ALL
                    .iter()
                    .map(|p| Choice::new(p.code(), p.display_name(), platform))
                    .collect(),
                url: url.clone(),
                error: errors
                    .get(&format!("link{i}"))
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect(),
        is_event: kind == "event",
        event_start: fields.event_start.clone(),
        event_end: fields.event_end.clone(),
        recurs: fields.recurs,
        top_errors: errors.other_than(&shown),
        errors,
        photos: l
            .map(|l| {
                l.photos
                    .iter()
                    .enumerate()
                    .map(|(i, p)| PhotoItem {
                        id: p.id,
                        src: view::pick_jpeg(p, 320).unwrap_or_default(),
                        first: i == 0,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        upload_error: upload_error.to_owned(),
        c,
    };
    html(req, &page, status, Caching::NoStore)
}

fn form_errors(lang: Lang, errors: &[FieldError]) -> Errors {
    Errors::from_fields(lang, errors, listing_field)
}

#[get("/tai-khoan/san-pham/moi")]
async fn new_listing_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: SignedIn,
) -> HttpResponse {
    match form_context(&state, &s.auth, None).await {
        Ok(ctx) => {
            let fields = Fields {
                kind: "product".into(),
                ..Fields::default()
            };
            render_form(
                &req,
                s.nav,
                &ctx,
                &fields,
                Errors::default(),
                StatusCode::OK,
            )
        }
        Err(e) => refused(&req, s.nav, &e),
    }
}

#[post("/tai-khoan/san-pham/moi")]
async fn create_listing(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
) -> HttpResponse {
    let SignedForm { who: s, form } = signed;
    let lang = Lang::of(&req);
    if let Err(e) = workflow::member_cooperative(&s.auth) {
        return refused(&req, s.nav, &e);
    }
    let fields = Fields::from_form(&form);
    let (input, mut errors) = fields.to_input(None);
    let valid = match input.validate() {
        Ok(valid) if errors.is_empty() => Some(valid),
        Ok(_) => None,
        Err(more) => {
            errors.extend(more);
            None
        }
    };
    let auth = s.auth.clone();
    let created = match valid {
        Some(valid) => {
            state
                .db
                .run(move |conn| workflow::create_draft(conn, &auth, valid))
                .await
        }
        None => Err(AppError::validation(errors)),
    };
    match created {
        Ok(id) => see_other(&format!("/tai-khoan/san-pham/{id}?ok=saved")),
        Err(e) => reshow_or_refuse(&state, &req, s, None, &fields, lang, e).await,
    }
}

#[get("/tai-khoan/san-pham/{id}")]
async fn edit_listing_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: SignedIn,
    id: web::Path<i64>,
) -> HttpResponse {
    let id = id.into_inner();
    let auth = s.auth.clone();
    let loaded = async {
        let ctx = form_context(&state, &auth, Some(id)).await?;
        let input = state
            .db
            .run(move |conn| {
                let row = owned_listing(conn, &auth, id)?;
                listings::as_input(conn, &row)
            })
            .await?;
        Ok::<_, AppError>((ctx, input))
    }
    .await;
    match loaded {
        Ok((ctx, input)) => render_form(
            &req,
            s.nav,
            &ctx,
            &Fields::from_input(&input),
            Errors::default(),
            StatusCode::OK,
        ),
        Err(e) => refused(&req, s.nav, &e),
    }
}

#[post("/tai-khoan/san-pham/{id}")]
async fn update_listing(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
    id: web::Path<i64>,
) -> HttpResponse {
    let SignedForm { who: s, form } = signed;
    let lang = Lang::of(&req);
    let id = id.into_inner();
    let fields = Fields::from_form(&form);
    let auth = s.auth.clone();
    let changes = fields.clone();
    let result = state
        .db
        .run(move |conn| {
            workflow::update(conn, &auth, id, |stored| {
                let (input, mut errors) = changes.to_input(Some(stored));
                match input.validate() {
                    Ok(valid) if errors.is_empty() => Ok(valid),
                    Ok(_) => Err(AppError::validation(errors)),
                    Err(more) => {
                        errors.extend(more);
                        Err(AppError::validation(errors))
                    }
                }
            })
        })
        .await;
    match result {
        Ok(()) => see_other(&format!("/tai-khoan/san-pham/{id}?ok=saved")),
        Err(e) => reshow_or_refuse(&state, &req, s, Some(id), &fields, lang, e).await,
    }
}

#[post("/tai-khoan/san-pham/{id}/gui-duyet")]
async fn submit_listing(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
    id: web::Path<i64>,
) -> HttpResponse {
    let s = signed.who;
    let id = id.into_inner();
    let auth = s.auth.clone();
    let review_required = state.settings.review_required;
    let result = state
        .db
        .run(move |conn| workflow::submit(conn, &auth, id, review_required))
        .await;
    match result {
        Ok(ListingStatus::Published) => see_other("/tai-khoan?ok=published"),
        Ok(_) => see_other("/tai-khoan?ok=submitted"),
        Err(e) => refused(&req, s.nav, &e),
    }
}

#[post("/tai-khoan/san-pham/{id}/luu-tru")]
async fn archive_listing(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
    id: web::Path<i64>,
) -> HttpResponse {
    let s = signed.who;
    let id = id.into_inner();
    let auth = s.auth.clone();
    let result = state
        .db
        .run(move |conn| workflow::archive(conn, &auth, id))
        .await;
    match result {
        Ok(()) => see_other("/tai-khoan?ok=archived"),
        Err(e) => refused(&req, s.nav, &e),
    }
}

// ---------------------------------------------------------------------------------------------
// Photos without JavaScript (with it, the page talks to the JSON API directly)
// ---------------------------------------------------------------------------------------------

/// The multipart form carries its CSRF token in the action's query string, so it is checked
/// before a single byte of the upload is read.
#[post("/tai-khoan/san-pham/{id}/anh")]
async fn upload_photos(
    state: web::Data<AppState>,
    req: HttpRequest,
    upload: SignedUpload,
    id: web::Path<i64>,
    payload: actix_multipart::Multipart,
) -> HttpResponse {
    let s = upload.who;
    let id = id.into_inner();
    match crate::photos::upload(&state, &s.auth, id, payload).await {
        Ok(_) => see_other(&format!("/tai-khoan/san-pham/{id}?ok=saved#anh")),
        Err(e) if e.code == Code::ProcessingBusy => {
            see_other(&format!("/tai-khoan/san-pham/{id}?err=photo-busy#anh"))
        }
        Err(e)
            if (e.code.status().is_client_error() && e.code != Code::Forbidden)
                || e.code.status().is_server_error() =>
        {
            let reason = match e.code {
                Code::HeicNotSupported => "photo-heic",
                Code::UnsupportedImageFormat | Code::EmptyFile => "photo-format",
                Code::FileTooLarge | Code::ImageTooLarge => "photo-big",
                Code::CorruptImage => "photo-corrupt",
                Code::TooManyPhotos => "photo-many",
                _ => "photo",
            };
            see_other(&format!("/tai-khoan/san-pham/{id}?err={reason}#anh"))
        }
        Err(e) => refused(&req, s.nav, &e),
    }
}

#[post("/tai-khoan/san-pham/{id}/anh/{photo}/len")]
async fn move_photo_up(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
    path: web::Path<(i64, i64)>,
) -> HttpResponse {
    let s = signed.who;
    let (id, photo) = path.into_inner();
    let auth = s.auth.clone();
    let media_base = state.media_base.clone();
    let current = state
        .db
        .run(move |conn| {
            owned_listing(conn, &auth, id)?;
            listings::view(conn, id, &media_base)?
                .ok_or_else(|| AppError::new(Code::ListingNotFound))
        })
        .await;
    let listing = match current {
        Ok(l) => l,
        Err(e) => return refused(&req, s.nav, &e),
    };
    let mut order: Vec<i64> = listing.photos.iter().map(|p| p.id).collect();
    if let Some(i) = order.iter().position(|p| *p == photo) {
        if i > 0 {
            order.swap(i - 1, i);
        }
    }
    let cover = order.first().copied();
    match crate::photos::arrange(&state, &s.auth, id, Some(order), cover).await {
        Ok(_) => see_other(&format!("/tai-khoan/san-pham/{id}#anh")),
        Err(e) => refused(&req, s.nav, &e),
    }
}

#[post("/tai-khoan/san-pham/{id}/anh/{photo}/xoa")]
async fn delete_photo(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
    path: web::Path<(i64, i64)>,
) -> HttpResponse {
    let s = signed.who;
    let (id, photo) = path.into_inner();
    match crate::photos::delete(&state, &s.auth, id, photo).await {
        Ok(_) => see_other(&format!("/tai-khoan/san-pham/{id}#anh")),
        Err(e) => refused(&req, s.nav, &e),
    }
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

    #[test]
    fn a_typed_price_in_vietnamese_style_is_read() {
        let fields = Fields {
            kind: "product".into(),
            name: "Chè".into(),
            category: "tea".into(),
            price: "450.000 ₫".into(),
            description: "Ngon".into(),
            ..Fields::default()
        };
        let (input, errors) = fields.to_input(None);
        assert!(errors.is_empty());
        assert_eq!(input.price_vnd, Some(Some(450_000)));
        let bad = Fields {
            price: "bốn trăm".into(),
            ..fields
        };
        let (_, errors) = bad.to_input(None);
        assert_eq!(errors[0].field, "price_vnd");
    }
}
