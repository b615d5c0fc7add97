//! Submitted forms: urlencoded fields (repeated names allowed) and errors shown next to fields.

use super::i18n::Lang;
use crate::error::FieldError;
use std::collections::HashMap;

/// The fields of an `application/x-www-form-urlencoded` body, in order.
#[derive(Debug, Clone, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        Form(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// Error messages by form field, in the page's language.
#[derive(Debug, Clone, Default)]
pub struct Errors(HashMap<String, String>);

impl Errors {
    /// Maps the domain's field names (`name.vi`, `marketplace_links[0].url`) to form fields.
    pub fn from_fields(
        lang: Lang,
        errors: &[FieldError],
        rename: impl Fn(&str) -> String,
    ) -> Errors {
        let mut map = HashMap::new();
        for e in errors {
            map.entry(rename(&e.field))
                .or_insert_with(|| lang.field_message(&e.key));
        }
        Errors(map)
    }

    pub fn add(&mut self, field: &str, message: String) {
        self.0.entry(field.to_owned()).or_insert(message);
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether any field outside `shown` has an error (shown at the top of the form).
    pub fn other_than(&self, shown: &[&str]) -> Vec<String> {
        let mut rest: Vec<String> = self
            .0
            .iter()
            .filter(|(k, _)| !shown.contains(&k.as_str()) && !k.starts_with("link"))
            .map(|(_, v)| v.clone())
            .collect();
        rest.sort();
        rest
    }
}

/// The listing form's field for a domain field name.
pub fn listing_field(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("marketplace_links[") {
        let index: String = rest.chars().take_while(char::is_ascii_digit).collect();
        return format!("link{index}");
    }
    let head = field.split(['.', '[']).next().unwrap_or(field);
    match head {
        "name" => "name",
        "description" => "description",
        "price_vnd" => "price",
        "season_months" => "months",
        "event" => "event",
        "slug" => "name",
        "marketplace_links" => "links",
        other => other,
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_are_kept() {
        let f = Form::parse(b"month=2&month=3&name=Ch%C3%A8+ngon");
        assert_eq!(f.all("month"), vec!["2", "3"]);
        assert_eq!(f.get("name"), "Chè ngon");
        assert_eq!(f.get("missing"), "");
    }

    #[test]
    fn domain_fields_map_to_form_fields() {
        assert_eq!(listing_field("name.vi"), "name");
        assert_eq!(listing_field("marketplace_links[2].url"), "link2");
        assert_eq!(listing_field("price_vnd"), "price");
        assert_eq!(listing_field("season_months[0]"), "months");
        assert_eq!(listing_field("event.end"), "event");
    }
}
