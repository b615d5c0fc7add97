//! Query understanding: what a shopper meant, as readings that both backends run the same way.
//!
//! Pure functions over the query and the catalogue's [`Vocabulary`] (built from the indexed
//! documents, never from the database per query). A query becomes a [`Plan`]: a few ordinary
//! [`SearchQuery`]s ("steps") and how to combine their answers. Each backend runs the steps with
//! its own engine and [`Plan::merge`] combines them, so tantivy and Meilisearch answer alike.
//!
//! Rules, in order: Telex/VNI decoding of unknown tokens (valid syllables only, preferring the
//! catalogue's words); splitting run-together words with the catalogue's words; month, season and
//! festival words, "ocop N sao", place names (boosts: matching listings first); trade filler
//! words dropped; one typo in a short syllable when the other words pin it; synonyms and
//! abbreviations as alternative readings; "did you mean" when nothing is found.

pub mod calendar;
mod entries;
mod postings;
pub mod split;
pub mod syllable;
pub mod synonyms;
pub mod telex;
pub mod vocabulary;

pub use vocabulary::{Spelled, Vocabulary};

use super::analyze::{MAX_QUERY_WORDS, MAX_QUERY_WORD_CHARS};
use super::limits::MAX_LIMIT;
use super::{SearchQuery, SearchResults};
use crate::text::{fold, lower_exact};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::{Arc, RwLock};

/// The vocabulary shared by a backend's writers (upsert, rebuild) and its searches.
pub type SharedVocabulary = Arc<RwLock<Vocabulary>>;

/// Alternative readings (synonyms) tried at most.
const MAX_ALTERNATIVES: usize = 3;
const MAX_INPUT_CHARS: usize = 1_000;

/// What the understanding did, for `explain=true`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Explain {
    /// How the words were read ("hoongf → hồng (telex)").
    pub notes: Vec<String>,
    /// Every reading planned, in order, and what it found.
    pub readings: Vec<ReadingTried>,
    /// The closest reading, when the query as understood found nothing and this one did.
    pub did_you_mean: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadingTried {
    /// The text searched.
    pub text: String,
    /// `understood`, `synonym`, `place`, `without boost`, `as typed`, `did you mean`.
    pub role: String,
    /// The filter used to rank its matches first ("months 7, 8, 9", "OCOP ≥ 4", "place TQ-NH").
    pub boost: Option<String>,
    /// Whether it was run (later readings run only when earlier ones leave room or found nothing).
    pub ran: bool,
    /// Matching listings.
    pub hits: u64,
    /// Whether it contributed results.
    pub matched: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Tok {
    exact: String,
    folded: String,
}

impl Tok {
    fn of(exact: &str) -> Tok {
        Tok {
            exact: exact.to_owned(),
            folded: fold(exact),
        }
    }
}

fn truncate_chars(word: &str, max: usize) -> &str {
    match word.char_indices().nth(max) {
        Some((at, _)) => &word[..at],
        None => word,
    }
}

fn tokenize(text: &str) -> Vec<Tok> {
    lower_exact(truncate_chars(text, MAX_INPUT_CHARS))
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| Tok::of(truncate_chars(w, MAX_QUERY_WORD_CHARS)))
        .filter(|t| !t.folded.is_empty())
        .take(MAX_QUERY_WORDS)
        .collect()
}

