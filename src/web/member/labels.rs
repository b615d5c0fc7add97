//! The A4 label sheet: a member chooses published listings and labels per page, then prints
//! each one's name, price, OCOP stars and QR code (an admin may label any published listing).

use crate::labels::{self, PerPage};
use crate::messages::Message;
use crate::state::AppState;
use crate::store::listings::ListingView;
use crate::web::extract::SignedIn;
use crate::web::forms::Form;
use crate::web::i18n::Lang;
use crate::web::refusal::refused;
use crate::web::view;
use crate::web::{html, Caching, Chrome};
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

/// Labels per page before the member chooses (a 3 × 4 grid).
const DEFAULT_PER_PAGE: &str = "12";

/// The printable area of an A4 sheet in millimetres, with room for margins of up to 10 mm.
const SHEET_WIDTH_MM: f32 = 190.0;
const SHEET_HEIGHT_MM: f32 = 276.0;
/// The gap between labels (cutting room).
const GAP_MM: f32 = 2.0;

pub struct Choice {
    pub id: i64,
    pub name: String,
    pub price: String,
    pub checked: bool,
}

pub struct Label {
    pub name: String,
    pub price: String,
    pub stars: String,
    pub ocop: String,
    pub cooperative: String,
    /// The listing's address as printed under the name (without `https://`).
    pub address: String,
    /// Our own SVG markup: no text from the listing is in it.
    pub qr: String,
}

pub struct Sheet {
    /// CSS custom properties: the grid and the type size.
    pub style: String,
    /// Labels taller than wide put the QR code above the text.
    pub tall: bool,
    pub labels: Vec<Label>,
}

#[derive(Template)]
#[template(path = "labels.html")]
struct LabelsPage {
    c: Chrome,
    choices: Vec<Choice>,
    per_page: String,
    per_page_error: String,
    choice_error: String,
    summary: String,
    sheets: Vec<Sheet>,
}

fn label_of(
    lang: Lang,
    l: &ListingView,
    public_url: &str,
) -> Result<Label, crate::error::AppError> {
    let url = labels::listing_url(public_url, l.kind, &l.slug);
    Ok(Label {
        name: view::localized(lang, &l.name),
        price: view::price_text(l),
        stars: l
            .ocop
            .as_ref()
            .map(|o| "★".repeat(usize::try_from(o.stars).unwrap_or(0)))
            .unwrap_or_default(),
        ocop: l
            .ocop
            .as_ref()
            .map(|o| lang.ocop_stars(o.stars))
            .unwrap_or_default(),
        cooperative: l.cooperative.name.clone(),
        address: url
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .to_owned(),
        qr: labels::qr_svg(&url)?,
    })
}

/// The sheets for these labels: `per_page` to a sheet, in a grid sized for A4.
fn sheets_of(per_page: PerPage, all: Vec<Label>) -> Vec<Sheet> {
    let (columns, rows) = per_page.grid();
    let width = (SHEET_WIDTH_MM - GAP_MM * (columns as f32 - 1.0)) / columns as f32;
    let height = (SHEET_HEIGHT_MM - GAP_MM * (rows as f32 - 1.0)) / rows as f32;
    let tall = height > width * 0.75;
    // The text's room: beside a QR code as tall as the label, or under one of 60 % of it.
    let font_mm = if tall {
        width / 14.0
    } else {
        (width - height) / 9.0
    };
    let style = format!(
        "--cols:{columns};--rows:{rows};--fs:{:.1}mm",
        font_mm.clamp(2.5, 8.0)
    );
    let mut sheets = Vec::new();
    let mut labels = all.into_iter().peekable();
    while labels.peek().is_some() {
        sheets.push(Sheet {
            style: style.clone(),
            tall,
            labels: labels.by_ref().take(per_page.get()).collect(),
        });
    }
    sheets
}

#[get("/tai-khoan/nhan")]
pub(super) async fn label_sheet(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: SignedIn,
) -> HttpResponse {
    let lang = Lang::of(&req);
    let query = Form::parse(req.query_string().as_bytes());
    // The form was sent (not the first visit): what it holds is checked.
    let asked = query.has("per_page");
    let ids: Vec<i64> = query
        .all("id")
        .iter()
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let per_page_raw = if asked {
        query.get("per_page").trim().to_owned()
    } else {
        DEFAULT_PER_PAGE.to_owned()
    };
    let per_page = PerPage::parse(&per_page_raw);
    let media_base = state.media_base.clone();
    let auth = s.auth;
    let found = state
        .db
        .run(move |conn| labels::printable(conn, &auth, &media_base))
        .await;
    let printable = match found {
        Ok(found) => found,
        Err(e) => return refused(&req, s.nav, &e),
    };
    let chosen = labels::chosen(&printable, &ids);
    let mut per_page_error = String::new();
    let mut choice_error = String::new();
    if asked {
        if let Err(key) = &per_page {
            per_page_error = lang.field_message(key);
        }
        if chosen.is_empty() {
            choice_error = lang.field_message(&Message::NoListingChosen);
        }
    }
    let mut sheets = Vec::new();
    let mut summary = String::new();
    if let (true, Ok(per_page), true) = (asked, per_page, choice_error.is_empty()) {
        let public_url = state.settings.public_url.clone();
        let made: Result<Vec<Label>, _> = chosen
            .iter()
            .map(|l| label_of(lang, l, &public_url))
            .collect();
        match made {
            Ok(made) => {
                summary = lang.label_count(made.len(), made.len().div_ceil(per_page.get()));
                sheets = sheets_of(per_page, made);
            }
            Err(e) => return refused(&req, s.nav, &e),
        }
    }
    // On the first visit a few listings start ticked; an admin's hundreds do not.
    let few = printable.len() <= labels::MAX_PER_PAGE;
    let choices = printable
        .iter()
        .map(|l| Choice {
            id: l.id,
            name: view::localized(lang, &l.name),
            price: view::price_text(l),
            checked: if asked { ids.contains(&l.id) } else { few },
        })
        .collect();
    let mut c = Chrome::new(&req, "").private(s.nav);
    c.title = format!("{} · Vùng Cao", c.t.labels.title);
    let status = if per_page_error.is_empty() && choice_error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = LabelsPage {
        c,
        choices,
        per_page: per_page_raw,
        per_page_error,
        choice_error,
        summary,
        sheets,
    };
    html(&req, &page, status, Caching::NoStore)
}
