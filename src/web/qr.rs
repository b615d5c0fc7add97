//! A published listing's QR code to its page, as SVG and PNG (labels, posters, market stalls);
//! not published is "not found", like the page.

use crate::error::AppError;
use crate::labels;
use crate::state::AppState;
use crate::store::listings;
use actix_web::{get, web, HttpRequest, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(product_svg)
        .service(product_png)
        .service(event_svg)
        .service(event_png);
}

/// A QR code is the same for as long as the listing keeps its address: an hour in any cache,
/// then revalidated by its ETag.
const CACHE_CONTROL: &str = "public, max-age=3600";

#[derive(Debug, Clone, Copy)]
enum Format {
    Svg,
    Png,
}

async fn qr(
    state: &AppState,
    req: &HttpRequest,
    slug: String,
    format: Format,
) -> Result<HttpResponse, AppError> {
    let media_base = state.media_base.clone();
    let found = state
        .db
        .read(move |conn| listings::published_by_slug(conn, &slug, &media_base))
        .await?;
    let Some(listing) = found else {
        return Ok(super::not_found(req));
    };
    // Asked under the other section (`/le-hoi/` for a product): still the listing's own page.
    let url = labels::listing_url(&state.settings.public_url, listing.kind, &listing.slug);
    let (body, content_type) = match format {
        Format::Svg => (labels::qr_svg(&url)?.into_bytes(), "image/svg+xml"),
        Format::Png => (labels::qr_png(&url)?, "image/png"),
    };
    Ok(crate::http::etag::respond(
        req,
        body,
        content_type,
        CACHE_CONTROL,
    ))
}

#[get("/san-pham/{slug}/qr.svg")]
async fn product_svg(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    qr(&state, &req, slug.into_inner(), Format::Svg).await
}

#[get("/san-pham/{slug}/qr.png")]
async fn product_png(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    qr(&state, &req, slug.into_inner(), Format::Png).await
}

#[get("/le-hoi/{slug}/qr.svg")]
async fn event_svg(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    qr(&state, &req, slug.into_inner(), Format::Svg).await
}

#[get("/le-hoi/{slug}/qr.png")]
async fn event_png(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    qr(&state, &req, slug.into_inner(), Format::Png).await
}
