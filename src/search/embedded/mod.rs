//! Embedded tantivy backend: one folder, generations swapped atomically, one writer, no query parser.
//!
//! Layout: `<dir>/CURRENT` names the live generation (`gen-<n>`), each generation is a tantivy
//! index in `<dir>/gen-<n>/`. A rebuild fills a new generation, then renames a temp pointer file
//! over `CURRENT` and swaps the in-memory reader/writer; the old generation is removed after.
//!
//! Ranking (no BM25): each query word i of n is a disjunction of constant-score matches worth
//! `128·2^(n-1-i)` plus a quality (exact accents > folded; name > place > other > description;
//! exact word > prefix > typo). The first word is required, the others optional, so like
//! Meilisearch's `last` matching strategy, documents matching all words come first, then those
//! missing the last words. Ties go to the shorter name, then the newest listing.
//!
//! A one-word search (most shoppers' searches) is collected in two cheaper steps that give the
//! same answer: the count and facets without scores, and the best page tier by tier
//! (`query::word_tiers`), reading only the best-scoring matches ("chè" as a name's first word
//! before "chè" in a description). Multi-word searches are scored document by document.
//!
//! One file per job: `schema`, `generations`, `query`, `collect`, `segment_tables` (what a
//! segment's searches read again), `kept_prefix` (short prefixes' documents), `kept_range`
//! (price and OCOP ranges on kept values), `optional_words` (the loose reading's optional
//! words, looked up only on the documents kept); the index itself lives here.

mod schema;
use schema::*;
mod generations;
use generations::*;
mod query;
use query::*;
mod collect;
mod kept_prefix;
mod kept_range;
mod optional_words;
mod segment_tables;
#[cfg(test)]
mod test_support;
pub use collect::*;
use kept_prefix::KeptPrefixQuery;
use kept_range::KeptRangeQuery;
use optional_words::OptionalWords;
use segment_tables::*;

use super::analyze::{self, DocText, Word};
use super::word_query::WordQuery;
use super::{
    PlaceCounts, SearchDocument, SearchError, SearchHit, SearchQuery, SearchResults, SortOrder,
};
use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::indexer::NoMergePolicy;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST,
    INDEXED, STRING,
};
use tantivy::tokenizer::{TextAnalyzer, WhitespaceTokenizer};
use tantivy::{
    DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentReader, TantivyDocument,
    Term,
};

const POINTER_FILE: &str = "CURRENT";
const TOKENIZER: &str = "vc_ws";
/// Bump when the schema or the analysis changes: an index of another version is not reused.
/// 5: `place_chain` runs from the place up to its province (indexes of 4 ran from the root).
const SCHEMA_VERSION: &str = "vungcao-search-5";
const VERSION_FILE: &str = "VUNGCAO_SCHEMA";
const WRITER_BUDGET: usize = 48_000_000;
const REBUILD_BUDGET: usize = 200_000_000;
use super::limits::{FACETS, MAX_FACET_VALUES, MAX_LIMIT, MAX_OFFSET};

fn backend(e: impl std::fmt::Display) -> SearchError {
    SearchError::Backend(e.to_string())
}

fn join_error(e: tokio::task::JoinError) -> SearchError {
    SearchError::Backend(format!("search task failed: {e}"))
}

/// The embedded tantivy index.
pub struct TantivyIndex {
    root: PathBuf,
    schema: Schema,
    fields: Fields,
    live: RwLock<Arc<Generation>>,
    /// Serialises writes and rebuilds (searches never take it).
    write_gate: tokio::sync::Mutex<()>,
    needs_rebuild: std::sync::atomic::AtomicBool,
    /// The catalogue's words for the query understanding (kept by [`super::SearchIndex`]).
    pub(crate) vocabulary: super::understand::SharedVocabulary,
    /// How much work searches were lately: a moving average of their CPU time in microseconds
    /// (see [`TantivyIndex::searches_are_quick`]).
    recent_micros: std::sync::atomic::AtomicU64,
}

/// Searches averaging at most this long are quick (see [`TantivyIndex::searches_are_quick`]).
const QUICK_SEARCH_MICROS: u64 = 1_000;

fn gen_name(n: u64) -> String {
    format!("gen-{n}")
}

fn parse_gen(name: &str) -> Option<u64> {
    name.strip_prefix("gen-")?.parse().ok()
}

