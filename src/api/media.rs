//! `/media/{key}`: stored photo variants, content-addressed, cached for a year.

use crate::error::{AppError, Code};
use crate::startup::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(media);
}

#[utoipa::path(
    tag = "storefront",
    params(("key" = String, Path, description = "e.g. p/ab/0123…/640.webp")),
    responses(
        (status = 200, description = "the file; Cache-Control: public, max-age=31536000, immutable"),
        (status = 304),
        (status = 400, description = "invalid_media_key", body = crate::error::Problem),
        (status = 404, description = "media_not_found", body = crate::error::Problem)
    )
)]
#[get("/media/{key:.*}")]
pub async fn media(
    state: web::Data<AppState>,
    req: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let object = state
        .media
        .get(&key.into_inner())
        .await?
        .ok_or_else(|| AppError::new(Code::MediaNotFound))?;
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == object.etag));
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::ETAG, object.etag.clone()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    Ok(if fresh {
        builder.finish()
    } else {
        builder.content_type(object.content_type).body(object.bytes)
    })
}
