//! Errors as clients see them: `application/problem+json` with a stable machine-readable `code`.
//!
//! The user-facing message and the internal cause are kept apart: causes go to the log only.

use crate::media::{PhotoError, StoreError};
use crate::messages::Message;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;

/// What a 503 asks clients to wait before trying again.
const RETRY_AFTER_SECONDS: &str = "10";

/// Declares [`Code`] from one row per code: its public snake_case name, HTTP status, English
/// title and the message members read on the pages (Vietnamese). Nothing about a code is
/// written anywhere else.
macro_rules! make_error_codes {
    ($($variant:ident = $name:literal, $status:ident, $title:literal, $message_vi:literal;)*) => {
        /// Every error a client can meet. The snake_case name is the public `code` and never
        /// changes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The public, stable name (`listing_not_found`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            pub fn status(self) -> StatusCode {
                match self {
                    $(Code::$variant => StatusCode::$status,)*
                }
            }

            /// The English title of every problem with this code.
            pub fn title(self) -> &'static str {
                match self {
                    $(Code::$variant => $title,)*
                }
            }

            /// What a member reads on a page when this stops them (Vietnamese).
            pub fn message_vi(self) -> &'static str {
                match self {
                    $(Code::$variant => $message_vi,)*
                }
            }
        }
    };
}

make_error_codes! {
    MalformedJson = "malformed_json", BAD_REQUEST, "The request body is not valid JSON", "Dữ liệu gửi lên không hợp lệ.";
    ValidationFailed = "validation_failed", UNPROCESSABLE_ENTITY, "Some fields are not valid", "Một số ô chưa hợp lệ.";
    InvalidQuery = "invalid_query", BAD_REQUEST, "The query parameters are not valid", "Điều kiện tìm kiếm không hợp lệ.";
    InvalidCursor = "invalid_cursor", BAD_REQUEST, "The cursor does not belong to this query", "Trang kết quả không còn hợp lệ.";
    Unauthorized = "unauthorized", UNAUTHORIZED, "Sign in first", "Vui lòng đăng nhập trước.";
    Forbidden = "forbidden", FORBIDDEN, "You may not do this", "Bạn không có quyền làm việc này.";
    AccountDisabled = "account_disabled", FORBIDDEN, "This account is disabled", "Tài khoản này đã bị khóa. Vui lòng liên hệ ban quản trị.";
    NotFound = "not_found", NOT_FOUND, "Not found", "Không tìm thấy.";
    ListingNotFound = "listing_not_found", NOT_FOUND, "Listing not found", "Không tìm thấy sản phẩm.";
    CooperativeNotFound = "cooperative_not_found", NOT_FOUND, "Cooperative not found", "Không tìm thấy hợp tác xã.";
    PlaceNotFound = "place_not_found", NOT_FOUND, "Place not found", "Không tìm thấy địa phương.";
    UserNotFound = "user_not_found", NOT_FOUND, "User not found", "Không tìm thấy tài khoản.";
    PhotoNotFound = "photo_not_found", NOT_FOUND, "Photo not found", "Không tìm thấy ảnh.";
    LinkNotFound = "link_not_found", NOT_FOUND, "Link not found", "Không tìm thấy đường dẫn.";
    MediaNotFound = "media_not_found", NOT_FOUND, "Media not found", "Không tìm thấy tệp ảnh.";
    InvalidMediaKey = "invalid_media_key", BAD_REQUEST, "Invalid media key", "Tên tệp ảnh không hợp lệ.";
    Conflict = "conflict", CONFLICT, "Conflicts with existing data", "Trùng với dữ liệu đã có.";
    InvalidTransition = "invalid_transition", CONFLICT, "Not possible in the listing's current status", "Không thể làm việc này ở trạng thái hiện tại của sản phẩm.";
    VersionMismatch = "version_mismatch", PRECONDITION_FAILED, "The listing changed since you read it", "Sản phẩm vừa được thay đổi ở nơi khác; hãy xem lại bản mới nhất.";
    VersionRequired = "version_required", PRECONDITION_REQUIRED, "Name the version you reviewed (If-Match or version)", "Thiếu phiên bản đã xem.";
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE, "The upload is too large", "Tệp tải lên quá lớn.";
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "Unsupported content type", "Kiểu dữ liệu không được hỗ trợ.";
    UnsupportedImageFormat = "unsupported_image_format", UNSUPPORTED_MEDIA_TYPE, "Not a supported photo format", "Định dạng ảnh không được hỗ trợ.";
    HeicNotSupported = "heic_not_supported", UNSUPPORTED_MEDIA_TYPE, "This server was built without HEIC support", "Máy chủ này được dựng không kèm hỗ trợ ảnh HEIC.";
    FileTooLarge = "file_too_large", PAYLOAD_TOO_LARGE, "The file is too large", "Tệp quá lớn.";
    ImageTooLarge = "image_too_large", PAYLOAD_TOO_LARGE, "The image has too many pixels", "Ảnh quá lớn.";
    CorruptImage = "corrupt_image", UNPROCESSABLE_ENTITY, "The image could not be read", "Không đọc được ảnh.";
    EmptyFile = "empty_file", BAD_REQUEST, "The file is empty", "Tệp trống.";
    TooManyPhotos = "too_many_photos", UNPROCESSABLE_ENTITY, "Too many photos", "Quá nhiều ảnh.";
    RateLimited = "rate_limited", TOO_MANY_REQUESTS, "Too many attempts", "Thử quá nhiều lần.";
    SignInBusy = "sign_in_busy", SERVICE_UNAVAILABLE, "Too many sign-ins are being checked", "Máy chủ đang bận kiểm tra đăng nhập.";
    TooManyUploads = "too_many_uploads", TOO_MANY_REQUESTS, "This account is already uploading", "Tài khoản đang tải lên quá nhiều tệp cùng lúc.";
    UploadsBusy = "uploads_busy", SERVICE_UNAVAILABLE, "Too many uploads are being received", "Máy chủ đang nhận quá nhiều tệp tải lên.";
    FieldTooLarge = "field_too_large", PAYLOAD_TOO_LARGE, "A form field is too large or there are too many parts", "Biểu mẫu gửi lên quá lớn.";
    ProcessingBusy = "processing_busy", SERVICE_UNAVAILABLE, "Too many photos are being processed", "Máy chủ đang bận xử lý ảnh.";
    ProcessingFailed = "processing_failed", INTERNAL_SERVER_ERROR, "The photo could not be processed", "Xử lý ảnh bị lỗi.";
    StorageFailed = "storage_failed", INTERNAL_SERVER_ERROR, "The photo could not be saved", "Không lưu được ảnh.";
    StorageUnavailable = "storage_unavailable", SERVICE_UNAVAILABLE, "Photo storage is unavailable for a moment", "Kho ảnh tạm thời không truy cập được.";
    ServiceUnavailable = "service_unavailable", SERVICE_UNAVAILABLE, "Temporarily unavailable", "Dịch vụ tạm thời gián đoạn.";
    Internal = "internal", INTERNAL_SERVER_ERROR, "Something went wrong on our side", "Đã có lỗi, vui lòng thử lại sau.";
}

