//! The sheet's columns: their keys, their names in Vietnamese and English, and header matching.

use super::report::Msg;
use crate::error::{AppError, Code};
use unicode_normalization::UnicodeNormalization;

/// One column of the import/export sheet, in the order export writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    ExternalId,
    Slug,
    Kind,
    NameVi,
    NameEn,
    DescriptionVi,
    DescriptionEn,
    Category,
    Cooperative,
    Place,
    PriceVnd,
    Unit,
    OcopStars,
    OcopCertificate,
    OcopExpires,
    Certifications,
    SeasonMonths,
    EventStart,
    EventEnd,
    RecursYearly,
    MarketplaceLinks,
    /// Files in the zip's `photos/` folder (import only: export writes no photos).
    Photos,
}

impl Column {
    pub const ALL: [Column; 22] = [
        Column::ExternalId,
        Column::Slug,
        Column::Kind,
        Column::NameVi,
        Column::NameEn,
        Column::DescriptionVi,
        Column::DescriptionEn,
        Column::Category,
        Column::Cooperative,
        Column::Place,
        Column::PriceVnd,
        Column::Unit,
        Column::OcopStars,
        Column::OcopCertificate,
        Column::OcopExpires,
        Column::Certifications,
        Column::SeasonMonths,
        Column::EventStart,
        Column::EventEnd,
        Column::RecursYearly,
        Column::MarketplaceLinks,
        Column::Photos,
    ];

    /// The columns export and the templates write, in order: all but `photos`, whose files a
    /// sheet alone cannot carry.
    pub fn exported() -> impl Iterator<Item = Column> {
        Column::ALL.into_iter().filter(|c| *c != Column::Photos)
    }

    /// The English key, also the JSON field name where there is one.
    pub fn key(self) -> &'static str {
        match self {
            Column::ExternalId => "external_id",
            Column::Slug => "slug",
            Column::Kind => "kind",
            Column::NameVi => "name_vi",
            Column::NameEn => "name_en",
            Column::DescriptionVi => "description_vi",
            Column::DescriptionEn => "description_en",
            Column::Category => "category",
            Column::Cooperative => "cooperative",
            Column::Place => "place",
            Column::PriceVnd => "price_vnd",
            Column::Unit => "unit",
            Column::OcopStars => "ocop_stars",
            Column::OcopCertificate => "ocop_certificate",
            Column::OcopExpires => "ocop_expires",
            Column::Certifications => "certifications",
            Column::SeasonMonths => "season_months",
            Column::EventStart => "event_start",
            Column::EventEnd => "event_end",
            Column::RecursYearly => "recurs_yearly",
            Column::MarketplaceLinks => "marketplace_links",
            Column::Photos => "photos",
        }
    }

    /// The Vietnamese name, as a commune officer would title the column.
    pub fn label_vi(self) -> &'static str {
        match self {
            Column::ExternalId => "Mã riêng",
            Column::Slug => "Mã",
            Column::Kind => "Loại",
            Column::NameVi => "Tên",
            Column::NameEn => "Tên tiếng Anh",
            Column::DescriptionVi => "Mô tả",
            Column::DescriptionEn => "Mô tả tiếng Anh",
            Column::Category => "Danh mục",
            Column::Cooperative => "Hợp tác xã",
            Column::Place => "Địa phương",
            Column::PriceVnd => "Giá (đồng)",
            Column::Unit => "Đơn vị",
            Column::OcopStars => "Sao OCOP",
            Column::OcopCertificate => "Số chứng nhận OCOP",
            Column::OcopExpires => "OCOP hết hạn",
            Column::Certifications => "Chứng nhận",
            Column::SeasonMonths => "Tháng mùa vụ",
            Column::EventStart => "Ngày bắt đầu",
            Column::EventEnd => "Ngày kết thúc",
            Column::RecursYearly => "Lặp lại hằng năm",
            Column::MarketplaceLinks => "Liên kết bán hàng",
            Column::Photos => "Ảnh",
        }
    }

    /// The header export and the templates write: both names, so either reads back.
    pub fn header(self) -> String {
        format!("{} / {}", self.label_vi(), self.key())
    }

    fn required(self, coop_given: bool) -> bool {
        matches!(
            self,
            Column::Kind | Column::NameVi | Column::DescriptionVi | Column::Category
        ) || (self == Column::Cooperative && !coop_given)
    }
}

