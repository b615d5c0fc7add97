//! Public API answers kept in memory for a few seconds, so a shopper crowd hitting the same
//! listing costs one database read, not thousands. Any successful write through this process
//! (and every indexer batch) empties it at once; other replicas' and CLI writes show within the
//! TTL, no later than the `Cache-Control: max-age` clients already get.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

const MAX_ENTRIES: usize = 20_000;
const MAX_BODY_BYTES: usize = 256 * 1024;

struct Entry {
    generation: u64,
    stored: Instant,
    content_type: String,
    etag: String,
    cache_control: String,
    body: Bytes,
}

pub struct MicroCache {
    ttl: Duration,
    generation: AtomicU64,
    entries: RwLock<HashMap<String, Entry>>,
}

/// The answers worth keeping: anonymous reads of the public API.
fn cacheable(req: &ServiceRequest) -> bool {
    let path = req.path();
    req.method() == Method::GET
        && path.starts_with("/api/v1/")
        && !path.starts_with("/api/v1/my/")
        && !path.starts_with("/api/v1/admin/")
        && !path.starts_with("/api/v1/auth/")
        && !req.headers().contains_key(header::AUTHORIZATION)
}

impl MicroCache {
    /// `ttl` zero turns it off.
    pub fn new(ttl: Duration) -> MicroCache {
        MicroCache {
            ttl,
            generation: AtomicU64::new(0),
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// Something changed: every kept answer is stale.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    fn key(req: &ServiceRequest) -> String {
        format!("{}?{}", req.path(), req.query_string())
    }

    /// A kept answer for this request, if fresh; honours `If-None-Match`.
    pub fn lookup(&self, req: &ServiceRequest) -> Option<HttpResponse> {
        if self.ttl.is_zero() || !cacheable(req) {
            return None;
        }
        let generation = self.generation.load(Ordering::Relaxed);
        let entries = self.entries.read().ok()?;
        let entry = entries.get(&Self::key(req))?;
        if entry.generation != generation || entry.stored.elapsed() > self.ttl {
            return None;
        }
        let not_modified = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim().trim_start_matches("W/") == entry.etag)
            });
        let mut builder = if not_modified {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        builder
            .insert_header((header::ETAG, entry.etag.clone()))
            .insert_header((header::CACHE_CONTROL, entry.cache_control.clone()))
            .insert_header((header::VARY, "Accept-Encoding"));
        Some(if not_modified {
            builder.finish()
        } else {
            builder
                .content_type(entry.content_type.clone())
                .body(entry.body.clone())
        })
    }

    /// Keeps a fresh 200 answer to a cacheable request; writes that succeed invalidate.
    pub async fn observe(
        &self,
        req_method: &Method,
        key: Option<String>,
        res: ServiceResponse<BoxBody>,
    ) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
        let write = !matches!(*req_method, Method::GET | Method::HEAD | Method::OPTIONS);
        if write && res.status().is_success() {
            self.invalidate();
            return Ok(res);
        }
        let Some(key) = key else { return Ok(res) };
        if res.status() != StatusCode::OK || self.ttl.is_zero() {
            return Ok(res);
        }
        let headers = res.headers();
        let text = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (Some(etag), Some(content_type)) = (text(header::ETAG), text(header::CONTENT_TYPE))
        else {
            return Ok(res);
        };
        let cache_control = text(header::CACHE_CONTROL).unwrap_or_default();
        let generation = self.generation.load(Ordering::Relaxed);
        let (req, res) = res.into_parts();
        let (res, body) = res.into_parts();
        let body = match body.try_into_bytes() {
            Ok(bytes) => bytes,
            Err(body) => actix_web::body::to_bytes(body)
                .await
                .map_err(|_| actix_web::error::ErrorInternalServerError("body"))?,
        };
        if body.len() <= MAX_BODY_BYTES {
            if let Ok(mut entries) = self.entries.write() {
                if entries.len() >= MAX_ENTRIES {
                    // A crude bound: start over rather than track recency.
                    entries.clear();
                }
                entries.insert(
                    key,
                    Entry {
                        generation,
                        stored: Instant::now(),
                        content_type,
                        etag,
                        cache_control,
                        body: body.clone(),
                    },
                );
            }
        }
        Ok(ServiceResponse::new(req, res.set_body(body.boxed())))
    }

    /// The key under which this request's answer would be kept.
    pub fn key_for(&self, req: &ServiceRequest) -> Option<String> {
        (!self.ttl.is_zero() && cacheable(req)).then(|| Self::key(req))
    }
}
