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
    /// Lower-case spellings with marks (ids in the string table) → how many listings use them.
    spellings: Vec<(u32, u32)>,
}

/// Every string the vocabulary keeps (words, spellings, place names, place codes), once each,
/// so a listing's entry is a few numbers. Strings are not freed when the last listing using
/// them goes (a rebuild starts a fresh table): the catalogue's words change slowly.
#[derive(Debug, Default, Clone)]
struct Strings {
    ids: HashMap<Arc<str>, u32>,
    all: Vec<Arc<str>>,
}

impl Strings {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = u32::try_from(self.all.len()).unwrap_or(u32::MAX);
        let shared: Arc<str> = Arc::from(s);
        self.all.push(shared.clone());
        self.ids.insert(shared, id);
        id
    }

    fn shared(&self, id: u32) -> Option<&Arc<str>> {
        self.all.get(id as usize)
    }

    fn get(&self, id: u32) -> &str {
        self.shared(id).map_or("", |s| s)
    }
}

/// A listing's words, spellings, place names and place path as ids in the string table, in one
/// allocation (a catalogue of 100 000 listings holds millions of word uses but only tens of
/// thousands of distinct strings).
#[derive(Debug, Default, Clone)]
struct DocEntry {
    /// Words, then (word, spelling) pairs, then place-name variants, then place codes.
    ids: Box<[u32]>,
    words: u16,
    spellings: u16,
    place_names: u16,
}

impl DocEntry {
    fn words(&self) -> &[u32] {
        &self.ids[..self.words as usize]
    }

    fn spellings(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let start = self.words as usize;
        self.ids[start..start + 2 * self.spellings as usize]
            .chunks_exact(2)
            .map(|p| (p[0], p[1]))
    }

    fn place_names(&self) -> &[u32] {
        let start = self.words as usize + 2 * self.spellings as usize;
        &self.ids[start..start + self.place_names as usize]
    }

    fn place_path(&self) -> &[u32] {
        &self.ids[self.words as usize + 2 * self.spellings as usize + self.place_names as usize..]
    }
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
    strings: Strings,
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

/// What a listing contributes, worked out from its document alone: folded words (sorted), their
/// spellings with marks (sorted), and place-name variants with the name as written.
struct DocKeys<'a> {
    words: Vec<String>,
    spellings: Vec<(String, String)>,
    place_names: Vec<(String, &'a str)>,
}

impl<'a> DocKeys<'a> {
    fn of(doc: &'a SearchDocument) -> DocKeys<'a> {
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
        let mut place_names: Vec<(String, &str)> = Vec::new();
        for name in &doc.place_names {
            for variant in place_name_variants(name) {
                if !place_names.iter().any(|(v, _)| *v == variant) {
                    place_names.push((variant, name));
                }
            }
        }
        DocKeys {
            words,
            spellings,
            place_names,
        }
    }
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
        v.shrink();
        v
    }

    /// Listings known.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Adds (or replaces) one listing's words. A listing whose words did not change is left as
    /// it is: the indexer re-adds every listing it refreshes, and taking a listing out of the
    /// posting lists of common words and putting it back costs a shift of each list.
    pub fn add(&mut self, doc: &SearchDocument) {
        let keys = DocKeys::of(doc);
        if self
            .docs
            .get(&doc.id)
            .is_some_and(|old| self.holds(old, &keys, doc))
        {
            return;
        }
        self.remove(doc.id);
        let DocKeys {
            words,
            spellings,
            place_names: named,
        } = keys;
        let mut ids: Vec<u32> = Vec::with_capacity(words.len() + 2 * spellings.len() + 8);
        for w in &words {
            let id = self.strings.intern(w);
            let key = self
                .strings
                .shared(id)
                .cloned()
                .unwrap_or_else(|| Arc::from(w.as_str()));
            let e = self.words.entry(key).or_default();
            if let Err(at) = e.docs.binary_search(&doc.id) {
                e.docs.insert(at, doc.id);
            }
            ids.push(id);
        }
        let mut spelled = 0u16;
        for (f, s) in &spellings {
            let Some(e) = self.words.get_mut(f.as_str()) else {
                continue;
            };
            let sid = self.strings.intern(s);
            match e.spellings.iter_mut().find(|(id, _)| *id == sid) {
                Some((_, count)) => *count += 1,
                None => e.spellings.push((sid, 1)),
            }
            ids.push(self.strings.intern(f));
            ids.push(sid);
            spelled = spelled.saturating_add(1);
        }
        let mut place_names: Vec<String> = Vec::with_capacity(named.len());
        for (variant, name) in named {
            self.longest_place = self.longest_place.max(variant.split(' ').count());
            let e = self.place_names.entry(variant.clone()).or_default();
            e.display = name.to_owned();
            place_names.push(variant);
        }
        for n in &place_names {
            if let Some(e) = self.place_names.get_mut(n) {
                e.docs += 1;
                for code in &doc.place_path {
                    *e.codes.entry(code.clone()).or_default() += 1;
                }
            }
            ids.push(self.strings.intern(n));
        }
        for code in &doc.place_path {
            *self.code_docs.entry(code.clone()).or_default() += 1;
            ids.push(self.strings.intern(code));
        }
        self.docs.insert(
            doc.id,
            DocEntry {
                ids: ids.into_boxed_slice(),
                words: u16::try_from(words.len()).unwrap_or(u16::MAX),
                spellings: spelled,
                place_names: u16::try_from(place_names.len()).unwrap_or(u16::MAX),
            },
        );
    }

