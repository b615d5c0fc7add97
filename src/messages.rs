//! Validation messages as keys: each key's English and Vietnamese text side by side in one row,
//! so the pages and import reports translate by key and rewording the English never changes the
//! Vietnamese. The API sends the English text, as it always has.

/// Declares [`Message`] from one row per fixed key, next to the keys that carry a number.
macro_rules! message_keys {
    ($($key:ident => $en:literal, $vi:literal;)*) => {
        /// What is wrong with a field, as a key.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Message {
            $($key,)*
            /// Longer than this many characters.
            MaxChars(usize),
            /// A price above this many đồng.
            MaxPrice(i64),
            /// More marketplace links than this.
            TooManyLinks(usize),
            /// A password outside this many to 200 characters.
            PasswordLength(usize),
            /// A token's term outside 1 to this many days.
            TokenDays(u32),
            /// A message no key stands for (serde's, an admin-only or API-only check): shown as
            /// written, inside a generic Vietnamese sentence.
            Other(String),
        }

        impl Message {
            /// Every key without a number, in table order.
            pub const FIXED: &'static [Message] = &[$(Message::$key,)*];

            /// The English text (what the API sends).
            pub fn en(&self) -> String {
                match self {
                    $(Message::$key => $en.to_owned(),)*
                    Message::MaxChars(n) => format!("must be at most {n} characters"),
                    Message::MaxPrice(n) => format!("must be at most {n} đồng"),
                    Message::TooManyLinks(n) => format!("at most {n} links"),
                    Message::PasswordLength(n) => format!("must be {n} to 200 characters"),
                    Message::TokenDays(n) => format!("must be a whole number of days from 1 to {n}"),
                    Message::Other(text) => text.clone(),
                }
            }

            /// The Vietnamese text a member reads.
            pub fn vi(&self) -> String {
                match self {
                    $(Message::$key => $vi.to_owned(),)*
                    Message::MaxChars(n) => format!("Tối đa {n} ký tự."),
                    Message::MaxPrice(n) => format!("Giá tối đa {n} đồng."),
                    Message::TooManyLinks(_) => "Quá nhiều đường dẫn.".to_owned(),
                    Message::PasswordLength(n) => format!("Mật khẩu từ {n} đến 200 ký tự."),
                    Message::TokenDays(n) => format!("Thời hạn từ 1 đến {n} ngày."),
                    Message::Other(text) => format!("Giá trị không hợp lệ ({text})."),
                }
            }
        }
    };
}

