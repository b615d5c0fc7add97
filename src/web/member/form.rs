//! The listing form: a new draft, editing, submitting for review and archiving.

use super::listings::{flash, status_class};
use crate::accounts::Auth;
use crate::domain::listing::{
    EventDatesInput, LinkInput, ListingInput, ListingKind, ListingStatus, Localized,
};
use crate::domain::marketplace::Platform;
use crate::error::{AppError, Code, FieldError};
use crate::messages::Message;
use crate::review;
use crate::state::AppState;
use crate::store::catalogue;
use crate::store::listings::{self, ListingView};
use crate::store::revisions::RevisionStatus;
use crate::web::extract::{SignedForm, SignedIn};
use crate::web::forms::{listing_field, Errors, Form};
use crate::web::i18n::Lang;
use crate::web::refusal::refused;
use crate::web::shop::Choice;
use crate::web::view;
use crate::web::{html, see_other, AccountNav, Caching, Chrome};
use crate::workflow::{self, owned_listing};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;

/// The version a form was filled from (its hidden field); absent or unreadable asks no check.
fn form_version(form: &Form) -> Option<i64> {
    form.get("version").trim().parse().ok()
}

#[derive(Debug, Clone, Default)]
struct FormValues {
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

impl FormValues {
    fn from_form(f: &Form) -> FormValues {
        let platforms = f.all("platform");
        let urls = f.all("url");
        FormValues {
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

    fn from_input(i: &ListingInput) -> FormValues {
        let event = i.event.clone().flatten();
        FormValues {
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
    /// The listing version the form was filled from: a save made on an older one is refused.
    version: i64,
    /// A published listing's revision: waiting for review, or turned down with a reason.
    revision_note: String,
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
                    let mut found: Vec<ListingView> =
                        listings::view(conn, id, &media_base)?.into_iter().collect();
                    review::attach_revisions(conn, &mut found, &media_base)?;
                    found.pop()
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
    fields: &FormValues,
    lang: Lang,
    e: AppError,
) -> HttpResponse {
    if e.code == Code::VersionMismatch {
        // Someone (another phone, another member) saved first: show the member's input again
        // over the newest version, with a clear note, and let them save once more.
        let note = FieldError::new("version", Message::ListingChangedElsewhere);
        return match form_context(state, &s.auth, listing).await {
            Ok(ctx) => render_form(
                req,
                s.nav,
                &ctx,
                fields,
                form_errors(lang, &[note]),
                StatusCode::CONFLICT,
            ),
            Err(e) => refused(req, s.nav, &e),
        };
    }
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
    fields: &FormValues,
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
        version: l.map_or(0, |l| l.version),
        revision_note: l
            .and_then(|l| l.revision.as_ref())
            .map(|r| match r.status {
                RevisionStatus::Pending => t.revisions.waiting.to_owned(),
                RevisionStatus::Rejected => format!(
                    "{} {}",
                    t.revisions.rejected,
                    r.rejection_reason.clone().unwrap_or_default()
                ),
            })
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
                l.revision
                    .as_ref()
                    .map_or(&l.photos, |r| &r.photos)
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
pub(super) async fn new_listing_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: SignedIn,
) -> HttpResponse {
    match form_context(&state, &s.auth, None).await {
        Ok(ctx) => {
            let fields = FormValues {
                kind: "product".into(),
                ..FormValues::default()
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
pub(super) async fn create_listing(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
) -> HttpResponse {
    let SignedForm { who: s, form } = signed;
    let lang = Lang::of(&req);
    if let Err(e) = workflow::member_cooperative(&s.auth) {
        return refused(&req, s.nav, &e);
    }
    let fields = FormValues::from_form(&form);
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
pub(super) async fn edit_listing_page(
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
                review::member_input(conn, &row)
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
            &FormValues::from_input(&input),
            Errors::default(),
            StatusCode::OK,
        ),
        Err(e) => refused(&req, s.nav, &e),
    }
}

#[post("/tai-khoan/san-pham/{id}")]
pub(super) async fn update_listing(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
    id: web::Path<i64>,
) -> HttpResponse {
    let SignedForm { who: s, form } = signed;
    let lang = Lang::of(&req);
    let id = id.into_inner();
    let fields = FormValues::from_form(&form);
    let auth = s.auth.clone();
    let changes = fields.clone();
    let expected = form_version(&form);
    let review_required = state.settings.review_required;
    let result = state
        .db
        .run(move |conn| {
            workflow::update(conn, &auth, id, expected, review_required, |stored| {
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
        Ok(workflow::Edited::Saved) => see_other(&format!("/tai-khoan/san-pham/{id}?ok=saved")),
        Ok(workflow::Edited::Proposed) => {
            see_other(&format!("/tai-khoan/san-pham/{id}?ok=proposed"))
        }
        Err(e) => reshow_or_refuse(&state, &req, s, Some(id), &fields, lang, e).await,
    }
}

#[post("/tai-khoan/san-pham/{id}/gui-duyet")]
pub(super) async fn submit_listing(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
    id: web::Path<i64>,
) -> HttpResponse {
    let SignedForm { who: s, form } = signed;
    let id = id.into_inner();
    let auth = s.auth.clone();
    let expected = form_version(&form);
    let review_required = state.settings.review_required;
    let result = state
        .db
        .run(move |conn| workflow::submit(conn, &auth, id, expected, review_required))
        .await;
    match result {
        Ok(ListingStatus::Published) => see_other("/tai-khoan?ok=published"),
        Ok(_) => see_other("/tai-khoan?ok=submitted"),
        Err(e) => refused(&req, s.nav, &e),
    }
}

#[post("/tai-khoan/san-pham/{id}/luu-tru")]
pub(super) async fn archive_listing(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
    id: web::Path<i64>,
) -> HttpResponse {
    let SignedForm { who: s, form } = signed;
    let id = id.into_inner();
    let auth = s.auth.clone();
    let expected = form_version(&form);
    let result = state
        .db
        .run(move |conn| workflow::archive(conn, &auth, id, expected))
        .await;
    match result {
        Ok(()) => see_other("/tai-khoan?ok=archived"),
        Err(e) => refused(&req, s.nav, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_price_in_vietnamese_style_is_read() {
        let fields = FormValues {
            kind: "product".into(),
            name: "Chè".into(),
            category: "tea".into(),
            price: "450.000 ₫".into(),
            description: "Ngon".into(),
            ..FormValues::default()
        };
        let (input, errors) = fields.to_input(None);
        assert!(errors.is_empty());
        assert_eq!(input.price_vnd, Some(Some(450_000)));
        let bad = FormValues {
            price: "bốn trăm".into(),
            ..fields
        };
        let (_, errors) = bad.to_input(None);
        assert_eq!(errors[0].field, "price_vnd");
    }
}