    /// Whether `old` (the listing's entry) already holds exactly these words, spellings, place
    /// names and place path.
    fn holds(&self, old: &DocEntry, keys: &DocKeys, doc: &SearchDocument) -> bool {
        let text = |id: &u32| self.strings.get(*id);
        old.words().len() == keys.words.len()
            && old.spellings as usize == keys.spellings.len()
            && old.place_names().len() == keys.place_names.len()
            && old.place_path().len() == doc.place_path.len()
            && old
                .words()
                .iter()
                .map(text)
                .eq(keys.words.iter().map(String::as_str))
            && old
                .spellings()
                .map(|(f, s)| (self.strings.get(f), self.strings.get(s)))
                .eq(keys.spellings.iter().map(|(f, s)| (f.as_str(), s.as_str())))
            && old
                .place_names()
                .iter()
                .map(text)
                .eq(keys.place_names.iter().map(|(v, _)| v.as_str()))
            && old
                .place_path()
                .iter()
                .map(text)
                .eq(doc.place_path.iter().map(String::as_str))
    }

    /// Frees the spare room of every listing list (after a bulk build).
    pub fn shrink(&mut self) {
        for e in self.words.values_mut() {
            e.docs.shrink_to_fit();
            e.spellings.shrink_to_fit();
        }
        self.docs.shrink_to_fit();
    }

