//! Prefixes, their documents kept per segment. A shopper typing "ch" or "che" asks for every
//! word starting so: tantivy walks the dictionary for those words and merges their postings
//! into a fresh bit set on every search (a tenth of the search page at 100 000 listings, all of
//! it the same answer, since a segment never changes); "tuyet" as the last word, with the typo
//! it is allowed, walks it twice (with and without the typo: a ninth of "che shan tuyet" at a
//! million listings). A last word's prefix is read once per segment, with each typo budget
//! asked for, and its documents kept in the generation's [`SegmentTables`] (within a memory
//! budget, least recently used first out). Deleted documents are among them as in tantivy's own
//! scorer; the collector skips them.

use super::*;
use std::fmt;
use tantivy::query::{ConstScorer, EnableScoring, Explanation, Scorer, Weight};
use tantivy::{DocSet, COLLECT_BLOCK_BUFFER_LEN, TERMINATED};

/// The documents of the words starting with a prefix of `field` (give or take `typos`), kept
/// per segment.
#[derive(Clone)]
pub(super) struct KeptPrefixQuery {
    field: Field,
    prefix: String,
    typos: u8,
    /// tantivy's prefix query, read on a segment's first search.
    inner: FuzzyTermQuery,
    tables: Arc<SegmentTables>,
}

impl fmt::Debug for KeptPrefixQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KeptPrefixQuery({:?}, {:?}, {} typos)",
            self.field, self.prefix, self.typos
        )
    }
}

impl KeptPrefixQuery {
    pub(super) fn new(field: Field, prefix: &str, typos: u8, tables: Arc<SegmentTables>) -> Self {
        KeptPrefixQuery {
            field,
            prefix: prefix.to_owned(),
            typos,
            inner: FuzzyTermQuery::new_prefix(term(field, prefix), typos, true),
            tables,
        }
    }
}

