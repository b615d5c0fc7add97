//! The member's listings in every status, each with its views and clicks over 30 or 90 days
//! (a sparkline, totals, a link to its statistics page), and the clicks per marketplace link.

use crate::domain::listing::ListingStatus;
use crate::domain::marketplace::Platform;
use crate::state::AppState;
use crate::stats;
use crate::store::clicks;
use crate::store::listings::{self, ListingView};
use crate::web::chart;
use crate::web::extract::SignedIn;
use crate::web::forms::Form;
use crate::web::i18n::Lang;
use crate::web::refusal::refused;
use crate::web::view::{self, Picture};
use crate::web::{html, see_other, Caching, Chrome};
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use std::collections::BTreeMap;

use super::stats::{period_links, PeriodLink};

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

/// A row of the member's own list: the listing and its numbers over the period.
pub struct MyRow {
    pub row: Row,
    pub views: i64,
    pub clicks: i64,
    pub spark: String,
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
    rows: Vec<MyRow>,
    bars: Vec<ClickBar>,
    days: u32,
    periods: Vec<PeriodLink>,
}

pub(super) fn flash(lang: Lang, req: &HttpRequest) -> String {
    let t = lang.t();
    match Form::parse(req.query_string().as_bytes()).get("ok") {
        "saved" => t.saved,
        "proposed" => t.revisions.waiting,
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

pub(super) fn status_class(s: ListingStatus) -> &'static str {
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
pub(super) async fn my_listings(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: SignedIn,
) -> HttpResponse {
    let Some(coop_id) = s.auth.user.cooperative_id else {
        return see_other("/quan-tri");
    };
    let lang = Lang::of(&req);
    let days = stats::listing::period(Form::parse(req.query_string().as_bytes()).get("ngay"));
    let since = stats::listing::first_day(stats::today(), days);
    let media_base = state.media_base.clone();
    let found = state
        .db
        .run(move |conn| {
            Ok((
                listings::for_cooperative(conn, coop_id, &media_base)?,
                clicks::for_cooperative(conn, coop_id, since)?,
                stats::listing::for_cooperative(conn, coop_id, days)?,
            ))
        })
        .await;
    let (items, click_rows, totals) = match found {
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
        rows: items
            .iter()
            .map(|l| {
                let t = totals.get(&l.id).cloned().unwrap_or_default();
                MyRow {
                    row: row_of(lang, l),
                    views: t.views,
                    clicks: t.clicks,
                    spark: if t.views + t.clicks > 0 {
                        chart::sparkline(&t.daily_views, &t.daily_clicks)
                    } else {
                        String::new()
                    },
                }
            })
            .collect(),
        bars,
        days,
        periods: period_links(lang, "/tai-khoan", days),
        c,
    };
    html(&req, &page, StatusCode::OK, Caching::NoStore)
}
