//! The catalogue's own words, built from the indexed documents (never read from the database per
//! query): folded words with the listings holding them, their spellings with marks, and the
//! place tree by name (a name → the deepest place code every listing carrying it shares).

use super::super::analyze::doc_words;
use super::super::SearchDocument;
use crate::text::{fold, lower_exact};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[derive(Debug, Default, Clone)]
struct WordEntry {
    /// Listing ids holding the word, sorted.
    docs: Vec<i64>,
    /// Lower-case spellings with marks → how many listings use them.
    spellings: HashMap<Arc<str>, u32>,
}

#[derive(Debug, Default, Clone)]
/// A listing's words, sharing the strings of the word table (a catalogue of 100 000 listings
/// holds millions of word uses but only tens of thousands of distinct words).
struct DocEntry {
    words: Vec<Arc<str>>,
    spellings: Vec<(Arc<str>, Arc<str>)>,
    place_names: Vec<String>,
    place_path: Vec<String>,
}

#[derive(Debug, Default, Clone)]
struct PlaceNameEntry {
    docs: u32,
    codes: HashMap<String, u32>,
    /// How the name is written (the most recent listing's spelling).
    display: String,
}

/// A place a query named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceMatch {
    pub code: String,
    /// The name as the catalogue writes it.
    pub name: String,
    /// How many query words it took.
    pub words: usize,
}

/// The vocabulary of the indexed catalogue.
#[derive(Debug, Default, Clone)]
pub struct Vocabulary {
    words: BTreeMap<Arc<str>, WordEntry>,
    docs: HashMap<i64, DocEntry>,
    place_names: HashMap<String, PlaceNameEntry>,
    code_docs: HashMap<String, u32>,
    longest_place: usize,
}

/// Words that say which level a place is, not which place: dropped from the front of names.
const PLACE_LEVEL_WORDS: [&str; 8] = [
    "huyen",
    "tinh",
    "xa",
    "thi tran",
    "thanh pho",
    "tp",
    "phuong",
    "quan",
];

/// A place name and its variants without the level word or a trailing "(cũ)"/"(mới)", folded.
fn place_name_variants(name: &str) -> Vec<String> {
    let folded: Vec<String> = doc_words(name).into_iter().map(|w| w.folded).collect();
    let full = folded.join(" ");
    let mut out = vec![full.clone()];
    let mut core = full.as_str();
    for level in PLACE_LEVEL_WORDS {
        if let Some(rest) = core.strip_prefix(level).and_then(|r| r.strip_prefix(' ')) {
            core = rest;
            break;
        }
    }
    for tail in [" cu", " moi"] {
        if let Some(rest) = core.strip_suffix(tail) {
            core = rest;
        }
    }
    if !core.is_empty() && core != full {
        out.push(core.to_owned());
    }
    out
}

impl Vocabulary {
    pub fn new() -> Vocabulary {
        Vocabulary::default()
    }

