//! Operations: liveness, readiness and Prometheus metrics.

use crate::error::{AppError, Code};
use crate::state::AppState;
use crate::store::outbox;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
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

/// Prometheus metrics. Reachable on the main address only with `VUNGCAO_METRICS_TOKEN` as a
/// bearer token, or (with no token set) from loopback; with `VUNGCAO_METRICS_LISTEN` only there.
#[utoipa::path(tag = "ops", responses((status = 200, description = "Prometheus text format"), (status = 404)))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let settings = &state.settings;
    let allowed = if settings.metrics_listen.is_some() {
        false
    } else if let Some(token) = &settings.metrics_token {
        let sent = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        constant_time_eq(sent.as_bytes(), token.expose().as_bytes())
    } else {
        req.peer_addr().is_some_and(|a| a.ip().is_loopback())
    };
    if !allowed {
        return actix_web::ResponseError::error_response(&AppError::new(Code::NotFound));
    }
    render_metrics(&state).await
}

/// `/metrics` on the separate metrics address: no token, the address is the guard.
pub async fn metrics_on_own_address(state: web::Data<AppState>) -> HttpResponse {
    render_metrics(&state).await
}

async fn render_metrics(state: &AppState) -> HttpResponse {
    let lag = state
        .db
        .run(|conn| Ok((outbox::pending(conn)?, outbox::oldest_age_seconds(conn)?)))
        .await;
    match lag {
        Ok((pending, age)) => crate::metrics::with(|m| {
            m.outbox_pending.set(pending);
            m.indexer_lag_seconds.set(age);
        }),
        Err(e) => tracing::warn!(error = %e, "outbox depth unavailable for metrics"),
    }
    if let Ok(v) = state.search.vocabulary().read() {
        let listings = i64::try_from(v.len()).unwrap_or(i64::MAX);
        crate::metrics::with(|m| m.search_vocabulary_listings.set(listings));
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(
            crate::metrics::get()
                .map(crate::metrics::Metrics::render)
                .unwrap_or_default(),
        )
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