message_keys! {
    NotEmpty => "must not be empty", "Vui lòng điền ô này.";
    Required => "is required", "Vui lòng điền ô này.";
    ControlCharacters => "must not contain control characters", "Có ký tự không hợp lệ.";
    NeedsLettersOrDigits => "must contain letters or digits", "Tên cần có chữ hoặc số.";
    PositivePrice => "must be a positive number of đồng (leave it empty when free)", "Giá phải là số đồng lớn hơn 0 (để trống nếu miễn phí).";
    NotANumber => "must be a number", "Hãy nhập một số, ví dụ 450000.";
    OcopStars => "must be 3, 4 or 5", "Chỉ 3, 4 hoặc 5 sao.";
    Month => "must be a month from 1 to 12", "Tháng từ 1 đến 12.";
    EndBeforeStart => "must not be before the start", "Ngày kết thúc không được trước ngày bắt đầu.";
    EventTooLong => "an event lasts at most a year", "Một sự kiện kéo dài tối đa một năm.";
    DatesOnlyForEvents => "only events have dates", "Chỉ lễ hội, sự kiện mới có ngày.";
    EventNeedsDates => "an event needs its dates", "Lễ hội, sự kiện cần có ngày bắt đầu và kết thúc.";
    NotADate => "must be a date", "Ngày không hợp lệ.";
    UrlRequired => "URL is required", "Vui lòng dán đường dẫn.";
    UrlTooLong => "URL is too long (2000 characters at most)", "Đường dẫn quá dài.";
    UrlInvalid => "not a valid URL", "Đường dẫn không hợp lệ.";
    UrlNotHttps => "URL must start with https://", "Đường dẫn phải bắt đầu bằng https://";
    UrlHasCredentials => "URL must not contain a user name or password", "Đường dẫn không được chứa tên đăng nhập hay mật khẩu.";
    UrlHasPort => "URL must not name a port", "Đường dẫn không hợp lệ.";
    UrlIpHost => "URL must name a host, not an IP address", "Đường dẫn phải là tên miền.";
    UrlWrongPlatform => "URL host does not belong to this platform", "Đường dẫn này không thuộc sàn đã chọn.";
    UrlNotPublic => "URL must be a public website", "Đường dẫn phải là một trang web công khai.";
    UnknownCategory => "unknown category", "Loại hàng không có trong danh sách.";
    UnknownPlace => "unknown place code", "Địa phương không có trong danh sách.";
    ListingChangedElsewhere => "the listing was changed elsewhere after you opened this form; check it and save again", "Sản phẩm vừa được sửa ở nơi khác sau khi bạn mở trang này. Hãy kiểm tra lại rồi bấm Lưu lần nữa.";
    PlaceOutsideProvince => "must be in the cooperative's own province", "Địa phương phải thuộc tỉnh của hợp tác xã.";
    UnknownPlatform => "unknown platform", "Hãy chọn một sàn.";
    SlugTaken => "another listing already uses this slug", "Đã có sản phẩm trùng tên, hãy đặt tên khác.";
    NameTaken => "too many listings with this name", "Đã có sản phẩm trùng tên, hãy đặt tên khác.";
    SlugFormat => "must be lower-case letters, digits and dashes", "Chỉ chữ thường không dấu, số và dấu gạch ngang.";
    CooperativeNameLength => "must be 1 to 150 characters", "Từ 1 đến 150 ký tự.";
    Phone => "must be a phone number", "Số điện thoại không hợp lệ.";
    CooperativeSlugTaken => "a cooperative with this slug exists", "Mã này đã được dùng.";
    Email => "must be an email address", "Email không hợp lệ.";
    UnknownCooperative => "unknown cooperative", "Hợp tác xã không có trong danh sách.";
    MemberNeedsCooperative => "a member belongs to a cooperative", "Thành viên phải thuộc một hợp tác xã.";
    AdminHasNoCooperative => "an admin does not belong to a cooperative", "Tài khoản quản trị không thuộc hợp tác xã.";
    AlreadyExists => "already exists", "Đã tồn tại.";
    RejectionReason => "give a reason of 1 to 1000 characters", "Hãy ghi lý do (tối đa 1000 ký tự).";
    CurrentPasswordWrong => "is not your current password", "Mật khẩu hiện tại không đúng.";
    PasswordsDiffer => "the two new passwords differ", "Hai lần nhập mật khẩu mới không khớp.";
    OwnAccount => "an admin cannot disable their own account", "Không thể tự khóa tài khoản của chính mình.";
    LabelsPerPage => "must be a whole number of labels per page from 1 to 24", "Số nhãn mỗi trang phải là một số từ 1 đến 24.";
    NoListingChosen => "choose at least one listing", "Hãy chọn ít nhất một sản phẩm để in nhãn.";
}

impl From<String> for Message {
    fn from(text: String) -> Message {
        Message::Other(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Message {
        Message::Other(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vietnamese letters with diacritics (lower-case is enough: every text has some).
    fn has_diacritics(text: &str) -> bool {
        text.chars().any(|c| {
            "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
                .contains(c.to_lowercase().next().unwrap_or(c))
        })
    }

    #[test]
    fn every_key_has_a_vietnamese_text_with_diacritics() {
        let numbered = [
            Message::MaxChars(150),
            Message::MaxPrice(1_000_000),
            Message::TooManyLinks(10),
            Message::PasswordLength(12),
            Message::TokenDays(365),
        ];
        for key in Message::FIXED.iter().chain(numbered.iter()) {
            let vi = key.vi();
            assert!(has_diacritics(&vi), "{key:?}: {vi}");
            assert_ne!(vi, key.en(), "{key:?} is not translated");
            assert!(!vi.starts_with("Giá trị không hợp lệ ("), "{key:?}");
        }
    }

    #[test]
    fn each_key_has_its_own_english_text() {
        let mut seen = std::collections::HashSet::new();
        for key in Message::FIXED {
            assert!(
                seen.insert(key.en()),
                "{key:?} repeats another key's English"
            );
        }
        assert_eq!(Message::MaxChars(150).vi(), "Tối đa 150 ký tự.");
    }
}