fn join(toks: &[Tok]) -> String {
    toks.iter()
        .map(|t| t.exact.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Boost filters a query's words asked for.
#[derive(Debug, Clone, Default, PartialEq)]
struct Boost {
    months: Vec<u8>,
    ocop: Option<i16>,
    place: Option<vocabulary::PlaceMatch>,
}

impl Boost {
    fn is_empty(&self) -> bool {
        self.months.is_empty() && self.ocop.is_none() && self.place.is_none()
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.months.is_empty() {
            let m: Vec<String> = self.months.iter().map(u8::to_string).collect();
            parts.push(format!("in season in month {}", m.join(", ")));
        }
        if let Some(s) = self.ocop {
            parts.push(format!("OCOP ≥ {s}"));
        }
        if let Some(p) = &self.place {
            parts.push(format!("place {} ({})", p.code, p.name));
        }
        parts.join("; ")
    }

    fn apply(&self, q: &mut SearchQuery) {
        if !self.months.is_empty() {
            q.filters.season_any = self.months.clone();
        }
        if let Some(s) = self.ocop {
            q.filters.min_ocop_stars = Some(q.filters.min_ocop_stars.map_or(s, |m| m.max(s)));
        }
        if let Some(p) = &self.place {
            q.filters.place = Some(p.code.clone());
        }
    }
}

/// "ocop", "ocop 4", "ocop 4 sao", "4 sao": minimum OCOP stars and the words taken.
fn ocop_at(folded: &[String]) -> Option<(i16, usize)> {
    let stars = |w: &String| w.parse::<i16>().ok().filter(|s| (1..=5).contains(s));
    let first = folded.first()?;
    if first == "ocop" {
        return match folded.get(1).and_then(stars) {
            Some(s) if folded.get(2).is_some_and(|w| w == "sao") => Some((s, 3)),
            Some(s) => Some((s, 2)),
            None => Some((1, 1)),
        };
    }
    match (stars(first), folded.get(1)) {
        (Some(s), Some(w)) if w == "sao" => {
            let n = if folded.get(2).is_some_and(|w| w == "ocop") {
                3
            } else {
                2
            };
            Some((s, n))
        }
        _ => None,
    }
}

/// The query as understood.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Understanding {
    /// The main reading (words with the catalogue's marks where decoded).
    pub text: String,
    /// The main reading without the place's words (empty: the place alone was asked for).
    pub core: String,
    /// Synonym readings.
    pub alternatives: Vec<String>,
    pub notes: Vec<String>,
    boost: Boost,
    /// The query as typed, when the main reading rewrote it (tried if the reading finds nothing).
    pub as_typed: Option<String>,
    /// Words the catalogue does not know: their closest reading is worked out only when the
    /// query as understood finds nothing ([`Understanding::did_you_mean`]).
    unknown: Option<Unknown>,
    /// Nothing to understand: run the query as it is.
    pub plain: bool,
}

/// Reads `text` against the catalogue's vocabulary.
pub fn understand(text: &str, vocab: &Vocabulary) -> Understanding {
    let typed = tokenize(text);
    if typed.is_empty() || vocab.is_empty() {
        return Understanding {
            text: join(&typed),
            core: join(&typed),
            plain: true,
            ..Default::default()
        };
    }
    let mut notes = Vec::new();
    let mut rewritten = false;
    let last = typed.len() - 1;
    let known = |t: &Tok, is_last: bool| {
        vocab.contains(&t.folded) || (is_last && vocab.has_prefix(&t.folded))
    };
    // 1. Telex/VNI and run-together words, for tokens the catalogue does not know.
    let mut toks: Vec<Tok> = Vec::with_capacity(typed.len());
    for (i, t) in typed.iter().enumerate() {
        if known(t, i == last) || t.folded.chars().all(|c| c.is_ascii_digit()) {
            toks.push(t.clone());
            continue;
        }
        if let Some(d) = telex::decode(&t.exact) {
            let hit = d.syllables.iter().find(|s| vocab.contains(&fold(s)));
            if let Some(s) = hit {
                let f = fold(s);
                let exact = vocab.spelling_like(&f, s).unwrap_or(f);
                notes.push(format!("{} → {exact} (telex/VNI)", t.exact));
                toks.push(Tok::of(&exact));
                rewritten = true;
                continue;
            }
            if vocab.contains(&d.folded) {
                notes.push(format!("{} → {} (telex/VNI letters)", t.exact, d.folded));
                toks.push(Tok::of(&d.folded));
                rewritten = true;
                continue;
            }
        }
        if let Some(pieces) = split::split(&t.folded, vocab) {
            let words: Vec<Tok> = pieces
                .iter()
                .map(|p| Tok::of(&vocab.best_spelling(p)))
                .collect();
            notes.push(format!("{} → {} (split)", t.exact, join(&words)));
            toks.extend(words);
            rewritten = true;
            continue;
        }
        toks.push(t.clone());
    }
    toks.truncate(MAX_QUERY_WORDS);
    // 2. Periods, OCOP stars, the place, filler words.
    let lexicon = synonyms::lexicon();
    let exact: Vec<String> = toks.iter().map(|t| t.exact.clone()).collect();
    let folded: Vec<String> = toks.iter().map(|t| t.folded.clone()).collect();
    let mut boost = Boost::default();
    let mut text_toks: Vec<Tok> = Vec::new();
    let mut place_range: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < toks.len() {
        if let Some(p) = calendar::period_at(&exact[i..]) {
            notes.push(format!(
                "{} → {}",
                exact[i..i + p.words].join(" "),
                Boost {
                    months: p.months.clone(),
                    ..Default::default()
                }
                .describe()
            ));
            for m in p.months {
                if !boost.months.contains(&m) {
                    boost.months.push(m);
                }
            }
            i += p.words;
            continue;
        }
        if let Some((stars, n)) = ocop_at(&folded[i..]) {
            notes.push(format!("{} → OCOP ≥ {stars}", exact[i..i + n].join(" ")));
            boost.ocop = Some(stars);
            i += n;
            continue;
        }
        if boost.place.is_none() {
            let refs: Vec<&str> = folded[i..].iter().map(String::as_str).collect();
            if let Some(p) = vocab.place_at(&refs) {
                notes.push(format!(
                    "{} → place {} ({})",
                    exact[i..i + p.words].join(" "),
                    p.code,
                    p.name
                ));
                place_range = Some((text_toks.len(), text_toks.len() + p.words));
                text_toks.extend(toks[i..i + p.words].iter().cloned());
                i += p.words;
                boost.place = Some(p);
                continue;
            }
        }
        if let Some(n) = lexicon.filler_at(&exact[i..], &folded[i..]) {
            notes.push(format!(
                "{} dropped (trade word)",
                exact[i..i + n].join(" ")
            ));
            i += n;
            continue;
        }
        text_toks.push(toks[i].clone());
        i += 1;
    }
    boost.months.sort_unstable();
    // 3. One typo in a short syllable, when the other words pin the meaning. A word whose
    // synonym fits the other words is no typo ("thịt heo" is "thịt lợn", not "thịt theo").
    let n = text_toks.len();
    let exact: Vec<String> = text_toks.iter().map(|t| t.exact.clone()).collect();
    let folded: Vec<String> = text_toks.iter().map(|t| t.folded.clone()).collect();
    let has_synonym = |i: usize| {
        !lexicon
            .alternatives_at(&exact[i..], &folded[i..])
            .is_empty()
    };
    for i in 0..n {
        let t = &text_toks[i];
        if known(t, i + 1 == n)
            || t.folded.chars().count() > 4
            || !t.folded.chars().all(|c| c.is_ascii_lowercase())
        {
            continue;
        }
        let neighbours: Vec<&str> = text_toks
            .iter()
            .enumerate()
            .filter(|(j, o)| *j != i && vocab.contains(&o.folded))
            .map(|(_, o)| o.folded.as_str())
            .collect();
        if neighbours.is_empty() {
            continue;
        }
        let synonym_fits = lexicon
            .alternatives_at(&exact[i..], &folded[i..])
            .iter()
            .any(|(_, p)| {
                let mut all = neighbours.clone();
                all.extend(p.folded.iter().map(String::as_str));
                vocab.co_occur(&all)
            });
        if synonym_fits {
            continue;
        }
        let best = vocab
            .near(&t.folded, 1)
            .into_iter()
            .map(|(w, _)| {
                let mut all = neighbours.clone();
                all.push(&w);
                let together = vocab.co_occurrence(&all);
                (together, vocab.doc_freq(&w), w)
            })
            .filter(|(together, _, _)| *together > 0)
            .max_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)));
        if let Some((_, _, w)) = best {
            let fixed = Tok::of(&vocab.best_spelling(&w));
            notes.push(format!(
                "{} → {} (one typo, pinned by the other words)",
                t.exact, fixed.exact
            ));
            text_toks[i] = fixed;
            rewritten = true;
        }
    }
    // 4. Synonyms and abbreviations: one substitution per alternative reading.
    let exact: Vec<String> = text_toks.iter().map(|t| t.exact.clone()).collect();
    let folded: Vec<String> = text_toks.iter().map(|t| t.folded.clone()).collect();
    let in_place = |i: usize| place_range.is_some_and(|(a, b)| (a..b).contains(&i));
    let mut alternatives: Vec<String> = Vec::new();
    'outer: for i in 0..text_toks.len() {
        if in_place(i) {
            continue;
        }
        for (len, phrase) in lexicon.alternatives_at(&exact[i..], &folded[i..]) {
            let mut words: Vec<String> = exact[..i].to_vec();
            words.extend(phrase.exact.iter().cloned());
            words.extend(exact[i + len..].iter().cloned());
            let alt = words.join(" ");
            if !alternatives.contains(&alt) {
                notes.push(format!(
                    "{} ~ {} (synonym)",
                    exact[i..i + len].join(" "),
                    phrase.text()
                ));
                alternatives.push(alt);
            }
            if alternatives.len() >= MAX_ALTERNATIVES {
                break 'outer;
            }
        }
    }
    // 5. Words it does not know: "did you mean" looks for their closest catalogue words later.
    let n = text_toks.len();
    let unknown: Vec<usize> = (0..n)
        .filter(|&i| {
            !known(&text_toks[i], i + 1 == n)
                && !has_synonym(i)
                && !text_toks[i].folded.chars().all(|c| c.is_ascii_digit())
        })
        .collect();
    let unknown = (!unknown.is_empty()).then(|| Unknown {
        toks: text_toks.clone(),
        at: unknown,
    });
    let core: Vec<Tok> = text_toks
        .iter()
        .enumerate()
        .filter(|(i, _)| !in_place(*i))
        .map(|(_, t)| t.clone())
        .collect();
    let text = join(&text_toks);
    let as_typed = join(&typed);
    let plain =
        boost.is_empty() && alternatives.is_empty() && unknown.is_none() && text == as_typed;
    Understanding {
        core: join(&core),
        text,
        alternatives,
        notes,
        boost,
        as_typed: (rewritten && as_typed != join(&text_toks)).then_some(as_typed),
        unknown,
        plain,
    }
}

