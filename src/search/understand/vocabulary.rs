//! The catalogue's own words, built from the indexed documents (never read from the database per
//! query): folded words with the listings holding them, their spellings with marks, and the
//! place tree by name (a name → the deepest place code every listing carrying it shares).

use super::super::analyze::doc_words;
use super::super::SearchDocument;
use super::entries::Entries;
use super::postings::{put_varint, take_varint, Postings, Seek};
use crate::text::{fold, lower_exact};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[derive(Debug, Default, Clone)]
struct WordEntry {
    /// Listing ids holding the word.
    docs: Postings,
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

    fn lookup(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    fn shared(&self, id: u32) -> Option<&Arc<str>> {
        self.all.get(id as usize)
    }

    fn get(&self, id: u32) -> &str {
        self.shared(id).map_or("", |s| s)
    }
}

/// The distinct (place-name variants, place path) pairs listings carry, once each: thousands of
/// listings share their commune's. A set is `[variant count, variant ids…, code ids…]`.
#[derive(Debug, Default, Clone)]
struct PlaceSets {
    ids: HashMap<Box<[u32]>, u32>,
    all: Vec<Box<[u32]>>,
}

impl PlaceSets {
    fn intern(&mut self, set: Vec<u32>) -> u32 {
        if let Some(id) = self.ids.get(&set[..]) {
            return *id;
        }
        let id = u32::try_from(self.all.len()).unwrap_or(u32::MAX);
        let set = set.into_boxed_slice();
        self.all.push(set.clone());
        self.ids.insert(set, id);
        id
    }

    fn lookup(&self, set: &[u32]) -> Option<u32> {
        self.ids.get(set).copied()
    }

    /// (variant ids, code ids) of a set.
    fn get(&self, id: u32) -> (&[u32], &[u32]) {
        let Some((count, rest)) = self.all.get(id as usize).and_then(|s| s.split_first()) else {
            return (&[], &[]);
        };
        rest.split_at((*count as usize).min(rest.len()))
    }
}

/// What one listing contributed, as kept in [`Entries`]: the string ids of its folded words
/// written without marks only (the others are the folds of its spellings), of its spellings with
/// marks, and its place set. Ids are sorted and written as gaps (varints), so a listing costs a
/// few dozen bytes.
#[derive(Debug, Default, PartialEq, Eq)]
struct Held {
    plain: Vec<u32>,
    spelled: Vec<u32>,
    places: u32,
}

impl Held {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.plain.len() + self.spelled.len() + 6);
        for list in [&self.plain, &self.spelled] {
            put_varint(&mut out, list.len() as u64);
            let mut before = 0u32;
            for id in list.iter() {
                put_varint(&mut out, u64::from(id - before));
                before = *id;
            }
        }
        put_varint(&mut out, u64::from(self.places));
        out
    }

    fn decode(mut bytes: &[u8]) -> Held {
        let mut lists: [Vec<u32>; 2] = Default::default();
        for list in &mut lists {
            let n = take_varint(&mut bytes).unwrap_or(0) as usize;
            list.reserve(n.min(bytes.len()));
            let mut at = 0u32;
            for _ in 0..n {
                let Some(gap) = take_varint(&mut bytes) else {
                    break;
                };
                at = at.wrapping_add(gap as u32);
                list.push(at);
            }
        }
        let [plain, spelled] = lists;
        Held {
            plain,
            spelled,
            places: take_varint(&mut bytes).map_or(u32::MAX, |p| p as u32),
        }
    }

    /// The entry of `keys`, the strings numbered by `string` (`None` when one has no number).
    fn of(
        keys: &DocKeys,
        doc: &SearchDocument,
        string: &mut impl FnMut(&str) -> Option<u32>,
    ) -> Option<(Held, Vec<u32>)> {
        let mut plain = Vec::with_capacity(keys.words.len());
        for w in &keys.words {
            // Spellings are sorted by their folded word first.
            let spelled = keys
                .spellings
                .binary_search_by(|(f, _)| f.as_str().cmp(w))
                .is_ok();
            if !spelled {
                plain.push(string(w)?);
            }
        }
        let mut spelled = Vec::with_capacity(keys.spellings.len());
        for (_, s) in &keys.spellings {
            spelled.push(string(s)?);
        }
        plain.sort_unstable();
        spelled.sort_unstable();
        spelled.dedup();
        let mut places = Vec::with_capacity(1 + keys.place_names.len() + doc.place_path.len());
        places.push(u32::try_from(keys.place_names.len()).unwrap_or(u32::MAX));
        for (variant, _) in &keys.place_names {
            places.push(string(variant)?);
        }
        for code in &doc.place_path {
            places.push(string(code)?);
        }
        Some((
            Held {
                plain,
                spelled,
                places: 0,
            },
            places,
        ))
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
    place_sets: PlaceSets,
    docs: Entries,
    place_names: HashMap<String, PlaceNameEntry>,
    code_docs: HashMap<String, u32>,
    longest_place: usize,
}

