//! The member API for a listing's photos: upload, delete, reorder and pick the cover.

use super::extract::{Auth, JsonBody};
use crate::error::AppError;
use crate::http::body::content_length;
use crate::photos;
use crate::state::AppState;
use crate::store::photos::PhotoView;
use actix_multipart::Multipart;
use actix_web::{delete, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(upload).service(remove).service(arrange);
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Gallery {
    /// In display order, the cover first.
    pub items: Vec<PhotoView>,
}

/// Uploads one or more photos (multipart field `photo`): JPEG, PNG or WebP straight from the
/// phone. They are stripped of metadata (GPS included), turned upright and resized.
#[utoipa::path(
    tag = "member",
    params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "one or more `photo` file fields"),
    responses(
        (status = 201, body = Gallery),
        (status = 400, description = "empty_file", body = crate::error::Problem),
        (status = 413, description = "file_too_large / image_too_large / payload_too_large / field_too_large", body = crate::error::Problem),
        (status = 415, description = "unsupported_image_format / heic_not_supported", body = crate::error::Problem),
        (status = 422, description = "corrupt_image / too_many_photos", body = crate::error::Problem),
        (status = 429, description = "too_many_uploads: this account is already sending its share (with Retry-After)", body = crate::error::Problem),
        (status = 503, description = "processing_busy / uploads_busy / storage_unavailable (with Retry-After)", body = crate::error::Problem)
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/my/listings/{id}/photos")]
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<i64>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let length = content_length(&req);
    let items = photos::upload(&state, &auth, id.into_inner(), length, payload).await?;
    Ok(HttpResponse::Created().json(Gallery { items }))
}

#[utoipa::path(
    tag = "member",
    params(("id" = i64, Path), ("photo_id" = i64, Path)),
    responses((status = 200, body = Gallery), (status = 404, description = "photo_not_found", body = crate::error::Problem)),
    security(("bearer" = []))
)]
#[delete("/api/v1/my/listings/{id}/photos/{photo_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, photo_id) = path.into_inner();
    let items = photos::delete(&state, &auth, id, photo_id).await?;
    Ok(HttpResponse::Ok().json(Gallery { items }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Arrangement {
    /// Photo ids in the new order (others keep their order after these).
    pub order: Option<Vec<i64>>,
    /// The photo shown first and shared on Zalo/Facebook.
    pub cover: Option<i64>,
}

#[utoipa::path(
    tag = "member",
    params(("id" = i64, Path)),
    request_body = Arrangement,
    responses((status = 200, body = Gallery), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []))
)]
#[patch("/api/v1/my/listings/{id}/photos")]
pub async fn arrange(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<i64>,
    body: JsonBody<Arrangement>,
) -> Result<HttpResponse, AppError> {
    let Arrangement { order, cover } = body.0;
    let items = photos::arrange(&state, &auth, id.into_inner(), order, cover).await?;
    Ok(HttpResponse::Ok().json(Gallery { items }))
}
