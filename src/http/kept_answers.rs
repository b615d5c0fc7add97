//! Answers kept in memory by the stored version they were made from, served while a read of that
//! version (one row by key, per request) still finds the same number, so a change committed by
//! any replica shows on the next request everywhere. What the number covers is the caller's
//! business (e.g. `store::storefront_version` for the home page, `store::calendar_version` for
//! the festival calendar); the key names everything else the answer depends on (route,
//! language, query, day).
//!
//! The response cache (`http::microcache`) is a separate layer above: it may keep answers for
//! a few seconds without asking the database; these are exact.

use crate::http::etag;
use actix_web::web::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// How many answers are kept at most: a crawler sending a new query string with every request
/// only makes the map start over.
const MOST: usize = 256;

/// One kept answer: its body, the ETag of that body and the version it was made from.
#[derive(Debug)]
pub struct Kept {
    pub version: i64,
    pub body: Bytes,
    pub etag: String,
}

/// The answers of one process, by key.
#[derive(Default)]
pub struct KeptAnswers {
    answers: RwLock<HashMap<String, Arc<Kept>>>,
}

impl KeptAnswers {
    /// The answer kept under `key` if it was made from `version` (the one stored now).
    pub fn get(&self, key: &str, version: i64) -> Option<Arc<Kept>> {
        self.answers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .filter(|k| k.version == version)
            .cloned()
    }

    /// Keeps `body` under `key` as made from `version`: read that version before anything the
    /// body shows, so the body is never older than the number it is kept by. An answer kept
    /// meanwhile from a later version stays.
    pub fn keep(&self, key: String, version: i64, body: Vec<u8>) -> Arc<Kept> {
        let kept = Arc::new(Kept {
            version,
            etag: etag::tag_of(&body),
            body: Bytes::from(body),
        });
        let mut answers = self.answers.write().unwrap_or_else(|p| p.into_inner());
        if answers.get(&key).is_some_and(|k| k.version > version) {
            return kept;
        }
        if answers.len() >= MOST && !answers.contains_key(&key) {
            answers.clear();
        }
        answers.insert(key, kept.clone());
        kept
    }
}

/// One value worked out from the database (the search page's filter names, say), kept by the
/// stored version it was made from, as the answers above are: read the version first, then
/// [`KeptValue::get`] it or work the value out and [`KeptValue::keep`] it.
pub struct KeptValue<T> {
    kept: RwLock<Option<(i64, Arc<T>)>>,
}

impl<T> Default for KeptValue<T> {
    fn default() -> Self {
        KeptValue {
            kept: RwLock::new(None),
        }
    }
}

impl<T> KeptValue<T> {
    /// The value if it was made from `version` (the one stored now).
    pub fn get(&self, version: i64) -> Option<Arc<T>> {
        self.kept
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|(v, _)| *v == version)
            .map(|(_, value)| value.clone())
    }

    /// Keeps `value` as made from `version`, unless one made from a later version is kept.
    pub fn keep(&self, version: i64, value: T) -> Arc<T> {
        let value = Arc::new(value);
        let mut kept = self.kept.write().unwrap_or_else(|p| p.into_inner());
        if kept.as_ref().is_none_or(|(v, _)| *v <= version) {
            *kept = Some((version, value.clone()));
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_served_only_at_the_version_it_was_made_from() {
        let kept = KeptAnswers::default();
        kept.keep("/".into(), 3, b"three".to_vec());
        assert_eq!(
            kept.get("/", 3).map(|k| k.body.clone()),
            Some(Bytes::from("three"))
        );
        assert!(kept.get("/", 4).is_none());
        assert!(kept.get("/", 2).is_none());
        assert!(kept.get("/le-hoi", 3).is_none());
    }

    #[test]
    fn a_later_answer_is_not_replaced_by_an_earlier_one() {
        let kept = KeptAnswers::default();
        kept.keep("/".into(), 5, b"five".to_vec());
        kept.keep("/".into(), 4, b"four".to_vec());
        assert_eq!(
            kept.get("/", 5).map(|k| k.body.clone()),
            Some(Bytes::from("five"))
        );
        kept.keep("/".into(), 6, b"six".to_vec());
        assert_eq!(
            kept.get("/", 6).map(|k| k.body.clone()),
            Some(Bytes::from("six"))
        );
    }

    #[test]
    fn the_map_starts_over_when_full() {
        let kept = KeptAnswers::default();
        for i in 0..MOST + 10 {
            kept.keep(format!("/?q={i}"), 1, Vec::new());
        }
        assert!(kept.answers.read().map(|a| a.len()).unwrap_or(usize::MAX) <= MOST);
        assert!(kept.get(&format!("/?q={}", MOST + 9), 1).is_some());
    }

    #[test]
    fn the_etag_is_the_bodys() {
        let kept = KeptAnswers::default().keep("/".into(), 1, b"body".to_vec());
        assert_eq!(kept.etag, etag::tag_of(b"body"));
    }

    #[test]
    fn a_kept_value_is_given_only_at_its_version_and_never_replaced_by_an_older_one() {
        let kept = KeptValue::default();
        assert!(kept.get(1).is_none());
        kept.keep(2, "two");
        assert_eq!(kept.get(2).as_deref(), Some(&"two"));
        assert!(kept.get(1).is_none());
        assert!(kept.get(3).is_none());
        // Worked out from version 1 by a request that started earlier: handed back, not kept.
        assert_eq!(*kept.keep(1, "one"), "one");
        assert_eq!(kept.get(2).as_deref(), Some(&"two"));
        kept.keep(3, "three");
        assert_eq!(kept.get(3).as_deref(), Some(&"three"));
    }
}
