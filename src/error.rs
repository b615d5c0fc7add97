//! Errors as clients see them: `application/problem+json` with a stable machine-readable `code`.
//!
//! The user-facing message and the internal cause are kept apart: causes go to the log only.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;

/// What a 503 asks clients to wait before trying again.
const RETRY_AFTER_SECONDS: &str = "10";

/// Every error a client can meet. The snake_case name is the public `code` and never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    MalformedJson,
    ValidationFailed,
    InvalidQuery,
    InvalidCursor,
    Unauthorized,
    Forbidden,
    NotFound,
    ListingNotFound,
    CooperativeNotFound,
    PlaceNotFound,
    UserNotFound,
    PhotoNotFound,
    LinkNotFound,
    MediaNotFound,
    InvalidMediaKey,
    Conflict,
    InvalidTransition,
    PayloadTooLarge,
    UnsupportedMediaType,
    UnsupportedImageFormat,
    HeicNotSupported,
    FileTooLarge,
    ImageTooLarge,
    CorruptImage,
    EmptyFile,
    TooManyPhotos,
    RateLimited,
    ProcessingBusy,
    ProcessingFailed,
    StorageFailed,
    StorageUnavailable,
    ServiceUnavailable,
    Internal,
}

impl Code {
    pub fn status(self) -> StatusCode {
        use Code::*;
        match self {
            MalformedJson | InvalidQuery | InvalidCursor | InvalidMediaKey | EmptyFile => {
                StatusCode::BAD_REQUEST
            }
            ValidationFailed | CorruptImage | TooManyPhotos => StatusCode::UNPROCESSABLE_ENTITY,
            Unauthorized => StatusCode::UNAUTHORIZED,
            Forbidden => StatusCode::FORBIDDEN,
            NotFound | ListingNotFound | CooperativeNotFound | PlaceNotFound | UserNotFound
            | PhotoNotFound | LinkNotFound | MediaNotFound => StatusCode::NOT_FOUND,
            Conflict | InvalidTransition => StatusCode::CONFLICT,
            PayloadTooLarge | ImageTooLarge | FileTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType | UnsupportedImageFormat | HeicNotSupported => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ProcessingBusy | ServiceUnavailable | StorageUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Internal | ProcessingFailed | StorageFailed => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "internal".to_owned())
    }

    fn title(self) -> &'static str {
        use Code::*;
        match self {
            MalformedJson => "The request body is not valid JSON",
            ValidationFailed => "Some fields are not valid",
            InvalidQuery => "The query parameters are not valid",
            InvalidCursor => "The cursor does not belong to this query",
            Unauthorized => "Sign in first",
            Forbidden => "You may not do this",
            NotFound => "Not found",
            ListingNotFound => "Listing not found",
            CooperativeNotFound => "Cooperative not found",
            PlaceNotFound => "Place not found",
            UserNotFound => "User not found",
            PhotoNotFound => "Photo not found",
            LinkNotFound => "Link not found",
            MediaNotFound => "Media not found",
            InvalidMediaKey => "Invalid media key",
            Conflict => "Conflicts with existing data",
            InvalidTransition => "Not possible in the listing's current status",
            PayloadTooLarge => "The upload is too large",
            UnsupportedMediaType => "Unsupported content type",
            UnsupportedImageFormat => "Not a supported photo format",
            HeicNotSupported => "HEIC photos are not supported",
            FileTooLarge => "The file is too large",
            ImageTooLarge => "The image has too many pixels",
            CorruptImage => "The image could not be read",
            EmptyFile => "The file is empty",
            TooManyPhotos => "Too many photos",
            RateLimited => "Too many attempts",
            ProcessingBusy => "Too many photos are being processed",
            ProcessingFailed => "The photo could not be processed",
            StorageFailed => "The photo could not be saved",
            StorageUnavailable => "Photo storage is unavailable for a moment",
            ServiceUnavailable => "Temporarily unavailable",
            Internal => "Something went wrong on our side",
        }
    }
}

/// A field that failed validation, named the way the client sent it ("name.vi", "marketplace_links[1].url").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A link to the code's description in the API docs.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: Code,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The same explanation in Vietnamese, where one is written for members.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail_vi: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug)]
pub struct AppError {
    pub code: Code,
    pub detail: Option<String>,
    pub detail_vi: Option<String>,
    pub errors: Vec<FieldError>,
    /// Logged, never sent.
    cause: Option<String>,
}

impl AppError {
    pub fn new(code: Code) -> AppError {
        AppError {
            code,
            detail: None,
            detail_vi: None,
            errors: Vec::new(),
            cause: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> AppError {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_detail_vi(mut self, detail: impl Into<String>) -> AppError {
        self.detail_vi = Some(detail.into());
        self
    }

    pub fn validation(errors: Vec<FieldError>) -> AppError {
        AppError {
            errors,
            ..AppError::new(Code::ValidationFailed)
        }
    }

    pub fn field(field: &str, message: &str) -> AppError {
        AppError::validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(field: &str, message: &str) -> AppError {
        AppError {
            errors: vec![FieldError::new(field, message)],
            ..AppError::new(Code::Conflict)
        }
    }

    pub fn internal(cause: impl Into<String>) -> AppError {
        AppError {
            cause: Some(cause.into()),
            ..AppError::new(Code::Internal)
        }
    }

    pub fn unavailable(cause: impl Into<String>) -> AppError {
        AppError {
            cause: Some(cause.into()),
            ..AppError::new(Code::ServiceUnavailable)
        }
    }

    pub fn pool(e: diesel::r2d2::PoolError) -> AppError {
        AppError::unavailable(format!("database pool: {e}"))
    }

    pub fn problem(&self) -> Problem {
        let status = self.code.status().as_u16();
        Problem {
            kind: format!("/api/docs#problem-{}", self.code.as_str()),
            title: self.code.title().to_owned(),
            status,
            code: self.code,
            detail: self.detail.clone(),
            detail_vi: self.detail_vi.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code.as_str())?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        if let Some(cause) = &self.cause {
            write!(f, " (cause: {cause})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> AppError {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::new(Code::NotFound),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::new(Code::Conflict).with_detail("already exists")
            }
            other => AppError::internal(format!("database: {other}")),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        if self.code.status().is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, "request refused");
        }
        let mut builder = HttpResponse::build(self.code.status());
        builder.content_type("application/problem+json");
        if self.code == Code::Unauthorized {
            builder.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if self.code.status() == StatusCode::SERVICE_UNAVAILABLE {
            builder.insert_header(("Retry-After", RETRY_AFTER_SECONDS));
        }
        builder.json(self.problem())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_snake_case() {
        assert_eq!(Code::ListingNotFound.as_str(), "listing_not_found");
        assert_eq!(Code::ValidationFailed.as_str(), "validation_failed");
        assert_eq!(Code::HeicNotSupported.as_str(), "heic_not_supported");
        assert_eq!(
            Code::ValidationFailed.status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    #[test]
    fn internal_cause_never_reaches_the_body() {
        let e = AppError::internal("SELECT * FROM secret at /var/lib/x.db");
        let body = serde_json::to_string(&e.problem()).unwrap_or_default();
        assert!(!body.contains("SELECT"));
        assert!(!body.contains("/var/lib"));
        assert!(body.contains("\"code\":\"internal\""));
    }
}