impl TantivyIndex {
    /// Opens (or creates) the index living in `dir` (the caller passes `<data_dir>/search`).
    ///
    /// An index written by another schema version is not reused: a fresh empty generation is
    /// started and [`TantivyIndex::needs_rebuild`] reports it.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir).map_err(backend)?;
        let (schema, fields) = build_schema();
        let pointer = dir.join(POINTER_FILE);
        let current = std::fs::read_to_string(&pointer)
            .ok()
            .and_then(|s| parse_gen(s.trim()));
        let mut needs_rebuild = false;
        let number = match current {
            Some(n) if version_ok(&dir.join(gen_name(n))) => n,
            other => {
                let n = max_gen(dir).max(other.unwrap_or(0)) + 1;
                needs_rebuild = other.is_some();
                let path = dir.join(gen_name(n));
                std::fs::create_dir_all(&path).map_err(backend)?;
                std::fs::write(path.join(VERSION_FILE), SCHEMA_VERSION).map_err(backend)?;
                write_pointer(dir, n)?;
                n
            }
        };
        let generation = Generation::open_or_create(&dir.join(gen_name(number)), number, &schema)?;
        remove_other_generations(dir, number);
        Ok(TantivyIndex {
            root: dir.to_path_buf(),
            schema,
            fields,
            live: RwLock::new(Arc::new(generation)),
            write_gate: tokio::sync::Mutex::new(()),
            needs_rebuild: std::sync::atomic::AtomicBool::new(needs_rebuild),
            vocabulary: Default::default(),
            // Not quick until searches have shown it (the first build each segment's tables).
            recent_micros: std::sync::atomic::AtomicU64::new(4 * QUICK_SEARCH_MICROS),
        })
    }

    /// True while this index's searches average at most a millisecond of CPU time (a moving
    /// average over the last few dozen): short enough to run on a server's async worker rather
    /// than be handed to a blocking thread and back (the hand-off's thread switches were a seventh
    /// of the search page at 100 000 listings). A slower index (a million listings, long
    /// multi-word searches) goes back to the blocking threads, where a long search cannot hold
    /// up the other requests of its worker. CPU time, not wall time: a search waiting its turn
    /// among busy blocking threads takes longer by the clock without being more work, and an
    /// index judged by the clock under load would never be found quick.
    pub fn searches_are_quick(&self) -> bool {
        self.recent_micros
            .load(std::sync::atomic::Ordering::Relaxed)
            <= QUICK_SEARCH_MICROS
    }

    /// Adds one search's CPU time to the moving average (weight 1/16; racing updates may lose one,
    /// which an average does not mind). Each search notes its own; public so that a test can
    /// put the index on either side of [`Self::searches_are_quick`].
    pub fn note_search_time(&self, took: std::time::Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        let took = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let before = self.recent_micros.load(Relaxed);
        let after = before - before / 16 + took / 16;
        self.recent_micros.store(after, Relaxed);
    }

    /// True when the index on disk had an older schema and was started afresh: run a reindex.
    pub fn needs_rebuild(&self) -> bool {
        self.needs_rebuild
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn live(&self) -> Result<Arc<Generation>, SearchError> {
        self.live
            .read()
            .map(|g| Arc::clone(&g))
            .map_err(|_| SearchError::Backend("index state lock poisoned".into()))
    }

    /// Adds or replaces documents by id; visible to the next search once this returns.
    pub async fn upsert(&self, docs: Vec<SearchDocument>) -> Result<(), SearchError> {
        if docs.is_empty() {
            return Ok(());
        }
        let _gate = self.write_gate.lock().await;
        let generation = self.live()?;
        let fields = self.fields;
        tokio::task::spawn_blocking(move || {
            generation.write(|w| {
                for doc in &docs {
                    w.delete_term(Term::from_field_i64(fields.id, doc.id));
                    w.add_document(to_tantivy_doc(&fields, doc))
                        .map_err(backend)?;
                }
                Ok(())
            })
        })
        .await
        .map_err(join_error)?
    }

    /// Deletes documents by id; unknown ids are ignored.
    pub async fn delete(&self, ids: &[i64]) -> Result<(), SearchError> {
        if ids.is_empty() {
            return Ok(());
        }
        let _gate = self.write_gate.lock().await;
        let generation = self.live()?;
        let fields = self.fields;
        let ids = ids.to_vec();
        tokio::task::spawn_blocking(move || {
            generation.write(|w| {
                for id in &ids {
                    w.delete_term(Term::from_field_i64(fields.id, *id));
                }
                Ok(())
            })
        })
        .await
        .map_err(join_error)?
    }

    /// Builds a fresh generation from `docs` and swaps it in atomically. Searches keep using the
    /// previous generation until the swap; writes wait for the rebuild (so none is lost).
    /// Returns the number of documents indexed.
    pub async fn rebuild<I, F>(&self, docs: I, progress: F) -> Result<u64, SearchError>
    where
        I: IntoIterator<Item = SearchDocument> + Send + 'static,
        I::IntoIter: Send,
        F: FnMut(usize, usize) + Send + 'static,
    {
        self.rebuild_checked(docs, progress, || Ok(())).await
    }

    /// [`Self::rebuild`], but `complete` is asked, after the last document and before the swap,
    /// whether the documents really were all there (a source that failed midway says no, and the
    /// old index stays).
    pub async fn rebuild_checked<I, F, C>(
        &self,
        docs: I,
        progress: F,
        complete: C,
    ) -> Result<u64, SearchError>
    where
        I: IntoIterator<Item = SearchDocument> + Send + 'static,
        I::IntoIter: Send,
        F: FnMut(usize, usize) + Send + 'static,
        C: FnOnce() -> Result<(), SearchError>,
    {
        let _gate = self.write_gate.lock().await;
        let old = self.live()?;
        let next = max_gen(&self.root).max(old.number) + 1;
        let root = self.root.clone();
        let schema = self.schema.clone();
        let fields = self.fields;
        let built = tokio::task::spawn_blocking(move || {
            build_generation(&root, next, &schema, &fields, docs, progress)
        })
        .await
        .map_err(join_error)??;
        let (generation, count) = built;
        complete()?;
        // The pointer file is the commit point: written (temp + rename) before the in-memory swap.
        write_pointer(&self.root, next)?;
        {
            let mut live = self
                .live
                .write()
                .map_err(|_| SearchError::Backend("index state lock poisoned".into()))?;
            *live = Arc::new(generation);
        }
        self.needs_rebuild
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            old.close_writer();
            let path = root.join(gen_name(old.number));
            drop(old);
            // Searches still holding the old generation keep their mmaps (unlinked files stay
            // readable on unix).
            if let Err(e) = std::fs::remove_dir_all(&path) {
                tracing::warn!(error = %e, path = %path.display(), "removing old search generation");
            }
        })
        .await
        .map_err(join_error)?;
        Ok(count)
    }

    /// Every indexed listing id (for `vungcao check`).
    pub async fn all_ids(&self) -> Result<Vec<i64>, SearchError> {
        let generation = self.live()?;
        tokio::task::spawn_blocking(move || {
            let searcher = generation.reader.searcher();
            let mut ids = Vec::with_capacity(searcher.num_docs() as usize);
            for seg in searcher.segment_readers() {
                let col: Column<i64> = seg.fast_fields().i64("id").map_err(backend)?;
                for doc in seg.doc_ids_alive() {
                    if let Some(id) = col.first(doc) {
                        ids.push(id);
                    }
                }
            }
            ids.sort_unstable();
            Ok(ids)
        })
        .await
        .map_err(join_error)?
    }

    pub async fn doc_count(&self) -> Result<u64, SearchError> {
        Ok(self.live()?.reader.searcher().num_docs())
    }

    /// Runs a search off the async runtime.
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        let generation = self.live()?;
        let fields = self.fields;
        let query = query.clone();
        tokio::task::spawn_blocking(move || search_generation(&generation, &fields, &query))
            .await
            .map_err(join_error)?
    }

    /// Runs a search on the calling thread (benchmarks, or callers already off the runtime).
    pub fn search_blocking(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        let generation = self.live()?;
        search_generation(&generation, &self.fields, query)
    }

    /// A shopper's search on the calling thread: the same understanding plan as
    /// [`super::SearchIndex::search`], every step on this thread.
    pub fn search_understood_blocking(
        &self,
        query: &SearchQuery,
    ) -> Result<SearchResults, SearchError> {
        let started = cpu_time::ThreadTime::try_now().ok();
        let mut plan = {
            let v = self
                .vocabulary
                .read()
                .map_err(|_| SearchError::Backend("search vocabulary lock poisoned".into()))?;
            super::understand::plan(query, &v)
        };
        let generation = self.live()?;
        let mut answers = Vec::with_capacity(plan.steps.len());
        for i in 0..plan.steps.len() {
            let answer = if plan.ready(i, &answers, &self.vocabulary) {
                Some(search_generation(
                    &generation,
                    &self.fields,
                    &plan.steps[i].query,
                )?)
            } else {
                None
            };
            answers.push(answer);
        }
        if let Some(took) = started.and_then(|s| s.try_elapsed().ok()) {
            self.note_search_time(took);
        }
        Ok(plan.merge(answers))
    }
}

