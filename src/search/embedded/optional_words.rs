//! The loose reading of a several-word query: the first word required, the others optional,
//! each adding its score where it matches (see [`super::query::text_query`]).
//!
//! It scores as a `BooleanQuery` of one `Must` and several `Should` clauses, but the optional
//! words are only looked up on the documents the search keeps (seek, then score). Tantivy's
//! union of `Should` clauses scores every one of their documents, window by window, whatever the
//! required part holds: at a million listings "lễ hội thành tuyên" filtered to products (the
//! strict reading finds no product, so this one runs) scored every "hội", "thanh" give or take
//! a letter and "tuyen…" document for 40 000 matches, 49 ms.

use crate::search::word_query::holds;
use std::fmt;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, Term};

#[derive(Debug)]
pub(super) struct OptionalWords {
    required: Box<dyn Query>,
    optional: Vec<Box<dyn Query>>,
}

impl Clone for OptionalWords {
    fn clone(&self) -> Self {
        OptionalWords {
            required: self.required.box_clone(),
            optional: self.optional.iter().map(|q| q.box_clone()).collect(),
        }
    }
}

impl OptionalWords {
    pub(super) fn new(required: Box<dyn Query>, optional: Vec<Box<dyn Query>>) -> OptionalWords {
        OptionalWords { required, optional }
    }
}

impl Query for OptionalWords {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        // Unscored (a count, facets): the optional words change nothing.
        if !enable_scoring.is_scoring_enabled() {
            return self.required.weight(enable_scoring);
        }
        Ok(Box::new(OptionalWeight {
            required: self.required.weight(enable_scoring)?,
            optional: self
                .optional
                .iter()
                .map(|q| q.weight(enable_scoring))
                .collect::<tantivy::Result<_>>()?,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.required.query_terms(visitor);
        for q in &self.optional {
            q.query_terms(visitor);
        }
    }
}

struct OptionalWeight {
    required: Box<dyn Weight>,
    optional: Vec<Box<dyn Weight>>,
}

impl fmt::Debug for OptionalWeight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OptionalWeight({} optional)", self.optional.len())
    }
}

impl Weight for OptionalWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(OptionalScorer {
            required: self.required.scorer(reader, boost)?,
            optional: self
                .optional
                .iter()
                .map(|w| w.scorer(reader, boost))
                .collect::<tantivy::Result<_>>()?,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document #{doc} does not match"
            )));
        }
        Ok(Explanation::new("words", scorer.score()))
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.required.count(reader)
    }
}

struct OptionalScorer {
    required: Box<dyn Scorer>,
    /// Each moved forward only when a document is scored.
    optional: Vec<Box<dyn Scorer>>,
}

impl DocSet for OptionalScorer {
    fn advance(&mut self) -> DocId {
        self.required.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.required.seek(target)
    }

    fn doc(&self) -> DocId {
        self.required.doc()
    }

    fn size_hint(&self) -> u32 {
        self.required.size_hint()
    }
}

