//! Why a photo was refused, with a message in English and Vietnamese (its code and status are
//! rows of the error table in `crate::error`).

use thiserror::Error;

use super::store::StoreError;

/// Everything that can go wrong between receiving a member's upload and storing its variants.
///
/// Its code and HTTP status come from the one error table (`Code::from(&PhotoError)` in
/// `crate::error`); the member reads [`PhotoError::message_vi`] (or the English `Display`).
#[derive(Debug, Error)]
pub enum PhotoError {
    #[error("The file is empty. Please choose a photo and try again.")]
    EmptyFile,

    #[error("The file is {size_bytes} bytes; photos may be at most {max_bytes} bytes.")]
    FileTooLarge { size_bytes: usize, max_bytes: usize },

    #[error("This file is not a supported photo. Please send a JPEG, PNG or WebP photo.")]
    UnsupportedFormat,

    /// Only from a server built without the `heic` feature (libheif).
    #[error(
        "This server was built without HEIC support; HEIC/HEIF photos (the iPhone default) cannot \
         be read here. Please send the photo as JPEG: on iPhone, Settings > Camera > Formats > \
         Most Compatible, or share it as JPEG."
    )]
    HeicNotSupported,

    #[error(
        "The photo is too large to process ({width}×{height} pixels); the limit is \
         {max_width}×{max_height} pixels and {max_alloc_mib} MiB of working memory. Please send \
         a smaller photo."
    )]
    ImageTooLarge {
        width: u32,
        height: u32,
        max_width: u32,
        max_height: u32,
        max_alloc_mib: u64,
    },

    #[error("The photo is damaged or incomplete (perhaps the upload was cut off). Please send it again. ({detail})")]
    CorruptImage { detail: String },

    #[error("The server is busy processing other photos. Please try again in a minute.")]
    ProcessingBusy,

    #[error("Processing the photo failed unexpectedly. ({detail})")]
    ProcessingFailed { detail: String },

    #[error("The photo could not be saved. Please try again later.")]
    StorageFailed(#[from] StoreError),
}

impl PhotoError {
    /// Message for the member in Vietnamese; the English one is the `Display` text.
    pub fn message_vi(&self) -> String {
        match self {
            Self::EmptyFile => "Tệp trống. Vui lòng chọn một ảnh và thử lại.".to_owned(),
            Self::FileTooLarge { max_bytes, .. } => format!(
                "Tệp quá lớn. Ảnh chỉ được tối đa {} MB.",
                max_bytes / (1024 * 1024)
            ),
            Self::UnsupportedFormat => {
                "Tệp này không phải là ảnh được hỗ trợ. Vui lòng gửi ảnh JPEG, PNG hoặc WebP."
                    .to_owned()
            }
            Self::HeicNotSupported => "Máy chủ này được dựng không kèm hỗ trợ HEIC; không đọc được \
                 ảnh HEIC/HEIF (định dạng mặc định của iPhone). Vui lòng gửi ảnh dưới dạng JPEG: \
                 trên iPhone, vào Cài đặt > Camera > Định dạng > Tương thích nhất, hoặc chia sẻ ảnh \
                 dưới dạng JPEG."
                .to_owned(),
            Self::ImageTooLarge {
                width,
                height,
                max_width,
                max_height,
                max_alloc_mib,
            } => format!(
                "Ảnh quá lớn để xử lý ({width}×{height} điểm ảnh); giới hạn là {max_width}×{max_height} điểm ảnh và {max_alloc_mib} MiB bộ nhớ. Vui lòng gửi ảnh nhỏ hơn."
            ),
            Self::CorruptImage { .. } => {
                "Ảnh bị hỏng hoặc chưa tải lên hết (có thể do mạng bị ngắt). Vui lòng gửi lại."
                    .to_owned()
            }
            Self::ProcessingBusy => {
                "Máy chủ đang bận xử lý các ảnh khác. Vui lòng thử lại sau một phút.".to_owned()
            }
            Self::ProcessingFailed { .. } => {
                "Xử lý ảnh bị lỗi ngoài dự kiến. Vui lòng thử lại sau.".to_owned()
            }
            Self::StorageFailed(StoreError::Unavailable { .. }) => {
                "Kho ảnh tạm thời không truy cập được. Vui lòng thử lại sau ít phút.".to_owned()
            }
            Self::StorageFailed(_) => "Không lưu được ảnh. Vui lòng thử lại sau.".to_owned(),
        }
    }
}
