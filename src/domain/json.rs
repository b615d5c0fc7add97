//! JSON input parsed with errors a client understands: malformed JSON, or the field that is wrong.

use crate::error::{AppError, Code, FieldError};
use crate::messages::Message;
use serde::de::DeserializeOwned;

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
        return FieldError::new(field, Message::Required);
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
