//! What the index's tests share: a synthetic index, the edits and withdrawals that give it a
//! second segment and deleted documents, and the documents a query finds.

#![allow(clippy::expect_used)]

use super::*;
use tantivy::collector::DocSetCollector;

/// A fresh index of `n` synthetic listings (generated with `seed`), with its folder (the index
/// lives as long as it) and the listings.
pub(super) async fn synthetic_index(
    n: usize,
    seed: u64,
) -> (tempfile::TempDir, TantivyIndex, Vec<SearchDocument>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = TantivyIndex::open(dir.path()).expect("open");
    let docs: Vec<SearchDocument> = super::super::synthetic::documents(n, seed).collect();
    index
        .rebuild(docs.clone(), |_, _| {})
        .await
        .expect("rebuild");
    (dir, index, docs)
}

/// Listings 0..200 edited by `edit` (each replaced: deleted from its segment, added to a new
/// one) and 200..300 withdrawn: a second segment, and deleted documents in the first.
pub(super) async fn edit_and_withdraw(
    index: &TantivyIndex,
    docs: &[SearchDocument],
    edit: impl Fn(&SearchDocument) -> SearchDocument,
) {
    let edited: Vec<SearchDocument> = docs[..200].iter().map(edit).collect();
    index.upsert(edited).await.expect("upsert");
    let withdrawn: Vec<i64> = docs[200..300].iter().map(|d| d.id).collect();
    index.delete(&withdrawn).await.expect("delete");
}

/// The documents a search finds, as (segment ordinal, document), in order.
pub(super) fn found(searcher: &tantivy::Searcher, query: &dyn Query) -> Vec<(u32, DocId)> {
    let mut docs: Vec<(u32, DocId)> = searcher
        .search(query, &DocSetCollector)
        .expect("search")
        .into_iter()
        .map(|a| (a.segment_ord, a.doc_id))
        .collect();
    docs.sort_unstable();
    docs
}
