//! Range filters on a single-valued number (price, OCOP stars), each segment's values kept as a
//! plain array. tantivy's range query on a fast field finds its documents by scanning the column
//! a window at a time, and mapping rows to documents when not every document has a value (a
//! price: festivals have none): inside a search it scans every window its intersection passes
//! through. At a million listings "le hoi thanh tuyen" with a price range spent a fifth of its
//! time there. Kept, a document is checked where the search asks (one array read), and the
//! first in range after it found by reading on.

use super::*;
use std::fmt;
use tantivy::query::{ConstScorer, EnableScoring, Explanation, Scorer, Weight};
use tantivy::{DocSet, TERMINATED};

/// What a document without a value holds in a kept array (below every bound asked for).
pub(super) const NO_VALUE: i64 = i64::MIN;

/// The documents whose `field` (a single-valued fast `i64` field) lies within `lo..=hi`.
#[derive(Clone)]
pub(super) struct KeptRangeQuery {
    field: Field,
    lo: i64,
    hi: i64,
    /// tantivy's range query, for explanations.
    inner: RangeQuery,
    tables: Arc<SegmentTables>,
}

impl fmt::Debug for KeptRangeQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KeptRangeQuery({:?} in {}..={})",
            self.field, self.lo, self.hi
        )
    }
}

impl KeptRangeQuery {
    /// `None` when neither bound is given.
    pub(super) fn new(
        field: Field,
        lo: Option<i64>,
        hi: Option<i64>,
        tables: &Arc<SegmentTables>,
    ) -> Option<KeptRangeQuery> {
        let bound = |v: Option<i64>| v.map_or(Bound::Unbounded, Bound::Included);
        let term = |v: i64| Term::from_field_i64(field, v);
        if lo.is_none() && hi.is_none() {
            return None;
        }
        Some(KeptRangeQuery {
            field,
            // A missing lower bound still leaves out documents without a value.
            lo: lo.unwrap_or(NO_VALUE).max(NO_VALUE + 1),
            hi: hi.unwrap_or(i64::MAX),
            inner: RangeQuery::new(bound(lo).map(term), bound(hi).map(term)),
            tables: Arc::clone(tables),
        })
    }
}

impl Query for KeptRangeQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(KeptRangeWeight {
            query: self.clone(),
            inner: self.inner.weight(enable_scoring)?,
        }))
    }
}

struct KeptRangeWeight {
    query: KeptRangeQuery,
    inner: Box<dyn Weight>,
}

impl Weight for KeptRangeWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let values = self.query.tables.values(reader, self.query.field)?;
        let mut docs = InRange {
            values,
            lo: self.query.lo,
            hi: self.query.hi,
            doc: 0,
        };
        docs.doc = docs.first_from(0);
        Ok(Box::new(ConstScorer::new(docs, boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.inner.explain(reader, doc)
    }
}

/// The documents whose kept value lies within `lo..=hi`, as tantivy's `DocSet`.
struct InRange {
    values: Arc<[i64]>,
    lo: i64,
    hi: i64,
    doc: DocId,
}

impl InRange {
    fn first_from(&self, from: DocId) -> DocId {
        let start = (from as usize).min(self.values.len());
        self.values[start..]
            .iter()
            .position(|v| (self.lo..=self.hi).contains(v))
            .map_or(TERMINATED, |i| (start + i) as DocId)
    }
}

impl DocSet for InRange {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = self.first_from(self.doc + 1);
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            self.doc = self.first_from(target);
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    /// Every document, as tantivy's range query says: an intersection reads it last.
    fn size_hint(&self) -> u32 {
        u32::try_from(self.values.len()).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    /// Price and OCOP ranges (open at either end, empty, around listings without a price) find
    /// what tantivy's range query finds, alone and inside an intersection with a word, on one
    /// segment and after edits and withdrawals.
    #[tokio::test]
    async fn kept_ranges_find_what_tantivy_finds_before_and_after_edits() {
        let (_dir, index, docs) = synthetic_index(2_000, 11).await;
        assert!(
            docs.iter().any(|d| d.price_vnd.is_none()),
            "some without a price"
        );
        let f = &index.fields;
        type Range = (Field, Option<i64>, Option<i64>);
        let ranges: [Range; 8] = [
            (f.price_vnd, Some(50_000), Some(300_000)),
            (f.price_vnd, None, Some(100_000)),
            (f.price_vnd, Some(200_000), None),
            (f.price_vnd, Some(300_000), Some(50_000)),
            (f.price_vnd, Some(0), None),
            (f.ocop_n, Some(3), None),
            (f.ocop_n, Some(5), Some(5)),
            (f.ocop_n, None, Some(2)),
        ];
        for round in ["one segment", "after edits"] {
            if round == "after edits" {
                edit_and_withdraw(&index, &docs, |d| SearchDocument {
                    price_vnd: d.price_vnd.map(|p| p + 10_000),
                    ..d.clone()
                })
                .await;
            }
            let generation = index.live().expect("live");
            let searcher = generation.reader.searcher();
            let mut nonempty = 0;
            for &(field, lo, hi) in &ranges {
                let kept = KeptRangeQuery::new(field, lo, hi, &generation.tables).expect("a bound");
                let theirs = kept.inner.clone();
                let what = format!("{round}: {kept:?}");
                let expected = found(&searcher, &theirs);
                assert_eq!(found(&searcher, &kept), expected, "{what}");
                nonempty += usize::from(!expected.is_empty());
                // Inside an intersection (seeks, not a walk).
                for word in ["mat", "che", "le"] {
                    let within = |q: Box<dyn Query>| -> Box<dyn Query> {
                        Box::new(BooleanQuery::new(vec![
                            (Occur::Must, term_q(f.all_f, word)),
                            (Occur::Must, q),
                        ]))
                    };
                    assert_eq!(
                        found(&searcher, &*within(Box::new(kept.clone()))),
                        found(&searcher, &*within(Box::new(theirs.clone()))),
                        "{what} with {word:?}"
                    );
                }
            }
            assert!(
                nonempty >= 6,
                "{round}: only {nonempty} ranges found something"
            );
        }
        assert!(
            KeptRangeQuery::new(f.price_vnd, None, None, &index.live().expect("live").tables)
                .is_none()
        );
    }
}