impl Drop for TantivyIndex {
    fn drop(&mut self) {
        if let Ok(live) = self.live.read() {
            live.close_writer();
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn searches_are_quick_once_they_have_shown_it_and_slow_again_after_slow_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = TantivyIndex::open(dir.path()).expect("open");
        assert!(!index.searches_are_quick(), "not before any search");
        for _ in 0..60 {
            index.note_search_time(std::time::Duration::from_micros(300));
        }
        assert!(index.searches_are_quick(), "after 60 searches of 0.3 ms");
        for _ in 0..10 {
            index.note_search_time(std::time::Duration::from_millis(20));
        }
        assert!(!index.searches_are_quick(), "after 10 searches of 20 ms");
    }

    /// Every single word of the synthetic names (folded, accented, cut short as typed, with a
    /// typo), with and without filters and paging: the tiers find the same page, count and
    /// facets as scoring every document.
    #[tokio::test]
    async fn one_word_tiers_rank_as_scoring_every_document() {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = TantivyIndex::open(dir.path()).expect("open");
        let docs: Vec<SearchDocument> = super::super::synthetic::documents(3_000, 7).collect();
        let district = docs[0].place_path[1].clone();
        index
            .rebuild(docs.clone().into_iter(), |_, _| {})
            .await
            .expect("rebuild");
        let mut words: Vec<String> = Vec::new();
        for d in docs.iter().take(300) {
            for w in d
                .name_vi
                .split_whitespace()
                .chain(d.category_name_vi.split(' '))
            {
                let lower = w.to_lowercase();
                let folded = crate::text::fold(&lower);
                let cut: String = folded.chars().take(3).collect();
                let mut typo: Vec<char> = folded.chars().collect();
                if typo.len() >= 5 {
                    typo.swap(2, 3);
                }
                words.extend([lower, folded, cut, typo.into_iter().collect()]);
            }
        }
        words.sort();
        words.dedup();
        assert!(words.len() > 100, "{}", words.len());
        let filters = [
            super::super::SearchFilters::default(),
            super::super::SearchFilters {
                category: Some("tea".into()),
                ..Default::default()
            },
            super::super::SearchFilters {
                place: Some(district),
                min_ocop_stars: Some(3),
                ..Default::default()
            },
        ];
        let mut compared = 0;
        for round in ["one segment", "deletes and a second segment"] {
            if round != "one segment" {
                // Listings edited (each replaced: deleted from the first segment, added to a
                // new one) and withdrawn: the first segment now has deleted documents.
                republish(&index, &docs[..300]).await;
                let withdrawn: Vec<i64> = docs[300..400].iter().map(|d| d.id).collect();
                index.delete(&withdrawn).await.expect("delete");
            }
            compared += compare_tiers_with_scoring(&index, &words, &filters, round);
        }
        assert!(compared > 600, "only {compared} searches found something");
    }

    /// Edits `docs` as published later (each replaced: deleted from its segment, added to a
    /// new one, now the newest).
    async fn republish(index: &TantivyIndex, docs: &[SearchDocument]) {
        let edited: Vec<SearchDocument> = docs
            .iter()
            .map(|d| SearchDocument {
                published_at: d.published_at + 1_000_000,
                ..d.clone()
            })
            .collect();
        index.upsert(edited).await.expect("upsert");
    }

    /// A browse of the whole catalogue newest first (read from each segment's [`Newest`]
    /// order) finds the page, count and facets that visiting every document finds, on one
    /// segment and with deletes and a second segment whose documents are the newest.
    #[tokio::test]
    async fn a_browse_of_everything_finds_what_visiting_every_document_finds() {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = TantivyIndex::open(dir.path()).expect("open");
        let mut docs: Vec<SearchDocument> = super::super::synthetic::documents(3_000, 5).collect();
        // The 40 newest share one publication time: the order among them is the documents'.
        for d in docs.iter_mut().skip(1000).take(40) {
            d.published_at = 1_900_000_000;
        }
        index
            .rebuild(docs.clone().into_iter(), |_, _| {})
            .await
            .expect("rebuild");
        let mut compared = 0;
        for round in ["one segment", "deletes and a second segment"] {
            if round != "one segment" {
                republish(&index, &docs[..300]).await;
                // Withdrawn: some of the newest of the first segment, ten of the tied among them.
                let withdrawn: Vec<i64> = docs[2950..]
                    .iter()
                    .chain(&docs[1000..1010])
                    .map(|d| d.id)
                    .collect();
                index.delete(&withdrawn).await.expect("delete");
            }
            let generation = index.live().expect("live");
            for sort in [SortOrder::Newest, SortOrder::Relevance] {
                for (offset, limit) in [(0, 1), (0, 20), (20, 20), (0, 200), (990, 10)] {
                    for facets in [false, true] {
                        let q = SearchQuery {
                            sort,
                            offset,
                            limit,
                            facets,
                            ..SearchQuery::text("")
                        };
                        let fast =
                            search_generation_as(&generation, &index.fields, &q, Plan::Fastest)
                                .expect("browse");
                        let scanned =
                            search_generation_as(&generation, &index.fields, &q, Plan::Scored)
                                .expect("scan");
                        assert_eq!(fast, scanned, "{round}: {q:?}");
                        assert_eq!(fast.hits.len(), limit, "{round}: {q:?}");
                        compared += 1;
                    }
                }
            }
            let tied: Vec<i64> = docs[if round == "one segment" { 1000 } else { 1010 }..1040]
                .iter()
                .map(|d| d.id)
                .collect();
            let page = search_generation_as(
                &generation,
                &index.fields,
                &SearchQuery {
                    sort: SortOrder::Newest,
                    limit: 200,
                    ..SearchQuery::text("")
                },
                Plan::Fastest,
            )
            .expect("browse");
            let mut first: Vec<i64> = page.hits.iter().take(tied.len()).map(|h| h.id).collect();
            first.sort_unstable();
            assert_eq!(first, tied, "{round}: the newest first");
            assert_eq!(
                page.total,
                if round == "one segment" { 3_000 } else { 2_940 }
            );
        }
        assert_eq!(compared, 40);
    }

    /// Facets of several values per listing (certifications, months in season), read from the
    /// kept value sets, count each listing holding a value once: a filtered browse (blocks of
    /// documents), one word (unscored) and two words (scored), on one segment and after edits
    /// that change the values and withdrawals.
    #[tokio::test]
    async fn multi_valued_facets_count_each_listing_holding_a_value() {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = TantivyIndex::open(dir.path()).expect("open");
        let mut docs: std::collections::BTreeMap<i64, SearchDocument> =
            super::super::synthetic::documents(3_000, 11)
                .map(|d| (d.id, d))
                .collect();
        index
            .rebuild(
                docs.values().cloned().collect::<Vec<_>>().into_iter(),
                |_, _| {},
            )
            .await
            .expect("rebuild");
        let words: Vec<String> = docs
            .values()
            .take(60)
            .flat_map(|d| {
                let folded = crate::text::fold(&d.name_vi.to_lowercase());
                let w: Vec<&str> = folded.split_whitespace().collect();
                vec![w[0].to_owned(), w[w.len() - 1].to_owned(), w[..2].join(" ")]
            })
            .collect();
        let mut compared = 0;
        for round in ["one segment", "after edits"] {
            if round == "after edits" {
                let edited: Vec<SearchDocument> = docs
                    .values()
                    .take(300)
                    .enumerate()
                    .map(|(i, d)| SearchDocument {
                        certifications: if i % 2 == 0 {
                            vec!["organic".into(), "vietgap".into()]
                        } else {
                            Vec::new()
                        },
                        season_months: (1..=(i % 12) as u8 + 1).collect(),
                        ..d.clone()
                    })
                    .collect();
                index.upsert(edited.clone()).await.expect("upsert");
                docs.extend(edited.into_iter().map(|d| (d.id, d)));
                let withdrawn: Vec<i64> = docs.keys().skip(300).take(100).copied().collect();
                index.delete(&withdrawn).await.expect("delete");
                for id in withdrawn {
                    docs.remove(&id);
                }
            }
            let generation = index.live().expect("live");
            let mut queries: Vec<SearchQuery> = ["tea", "fruit", "festival"]
                .iter()
                .map(|c| SearchQuery {
                    filters: super::super::SearchFilters {
                        category: Some((*c).to_owned()),
                        ..Default::default()
                    },
                    limit: 0,
                    facets: true,
                    ..SearchQuery::text("")
                })
                .collect();
            queries.extend(words.iter().map(|w| SearchQuery {
                limit: MAX_LIMIT,
                facets: true,
                ..SearchQuery::text(w.clone())
            }));
            for q in &queries {
                let r = search_generation(&generation, &index.fields, q).expect("search");
                let found: Vec<&SearchDocument> = if q.text.is_empty() {
                    docs.values()
                        .filter(|d| Some(&d.category_code) == q.filters.category.as_ref())
                        .collect()
                } else if r.total as usize == r.hits.len() {
                    r.hits.iter().filter_map(|h| docs.get(&h.id)).collect()
                } else {
                    continue;
                };
                assert_eq!(found.len() as u64, r.total, "{round}: {q:?}");
                let mut certifications: BTreeMap<String, u64> = BTreeMap::new();
                let mut months: BTreeMap<String, u64> = BTreeMap::new();
                for d in &found {
                    for c in &d.certifications {
                        *certifications.entry(c.clone()).or_default() += 1;
                    }
                    for m in &d.season_months {
                        *months.entry(m.to_string()).or_default() += 1;
                    }
                }
                assert_eq!(r.facets["certifications"], certifications, "{round}: {q:?}");
                assert_eq!(r.facets["season_months"], months, "{round}: {q:?}");
                compared += usize::from(!found.is_empty());
            }
        }
        assert!(compared > 60, "only {compared} searches compared");
    }

    /// [`search_generation_as`] by tiers and by scoring every document, for each word, filter and
    /// page: the same answers. Returns how many found something.
    fn compare_tiers_with_scoring(
        index: &TantivyIndex,
        words: &[String],
        filters: &[super::super::SearchFilters],
        round: &str,
    ) -> usize {
        let generation = index.live().expect("live");
        let mut compared = 0;
        for word in words {
            for filter in filters {
                for (offset, limit) in [(0, 12), (12, 24), (0, 0)] {
                    let q = SearchQuery {
                        text: word.clone(),
                        filters: filter.clone(),
                        sort: SortOrder::Relevance,
                        near: None,
                        offset,
                        limit,
                        facets: true,
                        facet_fields: None,
                        place_counts: Default::default(),
                    };
                    let fast = search_generation_as(&generation, &index.fields, &q, Plan::Fastest)
                        .expect("tiers");
                    let scored = search_generation_as(&generation, &index.fields, &q, Plan::Scored)
                        .expect("scored");
                    assert_eq!(fast, scored, "{round}: {q:?}");
                    compared += usize::from(!scored.hits.is_empty());
                }
            }
        }
        compared
    }

    /// An index of an earlier schema (before `place_chain`, say) is not read with this one: it
    /// opens empty and asks for the rebuild the indexer runs at start-up.
    #[tokio::test]
    async fn an_index_of_another_schema_version_is_rebuilt() {
        let dir = tempfile::tempdir().expect("temp dir");
        let docs: Vec<SearchDocument> = super::super::synthetic::documents(50, 3).collect();
        {
            let index = TantivyIndex::open(dir.path()).expect("open");
            index
                .rebuild(docs.clone().into_iter(), |_, _| {})
                .await
                .expect("rebuild");
            assert_eq!(index.doc_count().await.expect("count"), 50);
        }
        let current = std::fs::read_to_string(dir.path().join(POINTER_FILE)).expect("pointer");
        std::fs::write(
            dir.path().join(current.trim()).join(VERSION_FILE),
            "vungcao-search-3",
        )
        .expect("write version");
        let index = TantivyIndex::open(dir.path()).expect("reopen");
        assert!(index.needs_rebuild());
        assert_eq!(index.doc_count().await.expect("count"), 0);
        index
            .rebuild(docs.into_iter(), |_, _| {})
            .await
            .expect("rebuild");
        assert!(!index.needs_rebuild());
        let found = index
            .search_blocking(&SearchQuery::text("che"))
            .expect("search");
        assert_eq!(index.doc_count().await.expect("count"), 50);
        assert!(found.total > 0, "{found:?}");
    }

    /// A listing added after the index was built lands in a new segment: the place facet counts
    /// it under its commune, district and province (each segment has its own chain table), and
    /// a deleted listing is counted nowhere.
    #[tokio::test]
    async fn place_counts_follow_writes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = TantivyIndex::open(dir.path()).expect("open");
        let docs: Vec<SearchDocument> = super::super::synthetic::documents(200, 5).collect();
        index
            .rebuild(docs.clone().into_iter(), |_, _| {})
            .await
            .expect("rebuild");
        let places = |r: &SearchResults| r.facets.get("place_path").cloned().unwrap_or_default();
        let q = SearchQuery {
            facets: true,
            filters: super::super::SearchFilters {
                kind: Some("product".into()),
                ..Default::default()
            },
            ..SearchQuery::text("")
        };
        let before = places(&index.search_blocking(&q).expect("search"));
        let mut added = docs[0].clone();
        added.id = 10_000;
        added.slug = "new-listing".into();
        added.kind = "product".into();
        added.place_code = "TQ-NEW-C1".into();
        added.place_path = vec!["TQ-NEW-C1".into(), "TQ-NEW".into(), "TQ".into()];
        index.upsert(vec![added]).await.expect("upsert");
        let after = places(&index.search_blocking(&q).expect("search"));
        assert_eq!(after.get("TQ-NEW-C1"), Some(&1), "{after:?}");
        assert_eq!(after.get("TQ-NEW"), Some(&1));
        assert_eq!(after.get("TQ"), Some(&(before["TQ"] + 1)));
        index.delete(&[10_000]).await.expect("delete");
        let deleted = places(&index.search_blocking(&q).expect("search"));
        assert_eq!(deleted, before);
    }

