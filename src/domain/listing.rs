//! A listing as members send it, and the validated form the store accepts.

use crate::domain::marketplace::{validate_url, Platform};
use crate::error::FieldError;
use crate::messages::Message;
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};
use unicode_normalization::UnicodeNormalization;

pub const MAX_NAME_CHARS: usize = 150;
pub const MAX_DESCRIPTION_CHARS: usize = 5000;
pub const MAX_UNIT_CHARS: usize = 40;
pub const MAX_PRICE_VND: i64 = 1_000_000_000;
pub const MAX_LINKS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingKind {
    Product,
    Experience,
    Event,
}

impl ListingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ListingKind::Product => "product",
            ListingKind::Experience => "experience",
            ListingKind::Event => "event",
        }
    }

    pub fn parse(s: &str) -> Option<ListingKind> {
        match s {
            "product" => Some(ListingKind::Product),
            "experience" => Some(ListingKind::Experience),
            "event" => Some(ListingKind::Event),
            _ => None,
        }
    }

    /// The listing's page on the site: events under `/le-hoi/`, products and experiences under
    /// `/san-pham/`.
    pub fn page_path(self, slug: &str) -> String {
        match self {
            ListingKind::Event => format!("/le-hoi/{slug}"),
            _ => format!("/san-pham/{slug}"),
        }
    }
}

/// draft → pending → published → archived (a rejected listing goes back to draft with a reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    Draft,
    Pending,
    Published,
    Archived,
}

impl ListingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ListingStatus::Draft => "draft",
            ListingStatus::Pending => "pending",
            ListingStatus::Published => "published",
            ListingStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<ListingStatus> {
        match s {
            "draft" => Some(ListingStatus::Draft),
            "pending" => Some(ListingStatus::Pending),
            "published" => Some(ListingStatus::Published),
            "archived" => Some(ListingStatus::Archived),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Certification {
    Vietgap,
    Globalgap,
    Organic,
    GeographicalIndication,
}

impl Certification {
    pub const ALL: [Certification; 4] = [
        Certification::Vietgap,
        Certification::Globalgap,
        Certification::Organic,
        Certification::GeographicalIndication,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Certification::Vietgap => "vietgap",
            Certification::Globalgap => "globalgap",
            Certification::Organic => "organic",
            Certification::GeographicalIndication => "geographical_indication",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Certification::Vietgap => "VietGAP",
            Certification::Globalgap => "GlobalGAP",
            Certification::Organic => "Hữu cơ",
            Certification::GeographicalIndication => "Chỉ dẫn địa lý",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Certification::Vietgap => "VietGAP",
            Certification::Globalgap => "GlobalGAP",
            Certification::Organic => "Organic",
            Certification::GeographicalIndication => "Geographical indication",
        }
    }

    /// Accepts the code or a label in either language, with or without diacritics.
    pub fn parse(text: &str) -> Option<Certification> {
        let key: String = crate::text::fold(text)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        match key.as_str() {
            "vietgap" => Some(Certification::Vietgap),
            "globalgap" => Some(Certification::Globalgap),
            "organic" | "huuco" => Some(Certification::Organic),
            "geographicalindication" | "chidandialy" | "gi" => {
                Some(Certification::GeographicalIndication)
            }
            _ => None,
        }
    }
}

/// Text in both languages, as sent and shown: `{"vi": "...", "en": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    pub vi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventDatesInput {
    pub start: NaiveDate,
    pub end: NaiveDate,
    #[serde(default)]
    pub recurs_yearly: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    pub platform: Platform,
    pub url: String,
}

/// `None`: the field was absent; `Some(None)`: it was `null` (clear it).
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A listing as a member sends it. For a create every required field must be there; for a
/// PATCH only the fields to change (`null` clears an optional one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingInput {
    pub kind: Option<ListingKind>,
    /// Folded from the Vietnamese name when absent.
    pub slug: Option<String>,
    pub name: Option<Localized>,
    pub description: Option<Localized>,
    pub category: Option<String>,
    /// A place code; the cooperative's place when absent.
    pub place: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub price_vnd: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub unit: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i16>)]
    pub ocop_stars: Option<Option<i16>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub ocop_certificate: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub ocop_expires: Option<Option<NaiveDate>>,
    /// Codes (`vietgap`, `organic`, …) or labels ("Hữu cơ").
    pub certifications: Option<Vec<String>>,
    pub season_months: Option<Vec<u8>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<EventDatesInput>)]
    pub event: Option<Option<EventDatesInput>>,
    pub marketplace_links: Option<Vec<LinkInput>>,
}