/// How the catalogue writes a word that a query writes with marks ([`Vocabulary::spelled`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelled {
    /// No listing writes it this way (nor holds the word at all).
    Nowhere,
    /// Every listing holding the word writes it this way.
    Only,
    /// Some listings write it this way, others otherwise or without marks.
    AmongOthers,
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
    /// posting lists of common words and putting it back costs a rewrite of a block of each.
    pub fn add(&mut self, doc: &SearchDocument) {
        let keys = DocKeys::of(doc);
        if let Some(old) = self.docs.get(doc.id) {
            let strings = &self.strings;
            let same =
                Held::of(&keys, doc, &mut |s| strings.lookup(s)).and_then(|(mut held, places)| {
                    held.places = self.place_sets.lookup(&places)?;
                    Some(held.encode() == old)
                });
            if same == Some(true) {
                return;
            }
        }
        self.remove(doc.id);
        for w in &keys.words {
            let id = self.strings.intern(w);
            let key = self
                .strings
                .shared(id)
                .cloned()
                .unwrap_or_else(|| Arc::from(w.as_str()));
            self.words.entry(key).or_default().docs.insert(doc.id);
        }
        for (f, s) in &keys.spellings {
            let Some(e) = self.words.get_mut(f.as_str()) else {
                continue;
            };
            let sid = self.strings.intern(s);
            match e.spellings.iter_mut().find(|(id, _)| *id == sid) {
                Some((_, count)) => *count += 1,
                None => e.spellings.push((sid, 1)),
            }
        }
        for (variant, name) in &keys.place_names {
            self.longest_place = self.longest_place.max(variant.split(' ').count());
            let e = self.place_names.entry(variant.clone()).or_default();
            e.display = (*name).to_owned();
            e.docs += 1;
            for code in &doc.place_path {
                *e.codes.entry(code.clone()).or_default() += 1;
            }
        }
        for code in &doc.place_path {
            *self.code_docs.entry(code.clone()).or_default() += 1;
        }
        let strings = &mut self.strings;
        if let Some((mut held, places)) = Held::of(&keys, doc, &mut |s| Some(strings.intern(s))) {
            held.places = self.place_sets.intern(places);
            self.docs.insert(doc.id, &held.encode());
        }
    }

    /// Frees the spare room of every listing list (after a bulk build).
    pub fn shrink(&mut self) {
        for e in self.words.values_mut() {
            e.docs.shrink();
            e.spellings.shrink_to_fit();
        }
        self.docs.shrink();
    }

    /// Forgets one listing (unknown ids are ignored).
    pub fn remove(&mut self, id: i64) {
        let Some(old) = self.docs.remove(id) else {
            return;
        };
        let held = Held::decode(&old);
        let mut words: Vec<String> = held
            .plain
            .iter()
            .map(|w| self.strings.get(*w).to_owned())
            .collect();
        for s in &held.spelled {
            let f = fold(self.strings.get(*s));
            if let Some(e) = self.words.get_mut(f.as_str()) {
                if let Some(at) = e.spellings.iter().position(|(sid, _)| sid == s) {
                    e.spellings[at].1 = e.spellings[at].1.saturating_sub(1);
                    if e.spellings[at].1 == 0 {
                        e.spellings.swap_remove(at);
                    }
                }
            }
            words.push(f);
        }
        words.sort_unstable();
        words.dedup();
        for word in &words {
            if let Some(e) = self.words.get_mut(word.as_str()) {
                e.docs.remove(id);
                if e.docs.is_empty() {
                    self.words.remove(word.as_str());
                }
            }
        }
        let (names, codes) = self.place_sets.get(held.places);
        for n in names {
            let name = self.strings.get(*n);
            if let Some(e) = self.place_names.get_mut(name) {
                e.docs = e.docs.saturating_sub(1);
                for code in codes {
                    if let Some(c) = e.codes.get_mut(self.strings.get(*code)) {
                        *c = c.saturating_sub(1);
                    }
                }
                if e.docs == 0 {
                    self.place_names.remove(name);
                }
            }
        }
        for code in codes {
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
        self.first_word_from(std::ops::Bound::Included(folded))
            .is_some_and(|w| w.starts_with(folded))
    }

    /// Whether another catalogue word starts with `folded` (a prefix match of the last query
    /// word would find it too).
    pub fn extended(&self, folded: &str) -> bool {
        self.first_word_from(std::ops::Bound::Excluded(folded))
            .is_some_and(|w| w.starts_with(folded))
    }

    /// The first catalogue word (in byte order) from `bound` on.
    fn first_word_from(&self, bound: std::ops::Bound<&str>) -> Option<&str> {
        self.words
            .range::<str, _>((bound, std::ops::Bound::Unbounded))
            .next()
            .map(|(w, _)| &**w)
    }

    /// How the catalogue writes the folded word, against one spelling with marks (`is_it` tells
    /// whether a catalogue spelling is that one).
    pub fn spelled(&self, folded: &str, is_it: impl Fn(&str) -> bool) -> Spelled {
        let Some(e) = self.words.get(folded) else {
            return Spelled::Nowhere;
        };
        let Some((_, listings)) = e
            .spellings
            .iter()
            .find(|(s, _)| is_it(self.strings.get(*s)))
        else {
            return Spelled::Nowhere;
        };
        if e.spellings.len() == 1 && *listings as usize >= e.docs.len() {
            Spelled::Only
        } else {
            Spelled::AmongOthers
        }
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
        let mut lists: Vec<&Postings> = Vec::with_capacity(words.len());
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
        let mut seekers: Vec<_> = rest.iter().map(|l| l.seeker()).collect();
        let mut count = 0;
        'ids: for id in first.iter() {
            for seeker in &mut seekers {
                match seeker.seek(id) {
                    Seek::Found => {}
                    Seek::Missing => continue 'ids,
                    Seek::Exhausted => break 'ids,
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
            // listings are all in one commune, either code selects the same listings), and
            // holding no other listing: two communes of one name in different districts share
            // only their province, and boosting a whole province is no reading of the name.
            let code = e
                .codes
                .iter()
                .filter(|(code, c)| {
                    **c == e.docs
                        && e.docs > 0
                        && self.code_docs.get(*code).copied().unwrap_or(0) == e.docs
                })
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
