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

use super::analyze::{self, DocText, Word};
use super::word_query::WordQuery;
use super::{SearchDocument, SearchError, SearchHit, SearchQuery, SearchResults, SortOrder};
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
const SCHEMA_VERSION: &str = "vungcao-search-3";
const VERSION_FILE: &str = "VUNGCAO_SCHEMA";
const WRITER_BUDGET: usize = 48_000_000;
const REBUILD_BUDGET: usize = 200_000_000;
use super::limits::{FACETS, MAX_LIMIT, MAX_OFFSET};

fn backend(e: impl std::fmt::Display) -> SearchError {
    SearchError::Backend(e.to_string())
}

fn join_error(e: tokio::task::JoinError) -> SearchError {
    SearchError::Backend(format!("search task failed: {e}"))
}

/// Field handles of our schema.
#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    slug: Field,
    name_f: Field,
    name_x: Field,
    head: Field,
    place_f: Field,
    other_f: Field,
    desc_f: Field,
    rest_x: Field,
    all_f: Field,
    kind: Field,
    category_code: Field,
    place_path: Field,
    cooperative_slug: Field,
    ocop_stars: Field,
    certifications: Field,
    season_months: Field,
    ocop_n: Field,
    price_vnd: Field,
    event_days: Field,
    published_at: Field,
    name_len: Field,
    lat: Field,
    lng: Field,
}

fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    let keyword = STRING | FAST;
    let num = NumericOptions::default().set_indexed().set_fast();
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | FAST),
        slug: b.add_text_field("slug", FAST),
        name_f: b.add_text_field("name_f", text.clone()),
        name_x: b.add_text_field("name_x", text.clone()),
        head: b.add_text_field("head", text.clone()),
        place_f: b.add_text_field("place_f", text.clone()),
        other_f: b.add_text_field("other_f", text.clone()),
        desc_f: b.add_text_field("desc_f", text.clone()),
        rest_x: b.add_text_field("rest_x", text.clone()),
        all_f: b.add_text_field("all_f", text),
        kind: b.add_text_field("kind", keyword.clone()),
        category_code: b.add_text_field("category_code", keyword.clone()),
        place_path: b.add_text_field("place_path", keyword.clone()),
        cooperative_slug: b.add_text_field("cooperative_slug", keyword.clone()),
        ocop_stars: b.add_text_field("ocop_stars", keyword.clone()),
        certifications: b.add_text_field("certifications", keyword.clone()),
        season_months: b.add_text_field("season_months", keyword),
        ocop_n: b.add_i64_field("ocop_n", num.clone()),
        price_vnd: b.add_i64_field("price_vnd", num.clone()),
        event_days: b.add_i64_field("event_days", INDEXED),
        published_at: b.add_i64_field("published_at", FAST),
        name_len: b.add_u64_field("name_len", FAST),
        lat: b.add_f64_field("lat", FAST),
        lng: b.add_f64_field("lng", FAST),
    };
    (b.build(), fields)
}

fn to_tantivy_doc(f: &Fields, doc: &SearchDocument) -> TantivyDocument {
    let t = DocText::of(doc);
    let mut d = TantivyDocument::default();
    d.add_i64(f.id, doc.id);
    d.add_text(f.slug, &doc.slug);
    d.add_text(f.name_f, analyze::folded_text(&t.name));
    d.add_text(f.name_x, analyze::marker_text(&t.name));
    if let Some(first) = t.name.first() {
        d.add_text(f.head, &first.folded);
        if first.accented() {
            d.add_text(f.head, &first.marker);
        }
    }
    d.add_text(f.place_f, analyze::folded_text(&t.places));
    d.add_text(f.other_f, analyze::folded_text(&t.other));
    d.add_text(f.desc_f, analyze::folded_text(&t.description));
    d.add_text(f.rest_x, t.rest_markers());
    let mut all: Vec<&str> = t
        .name
        .iter()
        .chain(&t.places)
        .chain(&t.other)
        .chain(&t.description)
        .map(|w| w.folded.as_str())
        .collect();
    all.sort_unstable();
    all.dedup();
    d.add_text(f.all_f, all.join(" "));
    d.add_text(f.kind, &doc.kind);
    d.add_text(f.category_code, &doc.category_code);
    for p in &doc.place_path {
        d.add_text(f.place_path, p);
    }
    d.add_text(f.cooperative_slug, &doc.cooperative_slug);
    if let Some(stars) = doc.ocop_stars {
        d.add_text(f.ocop_stars, stars.to_string());
        d.add_i64(f.ocop_n, i64::from(stars));
    }
    for c in &doc.certifications {
        d.add_text(f.certifications, c);
    }
    for m in &doc.season_months {
        d.add_text(f.season_months, m.to_string());
    }
    if let Some(price) = doc.price_vnd {
        d.add_i64(f.price_vnd, price);
    }
    for day in &doc.event_days {
        d.add_i64(f.event_days, i64::from(*day));
    }
    d.add_i64(f.published_at, doc.published_at);
    d.add_u64(f.name_len, t.name.len() as u64);
    d.add_f64(f.lat, doc.lat);
    d.add_f64(f.lng, doc.lng);
    d
}