    /// Builds the vocabulary of `docs`.
    pub fn of<'a>(docs: impl IntoIterator<Item = &'a SearchDocument>) -> Vocabulary {
        let mut v = Vocabulary::new();
        for d in docs {
            v.add(d);
        }
        v
    }

    /// Listings known.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Adds (or replaces) one listing's words.
    pub fn add(&mut self, doc: &SearchDocument) {
        self.remove(doc.id);
        let mut texts: Vec<&str> = vec![
            &doc.name_vi,
            &doc.description_vi,
            &doc.category_name_vi,
            &doc.cooperative_name,
        ];
        texts.extend(doc.name_en.as_deref());
        texts.extend(doc.description_en.as_deref());
        texts.extend(doc.place_names.iter().map(String::as_str));
        let mut words: Vec<String> = Vec::new();
        let mut spellings: Vec<(String, String)> = Vec::new();
        for text in texts {
            for raw in lower_exact(text).split(|c: char| !c.is_alphanumeric()) {
                if raw.is_empty() || raw.chars().count() > 24 {
                    continue;
                }
                let f = fold(raw);
                if f != raw {
                    spellings.push((f.clone(), raw.to_owned()));
                }
                words.push(f);
            }
        }
        words.sort_unstable();
        words.dedup();
        spellings.sort_unstable();
        spellings.dedup();
        let mut doc_words: Vec<Arc<str>> = Vec::with_capacity(words.len());
        for w in &words {
            let key = match self.words.get_key_value(w.as_str()) {
                Some((k, _)) => k.clone(),
                None => {
                    let k: Arc<str> = Arc::from(w.as_str());
                    self.words.insert(k.clone(), WordEntry::default());
                    k
                }
            };
            if let Some(e) = self.words.get_mut(&*key) {
                if let Err(at) = e.docs.binary_search(&doc.id) {
                    e.docs.insert(at, doc.id);
                }
            }
            doc_words.push(key);
        }
        let mut doc_spellings: Vec<(Arc<str>, Arc<str>)> = Vec::with_capacity(spellings.len());
        for (f, s) in &spellings {
            let Some(fkey) = self.words.get_key_value(f.as_str()).map(|(k, _)| k.clone()) else {
                continue;
            };
            if let Some(e) = self.words.get_mut(f.as_str()) {
                let skey = e
                    .spellings
                    .get_key_value(s.as_str())
                    .map_or_else(|| Arc::from(s.as_str()), |(k, _)| k.clone());
                *e.spellings.entry(skey.clone()).or_default() += 1;
                doc_spellings.push((fkey, skey));
            }
        }
        let mut place_names: Vec<String> = Vec::new();
        for name in &doc.place_names {
            for variant in place_name_variants(name) {
                if !place_names.contains(&variant) {
                    self.longest_place = self.longest_place.max(variant.split(' ').count());
                    let e = self.place_names.entry(variant.clone()).or_default();
                    e.display = name.clone();
                    place_names.push(variant);
                }
            }
        }
        for n in &place_names {
            if let Some(e) = self.place_names.get_mut(n) {
                e.docs += 1;
                for code in &doc.place_path {
                    *e.codes.entry(code.clone()).or_default() += 1;
                }
            }
        }
        for code in &doc.place_path {
            *self.code_docs.entry(code.clone()).or_default() += 1;
        }
        self.docs.insert(
            doc.id,
            DocEntry {
                words: doc_words,
                spellings: doc_spellings,
                place_names,
                place_path: doc.place_path.clone(),
            },
        );
    }

    /// Forgets one listing (unknown ids are ignored).
    pub fn remove(&mut self, id: i64) {
        let Some(old) = self.docs.remove(&id) else {
            return;
        };
        for (f, s) in &old.spellings {
            if let Some(e) = self.words.get_mut(&**f) {
                if let Some(c) = e.spellings.get_mut(&**s) {
                    *c = c.saturating_sub(1);
                    if *c == 0 {
                        e.spellings.remove(&**s);
                    }
                }
            }
        }
        for w in &old.words {
            if let Some(e) = self.words.get_mut(&**w) {
                if let Ok(at) = e.docs.binary_search(&id) {
                    e.docs.remove(at);
                }
                if e.docs.is_empty() {
                    self.words.remove(&**w);
                }
            }
        }
        for n in &old.place_names {
            if let Some(e) = self.place_names.get_mut(n) {
                e.docs = e.docs.saturating_sub(1);
                for code in &old.place_path {
                    if let Some(c) = e.codes.get_mut(code) {
                        *c = c.saturating_sub(1);
                    }
                }
                if e.docs == 0 {
                    self.place_names.remove(n);
                }
            }
        }
        for code in &old.place_path {
            if let Some(c) = self.code_docs.get_mut(code) {
                *c = c.saturating_sub(1);
            }
        }
    }

    /// Whether a folded word occurs in the catalogue.
    pub fn contains(&self, folded: &str) -> bool {
        self.words.contains_key(folded)
    }

    /// Whether some catalogue word starts with `folded` (as-you-type).
    pub fn has_prefix(&self, folded: &str) -> bool {
        self.words
            .range::<str, _>((
                std::ops::Bound::Included(folded),
                std::ops::Bound::Unbounded,
            ))
            .next()
            .is_some_and(|(w, _)| w.starts_with(folded))
    }

    /// How many listings hold the folded word.
    pub fn doc_freq(&self, folded: &str) -> usize {
        self.words.get(folded).map_or(0, |e| e.docs.len())
    }

    /// How many listings hold every one of these folded words.
    pub fn co_occurrence(&self, words: &[&str]) -> usize {
        let mut lists: Vec<&Vec<i64>> = Vec::with_capacity(words.len());
        for w in words {
            match self.words.get(*w) {
                Some(e) => lists.push(&e.docs),
                None => return 0,
            }
        }
        lists.sort_by_key(|l| l.len());
        let Some((first, rest)) = lists.split_first() else {
            return 0;
        };
        first
            .iter()
            .filter(|id| rest.iter().all(|l| l.binary_search(id).is_ok()))
            .count()
    }

    /// The catalogue's spelling of a folded word whose marks are those of `wanted` (a tone or a
    /// mark typed on another vowel than the catalogue's), else its most used spelling with the
    /// same marks set; `None` when the catalogue never writes it with marks.
    pub fn spelling_like(&self, folded: &str, wanted: &str) -> Option<String> {
        let e = self.words.get(folded)?;
        if e.spellings.contains_key(wanted) {
            return Some(wanted.to_owned());
        }
        let key = mark_set(wanted);
        e.spellings
            .iter()
            .filter(|(s, _)| mark_set(s) == key)
            .max_by_key(|(s, c)| (**c, std::cmp::Reverse((*s).clone())))
            .map(|(s, _)| s.to_string())
    }

    /// The most used spelling of a folded word (the word itself when never written with marks).
    pub fn best_spelling(&self, folded: &str) -> String {
        self.words
            .get(folded)
            .and_then(|e| {
                e.spellings
                    .iter()
                    .max_by_key(|(s, c)| (**c, std::cmp::Reverse((*s).clone())))
                    .map(|(s, c)| (s.to_string(), *c))
            })
            .filter(|(_, c)| 2 * (*c as usize) >= self.doc_freq(folded))
            .map_or_else(|| folded.to_owned(), |(s, _)| s)
    }

    /// Catalogue words at most `max` edits from `folded` (insert, delete, substitute, swap two
    /// neighbours), closest first, then most used.
    pub fn near(&self, folded: &str, max: usize) -> Vec<(String, usize)> {
        let len = folded.chars().count();
        let mut out: Vec<(String, usize)> = self
            .words
            .keys()
            .filter(|w| w.chars().count().abs_diff(len) <= max)
            .filter_map(|w| {
                let d = edit_distance(folded, w);
                (d <= max && d > 0).then(|| (w.to_string(), d))
            })
            .collect();
        out.sort_by(|a, b| {
            a.1.cmp(&b.1)
                .then(self.doc_freq(&b.0).cmp(&self.doc_freq(&a.0)))
                .then(a.0.cmp(&b.0))
        });
        out
    }

    /// The longest place name starting at `words[0]` (folded words), with the place it names.
    pub fn place_at(&self, words: &[&str]) -> Option<PlaceMatch> {
        let most = self.longest_place.min(words.len());
        for n in (1..=most).rev() {
            let name = words[..n].join(" ");
            let Some(e) = self.place_names.get(&name) else {
                continue;
            };
            // The deepest place shared by every listing carrying the name.
            let code = e
                .codes
                .iter()
                .filter(|(_, c)| **c == e.docs && e.docs > 0)
                .min_by_key(|(code, _)| {
                    (
                        self.code_docs.get(*code).copied().unwrap_or(0),
                        (*code).clone(),
                    )
                })
                .map(|(code, _)| code.clone())?;
            return Some(PlaceMatch {
                code,
                name: e.display.clone(),
                words: n,
            });
        }
        None
    }
}

/// The marks of a word, position-free ("hóa" and "hoá" have the same).
fn mark_set(word: &str) -> Vec<char> {
    use unicode_normalization::UnicodeNormalization;
    let mut marks: Vec<char> = word
        .nfd()
        .filter(|c| ('\u{0300}'..='\u{036f}').contains(c))
        .collect();
    if word.contains('đ') {
        marks.push('đ');
    }
    marks.sort_unstable();
    marks
}

/// Damerau–Levenshtein distance (optimal string alignment) over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}
