//! Security headers on every answer: no MIME sniffing, a referrer that stays on the origin, and
//! on pages a Content-Security-Policy that allows no inline script and no framing.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use std::future::Future;

/// The pages' policy: scripts only from this origin (the site's one script file; JSON-LD is data,
/// not script), styles from this origin plus `style` attributes (photo aspect ratios and
/// placeholder colours), images from this origin, `data:`/`blob:` (placeholders, photos shrunk on
/// the phone) and `media_origin` (photos served from a bucket or CDN).
pub fn content_security_policy(media_origin: Option<&str>) -> String {
    let media = media_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:{media}; connect-src 'self'; form-action 'self'; \
         base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
    )
}

/// What a `wrap_fn` middleware answers.
type Answer<B> =
    std::pin::Pin<Box<dyn Future<Output = Result<ServiceResponse<B>, actix_web::Error>>>>;

/// For `wrap_fn`, with the policy built once at start-up.
pub fn add<S, B>(policy: HeaderValue) -> impl Fn(ServiceRequest, &S) -> Answer<B> + Clone
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    move |req, srv| {
        let answer = srv.call(req);
        let policy = policy.clone();
        Box::pin(async move {
            let mut res = answer.await?;
            let headers = res.headers_mut();
            let is_page = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            if !headers.contains_key(header::REFERRER_POLICY) {
                headers.insert(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("strict-origin-when-cross-origin"),
                );
            }
            if is_page {
                headers.insert(header::CONTENT_SECURITY_POLICY, policy);
                headers.insert(
                    HeaderName::from_static("x-frame-options"),
                    HeaderValue::from_static("DENY"),
                );
            }
            Ok(res)
        })
    }
}
