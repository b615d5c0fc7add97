//! Operations: liveness, readiness and Prometheus metrics.

use crate::startup::AppState;
use crate::store::outbox;
use actix_web::{get, web, HttpResponse};
use std::sync::atomic::{AtomicU64, Ordering};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

/// Request counters, updated by the logging middleware.
#[derive(Default)]
pub struct Metrics {
    /// By status class: 1xx..5xx.
    responses: [AtomicU64; 5],
    duration_micros: AtomicU64,
    link_clicks: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, status: u16, micros: u64) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
        self.duration_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn click(&self) {
        self.link_clicks.fetch_add(1, Ordering::Relaxed);
    }
}

/// The process is up.
#[utoipa::path(tag = "ops", responses((status = 200)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// The database and the media storage answer: this replica can take traffic. A 503 names
/// what is down, one dependency a line.
#[utoipa::path(tag = "ops", responses((status = 200), (status = 503)))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let (database, media) = tokio::join!(state.db.ping(), state.media.ping());
    let mut down = Vec::new();
    if let Err(e) = database {
        tracing::warn!(error = %e, "not ready: database");
        down.push("database unavailable");
    }
    if let Err(e) = media {
        tracing::warn!(error = %e, "not ready: media storage");
        down.push("media storage unavailable");
    }
    if down.is_empty() {
        HttpResponse::Ok().content_type("text/plain").body("ready")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .insert_header(("Retry-After", "10"))
            .body(down.join("\n"))
    }
}

#[utoipa::path(tag = "ops", responses((status = 200, description = "Prometheus text format")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let m = &state.metrics;
    let mut out = String::new();
    out.push_str("# HELP vungcao_http_responses_total HTTP responses by status class.\n");
    out.push_str("# TYPE vungcao_http_responses_total counter\n");
    let mut total = 0;
    for (i, counter) in m.responses.iter().enumerate() {
        let n = counter.load(Ordering::Relaxed);
        total += n;
        out.push_str(&format!(
            "vungcao_http_responses_total{{class=\"{}xx\"}} {n}\n",
            i + 1
        ));
    }
    out.push_str("# HELP vungcao_http_request_duration_seconds Time spent answering requests.\n");
    out.push_str("# TYPE vungcao_http_request_duration_seconds summary\n");
    out.push_str(&format!(
        "vungcao_http_request_duration_seconds_sum {}\n",
        m.duration_micros.load(Ordering::Relaxed) as f64 / 1e6
    ));
    out.push_str(&format!(
        "vungcao_http_request_duration_seconds_count {total}\n"
    ));
    out.push_str("# HELP vungcao_link_clicks_total Marketplace link-outs counted.\n");
    out.push_str("# TYPE vungcao_link_clicks_total counter\n");
    out.push_str(&format!(
        "vungcao_link_clicks_total {}\n",
        m.link_clicks.load(Ordering::Relaxed)
    ));
    if let Ok(pending) = state.db.run(outbox::pending).await {
        out.push_str("# HELP vungcao_outbox_pending Listings waiting to be (re)indexed.\n");
        out.push_str("# TYPE vungcao_outbox_pending gauge\n");
        out.push_str(&format!("vungcao_outbox_pending {pending}\n"));
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(out)
}
