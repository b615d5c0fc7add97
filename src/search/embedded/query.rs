//! Query building: each word of the understood query as scored clauses, plus the filters.

use super::*;

/// Score unit of one word position: word i of n is worth `WORD_UNIT · 2^(n-1-i)`.
pub(super) const WORD_UNIT: f32 = 128.0;

pub(super) fn term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

pub(super) fn scored(q: Box<dyn Query>, score: f32) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(q, score))
}

pub(super) fn term_q(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(term(field, text), IndexRecordOption::Basic))
}

/// One query word's parts: every alternative field match with its score (best first), the
/// matcher (every document the word matches: each alternative is a subset of it) and the score
/// of a document only the matcher holds (a typo or prefix match).
pub(super) struct WordParts {
    pub(super) alts: Vec<(Box<dyn Query>, f32)>,
    pub(super) matcher: Box<dyn Query>,
    pub(super) fallback: f32,
}

/// How well one word matches: exact accents > folded; name > place > other > description;
/// exact word > prefix > typo. The matcher is the word in `all_f` (every folded word of the
/// document), as a prefix for the last word, with typos from 5 letters.
pub(super) fn word_parts(
    f: &Fields,
    tables: &Arc<SegmentTables>,
    w: &Word,
    weight: f32,
    last: bool,
) -> WordParts {
    let mut alts: Vec<(Box<dyn Query>, f32)> = Vec::with_capacity(10);
    let fw = w.folded.as_str();
    if w.accented() {
        alts.push((term_q(f.head, &w.marker), weight + 6.5));
        alts.push((term_q(f.name_x, &w.marker), weight + 6.0));
        alts.push((term_q(f.rest_x, &w.marker), weight + 3.0));
    }
    alts.push((term_q(f.head, fw), weight + 5.5));
    alts.push((term_q(f.name_f, fw), weight + 5.0));
    alts.push((term_q(f.place_f, fw), weight + 4.0));
    alts.push((term_q(f.other_f, fw), weight + 3.5));
    alts.push((term_q(f.desc_f, fw), weight + 2.5));
    let typos = analyze::typo_budget(fw);
    let (matcher, fallback): (Box<dyn Query>, f32) = match (last, typos) {
        // As-you-type: the last word also matches as a prefix (with typos from 5 letters); its
        // prefix documents are kept per segment ([`super::kept_prefix`]).
        (true, 0) => (
            Box::new(KeptPrefixQuery::new(f.all_f, fw, 0, Arc::clone(tables))),
            weight + 2.0,
        ),
        (true, typos) => {
            alts.push((
                Box::new(KeptPrefixQuery::new(f.all_f, fw, 0, Arc::clone(tables))),
                weight + 2.0,
            ));
            (
                Box::new(KeptPrefixQuery::new(f.all_f, fw, typos, Arc::clone(tables))),
                weight + 1.0,
            )
        }
        // Every field alternative is a subset of the word in `all_f`.
        (false, 0) => (term_q(f.all_f, fw), weight + 2.5),
        (false, typos) => (
            Box::new(FuzzyTermQuery::new(term(f.all_f, fw), typos, true)),
            weight + 1.5,
        ),
    };
    alts.sort_by(|a, b| b.1.total_cmp(&a.1));
    WordParts {
        alts,
        matcher,
        fallback,
    }
}

/// The query for one word: the best of its [`WordParts`], as a [`WordQuery`].
pub(super) fn word_query(
    f: &Fields,
    tables: &Arc<SegmentTables>,
    w: &Word,
    weight: f32,
    last: bool,
) -> Box<dyn Query> {
    let parts = word_parts(f, tables, w, weight, last);
    Box::new(WordQuery::new(parts.matcher, parts.alts, parts.fallback))
}

pub(super) fn text_query(
    f: &Fields,
    tables: &Arc<SegmentTables>,
    words: &[Word],
    all_required: bool,
) -> Option<Box<dyn Query>> {
    let n = words.len();
    match words {
        [] => return None,
        // One word is its own query (a boolean query of one clause scores the same, and costs
        // a wrapper around every block of documents).
        [word] => return Some(word_query(f, tables, word, WORD_UNIT, true)),
        _ => {}
    }
    let word = |i: usize, w: &Word| {
        let weight = WORD_UNIT * (1u32 << (n - 1 - i)) as f32;
        word_query(f, tables, w, weight, i + 1 == n)
    };
    if all_required {
        let clauses = words
            .iter()
            .enumerate()
            .map(|(i, w)| (Occur::Must, word(i, w)))
            .collect();
        return Some(Box::new(BooleanQuery::new(clauses)));
    }
    // The first word required, the others optional: scored as a `Must` and `Should`s, each
    // optional word looked up only on the documents kept.
    let mut each = words.iter().enumerate().map(|(i, w)| word(i, w));
    let first = each.next()?;
    Some(Box::new(OptionalWords::new(first, each.collect())))
}

