//! One listing's statistics page: shoppers' views and marketplace clicks per day over 30 or 90
//! days as an inline SVG chart, per marketplace, with totals and the numbers day by day.

use crate::domain::marketplace::Platform;
use crate::state::AppState;
use crate::stats::listing::{self, ListingStats};
use crate::web::chart::{self, Series};
use crate::web::extract::SignedIn;
use crate::web::forms::Form;
use crate::web::i18n::Lang;
use crate::web::refusal::refused;
use crate::web::view;
use crate::web::{html, Caching, Chrome};
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

/// A choice of the period switch.
pub struct PeriodLink {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// The period switch of a page at `path`: 30 or 90 days.
pub fn period_links(lang: Lang, path: &str, days: u32) -> Vec<PeriodLink> {
    let t = lang.t().stats;
    listing::PERIODS
        .iter()
        .map(|d| PeriodLink {
            href: format!("{path}?ngay={d}"),
            label: if *d == 90 { t.days_90 } else { t.days_30 },
            current: *d == days,
        })
        .collect()
}

pub struct PlatformLine {
    pub name: String,
    pub color: &'static str,
    pub clicks: i64,
}

pub struct DayLine {
    pub day: String,
    pub views: i64,
    pub clicks: Vec<i64>,
}

#[derive(Template)]
#[template(path = "listing_stats.html")]
struct StatsPage {
    c: Chrome,
    id: i64,
    name: String,
    days: u32,
    periods: Vec<PeriodLink>,
    views: i64,
    clicks: i64,
    platforms: Vec<PlatformLine>,
    chart: String,
    lines: Vec<DayLine>,
}

fn platform_name(code: &str) -> String {
    Platform::parse(code).map_or_else(|| code.to_owned(), |p| p.display_name().to_owned())
}

fn page_of(lang: Lang, c: Chrome, s: ListingStats) -> StatsPage {
    let t = lang.t().stats;
    let per_platform: Vec<Vec<i64>> = s
        .platforms
        .iter()
        .map(|p| {
            s.daily
                .iter()
                .map(|d| {
                    d.platforms
                        .iter()
                        .find(|q| q.platform == p.platform)
                        .map_or(0, |q| q.clicks)
                })
                .collect()
        })
        .collect();
    let color = |i: usize| chart::PALETTE[i % chart::PALETTE.len()];
    let series: Vec<Series<'_>> = per_platform
        .iter()
        .enumerate()
        .map(|(i, values)| Series {
            color: color(i),
            values,
        })
        .collect();
    let views: Vec<i64> = s.daily.iter().map(|d| d.views).collect();
    let chart = chart::daily(
        &format!(
            "{}: {} {}, {} {}",
            s.name, s.views, t.views, s.clicks, t.clicks
        ),
        &views,
        &series,
        &view::date(lang, s.from),
        &view::date(lang, s.to),
    );
    let lines = s
        .daily
        .iter()
        .rev()
        .filter(|d| d.views > 0 || d.clicks > 0)
        .map(|d| DayLine {
            day: view::date(lang, d.day),
            views: d.views,
            clicks: s
                .platforms
                .iter()
                .map(|p| {
                    d.platforms
                        .iter()
                        .find(|q| q.platform == p.platform)
                        .map_or(0, |q| q.clicks)
                })
                .collect(),
        })
        .collect();
    StatsPage {
        id: s.listing_id,
        name: s.name.clone(),
        days: s.days,
        periods: period_links(
            lang,
            &format!("/tai-khoan/san-pham/{}/thong-ke", s.listing_id),
            s.days,
        ),
        views: s.views,
        clicks: s.clicks,
        platforms: s
            .platforms
            .iter()
            .enumerate()
            .map(|(i, p)| PlatformLine {
                name: platform_name(&p.platform),
                color: color(i),
                clicks: p.clicks,
            })
            .collect(),
        chart,
        lines,
        c,
    }
}

#[get("/tai-khoan/san-pham/{id}/thong-ke")]
pub(super) async fn listing_stats_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: SignedIn,
    id: web::Path<i64>,
) -> HttpResponse {
    let id = id.into_inner();
    let lang = Lang::of(&req);
    let days = listing::period(Form::parse(req.query_string().as_bytes()).get("ngay"));
    let auth = s.auth.clone();
    let found = state
        .db
        .run(move |conn| listing::for_listing(conn, &auth, id, days))
        .await;
    let stats = match found {
        Ok(stats) => stats,
        Err(e) => return refused(&req, s.nav, &e),
    };
    let mut c = Chrome::new(&req, "").private(s.nav);
    c.title = format!("{} · {} · Vùng Cao", lang.t().stats.title, stats.name);
    html(
        &req,
        &page_of(lang, c, stats),
        StatusCode::OK,
        Caching::NoStore,
    )
}
