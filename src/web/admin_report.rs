//! The commune report for officers (admins): per commune and month, as a page with a small SVG
//! chart per commune, and as CSV and XLSX downloads.

use super::chart;
use super::extract::{SignedIn, SignedInAdmin};
use super::forms::Form;
use super::i18n::Lang;
use super::refusal::refused;
use super::{html, Caching, Chrome};
use crate::error::AppError;
use crate::state::AppState;
use crate::stats::report::{self, CommuneReport, CommuneRows, Month};
use crate::transfer::Format;
use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(report_page)
        .service(report_csv)
        .service(report_xlsx);
}

/// The months asked for (`?tu=2026-01&den=2026-12`); a range that is not valid gives the last
/// 12 months, and says so.
fn asked_range(req: &HttpRequest) -> ((Month, Month), bool) {
    let form = Form::parse(req.query_string().as_bytes());
    match report::range(Some(form.get("tu")), Some(form.get("den"))) {
        Ok(range) => (range, true),
        Err(_) => (default_range(), false),
    }
}

fn default_range() -> (Month, Month) {
    let to = Month::of(crate::stats::today());
    (to.back(report::DEFAULT_MONTHS - 1), to)
}

async fn load(state: &AppState, (from, to): (Month, Month)) -> Result<CommuneReport, AppError> {
    state
        .db
        .run(move |conn| report::build(conn, from, to))
        .await
}

struct CommuneSection {
    commune: CommuneRows,
    chart: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    c: Chrome,
    from: String,
    to: String,
    valid: bool,
    query: String,
    sections: Vec<CommuneSection>,
}

#[get("/quan-tri/bao-cao")]
async fn report_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedInAdmin(s): SignedInAdmin,
) -> HttpResponse {
    let lang = Lang::of(&req);
    let (range, valid) = asked_range(&req);
    let found = match load(&state, range).await {
        Ok(found) => found,
        Err(e) => return refused(&req, s.nav, &e),
    };
    let t = lang.t().stats;
    let sections = found
        .communes
        .into_iter()
        .map(|commune| {
            let months: Vec<String> = commune.months.iter().map(|m| m.month.clone()).collect();
            let views: Vec<i64> = commune.months.iter().map(|m| m.page_views).collect();
            let clicks: Vec<i64> = commune
                .months
                .iter()
                .map(|m| m.marketplace_clicks)
                .collect();
            CommuneSection {
                chart: chart::monthly(
                    &format!(
                        "{}: {} / {}",
                        commune.name, t.page_views, t.marketplace_clicks
                    ),
                    &months,
                    &views,
                    &clicks,
                ),
                commune,
            }
        })
        .collect();
    let mut c = Chrome::new(&req, "").private(s.nav);
    c.title = format!("{} · Vùng Cao", t.report);
    let page = ReportPage {
        query: format!("tu={}&den={}", found.from, found.to),
        from: found.from,
        to: found.to,
        valid,
        sections,
        c,
    };
    html(&req, &page, StatusCode::OK, Caching::NoStore)
}

/// The report as a file, never cached. Built and encoded on the blocking pool with the query,
/// not on an async worker.
async fn download(
    state: &AppState,
    req: &HttpRequest,
    s: SignedIn,
    format: Format,
) -> HttpResponse {
    let ((from, to), _) = asked_range(req);
    let file = state
        .db
        .run(move |conn| report::file(&report::build(conn, from, to)?, format))
        .await;
    match file {
        Ok((bytes, name)) => HttpResponse::Ok()
            .content_type(format.content_type())
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(bytes),
        Err(e) => refused(req, s.nav, &e),
    }
}

#[get("/quan-tri/bao-cao.csv")]
async fn report_csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedInAdmin(s): SignedInAdmin,
) -> HttpResponse {
    download(&state, &req, s, Format::Csv).await
}

#[get("/quan-tri/bao-cao.xlsx")]
async fn report_xlsx(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedInAdmin(s): SignedInAdmin,
) -> HttpResponse {
    download(&state, &req, s, Format::Xlsx).await
}
