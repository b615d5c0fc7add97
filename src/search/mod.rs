//! Search: one interface over the embedded tantivy index and Meilisearch. Knows nothing of HTTP or SQL.
//!
//! The database is the source of truth; documents here are derived from published listings only
//! and can always be rebuilt (`vungcao reindex`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the index holds for one published listing. Built by the catalogue from the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchDocument {
    pub id: i64,
    pub slug: String,
    /// `product`, `experience` or `event`.
    pub kind: String,
    pub name_vi: String,
    pub name_en: Option<String>,
    pub description_vi: String,
    pub description_en: Option<String>,
    pub category_code: String,
    pub category_name_vi: String,
    /// The listing's place code.
    pub place_code: String,
    /// The place's code and every ancestor's code (commune, former district, province):
    /// filtering by any of them finds the listing.
    pub place_path: Vec<String>,
    /// Names and aliases of the place and its ancestors ("Na Hang", "huyện Na Hang", "Tuyên Quang").
    pub place_names: Vec<String>,
    pub cooperative_slug: String,
    pub cooperative_name: String,
    pub price_vnd: Option<i64>,
    pub ocop_stars: Option<i16>,
    /// Certification codes: `vietgap`, `globalgap`, `organic`, `geographical_indication`.
    pub certifications: Vec<String>,
    /// 1..=12.
    pub season_months: Vec<u8>,
    /// For events: days (days since 1970-01-01) covered by the occurrences from last year to a few
    /// years ahead, so "events between A and B" is a range filter on any value.
    pub event_days: Vec<i32>,
    pub lat: f64,
    pub lng: f64,
    /// Unix seconds.
    pub published_at: i64,
}

