//! Bulk import and export over HTTP: an upload starts a job (progress and report by id), the
//! templates to fill in, and export downloads. Admins act on every cooperative, members on
//! their own.

use super::extract::{Admin, Auth};
use crate::error::{AppError, Code};
use crate::http::body::content_length;
use crate::state::AppState;
use crate::transfer::{self, jobs, Format};
use crate::uploads::UploadPass;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(admin_import)
        .service(member_import)
        .service(admin_job)
        .service(member_job)
        .service(template)
        .service(admin_export)
        .service(member_export);
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// Import the valid rows and report the others.
    #[serde(default)]
    pub partial: bool,
    /// Archive the published listings of the file's cooperatives that it does not name.
    #[serde(default)]
    pub archive_missing: bool,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// `xlsx`, `csv` or `json` (default).
    pub format: Option<String>,
}

/// The upload, admitted under the upload budget before it is read (by its `Content-Length`),
/// then read while streaming and cut off at the size cap.
async fn read_body(
    state: &AppState,
    req: &HttpRequest,
    account: i64,
    mut body: web::Payload,
) -> Result<(Vec<u8>, UploadPass), AppError> {
    let length = content_length(req);
    if let Some(len) = length.filter(|len| *len > transfer::DEFAULT_MAX_BYTES) {
        return Err(transfer::too_large(len, transfer::DEFAULT_MAX_BYTES));
    }
    let mut pass = state
        .uploads
        .admit(account, length, transfer::DEFAULT_MAX_BYTES)?;
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| {
            AppError::new(Code::MalformedJson).with_detail("the upload was interrupted")
        })?;
        if (bytes.len() + chunk.len()) as u64 > transfer::DEFAULT_MAX_BYTES {
            return Err(transfer::too_large(
                (bytes.len() + chunk.len()) as u64,
                transfer::DEFAULT_MAX_BYTES,
            ));
        }
        pass.read(chunk.len())?;
        bytes.extend_from_slice(&chunk);
    }
    Ok((bytes, pass))
}

async fn start_job(
    state: &AppState,
    (bytes, admission): (Vec<u8>, UploadPass),
    query: &ImportQuery,
    cooperative: Option<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let job = jobs::launch(
        state,
        bytes,
        admission,
        jobs::ImportChoices {
            partial: query.partial,
            archive_missing: query.archive_missing,
        },
        cooperative,
    )
    .await?;
    let location = if job.owner.is_some() {
        format!("/api/v1/my/imports/{}", job.id)
    } else {
        format!("/api/v1/admin/imports/{}", job.id)
    };
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", location))
        .json(job))
}

/// Starts importing the uploaded file (the request body: .xlsx, .csv or catalogue .json, or a
/// .zip of one of those and a `photos/` folder; at most 100 MB). Answers 202 with the job; follow `Location` for progress and the report.
#[utoipa::path(
    tag = "admin",
    params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 202, body = jobs::ImportJob), (status = 403, body = crate::error::Problem), (status = 413, body = crate::error::Problem), (status = 429, description = "too_many_uploads (with Retry-After)", body = crate::error::Problem), (status = 503, description = "uploads_busy (with Retry-After)", body = crate::error::Problem)),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/imports")]
pub async fn admin_import(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: Admin,
    query: web::Query<ImportQuery>,
    body: web::Payload,
) -> Result<HttpResponse, AppError> {
    let upload = read_body(&state, &req, admin.0.user.id, body).await?;
    start_job(&state, upload, &query, None).await
}

/// The member's import, limited to their own cooperative (rows may leave `cooperative` empty).
#[utoipa::path(
    tag = "member",
    params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 202, body = jobs::ImportJob), (status = 403, body = crate::error::Problem), (status = 413, body = crate::error::Problem), (status = 429, description = "too_many_uploads (with Retry-After)", body = crate::error::Problem), (status = 503, description = "uploads_busy (with Retry-After)", body = crate::error::Problem)),
    security(("bearer" = []))
)]
#[post("/api/v1/my/imports")]
pub async fn member_import(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    query: web::Query<ImportQuery>,
    body: web::Payload,
) -> Result<HttpResponse, AppError> {
    let coop = jobs::member_cooperative(&state, &auth).await?;
    let upload = read_body(&state, &req, auth.user.id, body).await?;
    start_job(&state, upload, &query, Some(coop)).await
}

