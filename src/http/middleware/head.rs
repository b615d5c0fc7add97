//! HEAD answered as GET without a body (RFC 9110 §9.3.2): every page and API read gets it from
//! its GET handler, with the same status and headers.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{HttpMessage, HttpRequest};
use std::future::Future;

/// Left on a request that came as HEAD, for the handlers that must tell (a HEAD is nobody
/// reading the page: it is not counted as a view).
#[derive(Debug, Clone, Copy)]
struct CameAsHead;

/// Whether the request the handler answers as GET was a HEAD.
pub fn came_as_head(req: &HttpRequest) -> bool {
    req.method() == Method::HEAD || req.extensions().get::<CameAsHead>().is_some()
}

/// For `wrap_fn`: runs a HEAD request as GET, then drops the body.
pub fn head_as_get<S, B>(
    mut req: ServiceRequest,
    srv: &S,
) -> impl Future<Output = Result<ServiceResponse<BoxBody>, actix_web::Error>> + 'static
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
        req.extensions_mut().insert(CameAsHead);
    }
    let answer = srv.call(req);
    async move {
        let res = answer.await?;
        Ok(if head {
            res.map_body(|_, _| BoxBody::new(actix_web::body::None::new()))
        } else {
            res.map_into_boxed_body()
        })
    }
}