impl ListingInput {
    /// Lays `patch` over `self` (the listing as stored).
    pub fn merge(mut self, patch: ListingInput) -> ListingInput {
        macro_rules! take {
            ($($field:ident),*) => { $( if patch.$field.is_some() { self.$field = patch.$field; } )* };
        }
        take!(
            kind,
            slug,
            name,
            description,
            category,
            place,
            price_vnd,
            unit,
            ocop_stars,
            ocop_certificate,
            ocop_expires,
            certifications,
            season_months,
            event,
            marketplace_links
        );
        self
    }
}

impl From<&ValidListing> for ListingInput {
    /// A checked listing as a whole input (every field present), e.g. to keep it as a revision.
    fn from(v: &ValidListing) -> ListingInput {
        ListingInput {
            kind: Some(v.kind),
            slug: v.slug.clone(),
            name: Some(v.name.clone()),
            description: Some(v.description.clone()),
            category: Some(v.category.clone()),
            place: v.place.clone(),
            price_vnd: Some(v.price_vnd),
            unit: Some(v.unit.clone()),
            ocop_stars: Some(v.ocop.as_ref().map(|o| o.stars)),
            ocop_certificate: Some(v.ocop.as_ref().and_then(|o| o.certificate.clone())),
            ocop_expires: Some(v.ocop.as_ref().and_then(|o| o.expires)),
            certifications: Some(
                v.certifications
                    .iter()
                    .map(|c| c.code().to_owned())
                    .collect(),
            ),
            season_months: Some(v.season_months.clone()),
            event: Some(v.event.clone()),
            marketplace_links: Some(
                v.links
                    .iter()
                    .map(|(platform, url)| LinkInput {
                        platform: *platform,
                        url: url.clone(),
                    })
                    .collect(),
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ocop {
    pub stars: i16,
    pub certificate: Option<String>,
    pub expires: Option<NaiveDate>,
}

/// A listing that passed every check except those that need the database (category, place exist).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidListing {
    pub kind: ListingKind,
    pub slug: Option<String>,
    pub name: Localized,
    pub description: Localized,
    pub category: String,
    pub place: Option<String>,
    pub price_vnd: Option<i64>,
    pub unit: Option<String>,
    pub ocop: Option<Ocop>,
    pub certifications: Vec<Certification>,
    pub season_months: Vec<u8>,
    pub event: Option<EventDatesInput>,
    pub links: Vec<(Platform, String)>,
}

/// Trims, puts into NFC (phones may send decomposed Vietnamese) and refuses control characters.
fn clean_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    max_chars: usize,
    multiline: bool,
) -> Option<String> {
    let text: String = value.trim().nfc().collect();
    if text.is_empty() {
        errors.push(FieldError::new(field, Message::NotEmpty));
        return None;
    }
    if text.chars().count() > max_chars {
        errors.push(FieldError::new(field, Message::MaxChars(max_chars)));
        return None;
    }
    let bad_control = text
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')));
    if bad_control {
        errors.push(FieldError::new(field, Message::ControlCharacters));
        return None;
    }
    Some(text)
}

fn clean_optional(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<&String>,
    max_chars: usize,
    multiline: bool,
) -> Option<String> {
    match value {
        Some(v) if !v.trim().is_empty() => clean_text(errors, field, v, max_chars, multiline),
        _ => None,
    }
}

fn clean_localized(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<&Localized>,
    max_chars: usize,
    multiline: bool,
) -> Option<Localized> {
    let Some(value) = value else {
        errors.push(FieldError::new(format!("{field}.vi"), Message::Required));
        return None;
    };
    let vi = clean_text(
        errors,
        &format!("{field}.vi"),
        &value.vi,
        max_chars,
        multiline,
    );
    let en = clean_optional(
        errors,
        &format!("{field}.en"),
        value.en.as_ref(),
        max_chars,
        multiline,
    );
    vi.map(|vi| Localized { vi, en })
}

impl ListingInput {
    /// Checks every field; all failures are reported together, each with its field name.
    pub fn validate(&self) -> Result<ValidListing, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = self.kind;
        if kind.is_none() {
            errors.push(FieldError::new("kind", Message::Required));
        }
        let slug = match &self.slug {
            Some(s) => {
                let ok = !s.is_empty()
                    && s.len() <= 120
                    && s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !s.starts_with('-')
                    && !s.ends_with('-');
                if !ok {
                    errors.push(FieldError::new("slug", Message::SlugFormat));
                }
                Some(s.clone())
            }
            None => None,
        };
        let name = clean_localized(
            &mut errors,
            "name",
            self.name.as_ref(),
            MAX_NAME_CHARS,
            false,
        );
        if let Some(n) = &name {
            if crate::text::slugify(&n.vi).is_empty() && slug.is_none() {
                errors.push(FieldError::new("name.vi", Message::NeedsLettersOrDigits));
            }
        }
        let description = clean_localized(
            &mut errors,
            "description",
            self.description.as_ref(),
            MAX_DESCRIPTION_CHARS,
            true,
        );
        let category = match &self.category {
            Some(c) if !c.trim().is_empty() => Some(c.trim().to_owned()),
            _ => {
                errors.push(FieldError::new("category", Message::Required));
                None
            }
        };
        let place = self.place.as_ref().map(|p| p.trim().to_owned());
        let price_vnd = self.price_vnd.flatten();
        if let Some(p) = price_vnd {
            if p <= 0 {
                errors.push(FieldError::new("price_vnd", Message::PositivePrice));
            } else if p > MAX_PRICE_VND {
                errors.push(FieldError::new(
                    "price_vnd",
                    Message::MaxPrice(MAX_PRICE_VND),
                ));
            }
        }
        let unit = clean_optional(
            &mut errors,
            "unit",
            self.unit.as_ref().and_then(|u| u.as_ref()),
            MAX_UNIT_CHARS,
            false,
        );
        let ocop = match self.ocop_stars.flatten() {
            Some(stars) if (3..=5).contains(&stars) => Some(Ocop {
                stars,
                certificate: clean_optional(
                    &mut errors,
                    "ocop_certificate",
                    self.ocop_certificate.as_ref().and_then(|c| c.as_ref()),
                    60,
                    false,
                ),
                expires: self.ocop_expires.flatten(),
            }),
            Some(_) => {
                errors.push(FieldError::new("ocop_stars", Message::OcopStars));
                None
            }
            None => None,
        };
        let mut certifications = Vec::new();
        for (i, raw) in self.certifications.iter().flatten().enumerate() {
            match Certification::parse(raw) {
                Some(c) if !certifications.contains(&c) => certifications.push(c),
                Some(_) => {}
                None => errors.push(FieldError::new(
                    format!("certifications[{i}]"),
                    "unknown certification (vietgap, globalgap, organic, geographical_indication)",
                )),
            }
        }
        let mut season_months: Vec<u8> = Vec::new();
        for (i, m) in self.season_months.iter().flatten().enumerate() {
            if !(1..=12).contains(m) {
                errors.push(FieldError::new(
                    format!("season_months[{i}]"),
                    Message::Month,
                ));
            } else if !season_months.contains(m) {
                season_months.push(*m);
            }
        }
        season_months.sort_unstable();
        let event = self.event.clone().flatten();
        let implausible = |d: &NaiveDate| !crate::domain::calendar::is_plausible(*d);
        if let Some(e) = &event {
            if implausible(&e.start) {
                errors.push(FieldError::new(
                    "event.start",
                    crate::domain::calendar::OUT_OF_RANGE,
                ));
            }
            if implausible(&e.end) {
                errors.push(FieldError::new(
                    "event.end",
                    crate::domain::calendar::OUT_OF_RANGE,
                ));
            }
        }
        if self
            .ocop_expires
            .flatten()
            .as_ref()
            .is_some_and(implausible)
        {
            errors.push(FieldError::new(
                "ocop_expires",
                crate::domain::calendar::OUT_OF_RANGE,
            ));
        }
        match (&event, kind) {
            (Some(e), _) if e.end < e.start => {
                errors.push(FieldError::new("event.end", Message::EndBeforeStart));
            }
            (Some(e), _) if (e.end - e.start).num_days() > 366 => {
                errors.push(FieldError::new("event.end", Message::EventTooLong));
            }
            (Some(_), Some(k)) if k != ListingKind::Event => {
                errors.push(FieldError::new("event", Message::DatesOnlyForEvents));
            }
            (None, Some(ListingKind::Event)) => {
                errors.push(FieldError::new("event", Message::EventNeedsDates));
            }
            _ => {}
        }
        let mut links = Vec::new();
        let raw_links = self.marketplace_links.as_deref().unwrap_or_default();
        if raw_links.len() > MAX_LINKS {
            errors.push(FieldError::new(
                "marketplace_links",
                Message::TooManyLinks(MAX_LINKS),
            ));
        }
        for (i, link) in raw_links.iter().enumerate().take(MAX_LINKS) {
            match validate_url(link.platform, &link.url) {
                Ok(url) => links.push((link.platform, url)),
                Err(msg) => {
                    errors.push(FieldError::new(format!("marketplace_links[{i}].url"), msg))
                }
            }
        }
        match (kind, name, description, category) {
            (Some(kind), Some(name), Some(description), Some(category)) if errors.is_empty() => {
                Ok(ValidListing {
                    kind,
                    slug,
                    name,
                    description,
                    category,
                    place,
                    price_vnd,
                    unit,
                    ocop,
                    certifications,
                    season_months,
                    event,
                    links,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tea() -> ListingInput {
        serde_json::from_value(serde_json::json!({
            "kind": "product",
            "name": {"vi": "Chè Shan tuyết"},
            "description": {"vi": "Chè ngon"},
            "category": "tea",
            "price_vnd": 450000,
            "ocop_stars": 4,
            "certifications": ["VietGAP", "Hữu cơ"],
            "season_months": [4, 3, 3],
            "marketplace_links": [{"platform": "shopee", "url": "https://shopee.vn/x"}]
        }))
        .unwrap_or_default()
    }

    #[test]
    fn a_good_listing_validates() {
        let v = tea().validate().map_err(|e| format!("{e:?}"));
        let v = v.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.season_months, vec![3, 4]);
        assert_eq!(
            v.certifications,
            vec![Certification::Vietgap, Certification::Organic]
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut input = tea();
        input.name = Some(Localized {
            vi: "x".repeat(10_000),
            en: None,
        });
        input.price_vnd = Some(Some(-5));
        input.ocop_stars = Some(Some(6));
        input.season_months = Some(vec![13]);
        input.marketplace_links = Some(vec![LinkInput {
            platform: Platform::Tiki,
            url: "http://tiki.vn/x".into(),
        }]);
        let errors = input.validate().err().unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "name.vi",
                "price_vnd",
                "ocop_stars",
                "season_months[0]",
                "marketplace_links[0].url"
            ]
        );
    }

    #[test]
    fn event_dates_are_checked() {
        let mut input = tea();
        input.kind = Some(ListingKind::Event);
        input.event = Some(Some(EventDatesInput {
            start: NaiveDate::from_ymd_opt(2027, 2, 12).unwrap_or_default(),
            end: NaiveDate::from_ymd_opt(2027, 2, 10).unwrap_or_default(),
            recurs_yearly: true,
        }));
        let errors = input.validate().err().unwrap_or_default();
        assert_eq!(errors[0].field, "event.end");
    }

    #[test]
    fn decomposed_vietnamese_is_stored_composed() {
        let mut input = tea();
        let nfd: String = "Chè".nfd().collect();
        input.name = Some(Localized { vi: nfd, en: None });
        let v = input.validate().unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(v.name.vi, "Chè");
    }
}
