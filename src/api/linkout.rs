//! Link-out: `/go/{id}` counts the click (per link per day, no personal data; shoppers only, by
//! [`crate::stats::is_bot`]) and redirects to the stored, validated marketplace URL, never to
//! anything the request names.

use crate::error::AppError;
use crate::state::AppState;
use crate::store::clicks;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(go);
}

fn not_found_page() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/html; charset=utf-8")
        .body(concat!(
            "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\">",
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">",
            "<title>Không tìm thấy liên kết</title>",
            "<h1>Không tìm thấy liên kết</h1>",
            "<p>Liên kết này không còn hoạt động. / This link is no longer available.</p>",
            "<p><a href=\"/\">Về trang chủ / Home</a></p></html>"
        ))
}

#[utoipa::path(
    tag = "storefront",
    params(("link_id" = String, Path)),
    responses((status = 302, description = "to the marketplace"), (status = 404, description = "unknown or archived link"))
)]
#[get("/go/{link_id}")]
pub async fn go(
    state: web::Data<AppState>,
    req: HttpRequest,
    link_id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Ok(link_id) = link_id.parse::<i64>() else {
        return Ok(not_found_page());
    };
    let Some(url) = state
        .db
        .run(move |conn| clicks::published_link_url(conn, link_id))
        .await?
    else {
        return Ok(not_found_page());
    };
    // A HEAD (a link checker) is nobody going to the marketplace.
    if crate::http::credentials::is_shopper(&req) {
        // Counting is best effort and off the shopper's path: a busy database or a link deleted
        // a moment ago never delays or breaks the redirect.
        let today = crate::stats::today();
        let db = state.db.clone();
        tokio::spawn(async move {
            match db
                .run(move |conn| clicks::count(conn, link_id, today))
                .await
            {
                Ok(()) => crate::metrics::with(|m| m.link_clicks.inc()),
                Err(e) => tracing::warn!(link_id, error = %e, "click not counted"),
            }
        });
    }
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .finish())
}