    /// Forgets one listing (unknown ids are ignored).
    pub fn remove(&mut self, id: i64) {
        let Some(old) = self.docs.remove(&id) else {
            return;
        };
        for (f, s) in old.spellings() {
            if let Some(e) = self.words.get_mut(self.strings.get(f)) {
                if let Some(at) = e.spellings.iter().position(|(sid, _)| *sid == s) {
                    e.spellings[at].1 = e.spellings[at].1.saturating_sub(1);
                    if e.spellings[at].1 == 0 {
                        e.spellings.swap_remove(at);
                    }
                }
            }
        }
        for w in old.words() {
            let word = self.strings.get(*w);
            if let Some(e) = self.words.get_mut(word) {
                if let Ok(at) = e.docs.binary_search(&id) {
                    e.docs.remove(at);
                }
                if e.docs.is_empty() {
                    self.words.remove(word);
                }
            }
        }
        for n in old.place_names() {
            let name = self.strings.get(*n);
            if let Some(e) = self.place_names.get_mut(name) {
                e.docs = e.docs.saturating_sub(1);
                for code in old.place_path() {
                    if let Some(c) = e.codes.get_mut(self.strings.get(*code)) {
                        *c = c.saturating_sub(1);
                    }
                }
                if e.docs == 0 {
                    self.place_names.remove(name);
                }
            }
        }
        for code in old.place_path() {
            if let Some(c) = self.code_docs.get_mut(self.strings.get(*code)) {
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
        self.together(words, usize::MAX)
    }

    /// Whether one listing holds every one of these folded words (stops at the first).
    pub fn co_occur(&self, words: &[&str]) -> bool {
        self.together(words, 1) > 0
    }

    /// Listings holding every word, counted up to `enough`.
    fn together(&self, words: &[&str], enough: usize) -> usize {
        let mut lists: Vec<&[i64]> = Vec::with_capacity(words.len());
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
        // Every list is sorted: each one is searched from where the previous id was found.
        let mut from: Vec<usize> = vec![0; rest.len()];
        let mut count = 0;
        'ids: for id in first.iter() {
            for (list, at) in rest.iter().zip(from.iter_mut()) {
                match list[*at..].binary_search(id) {
                    Ok(i) => *at += i,
                    Err(i) => {
                        *at += i;
                        if *at >= list.len() {
                            break 'ids;
                        }
                        continue 'ids;
                    }
                }
            }
            count += 1;
            if count >= enough {
                break;
            }
        }
        count
    }

    /// The catalogue's spelling of a folded word whose marks are those of `wanted` (a tone or a
    /// mark typed on another vowel than the catalogue's), else its most used spelling with the
    /// same marks set; `None` when the catalogue never writes it with marks.
    pub fn spelling_like(&self, folded: &str, wanted: &str) -> Option<String> {
        let e = self.words.get(folded)?;
        let spellings = e.spellings.iter().map(|(s, c)| (self.strings.get(*s), *c));
        if spellings.clone().any(|(s, _)| s == wanted) {
            return Some(wanted.to_owned());
        }
        let key = mark_set(wanted);
        spellings
            .filter(|(s, _)| mark_set(s) == key)
            .max_by_key(|(s, c)| (*c, std::cmp::Reverse(*s)))
            .map(|(s, _)| s.to_owned())
    }

    /// The most used spelling of a folded word (the word itself when never written with marks).
    pub fn best_spelling(&self, folded: &str) -> String {
        self.words
            .get(folded)
            .and_then(|e| {
                e.spellings
                    .iter()
                    .map(|(s, c)| (self.strings.get(*s), *c))
                    .max_by_key(|(s, c)| (*c, std::cmp::Reverse(*s)))
            })
            .filter(|(_, c)| 2 * (*c as usize) >= self.doc_freq(folded))
            .map_or_else(|| folded.to_owned(), |(s, _)| s.to_owned())
    }

    /// Catalogue words at most `max` edits from `folded` (insert, delete, substitute, swap two
    /// neighbours), closest first, then most used.
    pub fn near(&self, folded: &str, max: usize) -> Vec<(String, usize)> {
        let query: Vec<char> = folded.chars().collect();
        let len = query.len();
        let mut out: Vec<(&str, usize)> = self
            .words
            .keys()
            .filter(|w| {
                // Folded words are ASCII but for other scripts: bytes are characters there.
                let n = if w.is_ascii() {
                    w.len()
                } else {
                    w.chars().count()
                };
                n.abs_diff(len) <= max
            })
            .filter_map(|w| {
                edit_distance_within(&query, w, max)
                    .filter(|d| *d > 0)
                    .map(|d| (&**w, d))
            })
            .collect();
        out.sort_by(|a, b| {
            a.1.cmp(&b.1)
                .then(self.doc_freq(b.0).cmp(&self.doc_freq(a.0)))
                .then(a.0.cmp(b.0))
        });
        out.into_iter().map(|(w, d)| (w.to_owned(), d)).collect()
    }

    /// The longest place name starting at `words[0]` (folded words), with the place it names.
    pub fn place_at(&self, words: &[&str]) -> Option<PlaceMatch> {
        let most = self.longest_place.min(words.len());
        for n in (1..=most).rev() {
            let name = words[..n].join(" ");
            let Some(e) = self.place_names.get(&name) else {
                continue;
            };
            // The deepest place shared by every listing carrying the name (when a district's
            // listings are all in one commune, either code selects the same listings).
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

/// Longest word [`edit_distance_within`] compares without allocating.
const STACK_WORD: usize = 32;

/// [`edit_distance`] when it is at most `max` (`None` beyond), without allocating, stopping as
/// soon as every alignment costs more than `max`.
pub fn edit_distance_within(a: &[char], b: &str, max: usize) -> Option<usize> {
    let mut bc = ['\0'; STACK_WORD];
    let mut m = 0;
    for c in b.chars() {
        if m == STACK_WORD || a.len() > STACK_WORD {
            let a: String = a.iter().collect();
            let d = edit_distance(&a, b);
            return (d <= max).then_some(d);
        }
        bc[m] = c;
        m += 1;
    }
    let n = a.len();
    if n.abs_diff(m) > max {
        return None;
    }
    let mut before = [0usize; STACK_WORD + 1];
    let mut prev = [0usize; STACK_WORD + 1];
    let mut cur = [0usize; STACK_WORD + 1];
    for (j, cell) in prev.iter_mut().enumerate().take(m + 1) {
        *cell = j;
    }
    for i in 1..=n {
        cur[0] = i;
        let mut row_min = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != bc[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == bc[j - 2] && a[i - 2] == bc[j - 1] {
                v = v.min(before[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        // A later row is never cheaper than this one's cheapest cell (a swap costs one more
        // than the cell two rows up, which this row already bounds).
        if row_min > max {
            return None;
        }
        before = prev;
        prev = cur;
    }
    (prev[m] <= max).then_some(prev[m])
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

#[cfg(test)]
mod distance_tests {
    use super::*;

    #[test]
    fn bounded_distance_agrees_with_the_full_one() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "mat",
            "mật",
            "ong",
            "ongg",
            "thit",
            "thti",
            "trau",
            "tra",
            "cam",
            "xanh",
            "shan",
            "tuyet",
            "tuyte",
            "hong",
            "hongg",
            "abcdefghijklmnopqrstuvwxyz0123456789",
            "abcdefghijklmnopqrstuvwxyz012345678",
        ];
        for a in words {
            let ac: Vec<char> = a.chars().collect();
            for b in words {
                let full = edit_distance(a, b);
                for max in 0..4 {
                    let want = (full <= max).then_some(full);
                    assert_eq!(edit_distance_within(&ac, b, max), want, "{a:?} {b:?} {max}");
                }
            }
        }
    }
}
