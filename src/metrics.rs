//! Prometheus metrics (the `prometheus` crate): one registry per process, fed by the HTTP
//! middleware, the database gate, search, the photo pool and the link-out, and rendered by
//! `/metrics`.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};
use std::sync::LazyLock;
use std::time::Duration;

/// Latency buckets from 0.5 ms to 10 s: a page read is milliseconds, a photo upload seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub struct Metrics {
    registry: Registry,
    /// By method, route pattern (`/api/v1/listings/{slug}`, never the raw path) and status.
    pub http_requests: HistogramVec,
    /// By search backend (`tantivy`, `meilisearch`).
    pub search: HistogramVec,
    /// Time a database call waited for a connection slot.
    pub db_pool_wait: Histogram,
    /// Connections a database pool failed to open or set up (the pool opens them again).
    pub db_connection_errors: IntCounter,
    pub photo_jobs_running: IntGauge,
    pub photo_jobs_queued: IntGauge,
    /// By outcome: `processed`, `failed` (a bad photo or a pipeline error), `refused` (pool full).
    pub photo_jobs: IntCounterVec,
    pub outbox_pending: IntGauge,
    /// Age of the oldest outbox row: how far search is behind the database.
    pub indexer_lag_seconds: prometheus::Gauge,
    pub link_clicks: IntCounter,
    /// Shoppers' listing page views written to the database.
    pub listing_views: IntCounter,
    /// Passwords checked with argon2 (what sign-in guesses cost; refused guesses never count).
    pub login_verifications: IntCounter,
    /// Listings the query understanding's vocabulary knows (0 while it loads at start-up).
    pub search_vocabulary_listings: IntGauge,
}

fn histogram(name: &str, help: &str) -> HistogramOpts {
    HistogramOpts::new(name, help).buckets(BUCKETS.to_vec())
}

impl Metrics {
    fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new_custom(Some("vungcao".into()), None)?;
        let metrics = Metrics {
            http_requests: HistogramVec::new(
                histogram(
                    "http_request_duration_seconds",
                    "Time spent answering HTTP requests.",
                ),
                &["method", "route", "status"],
            )?,
            search: HistogramVec::new(
                histogram(
                    "search_duration_seconds",
                    "Time the search engine took per query.",
                ),
                &["backend"],
            )?,
            db_pool_wait: Histogram::with_opts(histogram(
                "db_pool_wait_seconds",
                "Time database work waited for a connection slot.",
            ))?,
            db_connection_errors: IntCounter::new(
                "db_connection_errors_total",
                "Database connections a pool failed to open or set up (it opens them again).",
            )?,
            photo_jobs_running: IntGauge::new("photo_jobs_running", "Photos being processed.")?,
            photo_jobs_queued: IntGauge::new(
                "photo_jobs_queued",
                "Photos waiting for a processing slot.",
            )?,
            photo_jobs: IntCounterVec::new(
                Opts::new("photo_jobs_total", "Photo jobs by outcome."),
                &["outcome"],
            )?,
            outbox_pending: IntGauge::new("outbox_pending", "Listings waiting to be (re)indexed.")?,
            indexer_lag_seconds: prometheus::Gauge::new(
                "indexer_lag_seconds",
                "Age of the oldest outbox row (0 when search is up to date).",
            )?,
            link_clicks: IntCounter::new("link_clicks_total", "Marketplace link-outs counted.")?,
            listing_views: IntCounter::new(
                "listing_views_total",
                "Shoppers' listing page views written to the database.",
            )?,
            login_verifications: IntCounter::new(
                "login_verifications_total",
                "Passwords checked (argon2) for sign-ins.",
            )?,
            search_vocabulary_listings: IntGauge::new(
                "search_vocabulary_listings",
                "Listings known to the query understanding (0 while it loads).",
            )?,
            registry,
        };
        let r = &metrics.registry;
        r.register(Box::new(metrics.http_requests.clone()))?;
        r.register(Box::new(metrics.search.clone()))?;
        r.register(Box::new(metrics.db_pool_wait.clone()))?;
        r.register(Box::new(metrics.db_connection_errors.clone()))?;
        r.register(Box::new(metrics.photo_jobs_running.clone()))?;
        r.register(Box::new(metrics.photo_jobs_queued.clone()))?;
        r.register(Box::new(metrics.photo_jobs.clone()))?;
        r.register(Box::new(metrics.outbox_pending.clone()))?;
        r.register(Box::new(metrics.indexer_lag_seconds.clone()))?;
        r.register(Box::new(metrics.link_clicks.clone()))?;
        r.register(Box::new(metrics.listing_views.clone()))?;
        r.register(Box::new(metrics.login_verifications.clone()))?;
        r.register(Box::new(metrics.search_vocabulary_listings.clone()))?;
        Ok(metrics)
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "rendering metrics failed");
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    pub fn observe_http(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.http_requests
            .with_label_values(&[method, route, status.to_string().as_str()])
            .observe(elapsed.as_secs_f64());
    }
}

static METRICS: LazyLock<Option<Metrics>> = LazyLock::new(|| match Metrics::new() {
    Ok(m) => Some(m),
    Err(e) => {
        tracing::error!(error = %e, "metrics unavailable");
        None
    }
});

/// The process's metrics; `None` only if registering them failed at start-up (logged once).
pub fn get() -> Option<&'static Metrics> {
    METRICS.as_ref()
}

/// Runs `f` with the metrics when they exist: call sites stay one line.
pub fn with(f: impl FnOnce(&Metrics)) {
    if let Some(m) = get() {
        f(m);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_rendered_with_the_vungcao_prefix() {
        with(|m| {
            m.observe_http(
                "GET",
                "/api/v1/listings/{slug}",
                200,
                Duration::from_millis(3),
            );
            m.search.with_label_values(&["tantivy"]).observe(0.002);
            m.photo_jobs.with_label_values(&["processed"]).inc();
        });
        let text = get().map(Metrics::render).unwrap_or_default();
        for family in [
            "vungcao_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/listings/{slug}\",status=\"200\"",
            "vungcao_search_duration_seconds_count{backend=\"tantivy\"}",
            "vungcao_db_pool_wait_seconds_count",
            "vungcao_db_connection_errors_total",
            "vungcao_photo_jobs_total{outcome=\"processed\"}",
            "vungcao_photo_jobs_running",
            "vungcao_outbox_pending",
            "vungcao_indexer_lag_seconds",
            "vungcao_link_clicks_total",
            "vungcao_listing_views_total",
            "vungcao_login_verifications_total",
        ] {
            assert!(text.contains(family), "{family} missing from:\n{text}");
        }
    }
}