/// One generation: an index with its reader and the one writer.
struct Generation {
    number: u64,
    reader: IndexReader,
    /// Facet counts of the whole index, per searcher generation (the browse landing page).
    facet_cache: Mutex<Option<(u64, Facets)>>,
    writer: Mutex<Option<IndexWriter<TantivyDocument>>>,
}

impl Generation {
    fn open_or_create(
        path: &Path,
        number: u64,
        fields_schema: &Schema,
    ) -> Result<Self, SearchError> {
        std::fs::create_dir_all(path).map_err(backend)?;
        let dir = tantivy::directory::MmapDirectory::open(path).map_err(backend)?;
        let index = Index::open_or_create(dir, fields_schema.clone()).map_err(backend)?;
        Self::from_index(index, number, WRITER_BUDGET, 1)
    }

    fn from_index(
        index: Index,
        number: u64,
        budget: usize,
        threads: usize,
    ) -> Result<Self, SearchError> {
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::from(WhitespaceTokenizer::default()),
        );
        let writer = index
            .writer_with_num_threads(threads, budget)
            .map_err(backend)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(backend)?;
        Ok(Generation {
            number,
            reader,
            facet_cache: Mutex::new(None),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Runs `f` with the writer, commits, and makes the commit visible to the next search.
    fn write(
        &self,
        f: impl FnOnce(&mut IndexWriter<TantivyDocument>) -> Result<(), SearchError>,
    ) -> Result<(), SearchError> {
        let mut guard = self
            .writer
            .lock()
            .map_err(|_| SearchError::Backend("index writer lock poisoned".into()))?;
        let writer = guard
            .as_mut()
            .ok_or_else(|| SearchError::Backend("index writer closed".into()))?;
        if let Err(e) = f(writer) {
            let _ = writer.rollback();
            return Err(e);
        }
        writer.commit().map_err(backend)?;
        self.reader.reload().map_err(backend)?;
        Ok(())
    }

    fn close_writer(&self) {
        if let Ok(mut guard) = self.writer.lock() {
            if let Some(w) = guard.take() {
                if let Err(e) = w.wait_merging_threads() {
                    tracing::warn!(error = %e, "closing search index writer");
                }
            }
        }
    }
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
}

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
        })
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

fn version_ok(path: &Path) -> bool {
    std::fs::read_to_string(path.join(VERSION_FILE))
        .map(|v| v.trim() == SCHEMA_VERSION)
        .unwrap_or(false)
}

fn max_gen(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| parse_gen(&e.file_name().to_string_lossy()))
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