async fn job_answer(
    state: &AppState,
    id: u64,
    owner: Option<i64>,
) -> Result<HttpResponse, AppError> {
    let job = jobs::get(state, id, owner)
        .await?
        .ok_or_else(|| AppError::new(Code::NotFound).with_detail("no import with this id"))?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(job))
}

/// An import's progress, then its per-row report (or why the file was refused).
#[utoipa::path(tag = "admin", params(("id" = u64, Path)), responses((status = 200, body = jobs::ImportJob), (status = 404, body = crate::error::Problem)), security(("bearer" = [])))]
#[get("/api/v1/admin/imports/{id}")]
pub async fn admin_job(
    state: web::Data<AppState>,
    _admin: Admin,
    id: web::Path<u64>,
) -> Result<HttpResponse, AppError> {
    job_answer(&state, id.into_inner(), None).await
}

/// The member's import's progress and report.
#[utoipa::path(tag = "member", params(("id" = u64, Path)), responses((status = 200, body = jobs::ImportJob), (status = 404, body = crate::error::Problem)), security(("bearer" = [])))]
#[get("/api/v1/my/imports/{id}")]
pub async fn member_job(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<u64>,
) -> Result<HttpResponse, AppError> {
    let (coop_id, _) = jobs::member_cooperative(&state, &auth).await?;
    job_answer(&state, id.into_inner(), Some(coop_id)).await
}

fn download(bytes: Vec<u8>, format: Format, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}.{}\"", format.extension()),
        ))
        .body(bytes)
}

fn format_of(text: Option<&str>) -> Result<Format, AppError> {
    Format::parse(text.unwrap_or("json")).ok_or_else(|| {
        AppError::new(Code::InvalidQuery).with_detail("format must be xlsx, csv or json")
    })
}

/// A file to fill in: Vietnamese and English column names, one example row per kind, and (xlsx)
/// the allowed codes on a second sheet.
#[utoipa::path(tag = "public", params(("file" = String, Path, description = "template.xlsx, template.csv or template.json")), responses((status = 200), (status = 404, body = crate::error::Problem)))]
#[get("/api/v1/imports/{file}")]
pub async fn template(
    state: web::Data<AppState>,
    file: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let format = file
        .strip_prefix("template.")
        .and_then(Format::parse)
        .ok_or_else(|| AppError::new(Code::NotFound))?;
    let bytes = state
        .db
        .run(move |conn| transfer::template(conn, format))
        .await?;
    Ok(download(bytes, format, "vungcao-mau-nhap"))
}

/// Every published listing, as import reads it back.
#[utoipa::path(tag = "admin", params(ExportQuery), responses((status = 200), (status = 403, body = crate::error::Problem)), security(("bearer" = [])))]
#[get("/api/v1/admin/export")]
pub async fn admin_export(
    state: web::Data<AppState>,
    _admin: Admin,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let format = format_of(query.format.as_deref())?;
    let bytes = state
        .db
        .run(move |conn| transfer::export(conn, format, None))
        .await?;
    Ok(download(bytes, format, "vungcao"))
}

/// The member's cooperative's published listings, as import reads them back.
#[utoipa::path(tag = "member", params(ExportQuery), responses((status = 200), (status = 403, body = crate::error::Problem)), security(("bearer" = [])))]
#[get("/api/v1/my/export")]
pub async fn member_export(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let format = format_of(query.format.as_deref())?;
    let (_, slug) = jobs::member_cooperative(&state, &auth).await?;
    let name = slug.clone();
    let bytes = state
        .db
        .run(move |conn| transfer::export(conn, format, Some(&slug)))
        .await?;
    Ok(download(bytes, format, &name))
}
