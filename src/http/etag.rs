//! Conditional answers: a strong ETag over the exact body, and `304 Not Modified` when it matches.

use actix_web::body::MessageBody;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

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
    json_text(req, body)
}

/// [`json`] for a body already written as JSON.
pub fn json_text(req: &HttpRequest, body: impl Into<Vec<u8>>) -> HttpResponse {
    respond(req, body.into(), "application/json", "public, max-age=60")
}

pub fn respond(
    req: &HttpRequest,
    body: Vec<u8>,
    content_type: &str,
    cache_control: &str,
) -> HttpResponse {
    let etag = tag_of(&body);
    respond_tagged(req, body, &etag, content_type, cache_control)
}

/// The strong ETag of a body: its XXH3-128 in lower-case hex (canonical, big-endian), quoted.
///
/// Not a cryptographic hash, and it need not be: a tag only tells a client whether its copy of
/// this URL's answer is still the answer. Two different answers of one URL share a tag by
/// accident with a chance of 2⁻¹²⁸; on purpose only if someone crafted both, and the most that
/// could do is keep a client on the older of two answers that person wrote. SHA-256 was 3.7 % of
/// a detail read's CPU (`bench/profile-read.sh detail`, PostgreSQL), XXH3 0.8 %. The
/// algorithm is fixed by its specification, so every replica and every release tags alike.
pub fn tag_of(body: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = xxhash_rust::xxh3::xxh3_128(body).to_be_bytes();
    let mut etag = String::with_capacity(34);
    etag.push('"');
    for b in digest {
        etag.push(char::from(HEX[usize::from(b >> 4)]));
        etag.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    etag.push('"');
    etag
}

/// [`respond`] for a body whose ETag ([`tag_of`]) was worked out before (an answer kept in
/// memory): 200 with the body, or 304 if the client already has it.
pub fn respond_tagged(
    req: &HttpRequest,
    body: impl MessageBody + 'static,
    etag: &str,
    content_type: &str,
    cache_control: &str,
) -> HttpResponse {
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

/// The ETag of a listing version (`"v12"`): what a member's client sends back as `If-Match`.
pub fn version_tag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// The listing version an `If-Match` header names: `None` when absent or `*`; a tag that is not
/// one of [`version_tag`]'s can never match, so it is a 412.
pub fn if_match_version(req: &HttpRequest) -> Result<Option<i64>, crate::error::AppError> {
    let Some(raw) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = raw.to_str().unwrap_or_default().trim();
    if raw == "*" {
        return Ok(None);
    }
    raw.trim_matches('"')
        .strip_prefix('v')
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|_| raw.starts_with('"') && raw.ends_with('"') && raw.len() > 2)
        .map(Some)
        .ok_or_else(|| {
            crate::error::AppError::new(crate::error::Code::VersionMismatch)
                .with_detail("If-Match must be the listing's ETag, e.g. \"v3\"")
        })
}

#[cfg(test)]
mod version_tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_body_is_tagged_with_its_xxh3_128_in_lower_case_hex() {
        // The reference implementation's answers (xxHash's XXH3_128bits, canonical form).
        assert_eq!(tag_of(b""), "\"99aa06d3014798d86001c324468d497f\"");
        assert_eq!(tag_of(b"abc"), "\"06b05ab6733a618578af5f94892f3950\"");
        assert_eq!(
            tag_of(b"hello world"),
            "\"df8d09e93f874900a99b8775cc15b6c7\""
        );
        // A long body (XXH3's path for 240 bytes and more), and the same with one bit changed.
        let long = "Chè Shan tuyết cổ thụ Hồng Thái. ".repeat(40);
        let mut other = long.clone().into_bytes();
        other[700] ^= 1;
        assert_ne!(tag_of(long.as_bytes()), tag_of(&other));
        assert_eq!(
            tag_of(long.as_bytes()),
            "\"0c5ec134eab539c3956e87414e4569e7\""
        );
    }

    #[test]
    fn if_match_reads_the_version_tag_and_refuses_anything_else() {
        let read = |v: &str| {
            if_match_version(
                &TestRequest::default()
                    .insert_header((header::IF_MATCH, v))
                    .to_http_request(),
            )
        };
        assert_eq!(read(&version_tag(7)).ok(), Some(Some(7)));
        assert_eq!(read("*").ok(), Some(None));
        assert!(read("v7").is_err());
        assert!(read("\"abc\"").is_err());
        assert!(read("W/\"v7\"").is_err());
        assert_eq!(
            if_match_version(&TestRequest::default().to_http_request()).ok(),
            Some(None)
        );
    }
}