/// Folds a header for matching: NFC, trimmed, lower case, without diacritics or punctuation.
fn header_key(text: &str) -> String {
    let composed: String = text.trim().nfc().collect();
    crate::text::fold(&composed)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// The column a header names: the English key, the Vietnamese name, or both ("Tên / name_vi").
pub fn recognise(header: &str) -> Option<Column> {
    let whole = header_key(header);
    let parts = std::iter::once(whole).chain(header.split('/').map(header_key));
    for part in parts {
        if part.is_empty() {
            continue;
        }
        if let Some(c) = Column::ALL
            .into_iter()
            .find(|c| header_key(c.key()) == part || header_key(c.label_vi()) == part)
        {
            return Some(c);
        }
    }
    None
}

/// Maps each header to its column, or refuses the file saying which headers are wrong or
/// missing and which were expected.
pub fn match_headers(
    headers: &[String],
    coop_given: bool,
) -> Result<Vec<Option<Column>>, AppError> {
    let mut columns = Vec::with_capacity(headers.len());
    let mut unknown = Vec::new();
    let mut twice = Vec::new();
    for h in headers {
        if h.trim().is_empty() {
            columns.push(None);
            continue;
        }
        match recognise(h) {
            Some(c) if columns.contains(&Some(c)) => twice.push(h.trim().to_owned()),
            Some(c) => columns.push(Some(c)),
            None => {
                unknown.push(h.trim().to_owned());
                columns.push(None);
            }
        }
    }
    let missing: Vec<&str> = Column::ALL
        .into_iter()
        .filter(|c| c.required(coop_given) && !columns.contains(&Some(*c)))
        .map(|c| c.key())
        .collect();
    if unknown.is_empty() && twice.is_empty() && missing.is_empty() {
        return Ok(columns);
    }
    let expected: Vec<String> = Column::ALL.iter().map(|c| c.header()).collect();
    let mut en = Vec::new();
    let mut vi = Vec::new();
    if !unknown.is_empty() {
        en.push(format!("unknown columns: {}", unknown.join(", ")));
        vi.push(format!("cột không nhận ra: {}", unknown.join(", ")));
    }
    if !twice.is_empty() {
        en.push(format!("columns given twice: {}", twice.join(", ")));
        vi.push(format!("cột bị lặp: {}", twice.join(", ")));
    }
    if !missing.is_empty() {
        en.push(format!("missing columns: {}", missing.join(", ")));
        vi.push(format!("thiếu cột: {}", missing.join(", ")));
    }
    let msg = Msg {
        en: format!(
            "The header row is not right ({}). Expected columns: {}",
            en.join("; "),
            expected.join(", ")
        ),
        vi: format!(
            "Dòng tiêu đề chưa đúng ({}). Các cột cần có: {}",
            vi.join("; "),
            expected.join(", ")
        ),
    };
    Err(msg.refusal(Code::ValidationFailed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_recognised_in_either_language_and_any_spelling() {
        assert_eq!(recognise("  Tên "), Some(Column::NameVi));
        assert_eq!(recognise("TEN"), Some(Column::NameVi));
        assert_eq!(recognise("Giá (đồng) / price_vnd"), Some(Column::PriceVnd));
        let nfd: String = "Hợp tác xã".nfd().collect();
        assert_eq!(recognise(&nfd), Some(Column::Cooperative));
        assert_eq!(recognise("colour"), None);
        assert_eq!(recognise("Mã riêng"), Some(Column::ExternalId));
        assert_eq!(recognise("ma rieng"), Some(Column::ExternalId));
        assert_eq!(recognise("Mã"), Some(Column::Slug));
        assert_eq!(recognise("Ảnh / photos"), Some(Column::Photos));
    }

    #[test]
    fn a_wrong_header_row_says_what_is_wrong_and_what_was_expected() {
        let headers: Vec<String> = ["kind", "Tên", "colour", "Tên"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let e = match_headers(&headers, false)
            .err()
            .map(|e| e.detail.unwrap_or_default());
        let text = e.unwrap_or_default();
        assert!(text.contains("unknown columns: colour"), "{text}");
        assert!(text.contains("columns given twice: Tên"), "{text}");
        assert!(
            text.contains("missing columns: description_vi, category, cooperative"),
            "{text}"
        );
        assert!(
            text.contains("Expected columns: Mã riêng / external_id, Mã / slug"),
            "{text}"
        );
    }
}
