//! Public API answers kept in memory for a few seconds, so a shopper crowd hitting the same
//! listing costs one database read, not thousands. Bounded by bytes (`moka`, each answer weighed
//! by what it costs in memory, least recently used out first, expired entries dropped).
//!
//! A change stales only the answers that show it. A listing's detail answer is marked with its id
//! by the handler ([`shows_listing`]); every other answer (lists, search, the calendar, a
//! cooperative, places) counts as showing the whole catalogue. A listing change (reported by the
//! database for every write that passes the outbox, and by every indexer batch) stales that
//! listing's detail answers and every catalogue answer; other listings' details stay. A write
//! through this process that succeeds (including a form's 303) and is not one of the
//! [`LISTING_WRITES`] stales everything, as does a finished import. An answer computed while a
//! change it shows landed is never kept as fresh: it carries the clock reading its request began
//! at. Other replicas' and CLI writes show within the TTL, no later than the
//! `Cache-Control: max-age` clients already get.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Writes whose only effect on public answers is changing listings, which the database reports
/// itself ([`crate::store::changes`]): a member's own listings and their photos, a member's
/// password and tokens, signing in and out, an admin's review decisions. Any other write that
/// succeeds (cooperatives, places, accounts, imports, whatever is added later) stales everything.
const LISTING_WRITES: &[&str] = &[
    "/api/v1/my/listings",
    "/api/v1/auth/",
    "/api/v1/me/",
    "/api/v1/admin/listings/",
    "/tai-khoan/san-pham",
    "/tai-khoan/mat-khau",
    "/tai-khoan/the-api",
    "/dang-nhap",
    "/dang-xuat",
    "/quan-tri/duyet/",
];

/// Listings share this many clocks (by id modulo): a change also stales the details of the few
/// listings that share its clock, a small price for a fixed, small memory.
const LISTING_CLOCKS: usize = 1024;

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

/// What a kept answer shows, so that a change stales only the answers it touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shows {
    /// One listing's detail: stale when that listing changes.
    Listing(i64),
    /// Anything else public: stale when any listing changes.
    Catalogue,
}

/// A handler's mark, in its answer's extensions, that the answer shows this one listing and
/// nothing that changes apart from it (see [`shows_listing`]).
#[derive(Clone, Copy)]
struct ShowsOneListing(i64);

/// Marks an answer as one listing's detail, so that changes to other listings leave it kept.
pub fn shows_listing(res: &mut HttpResponse, listing_id: i64) {
    res.extensions_mut().insert(ShowsOneListing(listing_id));
}

/// When each kind of change last happened, read on one clock that ticks once per change: an
/// answer is fresh while nothing it shows changed after the reading its request began at.
struct Clocks {
    now: AtomicU64,
    everything: AtomicU64,
    any_listing: AtomicU64,
    listing: Box<[AtomicU64]>,
}

