//! Public API answers kept in memory for a few seconds, so a shopper crowd hitting the same
//! listing costs one database read, not thousands. Bounded by bytes (`moka`, each answer weighed
//! by what it costs in memory, least recently used out first, expired entries dropped). Any write
//! through this process that succeeds (including a form's 303) and every indexer batch makes
//! every kept answer stale at once; an answer computed while a write landed is never kept as
//! fresh, because it carries the generation seen when its request began. Other replicas' and
//! CLI writes show within the TTL, no later than the `Cache-Control: max-age` clients already get.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const MAX_BODY_BYTES: usize = 256 * 1024;
/// What one kept answer costs beyond the bytes of its body, key and header strings: moka's
/// entry, nodes and hash-table slot, the strings' own allocations (a one-off experiment with moka
/// 0.12 on glibc put it near 600 B; `bench/abuse.sh`'s cache scenario checks the whole budget).
const ENTRY_OVERHEAD: usize = 640;

/// What a body of `len` bytes costs the allocator: its bytes and the gaps evicted bodies of other
/// sizes leave between kept ones (about a fifth in the same experiment, with bodies of 8–22 KB
/// churning through a full cache; a quarter is counted), so that the configured bytes bound the
/// memory, not just the payload.
fn body_weight(len: usize) -> usize {
    len + len / 4
}

#[derive(Clone)]
struct Entry {
    generation: u64,
    content_type: String,
    etag: String,
    cache_control: String,
    body: Bytes,
}

pub struct MicroCache {
    ttl: Duration,
    generation: AtomicU64,
    entries: moka::sync::Cache<String, Entry>,
}

/// What [`MicroCache::key_for`] hands the response side: where to keep the answer and the
/// generation its request saw when it began.
pub struct Pending {
    key: String,
    generation: u64,
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
    /// `ttl` zero turns it off; `max_bytes` bounds the bodies and keys kept.
    pub fn new(ttl: Duration, max_bytes: u64) -> MicroCache {
        MicroCache {
            ttl,
            generation: AtomicU64::new(0),
            entries: moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &String, entry: &Entry| {
                    let bytes = key.len()
                        + body_weight(entry.body.len())
                        + entry.etag.len()
                        + entry.content_type.len()
                        + entry.cache_control.len()
                        + ENTRY_OVERHEAD;
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .time_to_live(ttl.max(Duration::from_millis(1)))
                .build(),
        }
    }

    /// Something changed: every kept answer is stale.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
    }

    fn key(req: &ServiceRequest) -> String {
        format!("{}?{}", req.path(), req.query_string())
    }

    /// A kept answer for this request, if fresh; honours `If-None-Match`.
    pub fn lookup(&self, req: &ServiceRequest) -> Option<HttpResponse> {
        if self.ttl.is_zero() || !cacheable(req) {
            return None;
        }
        let generation = self.generation.load(Ordering::Acquire);
        let entry = self.entries.get(&Self::key(req))?;
        if entry.generation != generation {
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
        pending: Option<Pending>,
        res: ServiceResponse<BoxBody>,
    ) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
        let write = !matches!(*req_method, Method::GET | Method::HEAD | Method::OPTIONS);
        // A form's write answers 303; anything short of an error may have changed something.
        if write && res.status().as_u16() < 400 {
            self.invalidate();
            return Ok(res);
        }
        let Some(Pending { key, generation }) = pending else {
            return Ok(res);
        };
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
        let (req, res) = res.into_parts();
        let (res, body) = res.into_parts();
        let body = match body.try_into_bytes() {
            Ok(bytes) => bytes,
            Err(body) => actix_web::body::to_bytes(body)
                .await
                .map_err(|_| actix_web::error::ErrorInternalServerError("body"))?,
        };
        // Kept only if nothing changed since the request began.
        if body.len() <= MAX_BODY_BYTES && generation == self.generation.load(Ordering::Acquire) {
            self.entries.insert(
                key,
                Entry {
                    generation,
                    content_type,
                    etag,
                    cache_control,
                    // A copy of exactly the body's length: the answer's own buffer may be a
                    // grown Vec up to twice as large, which the weigher would not see.
                    body: Bytes::copy_from_slice(&body),
                },
            );
            // Evict now rather than after a batch of inserts: a batch of large answers would
            // otherwise sit past the budget until moka's next housekeeping.
            self.entries.run_pending_tasks();
        }
        Ok(ServiceResponse::new(req, res.set_body(body.boxed())))
    }

    /// Where this request's answer would be kept, with the generation seen now, before the
    /// handler runs.
    pub fn key_for(&self, req: &ServiceRequest) -> Option<Pending> {
        (!self.ttl.is_zero() && cacheable(req)).then(|| Pending {
            key: Self::key(req),
            generation: self.generation.load(Ordering::Acquire),
        })
    }

    /// Bytes the kept answers weigh now (after pending evictions).
    pub fn weighed_bytes(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.weighted_size()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn get(path: &str) -> ServiceRequest {
        TestRequest::get().uri(path).to_srv_request()
    }

    fn answer(req: &ServiceRequest, body: String) -> ServiceResponse<BoxBody> {
        let res = HttpResponse::Ok()
            .content_type("application/json")
            .insert_header((header::ETAG, "\"e\""))
            .body(body);
        ServiceResponse::new(req.request().clone(), res)
    }

    async fn keep(cache: &MicroCache, path: &str, body: String) {
        let req = get(path);
        let pending = cache.key_for(&req);
        cache
            .observe(&Method::GET, pending, answer(&req, body))
            .await
            .unwrap();
    }

    #[actix_web::test]
    async fn kept_answers_stay_within_the_byte_budget() {
        let cache = MicroCache::new(Duration::from_secs(60), 1024 * 1024);
        for i in 0..2_000 {
            keep(&cache, &format!("/api/v1/listings/l-{i}"), "x".repeat(4096)).await;
        }
        let weighed = cache.weighed_bytes();
        assert!(weighed <= 1024 * 1024, "{weighed} bytes kept");
        assert!(weighed > 512 * 1024, "the budget is used: {weighed}");
        let served = (0..2_000)
            .filter(|i| {
                cache
                    .lookup(&get(&format!("/api/v1/listings/l-{i}")))
                    .is_some()
            })
            .count();
        assert!((100..2_000).contains(&served), "{served} answers kept");
    }

    #[actix_web::test]
    async fn an_answer_computed_while_a_write_landed_is_not_kept() {
        let cache = MicroCache::new(Duration::from_secs(60), 1024 * 1024);
        let req = get("/api/v1/listings/che");
        let pending = cache.key_for(&req);
        // A write lands while the read's handler runs.
        cache.invalidate();
        cache
            .observe(&Method::GET, pending, answer(&req, "old".into()))
            .await
            .unwrap();
        assert!(cache.lookup(&get("/api/v1/listings/che")).is_none());
    }

    #[actix_web::test]
    async fn a_form_write_answered_303_clears_the_cache() {
        let cache = MicroCache::new(Duration::from_secs(60), 1024 * 1024);
        keep(&cache, "/api/v1/listings/che", "kept".into()).await;
        assert!(cache.lookup(&get("/api/v1/listings/che")).is_some());
        let form = TestRequest::post()
            .uri("/tai-khoan/san-pham/1")
            .to_srv_request();
        let redirect = ServiceResponse::new(
            form.request().clone(),
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/tai-khoan"))
                .finish(),
        );
        cache.observe(&Method::POST, None, redirect).await.unwrap();
        assert!(cache.lookup(&get("/api/v1/listings/che")).is_none());
    }
}