impl Query for KeptPrefixQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(KeptPrefixWeight {
            field: self.field,
            prefix: self.prefix.clone(),
            typos: self.typos,
            inner: self.inner.weight(enable_scoring)?,
            tables: Arc::clone(&self.tables),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct KeptPrefixWeight {
    field: Field,
    prefix: String,
    typos: u8,
    inner: Box<dyn Weight>,
    tables: Arc<SegmentTables>,
}

impl Weight for KeptPrefixWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let docs =
            self.tables
                .prefix_docs(reader, self.field, (&self.prefix, self.typos), || {
                    let mut scorer = self.inner.scorer(reader, 1.0)?;
                    let mut docs = Vec::with_capacity(scorer.size_hint() as usize);
                    let mut doc = scorer.doc();
                    while doc != TERMINATED {
                        docs.push(doc);
                        doc = scorer.advance();
                    }
                    Ok(docs)
                })?;
        Ok(Box::new(ConstScorer::new(KeptDocs { docs, at: 0 }, boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.inner.explain(reader, doc)
    }
}

/// A kept, ascending list of documents as tantivy's `DocSet`.
struct KeptDocs {
    docs: Arc<[DocId]>,
    at: usize,
}

impl DocSet for KeptDocs {
    fn advance(&mut self) -> DocId {
        self.at += 1;
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.at).copied().unwrap_or(TERMINATED)
    }

    /// Galloping: an intersection seeks a little ahead most of the time, so the steps double
    /// from here before halving (log of the distance, not of the whole list).
    fn seek(&mut self, target: DocId) -> DocId {
        let rest = self.docs.get(self.at..).unwrap_or_default();
        let mut end = 1;
        while end < rest.len() && rest[end - 1] < target {
            end *= 2;
        }
        let end = end.min(rest.len());
        let start = end / 2;
        self.at += start + rest[start..end].partition_point(|&d| d < target);
        self.doc()
    }

    fn fill_buffer(&mut self, buffer: &mut [DocId; COLLECT_BLOCK_BUFFER_LEN]) -> usize {
        let rest = self.docs.get(self.at..).unwrap_or_default();
        let n = rest.len().min(buffer.len());
        buffer[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        n
    }

    fn size_hint(&self) -> u32 {
        u32::try_from(self.docs.len().saturating_sub(self.at)).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    /// Short prefixes of the synthetic names' words find what tantivy's prefix query finds, the
    /// first time (read) and the second (kept), and again after edits and withdrawals (a second
    /// segment, deleted documents in the first).
    #[tokio::test]
    async fn kept_prefixes_find_what_tantivy_finds_before_and_after_edits() {
        let (_dir, index, docs) = synthetic_index(2_000, 3).await;
        let mut prefixes: Vec<String> = docs
            .iter()
            .take(200)
            .flat_map(|d| {
                d.name_vi
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .flat_map(|w| {
                let folded = crate::text::fold(&w.to_lowercase());
                (1..=6)
                    .map(|n| folded.chars().take(n).collect::<String>())
                    .collect::<Vec<_>>()
            })
            .collect();
        prefixes.extend(["zzq".to_owned(), "đ".to_owned()]);
        prefixes.sort();
        prefixes.dedup();
        assert!(prefixes.len() > 30, "{}", prefixes.len());
        for round in ["one segment", "after edits"] {
            if round == "after edits" {
                edit_and_withdraw(&index, &docs, |d| SearchDocument {
                    name_vi: format!("Chanh leo {}", d.name_vi),
                    ..d.clone()
                })
                .await;
            }
            let generation = index.live().expect("live");
            let searcher = generation.reader.searcher();
            let (mut matched, mut typo_matched) = (0, 0);
            for prefix in &prefixes {
                let typos = crate::search::analyze::typo_budget(prefix);
                for typos in (0..=typos).rev() {
                    let theirs = found(
                        &searcher,
                        &FuzzyTermQuery::new_prefix(term(index.fields.all_f, prefix), typos, true),
                    );
                    let kept = KeptPrefixQuery::new(
                        index.fields.all_f,
                        prefix,
                        typos,
                        Arc::clone(&generation.tables),
                    );
                    let what = format!("{round}: {prefix:?} with {typos} typos");
                    assert_eq!(found(&searcher, &kept), theirs, "{what} read");
                    assert_eq!(found(&searcher, &kept), theirs, "{what} kept");
                    matched += usize::from(!theirs.is_empty());
                    typo_matched += usize::from(typos > 0 && !theirs.is_empty());
                }
            }
            assert!(matched > 30, "{round}: only {matched} prefixes match");
            assert!(typo_matched > 5, "{round}: only {typo_matched} with a typo");
        }
    }

    fn docs(list: &[DocId]) -> KeptDocs {
        KeptDocs {
            docs: list.into(),
            at: 0,
        }
    }

    #[test]
    fn kept_documents_iterate_seek_and_fill_as_a_docset_must() {
        let mut d = docs(&[1, 4, 9, 200]);
        assert_eq!(d.doc(), 1);
        assert_eq!(d.seek(4), 4);
        assert_eq!(d.seek(5), 9);
        assert_eq!(d.advance(), 200);
        assert_eq!(d.advance(), TERMINATED);
        assert_eq!(d.seek(300), TERMINATED);

        let many: Vec<DocId> = (0..150).map(|i| i * 3).collect();
        // Seeks near and far, to each document, between documents and past the end.
        for from in [0, 1, 7, 100] {
            for target in (0..460).step_by(7) {
                let mut d = docs(&many);
                d.seek(many[from]);
                let expected = many
                    .iter()
                    .copied()
                    .find(|&x| x >= target.max(many[from]))
                    .unwrap_or(TERMINATED);
                assert_eq!(d.seek(target), expected, "from {from} to {target}");
            }
        }
        let mut d = docs(&many);
        let mut buffer = [0; COLLECT_BLOCK_BUFFER_LEN];
        let mut seen = Vec::new();
        loop {
            let n = d.fill_buffer(&mut buffer);
            seen.extend_from_slice(&buffer[..n]);
            if n < buffer.len() {
                break;
            }
        }
        assert_eq!(seen, many);
        assert_eq!(d.doc(), TERMINATED);

        let mut empty = docs(&[]);
        assert_eq!(empty.doc(), TERMINATED);
        assert_eq!(empty.fill_buffer(&mut buffer), 0);
    }
}