/// The words of a reading the catalogue does not know (`at`: their positions).
#[derive(Debug, Clone, PartialEq)]
struct Unknown {
    toks: Vec<Tok>,
    at: Vec<usize>,
}

impl Understanding {
    /// The closest reading of the words the catalogue does not know ("Có phải bạn tìm: …"), or
    /// `None` when every word is known or nothing is close.
    pub fn did_you_mean(&self, vocab: &Vocabulary) -> Option<String> {
        self.unknown
            .as_ref()
            .and_then(|u| closest_reading(u, vocab))
    }
}

/// The closest catalogue words for the unknown ones, preferring words found together with the
/// known ones in one listing, then fewer edits, then the more used word.
fn closest_reading(u: &Unknown, vocab: &Vocabulary) -> Option<String> {
    let anchors: Vec<&str> = (0..u.toks.len())
        .filter(|i| !u.at.contains(i))
        .map(|i| u.toks[i].folded.as_str())
        .collect();
    let mut words: Vec<String> = Vec::new();
    for (i, t) in u.toks.iter().enumerate() {
        if !u.at.contains(&i) {
            words.push(t.exact.clone());
            continue;
        }
        let max = if t.folded.chars().count() <= 4 { 1 } else { 2 };
        let best = vocab
            .near(&t.folded, max)
            .into_iter()
            .take(32)
            .map(|(w, d)| {
                let mut all = anchors.clone();
                all.push(&w);
                (
                    usize::from(vocab.co_occur(&all)),
                    std::cmp::Reverse(d),
                    vocab.doc_freq(&w),
                    w,
                )
            })
            .max_by(|a, b| {
                a.0.cmp(&b.0)
                    .then(a.1.cmp(&b.1))
                    .then(a.2.cmp(&b.2))
                    .then(b.3.cmp(&a.3))
            });
        if let Some((_, _, _, w)) = best {
            words.push(vocab.best_spelling(&w));
        }
    }
    let text = words.join(" ");
    (!words.is_empty() && text != join(&u.toks)).then_some(text)
}