impl Code {
    pub fn as_str(self) -> String {
        self.name().to_owned()
    }
}

/// A field that failed validation, named the way the client sent it ("name.vi", "marketplace_links[1].url").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    /// The English text of `key` (what API clients read).
    pub message: String,
    /// What the pages and import reports translate.
    #[serde(skip)]
    pub key: Message,
}

impl FieldError {
    /// A field error with a message key; a plain string is a message no key stands for.
    pub fn new(field: impl Into<String>, key: impl Into<Message>) -> FieldError {
        let key = key.into();
        FieldError {
            field: field.into(),
            message: key.en(),
            key,
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

#[derive(Debug, Clone)]
pub struct AppError {
    pub code: Code,
    pub detail: Option<String>,
    pub detail_vi: Option<String>,
    pub errors: Vec<FieldError>,
    /// Seconds the client should wait before trying again (`Retry-After`), when known.
    pub retry_after: Option<u64>,
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
            retry_after: None,
            cause: None,
        }
    }

    /// Asks the client to wait `seconds` (at least 1) before trying again.
    pub fn with_retry_after(mut self, seconds: u64) -> AppError {
        self.retry_after = Some(seconds.max(1));
        self
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

    pub fn field(field: &str, message: impl Into<Message>) -> AppError {
        AppError::validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(field: &str, message: impl Into<Message>) -> AppError {
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

/// The one mapping of a photo's failure into the table.
impl From<&PhotoError> for Code {
    fn from(e: &PhotoError) -> Code {
        match e {
            PhotoError::EmptyFile => Code::EmptyFile,
            PhotoError::FileTooLarge { .. } => Code::FileTooLarge,
            PhotoError::UnsupportedFormat => Code::UnsupportedImageFormat,
            PhotoError::HeicNotSupported => Code::HeicNotSupported,
            PhotoError::ImageTooLarge { .. } => Code::ImageTooLarge,
            PhotoError::CorruptImage { .. } => Code::CorruptImage,
            PhotoError::ProcessingBusy => Code::ProcessingBusy,
            PhotoError::ProcessingFailed { .. } => Code::ProcessingFailed,
            PhotoError::StorageFailed(store) => Code::from(store),
        }
    }
}

/// The one mapping of a media store's failure into the table.
impl From<&StoreError> for Code {
    fn from(e: &StoreError) -> Code {
        match e {
            StoreError::InvalidKey { .. } => Code::InvalidMediaKey,
            StoreError::Unavailable { .. } => Code::StorageUnavailable,
            StoreError::Io { .. } | StoreError::Refused { .. } => Code::StorageFailed,
        }
    }
}

impl From<PhotoError> for AppError {
    fn from(e: PhotoError) -> AppError {
        let code = Code::from(&e);
        let mut error = AppError::new(code).with_detail_vi(e.message_vi());
        // Internal details (paths, decoder messages) stay in the log.
        if code.status().is_server_error() {
            tracing::error!(error = %e, "photo failed");
        } else {
            error = error.with_detail(e.to_string());
        }
        error
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        AppError::from(PhotoError::StorageFailed(e))
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
        if let Some(seconds) = self.retry_after {
            builder.insert_header(("Retry-After", seconds.to_string()));
        } else if self.code.status() == StatusCode::SERVICE_UNAVAILABLE {
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
    fn every_row_names_its_code_as_serde_does() {
        for code in Code::ALL {
            let serialised = serde_json::to_value(code).unwrap_or_default();
            assert_eq!(serialised.as_str(), Some(code.name()));
            assert!(!code.title().is_empty() && !code.message_vi().is_empty());
        }
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
