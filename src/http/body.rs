//! What a request says about its body before it is read: its announced length.

use actix_web::http::header::CONTENT_LENGTH;
use actix_web::HttpRequest;

/// The `Content-Length` the request announces; none for a chunked body (or a garbled header,
/// which actix refuses before the handler runs anyway).
pub fn content_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}
