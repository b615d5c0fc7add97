//! The sitemap for search engines: `/sitemap.xml` is an index of files holding at most 50 000
//! URLs each (the protocol's limit), one for the site's pages and as many as the published
//! listings need; each file is rendered once and kept for ten minutes.

use super::view;
use crate::domain::listing::ListingKind;
use crate::error::{AppError, Code};
use crate::state::AppState;
use crate::store::{catalogue, listings};
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;

use crate::config::SITEMAP_URLS_PER_FILE;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(index).service(pages).service(listings_file);
}

pub struct SitemapUrl {
    pub loc: String,
    pub lastmod: String,
}

#[derive(Template)]
#[template(path = "sitemap.xml")]
struct UrlSet {
    urls: Vec<SitemapUrl>,
}

#[derive(Template)]
#[template(path = "sitemap_index.xml")]
struct SitemapIndex {
    files: Vec<String>,
}

fn base(state: &AppState) -> String {
    state.settings.public_url.trim_end_matches('/').to_owned()
}

fn per_file(state: &AppState) -> usize {
    state
        .settings
        .sitemap_urls_per_file
        .clamp(1, SITEMAP_URLS_PER_FILE)
}

fn xml(req: &HttpRequest, body: web::Bytes) -> HttpResponse {
    crate::http::etag::respond(
        req,
        body.to_vec(),
        "application/xml; charset=utf-8",
        "public, max-age=3600",
    )
}

fn render(page: impl Template) -> Result<Option<String>, AppError> {
    page.render()
        .map(Some)
        .map_err(|e| AppError::internal(format!("sitemap: {e}")))
}

#[get("/sitemap.xml")]
async fn index(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let body = state
        .sitemaps
        .get_or_render("/sitemap.xml", async {
            let published = state.db.run(listings::count_published).await?;
            let files = usize::try_from(published)
                .unwrap_or(0)
                .div_ceil(per_file(&state))
                .max(1);
            let base = base(&state);
            let mut list = vec![format!("{base}/sitemap-pages.xml")];
            list.extend((1..=files).map(|n| format!("{base}/sitemap-listings-{n}.xml")));
            render(SitemapIndex { files: list })
        })
        .await?;
    Ok(xml(&req, body))
}

#[get("/sitemap-pages.xml")]
async fn pages(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let body = state
        .sitemaps
        .get_or_render("/sitemap-pages.xml", async {
            let base = base(&state);
            let urls = state
                .db
                .run(move |conn| {
                    let mut urls = vec![
                        SitemapUrl {
                            loc: format!("{base}/"),
                            lastmod: String::new(),
                        },
                        SitemapUrl {
                            loc: format!("{base}/le-hoi"),
                            lastmod: String::new(),
                        },
                    ];
                    for coop in catalogue::all_cooperatives(conn)? {
                        urls.push(SitemapUrl {
                            loc: format!("{base}/htx/{}", coop.slug),
                            lastmod: String::new(),
                        });
                    }
                    for p in catalogue::all_places(conn)? {
                        urls.push(SitemapUrl {
                            loc: format!("{base}/dia-phuong/{}", p.code),
                            lastmod: String::new(),
                        });
                    }
                    Ok(urls)
                })
                .await?;
            render(UrlSet { urls })
        })
        .await?;
    Ok(xml(&req, body))
}

#[get("/sitemap-listings-{n}.xml")]
async fn listings_file(
    state: web::Data<AppState>,
    req: HttpRequest,
    n: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Some(n) = n.parse::<usize>().ok().filter(|n| *n >= 1) else {
        return Err(AppError::new(Code::NotFound));
    };
    let path = req.path().to_owned();
    let body = state
        .sitemaps
        .get_or_render(&path, async {
            let per_file = per_file(&state);
            let offset = i64::try_from((n - 1).saturating_mul(per_file)).unwrap_or(i64::MAX);
            let limit = i64::try_from(per_file).unwrap_or(i64::MAX);
            let rows = state
                .db
                .run(move |conn| listings::sitemap_entries(conn, offset, limit))
                .await?;
            if rows.is_empty() && n > 1 {
                return Ok(None);
            }
            let base = base(&state);
            let urls = rows
                .into_iter()
                .filter_map(|(kind, slug, updated)| {
                    Some(SitemapUrl {
                        loc: format!(
                            "{base}{}",
                            view::listing_path(ListingKind::parse(&kind)?, &slug)
                        ),
                        lastmod: updated.date().to_string(),
                    })
                })
                .collect();
            render(UrlSet { urls })
        })
        .await?;
    Ok(xml(&req, body))
}

#[cfg(test)]
mod tests {
    #[test]
    fn files_hold_at_most_the_protocols_fifty_thousand_urls() {
        assert_eq!(super::SITEMAP_URLS_PER_FILE, 50_000);
    }
}