impl Clocks {
    fn new() -> Clocks {
        Clocks {
            now: AtomicU64::new(0),
            everything: AtomicU64::new(0),
            any_listing: AtomicU64::new(0),
            listing: (0..LISTING_CLOCKS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn now(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }

    fn tick(&self) -> u64 {
        self.now.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn of_listing(&self, id: i64) -> &AtomicU64 {
        let at = usize::try_from(id.rem_euclid(LISTING_CLOCKS as i64)).unwrap_or_default();
        &self.listing[at]
    }

    /// The tick of the last change to what `shows` shows.
    fn last_change(&self, shows: Shows) -> u64 {
        let shown = match shows {
            Shows::Listing(id) => self.of_listing(id).load(Ordering::SeqCst),
            Shows::Catalogue => self.any_listing.load(Ordering::SeqCst),
        };
        shown.max(self.everything.load(Ordering::SeqCst))
    }
}

#[derive(Clone)]
struct Entry {
    shows: Shows,
    /// The clock reading when its request began.
    seen: u64,
    content_type: String,
    etag: String,
    cache_control: String,
    body: Bytes,
}

pub struct MicroCache {
    ttl: Duration,
    clocks: Clocks,
    entries: moka::sync::Cache<String, Entry>,
}

/// What [`MicroCache::key_for`] hands the response side: where to keep the answer and the clock
/// reading when its request began.
pub struct Pending {
    key: String,
    seen: u64,
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
            clocks: Clocks::new(),
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

    /// Something changed that any answer may show: every kept answer is stale.
    pub fn everything_changed(&self) {
        let at = self.clocks.tick();
        self.clocks.everything.fetch_max(at, Ordering::SeqCst);
        self.entries.invalidate_all();
    }

    /// These listings changed: their details and every catalogue answer are stale (left in place
    /// until asked for or evicted; a lookup drops them).
    pub fn listings_changed(&self, listing_ids: &[i64]) {
        if listing_ids.is_empty() {
            return;
        }
        let at = self.clocks.tick();
        for id in listing_ids {
            self.clocks.of_listing(*id).fetch_max(at, Ordering::SeqCst);
        }
        self.clocks.any_listing.fetch_max(at, Ordering::SeqCst);
    }

    fn key(req: &ServiceRequest) -> String {
        format!("{}?{}", req.path(), req.query_string())
    }

    /// A kept answer for this request, if fresh; honours `If-None-Match`.
    pub fn lookup(&self, req: &ServiceRequest) -> Option<HttpResponse> {
        if self.ttl.is_zero() || !cacheable(req) {
            return None;
        }
        let key = Self::key(req);
        let entry = self.entries.get(&key)?;
        if self.clocks.last_change(entry.shows) > entry.seen {
            self.entries.invalidate(&key);
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

    /// Keeps a fresh 200 answer to a cacheable request; a write that succeeds and is not one of
    /// the [`LISTING_WRITES`] stales everything.
    pub async fn observe(
        &self,
        req_method: &Method,
        pending: Option<Pending>,
        res: ServiceResponse<BoxBody>,
    ) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
        let write = !matches!(*req_method, Method::GET | Method::HEAD | Method::OPTIONS);
        // A form's write answers 303; anything short of an error may have changed something.
        if write {
            let path = res.request().path();
            if res.status().as_u16() < 400 && !LISTING_WRITES.iter().any(|p| path.starts_with(p)) {
                self.everything_changed();
            }
            return Ok(res);
        }
        let Some(Pending { key, seen }) = pending else {
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
        let shows = res
            .response()
            .extensions()
            .get::<ShowsOneListing>()
            .map_or(Shows::Catalogue, |one| Shows::Listing(one.0));
        let (req, res) = res.into_parts();
        let (res, body) = res.into_parts();
        let body = match body.try_into_bytes() {
            Ok(bytes) => bytes,
            Err(body) => actix_web::body::to_bytes(body)
                .await
                .map_err(|_| actix_web::error::ErrorInternalServerError("body"))?,
        };
        // Kept only if nothing it shows changed since the request began.
        if body.len() <= MAX_BODY_BYTES && self.clocks.last_change(shows) <= seen {
            self.entries.insert(
                key,
                Entry {
                    shows,
                    seen,
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

    /// Where this request's answer would be kept, with the clock read now, before the handler
    /// runs.
    pub fn key_for(&self, req: &ServiceRequest) -> Option<Pending> {
        (!self.ttl.is_zero() && cacheable(req)).then(|| Pending {
            key: Self::key(req),
            seen: self.clocks.now(),
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

    /// Keeps the detail answer of listing `id` at `path`.
    async fn keep_detail(cache: &MicroCache, path: &str, id: i64, body: &str) {
        let req = get(path);
        let pending = cache.key_for(&req);
        let mut res = answer(&req, body.into());
        shows_listing(res.response_mut(), id);
        cache.observe(&Method::GET, pending, res).await.unwrap();
    }

    fn kept(cache: &MicroCache, path: &str) -> bool {
        cache.lookup(&get(path)).is_some()
    }

    /// A write answered `status` at `path` passes the cache.
    async fn write(cache: &MicroCache, path: &str, status: StatusCode) {
        let req = TestRequest::post().uri(path).to_srv_request();
        let res = ServiceResponse::new(req.request().clone(), HttpResponse::new(status));
        cache.observe(&Method::POST, None, res).await.unwrap();
    }

    #[actix_web::test]
    async fn an_answer_computed_while_a_write_landed_is_not_kept() {
        let cache = MicroCache::new(Duration::from_secs(60), 1024 * 1024);
        let req = get("/api/v1/listings/che");
        let pending = cache.key_for(&req);
        // A write lands while the read's handler runs.
        cache.everything_changed();
        cache
            .observe(&Method::GET, pending, answer(&req, "old".into()))
            .await
            .unwrap();
        assert!(!kept(&cache, "/api/v1/listings/che"));
    }

    #[actix_web::test]
    async fn a_detail_computed_while_its_listing_changed_is_not_kept() {
        let cache = MicroCache::new(Duration::from_secs(60), 1024 * 1024);
        for (path, id) in [("/api/v1/listings/che", 7), ("/api/v1/listings/cam", 8)] {
            let req = get(path);
            let pending = cache.key_for(&req);
            // Listing 7 changes while both reads' handlers run.
            cache.listings_changed(&[7]);
            let mut res = answer(&req, "read before the change".into());
            shows_listing(res.response_mut(), id);
            cache.observe(&Method::GET, pending, res).await.unwrap();
        }
        assert!(!kept(&cache, "/api/v1/listings/che"), "7 changed under it");
        assert!(kept(&cache, "/api/v1/listings/cam"), "8 did not change");
        // A list computed while any listing changed is not kept either.
        let req = get("/api/v1/listings?limit=5");
        let pending = cache.key_for(&req);
        cache.listings_changed(&[8]);
        cache
            .observe(&Method::GET, pending, answer(&req, "old".into()))
            .await
            .unwrap();
        assert!(!kept(&cache, "/api/v1/listings?limit=5"));
    }

    #[actix_web::test]
    async fn a_listing_change_stales_its_details_and_the_lists_but_not_other_details() {
        let cache = MicroCache::new(Duration::from_secs(60), 1024 * 1024);
        keep_detail(&cache, "/api/v1/listings/che", 7, "chè").await;
        keep_detail(&cache, "/api/v1/listings/cam", 8, "cam").await;
        keep(&cache, "/api/v1/listings?limit=5", "list".into()).await;
        keep(&cache, "/api/v1/events", "calendar".into()).await;
        cache.listings_changed(&[7]);
        assert!(!kept(&cache, "/api/v1/listings/che"));
        assert!(!kept(&cache, "/api/v1/listings?limit=5"));
        assert!(!kept(&cache, "/api/v1/events"));
        assert!(kept(&cache, "/api/v1/listings/cam"));
        // Kept again after the change, fresh from then on.
        keep_detail(&cache, "/api/v1/listings/che", 7, "chè mới").await;
        assert!(kept(&cache, "/api/v1/listings/che"));
    }

    #[actix_web::test]
    async fn a_member_write_stales_nothing_by_itself_any_other_write_everything() {
        let cache = MicroCache::new(Duration::from_secs(60), 1024 * 1024);
        keep_detail(&cache, "/api/v1/listings/che", 7, "chè").await;
        keep(&cache, "/api/v1/listings?limit=5", "list".into()).await;
        // A member's form (its listing changes, if any, are reported by the database), a
        // password change: the answers stay.
        write(&cache, "/tai-khoan/san-pham/1", StatusCode::SEE_OTHER).await;
        write(&cache, "/api/v1/me/password", StatusCode::NO_CONTENT).await;
        assert!(kept(&cache, "/api/v1/listings/che"));
        assert!(kept(&cache, "/api/v1/listings?limit=5"));
        // A refused write changed nothing.
        write(&cache, "/quan-tri/htx", StatusCode::FORBIDDEN).await;
        assert!(kept(&cache, "/api/v1/listings?limit=5"));
        // A write the cache cannot attribute (here a new cooperative by form, answered 303).
        write(&cache, "/quan-tri/htx", StatusCode::SEE_OTHER).await;
        assert!(!kept(&cache, "/api/v1/listings/che"));
        assert!(!kept(&cache, "/api/v1/listings?limit=5"));
    }
}
