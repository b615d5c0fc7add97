//! One query word for the tantivy backend: which documents match it, and how well.
//!
//! Equivalent to a `DisjunctionMaxQuery` over constant-score alternatives whose union is the
//! `matcher` (every alternative is a subset of it), but cheaper: the matcher alone drives
//! iteration (one posting list or automaton, so intersections across words leapfrog over plain
//! postings), and the alternatives are only consulted for the score of a matching document,
//! best first, stopping at the first that holds it. No union buffers are filled.

use std::fmt;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError};

#[derive(Debug)]
pub(crate) struct WordQuery {
    /// Every document the word matches.
    matcher: Box<dyn Query>,
    /// (alternative, score), best score first.
    alts: Vec<(Box<dyn Query>, Score)>,
    /// The score of a document only the matcher holds (a typo or prefix match).
    fallback: Score,
}

impl Clone for WordQuery {
    fn clone(&self) -> Self {
        WordQuery {
            matcher: self.matcher.box_clone(),
            alts: self.alts.iter().map(|(q, s)| (q.box_clone(), *s)).collect(),
            fallback: self.fallback,
        }
    }
}

impl WordQuery {
    pub(crate) fn new(
        matcher: Box<dyn Query>,
        mut alts: Vec<(Box<dyn Query>, Score)>,
        fallback: Score,
    ) -> WordQuery {
        alts.sort_by(|a, b| b.1.total_cmp(&a.1));
        WordQuery {
            matcher,
            alts,
            fallback,
        }
    }
}

impl Query for WordQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        if !enable_scoring.is_scoring_enabled() {
            return self.matcher.weight(enable_scoring);
        }
        let plain = EnableScoring::disabled_from_schema(enable_scoring.schema());
        Ok(Box::new(WordWeight {
            matcher: self.matcher.weight(plain)?,
            alts: self
                .alts
                .iter()
                .map(|(q, s)| Ok((q.weight(plain)?, *s)))
                .collect::<tantivy::Result<_>>()?,
            fallback: self.fallback,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        self.matcher.query_terms(visitor);
    }
}

struct WordWeight {
    matcher: Box<dyn Weight>,
    alts: Vec<(Box<dyn Weight>, Score)>,
    fallback: Score,
}

impl fmt::Debug for WordWeight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WordWeight({} alternatives)", self.alts.len())
    }
}

impl Weight for WordWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut alts = Vec::with_capacity(self.alts.len());
        for (w, s) in &self.alts {
            alts.push((w.scorer(reader, 1.0)?, boost * s));
        }
        Ok(Box::new(WordScorer {
            matcher: self.matcher.scorer(reader, 1.0)?,
            alts,
            fallback: boost * self.fallback,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document #{doc} does not match"
            )));
        }
        Ok(Explanation::new("word", scorer.score()))
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.matcher.count(reader)
    }
}

struct WordScorer {
    matcher: Box<dyn Scorer>,
    alts: Vec<(Box<dyn Scorer>, Score)>,
    fallback: Score,
}

impl DocSet for WordScorer {
    fn advance(&mut self) -> DocId {
        self.matcher.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.matcher.seek(target)
    }

    fn doc(&self) -> DocId {
        self.matcher.doc()
    }

    fn size_hint(&self) -> u32 {
        self.matcher.size_hint()
    }
}

impl Scorer for WordScorer {
    fn score(&mut self) -> Score {
        let doc = self.matcher.doc();
        for (alt, score) in &mut self.alts {
            if holds(alt.as_mut(), doc) {
                return *score;
            }
        }
        self.fallback
    }
}

/// Whether `docs` holds `doc`, moving it forward to `doc` if it is behind (never back: callers
/// ask for documents in increasing order).
pub(crate) fn holds<D: DocSet + ?Sized>(docs: &mut D, doc: DocId) -> bool {
    let mut at = docs.doc();
    if at < doc {
        at = docs.seek(doc);
    }
    at == doc
}
