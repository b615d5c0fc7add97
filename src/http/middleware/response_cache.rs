//! Public answers served from the in-memory response cache ([`MicroCache`]) when a fresh copy is
//! kept; otherwise the handler runs and the cache sees its answer.

use crate::http::microcache::MicroCache;
use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use futures_util::future::LocalBoxFuture;
use std::sync::Arc;

/// What the middleware answers.
type Answer = LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, actix_web::Error>>;

/// For `wrap_fn`, over the app's one cache.
pub fn serve_from<S>(cache: Arc<MicroCache>) -> impl Fn(ServiceRequest, &S) -> Answer + Clone
where
    S: Service<ServiceRequest, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
    S::Future: 'static,
{
    move |req, srv| match cache.lookup(&req) {
        Some(hit) => {
            let res = req.into_response(hit);
            Box::pin(async move { Ok(res) })
        }
        None => {
            let cache = cache.clone();
            let key = cache.key_for(&req);
            let method = req.method().clone();
            let fut = srv.call(req);
            Box::pin(async move {
                let res = fut.await?.map_into_boxed_body();
                cache.observe(&method, key, res).await
            })
        }
    }
}