fn write_pointer(dir: &Path, n: u64) -> Result<(), SearchError> {
    use std::io::Write;
    let tmp = dir.join(format!("{POINTER_FILE}.tmp"));
    let mut file = std::fs::File::create(&tmp).map_err(backend)?;
    file.write_all(gen_name(n).as_bytes()).map_err(backend)?;
    file.sync_all().map_err(backend)?;
    std::fs::rename(&tmp, dir.join(POINTER_FILE)).map_err(backend)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes leftovers of interrupted rebuilds and replaced generations.
fn remove_other_generations(dir: &Path, keep: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        if let Some(n) = parse_gen(&entry.file_name().to_string_lossy()) {
            if n != keep {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn build_generation<I, F>(
    root: &Path,
    number: u64,
    schema: &Schema,
    fields: &Fields,
    docs: I,
    mut progress: F,
) -> Result<(Generation, u64), SearchError>
where
    I: IntoIterator<Item = SearchDocument>,
    F: FnMut(usize, usize),
{
    let path = root.join(gen_name(number));
    if path.exists() {
        std::fs::remove_dir_all(&path).map_err(backend)?;
    }
    std::fs::create_dir_all(&path).map_err(backend)?;
    std::fs::write(path.join(VERSION_FILE), SCHEMA_VERSION).map_err(backend)?;
    let result = (|| {
        let dir = tantivy::directory::MmapDirectory::open(&path).map_err(backend)?;
        let index = Index::create(dir, schema.clone(), tantivy::IndexSettings::default())
            .map_err(backend)?;
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::from(WhitespaceTokenizer::default()),
        );
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        let mut writer: IndexWriter<TantivyDocument> = index
            .writer_with_num_threads(threads, REBUILD_BUDGET)
            .map_err(backend)?;
        // Merge once at the end, into a single segment: every query pays per segment (term
        // dictionary lookups, fuzzy automata, facet dictionaries).
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let iter = docs.into_iter();
        let (low, high) = iter.size_hint();
        let total = high.unwrap_or(low);
        let mut done = 0usize;
        progress(0, total);
        for doc in iter {
            writer
                .add_document(to_tantivy_doc(fields, &doc))
                .map_err(backend)?;
            done += 1;
            if done % 1_000 == 0 {
                progress(done, total.max(done));
            }
        }
        writer.commit().map_err(backend)?;
        let segments = index.searchable_segment_ids().map_err(backend)?;
        if segments.len() > 1 {
            writer.merge(&segments).wait().map_err(backend)?;
        }
        writer.wait_merging_threads().map_err(backend)?;
        progress(done, total.max(done));
        let generation = Generation::from_index(index, number, WRITER_BUDGET, 1)?;
        generation.reader.reload().map_err(backend)?;
        Ok((generation, done as u64))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&path);
    }
    result
}

// ---------------------------------------------------------------------------------------------
// Query building

/// Score unit of one word position: word i of n is worth `WORD_UNIT · 2^(n-1-i)`.
const WORD_UNIT: f32 = 128.0;

fn term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

fn scored(q: Box<dyn Query>, score: f32) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(q, score))
}

fn term_q(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(term(field, text), IndexRecordOption::Basic))
}

