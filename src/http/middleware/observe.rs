//! Every request observed: its duration and status into the metrics, one log line, and an
//! `X-Request-Id` that joins the logs of the proxy and of every replica.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// For `wrap_fn`: times the request, counts it per route and status, logs it, and names it.
pub fn observe_request<S, B>(
    req: ServiceRequest,
    srv: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + 'static
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    let started = Instant::now();
    let request_id = request_id(&req);
    // Only pay for copying the request line when it will be logged.
    let line = tracing::enabled!(tracing::Level::INFO)
        .then(|| (req.method().clone(), req.path().to_owned()));
    let fut = srv.call(req);
    async move {
        let mut res = fut.await?;
        let status = res.status().as_u16();
        let elapsed = started.elapsed();
        let route = res.request().match_pattern();
        let route = route.as_deref().unwrap_or("unmatched");
        crate::metrics::with(|m| {
            m.observe_http(res.request().method().as_str(), route, status, elapsed)
        });
        if let Some((method, path)) = line {
            let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
            tracing::info!(%method, %path, route, status, micros, request_id = %request_id, "request");
        }
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            res.headers_mut().insert(X_REQUEST_ID, value);
        }
        Ok(res)
    }
}

/// The proxy's `X-Request-Id` when it is a sane token, else a new one: logs of nginx and of every
/// replica can then be joined on it.
fn request_id(req: &ServiceRequest) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let incoming = req
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        });
    match incoming {
        Some(id) => id.to_owned(),
        None => format!(
            "{:x}-{:x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ),
    }
}
