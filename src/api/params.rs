//! Query-string parameters parsed by hand, so every bad value is reported with its name.

use crate::error::{AppError, Code, FieldError};
use crate::messages::Message;
use chrono::NaiveDate;
use std::str::FromStr;

/// Collects field errors while parsing; `finish` turns them into one `invalid_query`.
#[derive(Default)]
pub struct Params {
    errors: Vec<FieldError>,
}

impl Params {
    pub fn number<T: FromStr + PartialOrd + Copy + std::fmt::Display>(
        &mut self,
        field: &str,
        raw: Option<&String>,
        min: T,
        max: T,
    ) -> Option<T> {
        let raw = raw?.trim();
        if raw.is_empty() {
            return None;
        }
        match raw.parse::<T>() {
            Ok(v) if v >= min && v <= max => Some(v),
            Ok(_) => {
                self.errors.push(FieldError::new(
                    field,
                    format!("must be between {min} and {max}"),
                ));
                None
            }
            Err(_) => {
                self.errors
                    .push(FieldError::new(field, Message::NotANumber));
                None
            }
        }
    }

    pub fn date(&mut self, field: &str, raw: Option<&String>) -> Option<NaiveDate> {
        let raw = raw?.trim();
        if raw.is_empty() {
            return None;
        }
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) if crate::domain::calendar::is_plausible(d) => Some(d),
            Ok(_) => {
                self.errors.push(FieldError::new(
                    field,
                    crate::domain::calendar::OUT_OF_RANGE,
                ));
                None
            }
            Err(_) => {
                self.errors
                    .push(FieldError::new(field, "must be a date like 2027-02-10"));
                None
            }
        }
    }

    pub fn choice<T>(
        &mut self,
        field: &str,
        raw: Option<&String>,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Option<T> {
        let raw = raw?.trim();
        if raw.is_empty() {
            return None;
        }
        let parsed = parse(raw);
        if parsed.is_none() {
            self.errors.push(FieldError::new(
                field,
                format!("must be one of: {expected}"),
            ));
        }
        parsed
    }

    pub fn text(&mut self, field: &str, raw: Option<&String>, max_chars: usize) -> Option<String> {
        let raw = raw?.trim();
        if raw.is_empty() {
            return None;
        }
        if raw.chars().count() > max_chars {
            self.errors
                .push(FieldError::new(field, Message::MaxChars(max_chars)));
            return None;
        }
        Some(raw.to_owned())
    }

    pub fn push(&mut self, field: &str, message: impl Into<Message>) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            let mut e = AppError::new(Code::InvalidQuery);
            e.errors = self.errors;
            Err(e)
        }
    }
}

/// For `web::QueryConfig`: an unknown or repeated parameter is an `invalid_query` naming it.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    let message = err.to_string();
    let field = message.split('`').nth(1).unwrap_or_default().to_owned();
    let mut e = AppError::new(Code::InvalidQuery);
    e.errors = vec![FieldError::new(
        field,
        if message.contains("unknown field") {
            "unknown parameter".to_owned()
        } else {
            message
                .split(", expected")
                .next()
                .unwrap_or_default()
                .to_owned()
        },
    )];
    e.into()
}

/// For `web::PathConfig`: a path segment of the JSON API that is not the documented type (`-1`
/// or `abc` for a numeric id) names nothing, so it is a `not_found` problem like any other; pages
/// keep the framework's answer.
pub fn path_error(
    err: actix_web::error::PathError,
    req: &actix_web::HttpRequest,
) -> actix_web::Error {
    if req.path().starts_with("/api/") {
        AppError::new(Code::NotFound)
            .with_detail("nothing has this address")
            .into()
    } else {
        err.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn numberish() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[ ]?[+-]?[0-9]{1,25}[ ]?",
            any::<i64>().prop_map(|n| n.to_string()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn a_number_is_refused_by_name_or_in_range_and_reads_back(
            raw in numberish(),
            (min, max) in (any::<i64>(), any::<i64>()).prop_map(|(a, b)| (a.min(b), a.max(b))),
        ) {
            let mut p = Params::default();
            let got = p.number("limit", Some(&raw), min, max);
            let errors = std::mem::take(&mut p.errors);
            match got {
                Some(n) => {
                    prop_assert!(errors.is_empty());
                    prop_assert!(min <= n && n <= max);
                    prop_assert_eq!(Params::default().number("limit", Some(&n.to_string()), min, max), Some(n));
                }
                None if raw.trim().is_empty() => prop_assert!(errors.is_empty()),
                None => {
                    prop_assert_eq!(errors.len(), 1);
                    prop_assert_eq!(errors[0].field.as_str(), "limit");
                }
            }
        }

        #[test]
        fn a_date_is_refused_by_name_or_plausible_and_reads_back(
            raw in prop_oneof![
                any::<String>(),
                "[+-]?[0-9]{1,7}-[0-9]{1,2}-[0-9]{1,2}",
                "\\+262143-06-01|-0001-01-01|0000-01-01|9999-12-31|2027-02-29|2028-02-29",
            ]
        ) {
            let mut p = Params::default();
            match p.date("from", Some(&raw)) {
                Some(d) => {
                    prop_assert!(p.finish().is_ok());
                    prop_assert!(crate::domain::calendar::is_plausible(d));
                    let again = d.format("%Y-%m-%d").to_string();
                    prop_assert_eq!(Params::default().date("from", Some(&again)), Some(d));
                }
                None => {
                    let finished = p.finish();
                    if raw.trim().is_empty() {
                        prop_assert!(finished.is_ok());
                    } else {
                        let e = finished.err().ok_or_else(|| TestCaseError::fail("no error"))?;
                        prop_assert_eq!(e.code, Code::InvalidQuery);
                        prop_assert_eq!(e.errors[0].field.as_str(), "from");
                    }
                }
            }
        }

        #[test]
        fn text_is_refused_when_too_long_or_kept_trimmed(raw in any::<String>(), max in 0usize..40) {
            let mut p = Params::default();
            match p.text("q", Some(&raw), max) {
                Some(t) => {
                    prop_assert_eq!(t.as_str(), raw.trim());
                    prop_assert!(!t.is_empty() && t.chars().count() <= max);
                    prop_assert!(p.finish().is_ok());
                }
                None => prop_assert_eq!(p.finish().is_ok(), raw.trim().is_empty()),
            }
        }

        #[test]
        fn a_choice_is_one_of_the_choices_or_refused(raw in prop_oneof![any::<String>(), "(product|experience|event| product |Product)"]) {
            let mut p = Params::default();
            let got = p.choice("kind", Some(&raw), crate::domain::listing::ListingKind::parse, "product, experience, event");
            match got {
                Some(kind) => {
                    prop_assert_eq!(kind.as_str(), raw.trim());
                    prop_assert!(p.finish().is_ok());
                }
                None => prop_assert_eq!(p.finish().is_ok(), raw.trim().is_empty()),
            }
        }
    }
}