/// A one-word query's documents in tiers of equal score, best first: tier i holds the
/// documents of alternative i that no better alternative holds (the last tier: the matcher's
/// documents no alternative holds), each with the filters. Every document of a tier has the
/// score the scored query gives it, so the best `k` are found in the first tiers alone.
pub(super) fn word_tiers(
    f: &Fields,
    tables: &Arc<SegmentTables>,
    q: &SearchQuery,
    w: &Word,
) -> Vec<(Box<dyn Query>, f32)> {
    let parts = word_parts(f, tables, w, WORD_UNIT, true);
    let mut tiers = parts.alts;
    tiers.push((parts.matcher, parts.fallback));
    let filters = filter_clauses(f, tables, q);
    (0..tiers.len())
        .map(|i| {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Must, tiers[i].0.box_clone())];
            clauses.extend(tiers[..i].iter().map(|t| (Occur::MustNot, t.0.box_clone())));
            clauses.extend(filters.iter().map(|c| (Occur::Must, c.box_clone())));
            let query: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
            (query, tiers[i].1)
        })
        .collect()
}

pub(super) fn i64_range(field: Field, lo: Option<i64>, hi: Option<i64>) -> Option<Box<dyn Query>> {
    let lower = lo.map_or(Bound::Unbounded, |v| {
        Bound::Included(Term::from_field_i64(field, v))
    });
    let upper = hi.map_or(Bound::Unbounded, |v| {
        Bound::Included(Term::from_field_i64(field, v))
    });
    if lo.is_none() && hi.is_none() {
        return None;
    }
    Some(Box::new(RangeQuery::new(lower, upper)))
}

pub(super) fn filter_clauses(
    f: &Fields,
    tables: &Arc<SegmentTables>,
    q: &SearchQuery,
) -> Vec<Box<dyn Query>> {
    let filters = &q.filters;
    let mut out: Vec<Box<dyn Query>> = Vec::new();
    let mut keyword = |field: Field, value: &Option<String>| {
        if let Some(v) = value {
            out.push(term_q(field, v));
        }
    };
    keyword(f.kind, &filters.kind);
    keyword(f.category_code, &filters.category);
    keyword(f.place_path, &filters.place);
    keyword(f.cooperative_slug, &filters.cooperative);
    keyword(f.certifications, &filters.certification);
    keyword(
        f.season_months,
        &filters.in_season_month.map(|m| m.to_string()),
    );
    if !filters.season_any.is_empty() {
        let months = filters
            .season_any
            .iter()
            .map(|m| (Occur::Should, term_q(f.season_months, &m.to_string())))
            .collect();
        out.push(Box::new(BooleanQuery::new(months)));
    }
    let stars = filters.min_ocop_stars.map(i64::from);
    if let Some(q) = KeptRangeQuery::new(f.ocop_n, stars, None, tables) {
        out.push(Box::new(q));
    }
    let (lo, hi) = (filters.price_min, filters.price_max);
    if let Some(q) = KeptRangeQuery::new(f.price_vnd, lo, hi, tables) {
        out.push(Box::new(q));
    }
    if let Some((a, b)) = filters.event_days {
        let (a, b) = (a.min(b), a.max(b));
        if let Some(q) = i64_range(f.event_days, Some(i64::from(a)), Some(i64::from(b))) {
            out.push(q);
        }
    }
    out
}

pub(super) fn build_query(
    f: &Fields,
    tables: &Arc<SegmentTables>,
    q: &SearchQuery,
    words: &[Word],
    all_required: bool,
) -> Box<dyn Query> {
    let filters = filter_clauses(f, tables, q);
    let text = text_query(f, tables, words, all_required);
    if filters.is_empty() {
        return text.unwrap_or_else(|| Box::new(AllQuery));
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(filters.len() + 1);
    clauses.push((
        Occur::Must,
        text.unwrap_or_else(|| scored(Box::new(AllQuery), 0.0)),
    ));
    for filter in filters {
        clauses.push((Occur::Must, scored(filter, 0.0)));
    }
    Box::new(BooleanQuery::new(clauses))
}

// ---------------------------------------------------------------------------------------------
