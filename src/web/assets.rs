//! The stylesheet and script, built into the binary and served with long cache lifetimes.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

const CSS: &str = include_str!("../../static/site.css");
const JS: &str = include_str!("../../static/site.js");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(asset).service(robots);
}

fn body_of(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "site.css" => Some((CSS, "text/css; charset=utf-8")),
        "site.js" => Some((JS, "text/javascript; charset=utf-8")),
        _ => None,
    }
}

fn version(name: &str) -> &'static str {
    static CSS_V: OnceLock<String> = OnceLock::new();
    static JS_V: OnceLock<String> = OnceLock::new();
    let (cell, body) = match name {
        "site.css" => (&CSS_V, CSS),
        _ => (&JS_V, JS),
    };
    cell.get_or_init(|| {
        Sha256::digest(body.as_bytes())
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

/// The asset's URL with its content version, so it can be cached for a year.
pub fn url(name: &str) -> String {
    format!("/static/{name}?v={}", version(name))
}

#[get("/static/{name}")]
async fn asset(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    match body_of(&name) {
        Some((body, content_type)) => crate::http::etag::respond(
            &req,
            body.as_bytes().to_vec(),
            content_type,
            "public, max-age=31536000, immutable",
        ),
        None => super::not_found(&req),
    }
}

#[get("/robots.txt")]
async fn robots(state: web::Data<crate::state::AppState>) -> HttpResponse {
    let base = state.settings.public_url.trim_end_matches('/');
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(format!(
            "User-agent: *\nDisallow: /tai-khoan\nDisallow: /quan-tri\nDisallow: /dang-nhap\nDisallow: /go/\nDisallow: /api/\nSitemap: {base}/sitemap.xml\n"
        ))
}
