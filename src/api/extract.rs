//! Request extractors for the API: JSON bodies with field-named errors, and who is asking
//! (`Auth`, `Admin`).

pub use crate::accounts::Auth;
use crate::domain::json::parse_json;
use crate::error::{AppError, Code};
use crate::http::credentials::{authenticate, presented_token, Presented};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

const MAX_JSON_BYTES: usize = 256 * 1024;

/// A JSON body. Malformed JSON is `malformed_json` (400); a well-formed body with a wrong type,
/// an unknown or a missing field is `validation_failed` (422) naming the field.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mut payload = payload.take();
        Box::pin(async move {
            // Requiring JSON also means a cross-site HTML form cannot post here.
            if !content_type.starts_with("application/json") {
                return Err(AppError::new(Code::UnsupportedMediaType)
                    .with_detail("send the body as application/json"));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| {
                    AppError::new(Code::MalformedJson).with_detail("the body could not be read")
                })?;
                if body.len() + chunk.len() > MAX_JSON_BYTES {
                    return Err(AppError::new(Code::PayloadTooLarge)
                        .with_detail("JSON bodies are limited to 256 KiB"));
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(JsonBody)
        })
    }
}

impl FromRequest for Auth {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal("app state missing"))?;
            // A cookie rides along on cross-site requests too; a custom header cannot (there is
            // no CORS here), so cookie-signed API writes must carry one. Pages check CSRF tokens.
            let safe = matches!(
                *req.method(),
                actix_web::http::Method::GET | actix_web::http::Method::HEAD
            );
            let by_cookie = matches!(presented_token(&req), Some(Presented::Cookie(_)));
            if by_cookie && !safe && !req.headers().contains_key("x-requested-with") {
                return Err(AppError::new(Code::Forbidden).with_detail(
                    "send the X-Requested-With header with cookie-signed API requests",
                ));
            }
            authenticate(&state.db, &req).await
        })
    }
}

/// A signed-in admin (commune or province digital team).
#[derive(Debug, Clone)]
pub struct Admin(pub Auth);

impl FromRequest for Admin {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let auth = Auth::from_request(req, payload);
        Box::pin(async move {
            let auth = auth.await?;
            if !auth.is_admin() {
                return Err(AppError::new(Code::Forbidden).with_detail("admins only"));
            }
            Ok(Admin(auth))
        })
    }
}