fn all_in_one_listing(text: &str, vocab: &Vocabulary) -> bool {
    let words: Vec<String> = tokenize(text).into_iter().map(|t| t.folded).collect();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    !refs.is_empty() && vocab.co_occur(&refs)
}

/// When a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Always,
    /// Only while the steps before found fewer listings than the page needs.
    Fill,
    /// Only when everything before found nothing.
    IfNothing,
}

/// One search to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub query: SearchQuery,
    pub when: When,
    role: &'static str,
    boost: Option<String>,
}

/// The searches for one shopper's query and how to combine them.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub steps: Vec<Step>,
    notes: Vec<String>,
    offset: usize,
    limit: usize,
    /// Index of the did-you-mean step and its text, once worked out.
    did_you_mean: Option<(usize, String)>,
    /// The did-you-mean step, whose text is worked out only if it has to run.
    pending: Option<(usize, Unknown)>,
}

/// Plans the searches for `query`.
pub fn plan(query: &SearchQuery, vocab: &Vocabulary) -> Plan {
    let u = understand(&query.text, vocab);
    let mut steps = Vec::new();
    let single = |text: &str, when, role, boost| Step {
        query: SearchQuery {
            text: text.to_owned(),
            ..query.clone()
        },
        when,
        role,
        boost,
    };
    let merged_alts = !u.alternatives.is_empty() || !u.boost.is_empty();
    if u.plain || query.text.trim().is_empty() {
        steps.push(single(&query.text, When::Always, "as typed", None));
    } else if !merged_alts {
        steps.push(single(&u.text, When::Always, "understood", None));
    } else {
        let need = (query.offset.saturating_add(query.limit)).min(MAX_LIMIT);
        let paged = |text: &str, boost: Option<&Boost>, when, role| {
            let mut q = SearchQuery {
                text: text.to_owned(),
                offset: 0,
                limit: need,
                ..query.clone()
            };
            if let Some(b) = boost {
                b.apply(&mut q);
            }
            Step {
                query: q,
                when,
                role,
                boost: boost.map(Boost::describe),
            }
        };
        let mut readings: Vec<(&str, &'static str)> = vec![(u.text.as_str(), "understood")];
        readings.extend(u.alternatives.iter().map(|a| (a.as_str(), "synonym")));
        // Readings whose words all appear together in one listing go first ("thịt heo" where
        // the catalogue says "thịt lợn").
        readings.sort_by_key(|(text, _)| !all_in_one_listing(text, vocab));
        // The shopper's own place filter wins over a place named in the text.
        let mut boost = u.boost.clone();
        if query.filters.place.is_some() {
            boost.place = None;
        }
        // The first reading always runs; the others only while the page still has room (their
        // answers come after the first reading's, so they could not change a full page).
        let when = |i: usize| if i == 0 { When::Always } else { When::Fill };
        if boost.is_empty() {
            for (i, (text, role)) in readings.iter().enumerate() {
                steps.push(paged(text, None, when(i), role));
            }
        } else if u.core.is_empty() && u.alternatives.is_empty() {
            // Only a place, a period or stars: every listing they select.
            steps.push(paged("", Some(&boost), When::Always, "understood"));
        } else {
            for (i, (text, role)) in readings.iter().enumerate() {
                steps.push(paged(text, Some(&boost), when(i), role));
            }
            if let Some(p) = &boost.place {
                let only_place = Boost {
                    place: Some(p.clone()),
                    ..Default::default()
                };
                steps.push(paged("", Some(&only_place), When::Fill, "place"));
            }
            for (text, _) in &readings {
                steps.push(paged(text, None, When::Fill, "without boost"));
            }
        }
    }
    if let Some(typed) = &u.as_typed {
        steps.push(single(typed, When::IfNothing, "as typed", None));
    }
    let pending = u.unknown.map(|unknown| {
        steps.push(single("", When::IfNothing, "did you mean", None));
        (steps.len() - 1, unknown)
    });
    Plan {
        steps,
        notes: u.notes,
        offset: query.offset,
        limit: query.limit,
        did_you_mean: None,
        pending,
    }
}

impl Plan {
    fn primary(&self) -> usize {
        self.steps
            .iter()
            .take_while(|s| s.when != When::IfNothing)
            .count()
    }

    /// Whether step `i` must run now, given the answers of the steps before it (`None`: not
    /// run); the "did you mean" step's text is worked out here, only when it has to run.
    pub fn ready(
        &mut self,
        i: usize,
        done: &[Option<SearchResults>],
        vocab: &SharedVocabulary,
    ) -> bool {
        if !self.should_run(i, done) {
            return false;
        }
        if self.pending.as_ref().is_some_and(|(at, _)| *at == i) {
            let Some((_, unknown)) = self.pending.take() else {
                return false;
            };
            let text = vocab
                .read()
                .ok()
                .and_then(|v| closest_reading(&unknown, &v));
            let Some(text) = text else {
                return false;
            };
            if let Some(step) = self.steps.get_mut(i) {
                step.query.text.clone_from(&text);
            }
            self.did_you_mean = Some((i, text));
        }
        true
    }

    /// Whether step `i` must run, given the answers of the steps before it (`None`: not run).
    pub fn should_run(&self, i: usize, done: &[Option<SearchResults>]) -> bool {
        let Some(step) = self.steps.get(i) else {
            return false;
        };
        match step.when {
            When::Always => true,
            When::Fill => {
                let need = self.offset.saturating_add(self.limit).min(MAX_LIMIT);
                let mut seen = HashSet::new();
                for r in done.iter().flatten() {
                    seen.extend(r.hits.iter().map(|h| h.id));
                }
                seen.len() < need
            }
            When::IfNothing => done.iter().flatten().all(|r| r.total == 0),
        }
    }

    /// Combines the steps' answers (`answers[i]` for `steps[i]`, `None` when not run).
    pub fn merge(&self, mut answers: Vec<Option<SearchResults>>) -> SearchResults {
        let primary = self.primary();
        let mut readings: Vec<ReadingTried> = self
            .steps
            .iter()
            .zip(&answers)
            .map(|(s, a)| ReadingTried {
                text: s.query.text.clone(),
                role: s.role.to_owned(),
                boost: s.boost.clone(),
                ran: a.is_some(),
                hits: a.as_ref().map_or(0, |r| r.total),
                matched: false,
            })
            .collect();
        let mut out = SearchResults::default();
        let mut did_you_mean = None;
        // A fallback that ran and found something is the answer.
        let fallback = (primary..self.steps.len()).find(|&i| {
            answers
                .get(i)
                .and_then(Option::as_ref)
                .is_some_and(|r| r.total > 0)
        });
        if let Some(i) = fallback {
            // Moved out, not copied: the hits and facets are the answer as they are.
            if let Some(r) = answers.get_mut(i).and_then(Option::take) {
                out = r;
            }
            readings[i].matched = true;
            if self.did_you_mean.as_ref().is_some_and(|(at, _)| *at == i) {
                did_you_mean = self.did_you_mean.as_ref().map(|(_, t)| t.clone());
            }
        } else if primary == 1 {
            if let Some(r) = answers.first_mut().and_then(Option::take) {
                readings[0].matched = r.total > 0;
                out = r;
            }
        } else {
            let mut seen = HashSet::new();
            let mut hits = Vec::new();
            // The answer that found the most: its total and facets are the answer's.
            let mut widest: Option<(usize, u64)> = None;
            for (i, a) in answers.iter().enumerate().take(primary) {
                let Some(r) = a else { continue };
                for h in &r.hits {
                    if seen.insert(h.id) {
                        hits.push(h.clone());
                        readings[i].matched = true;
                    }
                }
                if widest.is_none_or(|(_, total)| r.total > total) {
                    widest = Some((i, r.total));
                }
            }
            out.total = widest.map_or(0, |(_, total)| total).max(hits.len() as u64);
            // Moved, not cloned: a place facet is a thousand names.
            if let Some(r) = widest.and_then(|(i, _)| answers.get_mut(i)?.as_mut()) {
                out.facets = std::mem::take(&mut r.facets);
            }
            out.hits = hits
                .into_iter()
                .skip(self.offset)
                .take(self.limit)
                .collect();
        }
        // A "did you mean" that never had to be worked out is not a reading tried.
        readings.retain(|r| r.ran || !r.text.is_empty() || r.role != "did you mean");
        out.explain = Explain {
            notes: self.notes.clone(),
            readings,
            did_you_mean,
        };
        out
    }
}

#[cfg(test)]
mod tests;
