//! Request extractors: JSON bodies with field-named errors, and who is asking (auth).

use crate::error::{AppError, Code, FieldError};
use crate::startup::AppState;
use crate::store::users::{self, Role, UserRow};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

pub const SESSION_COOKIE: &str = "vungcao_session";
const MAX_JSON_BYTES: usize = 256 * 1024;

/// A JSON body. Malformed JSON is `malformed_json` (400); a well-formed body with a wrong type,
/// an unknown or a missing field is `validation_failed` (422) naming the field.
pub struct JsonBody<T>(pub T);

/// Turns a serde error at `path` into the field name a client understands.
fn field_error(path: String, message: String) -> FieldError {
    // serde reports unknown fields at their parent's path; name the field itself.
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let field = if path == "." || path.is_empty() {
            name.to_owned()
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path
        } else {
            format!("{path}.{name}")
        };
        return FieldError::new(field, "unknown field");
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let field = if path == "." || path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return FieldError::new(field, "is required");
    }
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or_default()
        .to_owned();
    let field = if path == "." { String::new() } else { path };
    FieldError::new(field, message)
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::new(Code::MalformedJson).with_detail("the body is empty"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                AppError::validation(vec![field_error(path, inner.to_string())])
            }
            _ => AppError::new(Code::MalformedJson).with_detail(
                inner
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            ),
        }
    })?;
    de.end()
        .map_err(|_| AppError::new(Code::MalformedJson).with_detail("trailing characters"))?;
    Ok(value)
}

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

/// A signed-in account: by `Authorization: Bearer <token>` or the session cookie.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: UserRow,
    pub token_id: i64,
}

impl Auth {
    pub fn is_admin(&self) -> bool {
        self.user.role() == Role::Admin
    }
}

/// The presented secret, if any, and whether it came from the cookie.
pub fn presented_token(req: &HttpRequest) -> Option<(String, bool)> {
    if let Some(value) = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or_default()
            .trim();
        return Some((token.to_owned(), false));
    }
    req.cookie(SESSION_COOKIE)
        .map(|c| (c.value().to_owned(), true))
}

pub async fn authenticate(state: &AppState, req: &HttpRequest) -> Result<Auth, AppError> {
    let Some((token, _)) = presented_token(req) else {
        return Err(AppError::new(Code::Unauthorized).with_detail("sign in or send a bearer token"));
    };
    if token.is_empty() || token.len() > 200 {
        return Err(AppError::new(Code::Unauthorized).with_detail("the token is not valid"));
    }
    let hash = crate::auth::token_hash(&token);
    let found = state
        .db
        .run(move |conn| users::token_with_user(conn, &hash))
        .await?;
    let Some((token, user)) = found else {
        return Err(AppError::new(Code::Unauthorized).with_detail("the token is not valid"));
    };
    if token.revoked_at.is_some() {
        return Err(AppError::new(Code::Unauthorized).with_detail("the token was revoked"));
    }
    if token
        .expires_at
        .is_some_and(|at| at <= chrono::Utc::now().naive_utc())
    {
        return Err(AppError::new(Code::Unauthorized).with_detail("the token has expired"));
    }
    Ok(Auth {
        user,
        token_id: token.id,
    })
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
            let by_cookie = presented_token(&req).is_some_and(|(_, cookie)| cookie);
            if by_cookie && !safe && !req.headers().contains_key("x-requested-with") {
                return Err(AppError::new(Code::Forbidden).with_detail(
                    "send the X-Requested-With header with cookie-signed API requests",
                ));
            }
            authenticate(state, &req).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        name: String,
        price: i64,
    }

    fn code_and_fields(body: &str) -> (String, Vec<String>) {
        match parse_json::<Probe>(body.as_bytes()) {
            Ok(_) => ("ok".into(), vec![]),
            Err(e) => (
                e.code.as_str(),
                e.errors.iter().map(|f| f.field.clone()).collect(),
            ),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(
            code_and_fields("{\"name\":"),
            ("malformed_json".into(), vec![])
        );
        assert_eq!(
            code_and_fields(r#"{"name":"a","price":"x"}"#),
            ("validation_failed".into(), vec!["price".into()])
        );
        assert_eq!(
            code_and_fields(r#"{"name":"a","price":1,"hack":1}"#),
            ("validation_failed".into(), vec!["hack".into()])
        );
        assert_eq!(code_and_fields(r#"{"name":"a","price":1}"#).0, "ok");
    }
}
