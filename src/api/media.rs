//! `/media/{key}`: stored photo variants, content-addressed, streamed, cached for a year, with
//! byte ranges.

use crate::error::{AppError, Code};
use crate::state::AppState;
use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use std::ops::Range;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(media);
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[utoipa::path(
    tag = "storefront",
    params(("key" = String, Path, description = "e.g. p/ab/0123…/640.webp")),
    responses(
        (status = 200, description = "the file; Cache-Control: public, max-age=31536000, immutable"),
        (status = 206, description = "the byte range asked for with `Range: bytes=…`"),
        (status = 304),
        (status = 400, description = "invalid_media_key", body = crate::error::Problem),
        (status = 404, description = "media_not_found", body = crate::error::Problem),
        (status = 416, description = "the range lies outside the file"),
        (status = 503, description = "storage_unavailable", body = crate::error::Problem)
    )
)]
#[get("/media/{key:.*}")]
pub async fn media(
    state: web::Data<AppState>,
    req: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = key.into_inner();
    let if_none_match = header_text(&req, header::IF_NONE_MATCH);
    let range_header = header_text(&req, header::RANGE);
    // Validators and ranges need the size and ETag before the body: ask for them first.
    let mut range = None;
    if if_none_match.is_some() || range_header.is_some() {
        let info = state
            .media
            .head(&key)
            .await?
            .ok_or_else(|| AppError::new(Code::MediaNotFound))?;
        if if_none_match.is_some_and(|v| etag_matches(v, &info.etag)) {
            return Ok(HttpResponse::NotModified()
                .insert_header((header::ETAG, info.etag))
                .insert_header((header::CACHE_CONTROL, IMMUTABLE))
                .finish());
        }
        match range_header.map(|v| parse_byte_range(v, info.size)) {
            None | Some(RangeAnswer::Whole) => {}
            Some(RangeAnswer::Part(part)) => range = Some(part),
            Some(RangeAnswer::Unsatisfiable) => {
                return Ok(HttpResponse::RangeNotSatisfiable()
                    .insert_header((header::CONTENT_RANGE, format!("bytes */{}", info.size)))
                    .insert_header((header::ACCEPT_RANGES, "bytes"))
                    .finish());
            }
        }
    }
    let object = state
        .media
        .open(&key, range.clone())
        .await?
        .ok_or_else(|| AppError::new(Code::MediaNotFound))?;
    let mut builder = if range.is_some() {
        let mut partial = HttpResponse::PartialContent();
        partial.insert_header((
            header::CONTENT_RANGE,
            format!(
                "bytes {}-{}/{}",
                object.range.start,
                object.range.end.saturating_sub(1),
                object.info.size
            ),
        ));
        partial
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::ETAG, object.info.etag.clone()))
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .content_type(object.info.content_type.clone());
    let length = object.range.end - object.range.start;
    Ok(builder.body(SizedStream::new(length, object.body)))
}

fn header_text(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

/// What to send for a `Range` header.
#[derive(Debug, PartialEq, Eq)]
enum RangeAnswer {
    /// No usable single byte range (another unit, several ranges, bad syntax): the whole file.
    Whole,
    Part(Range<u64>),
    /// 416: the range starts past the end.
    Unsatisfiable,
}

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range (RFC 9110 §14.1.2) of a `size`-byte file.
fn parse_byte_range(value: &str, size: u64) -> RangeAnswer {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Whole;
    };
    if spec.contains(',') {
        return RangeAnswer::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |text: &str| text.parse::<u64>().ok();
    match (first.is_empty(), last.is_empty()) {
        (true, false) => match number(last) {
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(_) if size == 0 => RangeAnswer::Unsatisfiable,
            Some(suffix) => RangeAnswer::Part(size.saturating_sub(suffix)..size),
            None => RangeAnswer::Whole,
        },
        (false, _) => {
            let Some(start) = number(first) else {
                return RangeAnswer::Whole;
            };
            let end = if last.is_empty() {
                Some(size.saturating_sub(1))
            } else {
                number(last)
            };
            match end {
                None => RangeAnswer::Whole,
                Some(_) if start >= size => RangeAnswer::Unsatisfiable,
                Some(end) if end < start => RangeAnswer::Whole,
                Some(end) => RangeAnswer::Part(start..end.min(size - 1) + 1),
            }
        }
        (true, true) => RangeAnswer::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_follow_rfc_9110() {
        use RangeAnswer::*;
        assert_eq!(parse_byte_range("bytes=0-99", 1000), Part(0..100));
        assert_eq!(parse_byte_range("bytes=900-", 1000), Part(900..1000));
        assert_eq!(parse_byte_range("bytes=-100", 1000), Part(900..1000));
        assert_eq!(parse_byte_range("bytes=-5000", 1000), Part(0..1000));
        assert_eq!(parse_byte_range("bytes=990-5000", 1000), Part(990..1000));
        assert_eq!(parse_byte_range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(parse_byte_range("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(parse_byte_range("bytes=0-0", 0), Unsatisfiable);
        assert_eq!(parse_byte_range("bytes=5-1", 1000), Whole);
        assert_eq!(parse_byte_range("bytes=0-1,5-9", 1000), Whole);
        assert_eq!(parse_byte_range("items=0-1", 1000), Whole);
        assert_eq!(parse_byte_range("bytes=x-1", 1000), Whole);
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        assert!(etag_matches("\"a\", \"b\"", "\"b\""));
        assert!(etag_matches("W/\"b\"", "\"b\""));
        assert!(etag_matches("*", "\"b\""));
        assert!(!etag_matches("\"a\"", "\"b\""));
    }
}
