//! Text analysis shared by both backends: words, folded forms and diacritic "markers".
//!
//! Every word is indexed twice: folded ("le", matched diacritic-free and with typos) and as an
//! exact *marker* that survives any engine-side normalisation: the folded word plus an ASCII
//! signature of its marks, e.g. "lê" → `leqbcq`, "lễ" → `leqbcbxq`. A word without marks is its
//! own marker. Queries typed with diacritics add the same markers, so exact spellings rank first
//! on Meilisearch too (which would otherwise fold both "lê" and "lễ" to `le`).

use crate::text::{fold, lower_exact};
use unicode_normalization::UnicodeNormalization;

/// At most this many query words are used; the rest of a (hostile) query is ignored.
pub const MAX_QUERY_WORDS: usize = 10;
/// Query words are cut to this many characters.
pub const MAX_QUERY_WORD_CHARS: usize = 32;
/// Indexed words are cut to this many characters (keeps terms well under engine limits).
pub const MAX_DOC_WORD_CHARS: usize = 64;
/// Only this much of a raw query is looked at.
const MAX_QUERY_INPUT_CHARS: usize = 1_000;

/// One analysed word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Lower-case, diacritic-free ("le").
    pub folded: String,
    /// Folded word plus the signature of its marks ("leqbcq"); equals `folded` when unaccented.
    pub marker: String,
}

impl Word {
    /// Whether the word carries diacritics (or đ), i.e. whether its marker differs from its fold.
    pub fn accented(&self) -> bool {
        self.marker != self.folded
    }
}

/// Splits `text` into words (runs of alphanumeric characters after lower-casing).
fn raw_words(text: &str) -> impl Iterator<Item = String> + '_ {
    // `lower_exact` gives NFC, so Vietnamese letters are single alphanumeric chars.
    let lowered = lower_exact(text);
    let words: Vec<String> = lowered
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    words.into_iter()
}

fn truncate_chars(word: &str, max: usize) -> &str {
    match word.char_indices().nth(max) {
        Some((at, _)) => &word[..at],
        None => word,
    }
}

fn analyse_word(word: &str) -> Option<Word> {
    if word.is_ascii() {
        // No marks and no đ: the word (lower-case already) is its own fold and marker.
        let folded: String = word
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        return (!folded.is_empty()).then(|| Word {
            marker: folded.clone(),
            folded,
        });
    }
    let folded: String = fold(word).chars().filter(|c| c.is_alphanumeric()).collect();
    if folded.is_empty() {
        return None;
    }
    let marker = marker_for(word, &folded);
    Some(Word { folded, marker })
}

/// The exact marker of one lower-case word: `folded` + `q` + signature + `q`, or `folded` if
/// the word has no marks. The signature lists, for each mark, the position of its base letter
/// (`a`..`p`) and the mark (Telex-like letters), so it is pure ASCII and prefix-free.
fn marker_for(word: &str, folded: &str) -> String {
    let mut sig = String::new();
    let mut base_index: usize = 0;
    let mut seen_base = false;
    for c in word.nfd() {
        let mark = match c {
            '\u{0300}' => Some('f'), // huyền
            '\u{0301}' => Some('s'), // sắc
            '\u{0303}' => Some('x'), // ngã
            '\u{0309}' => Some('r'), // hỏi
            '\u{0323}' => Some('j'), // nặng
            '\u{0302}' => Some('c'), // circumflex â ê ô
            '\u{0306}' => Some('w'), // breve ă
            '\u{031b}' => Some('h'), // horn ơ ư
            '\u{0300}'..='\u{036f}' => Some('o'),
            _ => None,
        };
        match mark {
            Some(m) => {
                let at = base_index.saturating_sub(1).min(15);
                sig.push(char::from(b'a' + at as u8));
                sig.push(m);
            }
            None => {
                if c == 'đ' || c == 'Đ' {
                    sig.push(char::from(b'a' + base_index.min(15) as u8));
                    sig.push('d');
                }
                base_index += 1;
                seen_base = true;
            }
        }
    }
    if sig.is_empty() || !seen_base {
        folded.to_owned()
    } else {
        format!("{folded}q{sig}q")
    }
}

/// Words of accented text analysed lately on this thread: a catalogue repeats a few thousand
/// words, and a rebuild analyses every word of every listing (decomposing it twice).
const WORD_CACHE_MAX: usize = 16_384;

thread_local! {
    static WORD_CACHE: std::cell::RefCell<std::collections::HashMap<String, Word>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// [`analyse_word`] through this thread's cache (ASCII words are cheaper to analyse than to look up).
fn analyse_doc_word(word: &str) -> Option<Word> {
    if word.is_ascii() {
        return analyse_word(word);
    }
    WORD_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(w) = cache.get(word) {
            return Some(w.clone());
        }
        let analysed = analyse_word(word)?;
        if cache.len() >= WORD_CACHE_MAX {
            cache.clear();
        }
        cache.insert(word.to_owned(), analysed.clone());
        Some(analysed)
    })
}

/// All words of a document text (no count limit; each word capped in length).
pub fn doc_words(text: &str) -> Vec<Word> {
    raw_words(text)
        .filter_map(|w| analyse_doc_word(truncate_chars(&w, MAX_DOC_WORD_CHARS)))
        .collect()
}

