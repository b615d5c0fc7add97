//! Conditional answers: a strong ETag over the exact body, and `304 Not Modified` when it matches.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Serialises `value` and answers 200 with an ETag, or 304 if the client already has it.
pub fn json<T: Serialize>(req: &HttpRequest, value: &T) -> HttpResponse {
    let body = match serde_json::to_vec(value) {
        Ok(body) => body,
        Err(e) => {
            return actix_web::ResponseError::error_response(&crate::error::AppError::internal(
                format!("json: {e}"),
            ))
        }
    };
    respond(req, body, "application/json", "public, max-age=60")
}

pub fn respond(
    req: &HttpRequest,
    body: Vec<u8>,
    content_type: &str,
    cache_control: &str,
) -> HttpResponse {
    let digest = Sha256::digest(&body);
    let etag: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"{etag}\"");
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")
        });
    let mut builder = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, "Accept-Encoding"));
    if matches {
        builder.finish()
    } else {
        builder.content_type(content_type).body(body)
    }
}