impl Scorer for OptionalScorer {
    fn score(&mut self) -> Score {
        let doc = self.required.doc();
        let mut score = self.required.score();
        for word in &mut self.optional {
            if holds(word.as_mut(), doc) {
                score += word.score();
            }
        }
        score
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::super::test_support::*;
    use super::super::*;
    use crate::search::SearchFilters;
    use tantivy::collector::TopDocs;

    /// Every document a search finds with its score, as (segment, document, score bits).
    fn scored_docs(searcher: &tantivy::Searcher, query: &dyn Query) -> Vec<(u32, DocId, u32)> {
        let limit = usize::try_from(searcher.num_docs()).expect("fits").max(1);
        let mut docs: Vec<(u32, DocId, u32)> = searcher
            .search(query, &TopDocs::with_limit(limit))
            .expect("search")
            .into_iter()
            .map(|(score, a)| (a.segment_ord, a.doc_id, score.to_bits()))
            .collect();
        docs.sort_unstable();
        docs
    }

    /// What the loose reading was before [`OptionalWords`]: the first word `Must`, the others
    /// `Should`, in one boolean query, and the filters around it as [`build_query`] puts them.
    fn as_boolean_query(
        f: &Fields,
        tables: &Arc<SegmentTables>,
        q: &SearchQuery,
        words: &[Word],
    ) -> Box<dyn Query> {
        let n = words.len();
        let clauses = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let weight = WORD_UNIT * (1u32 << (n - 1 - i)) as f32;
                let occur = if i == 0 { Occur::Must } else { Occur::Should };
                (occur, word_query(f, tables, w, weight, i + 1 == n))
            })
            .collect();
        let mut outer: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(clauses)))];
        for filter in filter_clauses(f, tables, q) {
            outer.push((Occur::Must, scored(filter, 0.0)));
        }
        Box::new(BooleanQuery::new(outer))
    }

    /// The loose reading of several-word queries (synthetic names, whole, cut short, with a
    /// typo, with a word no listing has, words swapped) finds the documents with the scores
    /// tantivy's boolean query gives them, with and without filters, on one segment and after
    /// edits and withdrawals (a second segment, deleted documents in the first).
    #[tokio::test]
    async fn optional_words_score_as_a_boolean_query_of_should_clauses() {
        let (_dir, index, docs) = synthetic_index(2_000, 5).await;
        let mut phrases: Vec<String> = Vec::new();
        for d in docs.iter().step_by(37) {
            let name = d.name_vi.to_lowercase();
            let words: Vec<&str> = name.split_whitespace().collect();
            if words.len() < 2 {
                continue;
            }
            phrases.push(name.clone());
            phrases.push(crate::text::fold(&name));
            let mut cut = crate::text::fold(&name);
            cut.truncate(cut.len() - 2);
            phrases.push(cut);
            phrases.push(format!("{} zzqx {}", words[0], words[words.len() - 1]));
            phrases.push(format!("{} {}", words[words.len() - 1], words[0]));
            phrases.push(format!("{} {}a", words[0], crate::text::fold(words[1])));
        }
        phrases.sort();
        phrases.dedup();
        let filters = [
            SearchFilters::default(),
            SearchFilters {
                kind: Some("product".into()),
                min_ocop_stars: Some(3),
                ..Default::default()
            },
            SearchFilters {
                price_min: Some(50_000),
                price_max: Some(300_000),
                ..Default::default()
            },
        ];
        for round in ["one segment", "after edits"] {
            if round == "after edits" {
                edit_and_withdraw(&index, &docs, |d| SearchDocument {
                    name_vi: format!("Mật ong {}", d.name_vi),
                    ..d.clone()
                })
                .await;
            }
            let generation = index.live().expect("live");
            let searcher = generation.reader.searcher();
            let (mut compared, mut partial) = (0, 0);
            for phrase in &phrases {
                let words = analyze::query_words(phrase);
                assert!(words.len() > 1, "{phrase:?}");
                for filter in &filters {
                    let q = SearchQuery {
                        filters: filter.clone(),
                        ..SearchQuery::text(phrase)
                    };
                    let ours = build_query(&index.fields, &generation.tables, &q, &words, false);
                    let theirs = as_boolean_query(&index.fields, &generation.tables, &q, &words);
                    let found = scored_docs(&searcher, &*theirs);
                    assert_eq!(
                        scored_docs(&searcher, &*ours),
                        found,
                        "{round}: {phrase:?} with {filter:?}"
                    );
                    compared += usize::from(!found.is_empty());
                    // Documents missing some optional word score less than those with all.
                    let best = found.iter().map(|d| d.2).max();
                    partial += usize::from(found.iter().any(|d| Some(d.2) != best));
                }
            }
            assert!(compared > 100, "{round}: only {compared} searches found");
            assert!(partial > 50, "{round}: only {partial} with unequal scores");
        }
    }
}