/// The words of a shopper's query: at most [`MAX_QUERY_WORDS`], each at most
/// [`MAX_QUERY_WORD_CHARS`] characters. Operators and punctuation are simply separators.
pub fn query_words(text: &str) -> Vec<Word> {
    let input = truncate_chars(text, MAX_QUERY_INPUT_CHARS);
    raw_words(input)
        .filter_map(|w| query_word(&w))
        .take(MAX_QUERY_WORDS)
        .collect()
}

/// One word already lower-case and split off (a catalogue spelling), analysed as the same word
/// in a query would be.
pub fn query_word(word: &str) -> Option<Word> {
    analyse_word(truncate_chars(word, MAX_QUERY_WORD_CHARS))
}

/// Typos allowed for a query word, as Meilisearch counts them with our settings
/// (minWordSizeForTypos oneTypo 5, twoTypos 9).
pub fn typo_budget(folded: &str) -> u8 {
    match folded.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Space-joined folded forms.
pub fn folded_text<'a>(words: impl IntoIterator<Item = &'a Word>) -> String {
    join(words.into_iter().map(|w| w.folded.as_str()))
}

/// Space-joined markers.
pub fn marker_text<'a>(words: impl IntoIterator<Item = &'a Word>) -> String {
    join(words.into_iter().map(|w| w.marker.as_str()))
}

fn join<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for p in parts {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(p);
    }
    out
}

/// The text groups of a document, analysed once and shared by both backends.
#[derive(Debug, Clone, Default)]
pub struct DocText {
    pub name: Vec<Word>,
    pub places: Vec<Word>,
    /// Category name, cooperative name, English name.
    pub other: Vec<Word>,
    /// Vietnamese and English descriptions.
    pub description: Vec<Word>,
}

impl DocText {
    pub fn of(doc: &super::SearchDocument) -> DocText {
        let mut places = Vec::new();
        for p in &doc.place_names {
            places.extend(doc_words(p));
        }
        let mut other = doc_words(&doc.category_name_vi);
        other.extend(doc_words(&doc.cooperative_name));
        if let Some(en) = &doc.name_en {
            other.extend(doc_words(en));
        }
        let mut description = doc_words(&doc.description_vi);
        if let Some(en) = &doc.description_en {
            description.extend(doc_words(en));
        }
        DocText {
            name: doc_words(&doc.name_vi),
            places,
            other,
            description,
        }
    }

    /// Markers of every group but the name (only the accented ones: unaccented markers equal the
    /// folded words already indexed elsewhere).
    pub fn rest_markers(&self) -> String {
        join(
            self.places
                .iter()
                .chain(&self.other)
                .chain(&self.description)
                .filter(|w| w.accented())
                .map(|w| w.marker.as_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_distinguish_tones_and_survive_as_ascii() {
        let le = &query_words("lê")[0];
        let le_hoi = &query_words("LỄ")[0];
        let plain = &query_words("le")[0];
        assert_eq!(le.folded, "le");
        assert_eq!(le_hoi.folded, "le");
        assert_eq!(plain.marker, "le");
        assert_ne!(le.marker, le_hoi.marker);
        assert!(le.marker.is_ascii() && le_hoi.marker.is_ascii());
        assert!(
            !le_hoi.marker.starts_with(&le.marker),
            "prefix-free markers"
        );
        assert!(le.accented() && !plain.accented());
        let duong = &query_words("Đường")[0];
        assert_eq!(duong.folded, "duong");
        assert!(duong.accented());
        assert_ne!(duong.marker, query_words("Dường")[0].marker);
    }

    #[test]
    fn upper_and_lower_case_give_the_same_marker() {
        assert_eq!(query_words("CHÈ SHAN TUYẾT"), query_words("chè shan tuyết"));
        // NFD input is normalised too.
        let nfd: String = "tuyết".nfd().collect();
        assert_eq!(query_words(&nfd), query_words("tuyết"));
    }

    #[test]
    fn hostile_queries_are_bounded_words() {
        let words = query_words("\" * : ( ) [ ] ~ ^ - + AND OR NOT");
        let folded: Vec<_> = words.iter().map(|w| w.folded.as_str()).collect();
        assert_eq!(folded, ["and", "or", "not"]);
        let long = "a".repeat(10_000);
        let words = query_words(&long);
        assert_eq!(words.len(), 1);
        assert_eq!(words[0].folded.len(), MAX_QUERY_WORD_CHARS);
        let many = "che ".repeat(5_000);
        assert_eq!(query_words(&many).len(), MAX_QUERY_WORDS);
        assert!(query_words("!!! ***").is_empty());
    }

    #[test]
    fn document_words_are_the_same_from_the_cache() {
        let text = "Chè Shan tuyết cổ thụ Hồng Thái, ĐƯỜNG phên";
        let first = doc_words(text);
        assert_eq!(doc_words(text), first);
        let one_by_one: Vec<Word> = raw_words(text).filter_map(|w| analyse_word(&w)).collect();
        assert_eq!(first, one_by_one);
        assert_eq!(first[0].folded, "che");
        assert_ne!(first[0].marker, "che");
    }

    #[test]
    fn typo_budget_follows_meilisearch() {
        assert_eq!(typo_budget("snah"), 0);
        assert_eq!(typo_budget("tuyet"), 1);
        assert_eq!(typo_budget("thuycanhx"), 2);
    }
}