    /// The search page's scope: provinces and former districts with the counts every place
    /// gets, the communes of the open district only, the other communes not at all; over
    /// several segments, and with a text query as with a filter.
    #[tokio::test]
    async fn place_counts_by_region_are_every_count_of_the_regions() {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = TantivyIndex::open(dir.path()).expect("open");
        let docs: Vec<SearchDocument> = super::super::synthetic::documents(600, 9).collect();
        index
            .rebuild(docs[..400].to_vec(), |_, _| {})
            .await
            .expect("rebuild");
        // A second segment, written after the first.
        index.upsert(docs[400..].to_vec()).await.expect("upsert");
        let places = |r: &SearchResults| r.facets.get("place_path").cloned().unwrap_or_default();
        let open = docs[0].place_path[1].clone();
        for text in ["", "che", "mat ong"] {
            let every = SearchQuery {
                facets: true,
                filters: super::super::SearchFilters {
                    kind: Some("product".into()),
                    ..Default::default()
                },
                ..SearchQuery::text(text)
            };
            let all = places(&index.search_blocking(&every).expect("search"));
            let communes_of = |district: &str| -> Vec<String> {
                docs.iter()
                    .filter(|d| d.place_path.len() == 3 && d.place_path[1] == district)
                    .map(|d| d.place_path[0].clone())
                    .collect()
            };
            let regions: Vec<String> = docs
                .iter()
                .flat_map(|d| d.place_path.iter().rev().take(2).cloned())
                .collect();
            for scope_open in [None, Some(open.clone())] {
                let scoped = SearchQuery {
                    place_counts: PlaceCounts::Regions {
                        open: scope_open.clone(),
                    },
                    ..every.clone()
                };
                let got = places(&index.search_blocking(&scoped).expect("search"));
                let open_communes = scope_open.as_deref().map(communes_of).unwrap_or_default();
                let want: BTreeMap<String, u64> = all
                    .iter()
                    .filter(|(code, _)| regions.contains(code) || open_communes.contains(code))
                    .map(|(code, n)| (code.clone(), *n))
                    .collect();
                assert_eq!(got, want, "{text:?} open {scope_open:?}");
                assert!(got.len() < all.len(), "{text:?}: the communes are left out");
                if scope_open.is_some() {
                    assert!(
                        got.keys().any(|c| open_communes.contains(c)),
                        "{text:?}: the open district's communes are counted: {got:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn haversine_is_sane() {
        // Hồng Thái → Khau Mút, about 12 km.
        let d = distance_m((22.4055, 105.4468), (22.392, 105.328));
        assert!((11_000.0..13_500.0).contains(&d), "{d}");
        assert_eq!(distance_m((1.0, 2.0), (1.0, 2.0)), 0.0);
    }
}
