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