/// A published product listing named `name`, in Tuyên Quang, with nothing else set (unit tests
/// override what they need).
#[cfg(test)]
pub(crate) fn sample_document(id: i64, name: &str) -> SearchDocument {
    SearchDocument {
        id,
        slug: crate::text::slugify(name),
        kind: "product".into(),
        name_vi: name.into(),
        name_en: None,
        description_vi: String::new(),
        description_en: None,
        category_code: "x".into(),
        category_name_vi: "Đặc sản".into(),
        place_code: "TQ".into(),
        place_path: vec!["TQ".into()],
        place_names: vec!["Tuyên Quang".into()],
        cooperative_slug: "htx".into(),
        cooperative_name: "HTX Vùng Cao".into(),
        price_vnd: None,
        ocop_stars: None,
        certifications: vec![],
        season_months: vec![],
        event_days: vec![],
        lat: 0.0,
        lng: 0.0,
        published_at: id,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
    /// Needs `near`.
    Nearest,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchFilters {
    pub kind: Option<String>,
    pub category: Option<String>,
    /// Any place code: a commune, a former district or a province (matches `place_path`).
    pub place: Option<String>,
    pub cooperative: Option<String>,
    pub min_ocop_stars: Option<i16>,
    pub certification: Option<String>,
    /// 1..=12
    pub in_season_month: Option<u8>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    /// Inclusive day range (days since epoch) an event must overlap.
    pub event_days: Option<(i32, i32)>,
    /// In season in any of these months (1..=12; empty: no condition). Set by the query
    /// understanding for "mùa thu", "dịp tết".
    pub season_any: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// What the shopper typed, raw. Never handed to an engine's query parser unescaped.
    pub text: String,
    pub filters: SearchFilters,
    pub sort: SortOrder,
    pub near: Option<(f64, f64)>,
    pub offset: usize,
    pub limit: usize,
    /// Compute facet counts (kind, category, place, cooperative, ocop_stars, certifications, season_months).
    pub facets: bool,
    /// With `facets`, only these facets (names from [`limits::FACETS`]; unknown names are
    /// ignored). `None`: all of them. Counting fewer facets is cheaper on large result sets.
    pub facet_fields: Option<Vec<String>>,
    /// Which places the place facet (`place_path`) must count: a bound on the work, not a
    /// filter (an engine may count more; Meilisearch counts every place anyway).
    pub place_counts: PlaceCounts,
}

/// The places a caller of the place facet reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum PlaceCounts {
    /// Every province, former district and commune.
    #[default]
    Every,
    /// The provinces and former districts, and the communes under `open` (a former district's
    /// code): what the search page's filter offers. The communes are most of the places (a
    /// thousand in a real province), each a name made and freed per search.
    Regions { open: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub id: i64,
    pub slug: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Total matching documents (exact for tantivy, Meilisearch's estimate otherwise).
    pub total: u64,
    /// facet name → value → count.
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
    /// How the query was understood and which readings found what.
    pub explain: understand::Explain,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search backend unavailable: {0}")]
    Unavailable(String),
    #[error("search backend failed: {0}")]
    Backend(String),
}

pub mod analyze;
pub mod embedded;
pub mod limits;
pub mod meili;
mod meili_http;
pub mod synthetic;
pub mod understand;
mod word_query;

pub use embedded::TantivyIndex;

/// Whether a rebuild refreshes the query-understanding vocabulary along with the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    /// Yes: this process goes on searching with it (a server, `POST /api/v1/admin/reindex`).
    Rebuild,
    /// No: this process exits after the rebuild (`vungcao reindex`, `restore`); a server builds
    /// its own at start-up. Building it was about 40 % of `vungcao reindex`'s CPU time.
    Skip,
}
pub use meili::MeiliIndex;

use std::path::Path;
use std::sync::{Arc, Mutex};

pub(crate) fn poisoned() -> SearchError {
    SearchError::Backend("search vocabulary lock poisoned".into())
}

impl SearchQuery {
    /// A relevance query for `text` with no filters: first page of 20, no facets.
    pub fn text(text: impl Into<String>) -> SearchQuery {
        SearchQuery {
            text: text.into(),
            filters: SearchFilters::default(),
            sort: SortOrder::Relevance,
            near: None,
            offset: 0,
            limit: 20,
            facets: false,
            facet_fields: None,
            place_counts: Default::default(),
        }
    }

    /// The facets to count for this query, in [`limits::FACETS`] order (empty without `facets`).
    pub fn facet_names(&self) -> Vec<&'static str> {
        if !self.facets {
            return Vec::new();
        }
        match &self.facet_fields {
            None => limits::FACETS.to_vec(),
            Some(wanted) => limits::FACETS
                .into_iter()
                .filter(|name| wanted.iter().any(|w| w == name))
                .collect(),
        }
    }
}

/// The one search interface: the embedded tantivy index (default) or Meilisearch.
pub enum SearchIndex {
    Tantivy(TantivyIndex),
    Meili(MeiliIndex),
}

impl SearchIndex {
    /// Opens (or creates) the embedded index in `dir` (`<data_dir>/search`).
    pub fn open_tantivy(dir: &Path) -> Result<SearchIndex, SearchError> {
        Ok(SearchIndex::Tantivy(TantivyIndex::open(dir)?))
    }

    /// Connects to Meilisearch, creating `index_uid` if needed and applying the index settings
    /// (waits for the settings task).
    pub async fn connect_meili(
        url: &str,
        api_key: Option<String>,
        index_uid: &str,
    ) -> Result<SearchIndex, SearchError> {
        Ok(SearchIndex::Meili(
            MeiliIndex::connect(url, api_key, index_uid).await?,
        ))
    }

    /// `"tantivy"` or `"meilisearch"`.
    pub fn backend_name(&self) -> &'static str {
        match self {
            SearchIndex::Tantivy(_) => "tantivy",
            SearchIndex::Meili(_) => "meilisearch",
        }
    }

    /// Whether several processes may serve from this one index (Meilisearch): each then keeps
    /// its vocabulary current with what the others indexed (`indexer::Follower`). An embedded
    /// index is one process's own.
    pub fn is_shared(&self) -> bool {
        matches!(self, SearchIndex::Meili(_))
    }

    /// The vocabulary the query understanding reads (built from the indexed documents).
    pub fn vocabulary(&self) -> &understand::SharedVocabulary {
        match self {
            SearchIndex::Tantivy(i) => &i.vocabulary,
            SearchIndex::Meili(i) => &i.vocabulary,
        }
    }

    /// Replaces the vocabulary (the indexer loads it from the database at start-up, when the
    /// index was built by an earlier process).
    pub fn set_vocabulary(&self, vocabulary: understand::Vocabulary) -> Result<(), SearchError> {
        *self.vocabulary().write().map_err(|_| poisoned())? = vocabulary;
        Ok(())
    }

    /// Adds or replaces documents by id (idempotent); visible to searches once this returns.
    pub async fn upsert(&self, docs: Vec<SearchDocument>) -> Result<(), SearchError> {
        let for_vocabulary = docs.clone();
        match self {
            SearchIndex::Tantivy(i) => i.upsert(docs).await?,
            SearchIndex::Meili(i) => i.upsert(docs).await?,
        }
        self.learn(&for_vocabulary, &[])
    }

    /// Removes documents by listing id (idempotent, batched).
    pub async fn delete(&self, ids: &[i64]) -> Result<(), SearchError> {
        match self {
            SearchIndex::Tantivy(i) => i.delete(ids).await?,
            SearchIndex::Meili(i) => i.delete(ids).await?,
        }
        self.learn(&[], ids)
    }

    /// Brings the vocabulary, and only it, up to date with documents indexed (`docs`) or taken
    /// out (`gone`), by this process or by another serving from the same index.
    pub fn learn(&self, docs: &[SearchDocument], gone: &[i64]) -> Result<(), SearchError> {
        let mut v = self.vocabulary().write().map_err(|_| poisoned())?;
        for d in docs {
            v.add(d);
        }
        for id in gone {
            v.remove(*id);
        }
        Ok(())
    }

    /// One engine search, as the query says, without the understanding layer.
    pub async fn search_raw(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        match self {
            SearchIndex::Tantivy(i) => i.search(query).await,
            SearchIndex::Meili(i) => i.search(query).await,
        }
    }

    /// A shopper's search: the query is understood ([`understand::plan`]) and its readings run
    /// on the engine, then combined. Both backends run the very same plan.
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        let mut plan = {
            let v = self.vocabulary().read().map_err(|_| poisoned())?;
            understand::plan(query, &v)
        };
        let mut answers = Vec::with_capacity(plan.steps.len());
        for i in 0..plan.steps.len() {
            let answer = if plan.ready(i, &answers, self.vocabulary()) {
                Some(self.search_raw(&plan.steps[i].query).await?)
            } else {
                None
            };
            answers.push(answer);
        }
        Ok(plan.merge(answers))
    }

    /// Builds a fresh index from `docs` and swaps it in atomically: searches see the old index
    /// until then, never an empty or partial one. Writes wait while a rebuild runs. `progress`
    /// gets `(done, total)`, `total` from the iterator's size hint. Returns the documents indexed.
    pub async fn rebuild<I, F>(&self, docs: I, progress: F) -> Result<u64, SearchError>
    where
        I: IntoIterator<Item = SearchDocument> + Send + 'static,
        I::IntoIter: Send,
        F: FnMut(usize, usize) + Send + 'static,
    {
        match self {
            SearchIndex::Tantivy(i) => i.rebuild(docs, progress).await,
            SearchIndex::Meili(i) => i.rebuild(docs, progress).await,
        }
    }

    /// [`Self::rebuild`] with a last word before the swap: `complete` fails the rebuild (and keeps
    /// the old index) when the document source broke off midway. `vocabulary` says whether the
    /// query-understanding vocabulary is rebuilt from the same documents too.
    pub async fn rebuild_checked<I, F, C>(
        &self,
        docs: I,
        progress: F,
        complete: C,
        vocabulary: Vocabulary,
    ) -> Result<u64, SearchError>
    where
        I: IntoIterator<Item = SearchDocument> + Send + 'static,
        I::IntoIter: Send,
        F: FnMut(usize, usize) + Send + 'static,
        C: FnOnce() -> Result<(), SearchError>,
    {
        // The vocabulary is rebuilt from the same documents and swapped in with the index.
        let fresh = (vocabulary == Vocabulary::Rebuild)
            .then(|| Arc::new(Mutex::new(understand::Vocabulary::new())));
        let sink = fresh.clone();
        let docs = docs.into_iter().inspect(move |d| {
            if let Some(Ok(mut v)) = sink.as_ref().map(|v| v.lock()) {
                v.add(d);
            }
        });
        let n = match self {
            SearchIndex::Tantivy(i) => i.rebuild_checked(docs, progress, complete).await?,
            SearchIndex::Meili(i) => i.rebuild_checked(docs, progress, complete).await?,
        };
        if let Some(fresh) = fresh {
            let mut built = std::mem::take(&mut *fresh.lock().map_err(|_| poisoned())?);
            built.shrink();
            self.set_vocabulary(built)?;
        }
        Ok(n)
    }

    /// Every indexed listing id, sorted (for `vungcao check`).
    pub async fn all_ids(&self) -> Result<Vec<i64>, SearchError> {
        match self {
            SearchIndex::Tantivy(i) => i.all_ids().await,
            SearchIndex::Meili(i) => i.all_ids().await,
        }
    }

    pub async fn doc_count(&self) -> Result<u64, SearchError> {
        match self {
            SearchIndex::Tantivy(i) => i.doc_count().await,
            SearchIndex::Meili(i) => i.doc_count().await,
        }
    }

    /// Whether the index on disk is of an older schema and must be rebuilt before it is used.
    pub fn needs_rebuild(&self) -> bool {
        matches!(self, SearchIndex::Tantivy(t) if t.needs_rebuild())
    }
}