/// The query for one word: the best of how well it matches (exact accents > folded; name >
/// place > other > description; exact word > prefix > typo), as a [`WordQuery`] whose matcher
/// is the word in `all_f` (every folded word of the document), as a prefix for the last word,
/// with typos from 5 letters.
fn word_query(f: &Fields, w: &Word, weight: f32, last: bool) -> Box<dyn Query> {
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
    let prefix =
        || -> Box<dyn Query> { Box::new(FuzzyTermQuery::new_prefix(term(f.all_f, fw), 0, true)) };
    let (matcher, fallback): (Box<dyn Query>, f32) = match (last, typos) {
        // As-you-type: the last word also matches as a prefix (with typos from 5 letters).
        (true, 0) => (prefix(), weight + 2.0),
        (true, typos) => {
            alts.push((prefix(), weight + 2.0));
            (
                Box::new(FuzzyTermQuery::new_prefix(term(f.all_f, fw), typos, true)),
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
    Box::new(WordQuery::new(matcher, alts, fallback))
}

fn text_query(f: &Fields, words: &[Word], all_required: bool) -> Option<Box<dyn Query>> {
    let n = words.len();
    if n == 0 {
        return None;
    }
    let clauses = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let weight = WORD_UNIT * (1u32 << (n - 1 - i)) as f32;
            let occur = if i == 0 || all_required {
                Occur::Must
            } else {
                Occur::Should
            };
            (occur, word_query(f, w, weight, i + 1 == n))
        })
        .collect();
    Some(Box::new(BooleanQuery::new(clauses)))
}

fn i64_range(field: Field, lo: Option<i64>, hi: Option<i64>) -> Option<Box<dyn Query>> {
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

fn filter_clauses(f: &Fields, q: &SearchQuery) -> Vec<Box<dyn Query>> {
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
    if let Some(q) = i64_range(f.ocop_n, filters.min_ocop_stars.map(i64::from), None) {
        out.push(q);
    }
    if let Some(q) = i64_range(f.price_vnd, filters.price_min, filters.price_max) {
        out.push(q);
    }
    if let Some((a, b)) = filters.event_days {
        let (a, b) = (a.min(b), a.max(b));
        if let Some(q) = i64_range(f.event_days, Some(i64::from(a)), Some(i64::from(b))) {
            out.push(q);
        }
    }
    out
}

fn build_query(f: &Fields, q: &SearchQuery, words: &[Word], all_required: bool) -> Box<dyn Query> {
    let filters = filter_clauses(f, q);
    let text = text_query(f, words, all_required);
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
// Collecting: top-k by a sort key, exact count, facet counts, all in one pass.

type Facets = BTreeMap<String, BTreeMap<String, u64>>;

/// Compared lexicographically, larger first.
type SortKey = [i64; 4];

#[derive(Clone, Copy)]
enum KeyMode {
    /// Text relevance, then shorter name, then newest.
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
    Nearest(f64, f64),
}

struct TopCollector {
    /// False for browse/filter-only queries: every score is 0, so skip scoring.
    scoring: bool,
    mode: KeyMode,
    keep: usize,
    /// Facets to count, in [`FACETS`] order.
    facets: Vec<&'static str>,
}

struct FacetCounter {
    name: &'static str,
    /// At most one value per document: read with `first`, cheaper than `values_for_doc`.
    single: bool,
    column: StrColumn,
    counts: Vec<u64>,
}

struct TopSegment {
    mode: KeyMode,
    keep: usize,
    /// Candidates; pruned to the best `keep` (quickselect) whenever it doubles.
    buffer: Vec<(SortKey, DocId)>,
    /// The smallest key kept by the last prune: anything not above it cannot enter the top-k.
    threshold: Option<SortKey>,
    count: u64,
    id: Column<i64>,
    slug: Option<StrColumn>,
    price: Column<i64>,
    published: Column<i64>,
    name_len: Column<u64>,
    lat: Column<f64>,
    lng: Column<f64>,
    facets: Vec<FacetCounter>,
    /// Scratch space for reading a block of single-valued ordinals at once.
    ords: Vec<Option<u64>>,
}

struct SegmentFruit {
    hits: Vec<(SortKey, SearchHit)>,
    count: u64,
    facets: Vec<(&'static str, BTreeMap<String, u64>)>,
}

fn quantize(score: Score) -> i64 {
    (f64::from(score) * 16.0).round() as i64
}

/// Distance in metres (haversine).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lng1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lng2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lng2 - lng1) / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().min(1.0).asin()
}

impl TopSegment {
    fn prune(&mut self) {
        if self.buffer.len() > self.keep && self.keep > 0 {
            self.buffer
                .select_nth_unstable_by(self.keep - 1, |a, b| b.0.cmp(&a.0));
            self.buffer.truncate(self.keep);
            self.threshold = self.buffer.iter().map(|e| e.0).min();
        }
    }

    /// The first key component, cheap (from the score only) for every mode.
    fn head(&self, score: Score) -> i64 {
        match self.mode {
            KeyMode::Relevance => quantize(score),
            _ => (f64::from(score) / f64::from(WORD_UNIT)).floor() as i64,
        }
    }

    /// The full key; the last component is the negated doc id so ties are deterministic.
    fn key(&self, head: i64, doc: DocId, score: Score) -> SortKey {
        let rel = quantize(score);
        let tie = -i64::from(doc);
        match self.mode {
            KeyMode::Relevance => [
                head,
                -(self.name_len.first(doc).unwrap_or(0) as i64),
                self.published.first(doc).unwrap_or(0),
                tie,
            ],
            KeyMode::Newest => [head, self.published.first(doc).unwrap_or(0), rel, tie],
            KeyMode::PriceAsc => [
                head,
                self.price.first(doc).map_or(i64::MIN, |p| -p),
                rel,
                tie,
            ],
            KeyMode::PriceDesc => [head, self.price.first(doc).unwrap_or(i64::MIN), rel, tie],
            KeyMode::Nearest(lat, lng) => {
                let d = match (self.lat.first(doc), self.lng.first(doc)) {
                    (Some(a), Some(b)) => -(distance_m((lat, lng), (a, b)) as i64),
                    _ => i64::MIN,
                };
                [head, d, rel, tie]
            }
        }
    }
}

impl TopSegment {
    fn count_facets(&mut self, doc: DocId) {
        for facet in &mut self.facets {
            if facet.single {
                if let Some(ord) = facet.column.ords().first(doc) {
                    if let Some(c) = facet.counts.get_mut(ord as usize) {
                        *c += 1;
                    }
                }
            } else {
                for ord in facet.column.ords().values_for_doc(doc) {
                    if let Some(c) = facet.counts.get_mut(ord as usize) {
                        *c += 1;
                    }
                }
            }
        }
    }

    /// Offers one matching document to the top-k.
    fn consider(&mut self, doc: DocId, score: Score) {
        if self.keep == 0 {
            return;
        }
        let head = self.head(score);
        if let Some(threshold) = &self.threshold {
            // Cheap early-out on the first component, then on the whole key.
            if head < threshold[0] {
                return;
            }
        }
        let key = self.key(head, doc, score);
        if let Some(threshold) = &self.threshold {
            if key <= *threshold {
                return;
            }
        }
        self.buffer.push((key, doc));
        if self.buffer.len() >= 2 * self.keep + 16 {
            self.prune();
        }
    }
}

impl SegmentCollector for TopSegment {
    type Fruit = Result<SegmentFruit, String>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.count += 1;
        self.count_facets(doc);
        self.consider(doc, score);
    }

    /// Unscored queries (browse, filters only) hand over blocks of documents: single-valued
    /// facet ordinals are then read a block at a time.
    fn collect_block(&mut self, docs: &[DocId]) {
        self.count += docs.len() as u64;
        if self.ords.len() < docs.len() {
            self.ords.resize(docs.len(), None);
        }
        let ords = &mut self.ords[..docs.len()];
        for facet in &mut self.facets {
            if facet.single {
                facet.column.ords().first_vals(docs, ords);
                for ord in ords.iter().flatten() {
                    if let Some(c) = facet.counts.get_mut(*ord as usize) {
                        *c += 1;
                    }
                }
            } else {
                for &doc in docs {
                    for ord in facet.column.ords().values_for_doc(doc) {
                        if let Some(c) = facet.counts.get_mut(ord as usize) {
                            *c += 1;
                        }
                    }
                }
            }
        }
        for &doc in docs {
            self.consider(doc, 0.0);
        }
    }

    fn harvest(mut self) -> Self::Fruit {
        self.prune();
        let mut hits = Vec::with_capacity(self.buffer.len());
        let mut buf = String::new();
        for (key, doc) in std::mem::take(&mut self.buffer) {
            let id = self.id.first(doc).unwrap_or(0);
            let mut slug = String::new();
            if let Some(col) = &self.slug {
                if let Some(ord) = col.ords().first(doc) {
                    buf.clear();
                    if col.ord_to_str(ord, &mut buf).map_err(|e| e.to_string())? {
                        slug = buf.clone();
                    }
                }
            }
            hits.push((key, SearchHit { id, slug }));
        }
        let mut facets = Vec::with_capacity(self.facets.len());
        for facet in self.facets {
            // One pass over the dictionary in ordinal order, not one lookup per value.
            let counted: Vec<(u64, u64)> = facet
                .counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(ord, c)| (ord as u64, *c))
                .collect();
            let mut map = BTreeMap::new();
            let mut next = counted.iter();
            facet
                .column
                .dictionary()
                .sorted_ords_to_term_cb(counted.iter().map(|e| e.0), |bytes| {
                    if let Some((_, count)) = next.next() {
                        map.insert(String::from_utf8_lossy(bytes).into_owned(), *count);
                    }
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
            facets.push((facet.name, map));
        }
        Ok(SegmentFruit {
            hits,
            count: self.count,
            facets,
        })
    }
}

struct CollectedTop {
    hits: Vec<(SortKey, SearchHit)>,
    count: u64,
    facets: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Collector for TopCollector {
    type Fruit = CollectedTop;
    type Child = TopSegment;

    fn for_segment(&self, _ord: u32, seg: &SegmentReader) -> tantivy::Result<TopSegment> {
        let ff = seg.fast_fields();
        let mut facets = Vec::new();
        for &name in &self.facets {
            if let Some(column) = ff.str(name)? {
                let counts = vec![0; column.num_terms()];
                let single = !matches!(
                    column.ords().get_cardinality(),
                    tantivy::columnar::Cardinality::Multivalued
                );
                facets.push(FacetCounter {
                    name,
                    single,
                    column,
                    counts,
                });
            }
        }
        Ok(TopSegment {
            mode: self.mode,
            keep: self.keep,
            buffer: Vec::with_capacity(2 * self.keep + 16),
            threshold: None,
            count: 0,
            id: ff.i64("id")?,
            slug: ff.str("slug")?,
            price: ff.i64("price_vnd")?,
            published: ff.i64("published_at")?,
            name_len: ff.u64("name_len")?,
            lat: ff.f64("lat")?,
            lng: ff.f64("lng")?,
            facets,
            ords: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scoring
    }

    fn merge_fruits(
        &self,
        fruits: Vec<Result<SegmentFruit, String>>,
    ) -> tantivy::Result<CollectedTop> {
        let mut hits = Vec::new();
        let mut count = 0;
        let mut facets: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for name in &self.facets {
            facets.insert((*name).to_owned(), BTreeMap::new());
        }
        for fruit in fruits {
            let fruit = fruit.map_err(tantivy::TantivyError::InternalError)?;
            hits.extend(fruit.hits);
            count += fruit.count;
            for (name, map) in fruit.facets {
                let into = facets.entry(name.to_owned()).or_default();
                for (value, c) in map {
                    *into.entry(value).or_default() += c;
                }
            }
        }
        hits.sort_by_key(|h| Reverse(h.0));
        hits.truncate(self.keep);
        Ok(CollectedTop {
            hits,
            count,
            facets,
        })
    }
}

fn search_generation(
    generation: &Generation,
    fields: &Fields,
    q: &SearchQuery,
) -> Result<SearchResults, SearchError> {
    let words = analyze::query_words(&q.text);
    let limit = q.limit.min(MAX_LIMIT);
    let offset = q.offset.min(MAX_OFFSET);
    let mode = match (q.sort, q.near) {
        (SortOrder::Relevance, _) if words.is_empty() => KeyMode::Newest,
        (SortOrder::Relevance, _) => KeyMode::Relevance,
        (SortOrder::Newest, _) => KeyMode::Newest,
        (SortOrder::PriceAsc, _) => KeyMode::PriceAsc,
        (SortOrder::PriceDesc, _) => KeyMode::PriceDesc,
        (SortOrder::Nearest, Some((lat, lng))) => KeyMode::Nearest(lat, lng),
        (SortOrder::Nearest, None) if words.is_empty() => KeyMode::Newest,
        (SortOrder::Nearest, None) => KeyMode::Relevance,
    };
    let keep = if limit == 0 { 0 } else { offset + limit };
    let searcher = generation.reader.searcher();
    let whole_index = words.is_empty() && filter_clauses(fields, q).is_empty();
    let facet_names = q.facet_names();
    let cached_facets = !facet_names.is_empty() && whole_index;
    let collector = TopCollector {
        scoring: !words.is_empty(),
        mode,
        keep,
        facets: if cached_facets {
            Vec::new()
        } else {
            facet_names.clone()
        },
    };
    let run = |all_required: bool| {
        let query = build_query(fields, q, &words, all_required);
        searcher.search(&*query, &collector).map_err(backend)
    };
    // Like Meilisearch's `last` strategy: documents matching every word when there are enough
    // of them; otherwise the last words are progressively optional (ranked below full matches).
    let mut top = if words.len() > 1 {
        let strict = run(true)?;
        if strict.count as usize >= keep.max(1) {
            strict
        } else {
            run(false)?
        }
    } else {
        run(false)?
    };
    if cached_facets {
        let mut all = whole_index_facets(generation, &searcher)?;
        all.retain(|name, _| facet_names.contains(&name.as_str()));
        top.facets = all;
    }
    Ok(SearchResults {
        hits: top
            .hits
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(_, hit)| hit)
            .collect(),
        total: top.count,
        facets: top.facets,
        explain: Default::default(),
    })
}

fn whole_index_facets(
    generation: &Generation,
    searcher: &tantivy::Searcher,
) -> Result<Facets, SearchError> {
    let id = searcher.generation().generation_id();
    let lock_err = |_| SearchError::Backend("facet cache lock poisoned".into());
    if let Some((cached_id, facets)) = &*generation.facet_cache.lock().map_err(lock_err)? {
        if *cached_id == id {
            return Ok(facets.clone());
        }
    }
    let collector = TopCollector {
        scoring: false,
        mode: KeyMode::Newest,
        keep: 0,
        facets: FACETS.to_vec(),
    };
    let facets = searcher
        .search(&AllQuery, &collector)
        .map_err(backend)?
        .facets;
    *generation.facet_cache.lock().map_err(lock_err)? = Some((id, facets.clone()));
    Ok(facets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_is_sane() {
        // Hồng Thái → Khau Mút, about 12 km.
        let d = distance_m((22.4055, 105.4468), (22.392, 105.328));
        assert!((11_000.0..13_500.0).contains(&d), "{d}");
        assert_eq!(distance_m((1.0, 2.0), (1.0, 2.0)), 0.0);
    }
}
