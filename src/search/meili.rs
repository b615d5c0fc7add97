//! Meilisearch backend: settings applied at start-up, every write awaited as a task, swap-based reindex.
//!
//! Documents carry folded text (`name`, `places`, `other`, `description`) and exact-diacritic
//! markers (`name_x`, `rest_x`, see [`super::analyze`]) that Meilisearch cannot fold away. A
//! relevance search is the folded query (`matchingStrategy: last`, with facets and total); with
//! accented words, their exact spellings are put first in the cheapest way the catalogue's words
//! allow ([`exact_for`]): nothing more when the folded query already does it, their markers
//! appended to the one query when the catalogue also writes them otherwise, or, when that would
//! cost the last word its prefix matches, an exact query (`all`) sent side by side whose hits
//! go first.

use super::analyze::{self, DocText};
use super::limits::{MAX_FACET_VALUES, MAX_LIMIT, MAX_OFFSET};
use super::meili_http::MeiliHttp;
use super::understand::{Spelled, Vocabulary};
use super::{
    SearchDocument, SearchError, SearchFilters, SearchHit, SearchQuery, SearchResults, SortOrder,
};
use meilisearch_sdk::client::{Client, SwapIndexes};
use meilisearch_sdk::documents::DocumentsQuery;
use meilisearch_sdk::errors::{Error as MeiliError, ErrorCode};
use meilisearch_sdk::indexes::Index;
use meilisearch_sdk::request::HttpClient as _;
use meilisearch_sdk::search::{MatchingStrategies, Selectors};
use meilisearch_sdk::settings::{
    FacetingSettings, MinWordSizeForTypos, PaginationSetting, Settings, TypoToleranceSettings,
};
use meilisearch_sdk::task_info::TaskInfo;
use meilisearch_sdk::tasks::Task;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// Documents per write request.
const BATCH: usize = 1_000;
/// Documents per addition task during a rebuild (all enqueued before waiting).
const REBUILD_BATCH: usize = 5_000;
/// Meilisearch never returns hits past this many (its `pagination.maxTotalHits`).
const MAX_TOTAL_HITS: usize = 1_000;
const POLL: Duration = Duration::from_millis(50);
const WRITE_TIMEOUT: Duration = Duration::from_secs(120);
const SETTINGS_TIMEOUT: Duration = Duration::from_secs(600);

/// Searchable attributes, most important first.
pub const SEARCHABLE: [&str; 6] = ["name_x", "name", "places", "other", "rest_x", "description"];
pub const FILTERABLE: [&str; 9] = [
    "kind",
    "category_code",
    "place_path",
    "cooperative_slug",
    "ocop_stars",
    "certifications",
    "season_months",
    "price_vnd",
    "event_days",
];
pub const SORTABLE: [&str; 3] = ["price_vnd", "published_at", "_geo"];
/// `sort` right after `words`: an explicit sort orders each "matched words" bucket.
pub const RANKING_RULES: [&str; 6] = [
    "words",
    "sort",
    "typo",
    "proximity",
    "attribute",
    "exactness",
];

fn unavailable(e: impl std::fmt::Display) -> SearchError {
    SearchError::Unavailable(e.to_string())
}

fn map_err(e: MeiliError) -> SearchError {
    match e {
        MeiliError::Meilisearch(m) => SearchError::Backend(m.to_string()),
        MeiliError::Timeout => SearchError::Unavailable("meilisearch task timed out".into()),
        other => unavailable(other),
    }
}

/// Word proximity is only told apart by attribute (same field or not), not by word distance.
/// Listing names are a few words, so ranking barely changes; indexing skips the word-pair
/// proximity database, about half of Meilisearch's work when it ingests the catalogue.
pub const PROXIMITY_PRECISION: &str = "byAttribute";

/// The index settings the app owns.
pub fn index_settings() -> Settings {
    Settings::new()
        .with_searchable_attributes(SEARCHABLE)
        .with_proximity_precision(PROXIMITY_PRECISION)
        .with_filterable_attributes(FILTERABLE)
        .with_sortable_attributes(SORTABLE)
        .with_ranking_rules(RANKING_RULES)
        .with_displayed_attributes(["id", "slug"])
        .with_typo_tolerance(TypoToleranceSettings {
            enabled: Some(true),
            // Markers must match exactly, or "lê" would match "lễ" with one typo.
            disable_on_attributes: Some(vec!["name_x".into(), "rest_x".into()]),
            disable_on_words: None,
            min_word_size_for_typos: Some(MinWordSizeForTypos {
                one_typo: Some(5),
                two_typos: Some(9),
            }),
            disable_on_numbers: None,
        })
        .with_faceting(FacetingSettings {
            max_values_per_facet: MAX_FACET_VALUES,
            sort_facet_values_by: None,
        })
        .with_pagination(PaginationSetting {
            max_total_hits: MAX_TOTAL_HITS,
        })
}

#[derive(Debug, Serialize, Deserialize, Clone, Copy, PartialEq)]
pub struct Geo {
    pub lat: f64,
    pub lng: f64,
}

/// What Meilisearch stores for one listing.
#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct MeiliDocument {
    pub id: i64,
    pub slug: String,
    pub kind: String,
    pub category_code: String,
    pub place_path: Vec<String>,
    pub cooperative_slug: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocop_stars: Option<i16>,
    pub certifications: Vec<String>,
    pub season_months: Vec<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_vnd: Option<i64>,
    pub event_days: Vec<i32>,
    pub published_at: i64,
    pub _geo: Geo,
    pub name_x: String,
    pub name: String,
    pub places: String,
    pub other: String,
    pub rest_x: String,
    pub description: String,
}

impl From<&SearchDocument> for MeiliDocument {
    fn from(doc: &SearchDocument) -> Self {
        let t = DocText::of(doc);
        MeiliDocument {
            id: doc.id,
            slug: doc.slug.clone(),
            kind: doc.kind.clone(),
            category_code: doc.category_code.clone(),
            place_path: doc.place_path.clone(),
            cooperative_slug: doc.cooperative_slug.clone(),
            ocop_stars: doc.ocop_stars,
            certifications: doc.certifications.clone(),
            season_months: doc.season_months.clone(),
            price_vnd: doc.price_vnd,
            event_days: doc.event_days.clone(),
            published_at: doc.published_at,
            _geo: Geo {
                lat: doc.lat,
                lng: doc.lng,
            },
            name_x: analyze::marker_text(&t.name),
            name: analyze::folded_text(&t.name),
            places: analyze::folded_text(&t.places),
            other: analyze::folded_text(&t.other),
            rest_x: rest_markers(&t),
            description: analyze::folded_text(&t.description),
        }
    }
}

/// The markers of the accented words outside the name, each once, none already in the name's
/// (`name_x`): Meilisearch matches a query word in any attribute, and with proximity told apart
/// by attribute only, a repeated word adds indexing work and nothing else (about a third of the
/// markers of a synthetic listing, its place names and the name again in the description).
fn rest_markers(t: &DocText) -> String {
    let mut seen: HashSet<&str> = t.name.iter().map(|w| w.marker.as_str()).collect();
    let mut out = String::new();
    for w in t.places.iter().chain(&t.other).chain(&t.description) {
        if w.accented() && seen.insert(w.marker.as_str()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&w.marker);
        }
    }
    out
}

/// A filter string value, quoted, with `"` and `\` escaped.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The `filter` expression for our filters, or `None`.
pub fn filter_expression(f: &SearchFilters) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let equals = [
        ("kind", &f.kind),
        ("category_code", &f.category),
        ("place_path", &f.place),
        ("cooperative_slug", &f.cooperative),
        ("certifications", &f.certification),
    ];
    for (attr, value) in equals {
        if let Some(v) = value {
            parts.push(format!("{attr} = {}", quote(v)));
        }
    }
    if let Some(stars) = f.min_ocop_stars {
        parts.push(format!("ocop_stars >= {stars}"));
    }
    if let Some(m) = f.in_season_month {
        parts.push(format!("season_months = {m}"));
    }
    if !f.season_any.is_empty() {
        let months: Vec<String> = f.season_any.iter().map(u8::to_string).collect();
        parts.push(format!("season_months IN [{}]", months.join(", ")));
    }
    match (f.price_min, f.price_max) {
        (Some(a), Some(b)) => parts.push(format!("price_vnd {a} TO {b}")),
        (Some(a), None) => parts.push(format!("price_vnd >= {a}")),
        (None, Some(b)) => parts.push(format!("price_vnd <= {b}")),
        (None, None) => {}
    }
    if let Some((a, b)) = f.event_days {
        parts.push(format!("event_days {} TO {}", a.min(b), a.max(b)));
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(" AND "))
    }
}

/// One search request, owned (the SDK's query borrows from it).
#[derive(Debug, Clone, PartialEq)]
pub struct MeiliRequest {
    pub q: String,
    pub filter: Option<String>,
    pub sort: Vec<String>,
    pub facets: bool,
    /// The facets to ask for when `facets`.
    pub facet_names: Vec<&'static str>,
    pub offset: usize,
    pub limit: usize,
    pub match_all: bool,
}

/// What to send for a [`SearchQuery`]: the main query and, for accented relevance queries, the
/// exact-marker query whose hits go first.
#[derive(Debug, Clone, PartialEq)]
pub struct MeiliPlan {
    pub main: MeiliRequest,
    pub exact: Option<MeiliRequest>,
    pub offset: usize,
    pub limit: usize,
}

/// How the exact spellings of an accented relevance query are put first ([`exact_for`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exact {
    /// Nothing to do: the folded query alone puts them first, or no listing has them.
    Unneeded,
    /// These markers go after the folded words of the one query. With `matchingStrategy: last`
    /// the `words` rule ranks the listings holding every term first (the exact spellings), then
    /// those missing the last markers, then the folded query's own buckets: the markers are
    /// dropped before any folded word is. Measured on 100 000 listings ("che shan tuyet" +
    /// the marker of "chè"): 2.9 ms against 2.4 ms for the folded query alone and 3.0 / 4.8 ms
    /// (p50 / p95) for it and the exact query sent at once.
    Appended(Vec<String>),
    /// A second query, every accented word as its marker (`matchingStrategy: all`), whose hits
    /// go first: when appended markers would cost the last word its prefix matches.
    Query,
}

/// The plan for a query; `exact` is asked how to rank exact spellings first when the query is a
/// relevance query with accented words (see [`exact_for`]).
pub fn plan(query: &SearchQuery, exact: impl FnOnce(&[analyze::Word]) -> Exact) -> MeiliPlan {
    let words = analyze::query_words(&query.text);
    let limit = query.limit.min(MAX_LIMIT);
    let offset = query.offset.min(MAX_OFFSET);
    let sort = match (query.sort, query.near) {
        (SortOrder::PriceAsc, _) => vec!["price_vnd:asc".to_owned()],
        (SortOrder::PriceDesc, _) => vec!["price_vnd:desc".to_owned()],
        (SortOrder::Newest, _) => vec!["published_at:desc".to_owned()],
        (SortOrder::Nearest, Some((lat, lng))) => vec![format!("_geoPoint({lat}, {lng}):asc")],
        (SortOrder::Relevance | SortOrder::Nearest, _) if words.is_empty() => {
            vec!["published_at:desc".to_owned()]
        }
        _ => Vec::new(),
    };
    let filter = filter_expression(&query.filters);
    let how = if sort.is_empty() && words.iter().any(analyze::Word::accented) && limit > 0 {
        exact(&words)
    } else {
        Exact::Unneeded
    };
    let mut main_q = analyze::folded_text(&words);
    let exact = match how {
        Exact::Unneeded => None,
        Exact::Appended(markers) => {
            for m in markers {
                main_q.push(' ');
                main_q.push_str(&m);
            }
            None
        }
        Exact::Query => Some(MeiliRequest {
            q: words
                .iter()
                .map(|w| {
                    if w.accented() {
                        w.marker.as_str()
                    } else {
                        w.folded.as_str()
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            filter: filter.clone(),
            sort: Vec::new(),
            facets: false,
            facet_names: Vec::new(),
            offset: 0,
            limit: (offset + limit).min(MAX_TOTAL_HITS),
            match_all: true,
        }),
    };
    // With an exact query the page is cut after merging: the main query's first `offset +
    // limit` hits hold at least as many new ones as the exact hits leave room for.
    let (main_offset, main_limit) = if exact.is_some() {
        (0, (offset + limit).min(MAX_TOTAL_HITS))
    } else {
        (offset, limit)
    };
    MeiliPlan {
        main: MeiliRequest {
            q: main_q,
            filter,
            sort,
            facets: query.facets,
            facet_names: query.facet_names(),
            offset: main_offset,
            limit: main_limit,
            match_all: false,
        },
        exact,
        offset,
        limit,
    }
}

/// How to put the exact spellings of `words` first, judged on the catalogue's words
/// (`vocabulary`, kept with the index):
/// - [`Exact::Unneeded`] when some accented word is written that way by no listing (nothing
///   has every exact spelling), or when each accented word is the only way the catalogue writes
///   its fold and the last word (matched as a prefix) starts no other catalogue word: the folded
///   query's first bucket (every word, no typo: `words` then `typo` lead the ranking rules) is
///   then exactly the listings with the exact spellings. (Where a listing has the exact
///   spellings and a typo in another word, it ranks among the folded query's typo matches,
///   not before them as the exact query put it.)
/// - [`Exact::Appended`] with the markers of the words the catalogue also writes otherwise, when
///   the last word starts no other catalogue word (appended markers make it an ordinary word,
///   no longer a prefix) and the query stays within Meilisearch's ten words.
/// - [`Exact::Query`] otherwise, and always while the vocabulary is empty (not loaded yet).
pub fn exact_for(words: &[analyze::Word], vocabulary: &Vocabulary) -> Exact {
    if vocabulary.is_empty() {
        return Exact::Query;
    }
    let Some(last) = words.last() else {
        return Exact::Unneeded;
    };
    let prefix_finds_more = vocabulary.extended(&last.folded);
    let mut markers = Vec::new();
    for w in words.iter().filter(|w| w.accented()) {
        let spelled = vocabulary.spelled(&w.folded, |s| {
            analyze::query_word(s).is_some_and(|c| c.marker == w.marker)
        });
        match spelled {
            Spelled::Nowhere => return Exact::Unneeded,
            Spelled::AmongOthers => markers.push(w.marker.clone()),
            Spelled::Only => {}
        }
    }
    let last_only_by_prefix = last.accented() && prefix_finds_more;
    if markers.is_empty() && !last_only_by_prefix {
        Exact::Unneeded
    } else if prefix_finds_more || words.len() + markers.len() > analyze::MAX_QUERY_WORDS {
        Exact::Query
    } else {
        Exact::Appended(markers)
    }
}

/// Exact hits first, then the main hits not already listed; then the requested page.
pub fn merge_hits(
    exact: Vec<SearchHit>,
    main: Vec<SearchHit>,
    offset: usize,
    limit: usize,
) -> Vec<SearchHit> {
    let mut seen = HashSet::new();
    exact
        .into_iter()
        .chain(main)
        .filter(|h| seen.insert(h.id))
        .skip(offset)
        .take(limit)
        .collect()
}

#[derive(Debug, Deserialize)]
struct HitDoc {
    id: i64,
    slug: String,
}

#[derive(Debug, Deserialize)]
struct IdDoc {
    id: i64,
}

/// What a search answers, read straight into the shapes vungcao uses: the SDK's
/// `SearchResults` reads the facet counts into hash maps (a few thousand names with every facet
/// asked for) that were then copied into sorted ones, and keeps fields no caller reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    hits: Vec<HitDoc>,
    estimated_total_hits: Option<u64>,
    total_hits: Option<u64>,
    #[serde(default)]
    facet_distribution: BTreeMap<String, Counts>,
}

/// One facet's counts, value → count. Meilisearch sends a facet's values in order: they are
/// collected first and the map built from the list at once (a thousand `BTreeMap::insert`s, one
/// search of the map each, were a tenth of a search with every facet).
#[derive(Debug, Default)]
struct Counts(BTreeMap<String, u64>);

impl<'de> Deserialize<'de> for Counts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Counts, D::Error> {
        struct Pairs;
        impl<'de> serde::de::Visitor<'de> for Pairs {
            type Value = Counts;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of facet values to counts")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Counts, A::Error> {
                let mut pairs: Vec<(String, u64)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(Counts(pairs.into_iter().collect()))
            }
        }
        d.deserialize_map(Pairs)
    }
}

/// The Meilisearch index.
pub struct MeiliIndex {
    client: Client<MeiliHttp>,
    /// The client's HTTP client, for searches read as [`Answer`]s.
    http: MeiliHttp,
    /// `{url}/indexes/{uid}/search`.
    search_url: String,
    uid: String,
    write_gate: tokio::sync::Mutex<()>,
    /// The catalogue's words for the query understanding (kept by [`super::SearchIndex`]).
    pub(crate) vocabulary: super::understand::SharedVocabulary,
}

impl MeiliIndex {
    /// Connects, creates the index if needed and applies [`index_settings`], waiting for the task.
    pub async fn connect(
        url: &str,
        api_key: Option<String>,
        index_uid: &str,
    ) -> Result<MeiliIndex, SearchError> {
        let http = MeiliHttp::new(api_key.as_deref()).map_err(unavailable)?;
        let url = url.trim_end_matches('/');
        let client = Client::new_with_client(url, api_key, http.clone());
        let index = MeiliIndex {
            client,
            http,
            search_url: format!("{url}/indexes/{index_uid}/search"),
            uid: index_uid.to_owned(),
            write_gate: tokio::sync::Mutex::new(()),
            vocabulary: Default::default(),
        };
        index.ensure_index(&index.uid).await?;
        let task = index
            .index()
            .set_settings(&index_settings())
            .await
            .map_err(map_err)?;
        index.wait(task, SETTINGS_TIMEOUT).await?;
        Ok(index)
    }

    pub fn uid(&self) -> &str {
        &self.uid
    }

    fn index(&self) -> Index<MeiliHttp> {
        self.client.index(self.uid.as_str())
    }

    /// Waits for a task and fails unless it succeeded.
    async fn wait(&self, task: TaskInfo, timeout: Duration) -> Result<(), SearchError> {
        let done = task
            .wait_for_completion(&self.client, Some(POLL), Some(timeout))
            .await
            .map_err(map_err)?;
        match done {
            Task::Succeeded { .. } => Ok(()),
            Task::Failed { content } => Err(SearchError::Backend(format!(
                "meilisearch task failed: {}",
                content.error
            ))),
            other => Err(SearchError::Unavailable(format!(
                "meilisearch task {} did not finish",
                other.get_uid()
            ))),
        }
    }

    async fn ensure_index(&self, uid: &str) -> Result<(), SearchError> {
        let task = self
            .client
            .create_index(uid, Some("id"))
            .await
            .map_err(map_err)?;
        let done = task
            .wait_for_completion(&self.client, Some(POLL), Some(WRITE_TIMEOUT))
            .await
            .map_err(map_err)?;
        match done {
            Task::Succeeded { .. } => Ok(()),
            Task::Failed { content }
                if content.error.error_code == ErrorCode::IndexAlreadyExists =>
            {
                Ok(())
            }
            Task::Failed { content } => Err(SearchError::Backend(format!(
                "creating meilisearch index {uid}: {}",
                content.error
            ))),
            other => Err(SearchError::Unavailable(format!(
                "meilisearch task {} did not finish",
                other.get_uid()
            ))),
        }
    }

    async fn add_batches(
        &self,
        index: &Index<MeiliHttp>,
        docs: &[MeiliDocument],
    ) -> Result<(), SearchError> {
        for chunk in docs.chunks(BATCH) {
            let task = index
                .add_or_replace(chunk, Some("id"))
                .await
                .map_err(map_err)?;
            self.wait(task, WRITE_TIMEOUT).await?;
        }
        Ok(())
    }

    pub async fn upsert(&self, docs: Vec<SearchDocument>) -> Result<(), SearchError> {
        if docs.is_empty() {
            return Ok(());
        }
        let _gate = self.write_gate.lock().await;
        let docs: Vec<MeiliDocument> = docs.iter().map(MeiliDocument::from).collect();
        self.add_batches(&self.index(), &docs).await
    }

    pub async fn delete(&self, ids: &[i64]) -> Result<(), SearchError> {
        let _gate = self.write_gate.lock().await;
        let index = self.index();
        for chunk in ids.chunks(BATCH) {
            let task = index.delete_documents(chunk).await.map_err(map_err)?;
            self.wait(task, WRITE_TIMEOUT).await?;
        }
        Ok(())
    }

    /// Fills `<uid>_rebuild_<ts>_<random>`, applies the settings, swaps it with the live index
    /// and deletes the old one. Searches see the old index until the swap.
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
        mut progress: F,
        complete: C,
    ) -> Result<u64, SearchError>
    where
        I: IntoIterator<Item = SearchDocument> + Send + 'static,
        I::IntoIter: Send,
        F: FnMut(usize, usize) + Send + 'static,
        C: FnOnce() -> Result<(), SearchError>,
    {
        let _gate = self.write_gate.lock().await;
        // Time and a random number: replicas starting together on an empty index each rebuild,
        // and with a shared temp index (same millisecond) the second swap put the empty old
        // index back live (docker/run-local.sh caught it once).
        let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S%3f");
        let nonce = {
            use argon2::password_hash::rand_core::{OsRng, RngCore};
            OsRng.next_u32()
        };
        let temp_uid = format!("{}_rebuild_{stamp}_{nonce:08x}", self.uid);
        self.ensure_index(&self.uid).await?;
        self.ensure_index(&temp_uid).await?;
        let temp = self.client.index(temp_uid.as_str());
        let result = async {
            // Settings first, so documents are indexed once.
            let task = temp
                .set_settings(&index_settings())
                .await
                .map_err(map_err)?;
            self.wait(task, SETTINGS_TIMEOUT).await?;
            let mut iter = docs.into_iter();
            let (low, high) = iter.size_hint();
            let total = high.unwrap_or(low);
            let mut done = 0usize;
            progress(0, total);
            // Every batch is enqueued without waiting, so Meilisearch indexes them together
            // (it batches queued additions to one index); each task is checked at the end.
            let mut tasks: Vec<TaskInfo> = Vec::new();
            loop {
                // The documents may come from blocking reads (the database): pull each batch
                // on a blocking thread, never on the async workers.
                let (rest, batch) = tokio::task::spawn_blocking(move || {
                    let batch: Vec<MeiliDocument> = iter
                        .by_ref()
                        .take(REBUILD_BATCH)
                        .map(|d| MeiliDocument::from(&d))
                        .collect();
                    (iter, batch)
                })
                .await
                .map_err(|e| SearchError::Backend(format!("reading documents: {e}")))?;
                iter = rest;
                if batch.is_empty() {
                    break;
                }
                let task = temp
                    .add_or_replace(&batch, Some("id"))
                    .await
                    .map_err(map_err)?;
                tasks.push(task);
                done += batch.len();
                progress(done, total.max(done));
            }
            for task in tasks {
                self.wait(task, SETTINGS_TIMEOUT).await?;
            }
            complete()?;
            let task = self
                .client
                .swap_indexes([&SwapIndexes {
                    indexes: (self.uid.clone(), temp_uid.clone()),
                    rename: None,
                }])
                .await
                .map_err(map_err)?;
            self.wait(task, WRITE_TIMEOUT).await?;
            Ok::<u64, SearchError>(done as u64)
        }
        .await;
        // After a successful swap the temp uid holds the old documents; on failure, the partial
        // new ones. Either way it goes.
        match self.client.delete_index(temp_uid.as_str()).await {
            Ok(task) => {
                if let Err(e) = self.wait(task, WRITE_TIMEOUT).await {
                    tracing::warn!(error = %e, index = %temp_uid, "deleting meilisearch temp index");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, index = %temp_uid, "deleting meilisearch temp index")
            }
        }
        result
    }

    pub async fn all_ids(&self) -> Result<Vec<i64>, SearchError> {
        let index = self.index();
        let mut ids = Vec::new();
        let mut offset = 0;
        loop {
            let mut q = DocumentsQuery::new(&index);
            q.with_offset(offset).with_limit(BATCH).with_fields(["id"]);
            let page = index
                .get_documents_with::<IdDoc>(&q)
                .await
                .map_err(map_err)?;
            let n = page.results.len();
            ids.extend(page.results.into_iter().map(|d| d.id));
            if n < BATCH {
                break;
            }
            offset += n;
        }
        ids.sort_unstable();
        Ok(ids)
    }

    pub async fn doc_count(&self) -> Result<u64, SearchError> {
        let stats = self.index().get_stats().await.map_err(map_err)?;
        Ok(stats.number_of_documents as u64)
    }

    /// Deletes the whole index (tests use it to clean up).
    pub async fn drop_index(&self) -> Result<(), SearchError> {
        let task = self
            .client
            .delete_index(self.uid.as_str())
            .await
            .map_err(map_err)?;
        self.wait(task, WRITE_TIMEOUT).await
    }

    pub async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        let plan = {
            let v = self.vocabulary.read().map_err(|_| super::poisoned())?;
            plan(query, |words| exact_for(words, &v))
        };
        let index = self.index();
        let main_sort: Vec<&str> = plan.main.sort.iter().map(String::as_str).collect();
        let main_query = build_sdk_query(&index, &plan.main, &main_sort);
        // The exact query goes out next to the main one, not after it: Meilisearch answers the
        // queries of one multi-search one after the other ("chè shan tuyết" on 100 000
        // listings: the pair 4.2 ms through `/multi-search`, 3.0 ms as two requests at once,
        // the main query alone 2.5 ms).
        let (main, exact) = match &plan.exact {
            Some(exact) => {
                let exact_query = build_sdk_query(&index, exact, &[]);
                let (main, exact) = tokio::join!(self.ask(&main_query), self.ask(&exact_query));
                (main?, Some(exact?))
            }
            None => (self.ask(&main_query).await?, None),
        };
        let total = main
            .estimated_total_hits
            .or(main.total_hits)
            .unwrap_or(main.hits.len() as u64);
        let facet_names = query.facet_names();
        let mut facets: BTreeMap<String, BTreeMap<String, u64>> = main
            .facet_distribution
            .into_iter()
            .filter(|(name, _)| facet_names.contains(&name.as_str()))
            .map(|(name, counts)| (name, counts.0))
            .collect();
        for name in &facet_names {
            facets.entry((*name).to_owned()).or_default();
        }
        let to_hits = |hits: Vec<HitDoc>| -> Vec<SearchHit> {
            hits.into_iter()
                .map(|h| SearchHit {
                    id: h.id,
                    slug: h.slug,
                })
                .collect()
        };
        let hits = match exact {
            Some(exact) => merge_hits(
                to_hits(exact.hits),
                to_hits(main.hits),
                plan.offset,
                plan.limit,
            ),
            None => to_hits(main.hits),
        };
        Ok(SearchResults {
            hits,
            total,
            facets,
            explain: Default::default(),
        })
    }

    /// One search request, its answer read as an [`Answer`] (errors as the SDK reports them).
    async fn ask(
        &self,
        body: &meilisearch_sdk::search::SearchQuery<'_, MeiliHttp>,
    ) -> Result<Answer, SearchError> {
        self.http
            .request::<(), _, Answer>(
                &self.search_url,
                meilisearch_sdk::request::Method::Post { query: (), body },
                200,
            )
            .await
            .map_err(map_err)
    }
}

fn build_sdk_query<'a>(
    index: &'a Index<MeiliHttp>,
    r: &'a MeiliRequest,
    sort: &'a [&'a str],
) -> meilisearch_sdk::search::SearchQuery<'a, MeiliHttp> {
    let mut q = meilisearch_sdk::search::SearchQuery::new(index);
    q.with_query(&r.q)
        .with_offset(r.offset)
        .with_limit(r.limit)
        .with_attributes_to_retrieve(Selectors::Some(&["id", "slug"]))
        .with_matching_strategy(if r.match_all {
            MatchingStrategies::ALL
        } else {
            MatchingStrategies::LAST
        });
    if let Some(filter) = &r.filter {
        q.with_filter(filter);
    }
    if !sort.is_empty() {
        q.with_sort(sort);
    }
    if r.facets {
        q.with_facets(Selectors::Some(&r.facet_names));
    }
    q
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filter_values_are_quoted_and_escaped() {
        assert_eq!(quote("tea"), "\"tea\"");
        assert_eq!(quote(r#"a "b" \ c"#), r#""a \"b\" \\ c""#);
        assert_eq!(quote("x\" OR kind = \"event"), r#""x\" OR kind = \"event""#);
    }

    #[test]
    fn filter_expression_covers_every_filter() {
        assert_eq!(filter_expression(&SearchFilters::default()), None);
        let f = SearchFilters {
            kind: Some("product".into()),
            category: Some("tea".into()),
            place: Some("TQ-NH".into()),
            cooperative: Some("htx \"x\"".into()),
            min_ocop_stars: Some(4),
            certification: Some("vietgap".into()),
            in_season_month: Some(7),
            price_min: Some(10_000),
            price_max: Some(50_000),
            event_days: Some((20_500, 20_400)),
            season_any: vec![7, 8],
        };
        assert_eq!(
            filter_expression(&f).as_deref(),
            Some(
                "kind = \"product\" AND category_code = \"tea\" AND place_path = \"TQ-NH\" \
                 AND cooperative_slug = \"htx \\\"x\\\"\" AND certifications = \"vietgap\" \
                 AND ocop_stars >= 4 AND season_months = 7 AND season_months IN [7, 8] \
                 AND price_vnd 10000 TO 50000 AND event_days 20400 TO 20500"
            )
        );
        let only_max = SearchFilters {
            price_max: Some(5),
            ..Default::default()
        };
        assert_eq!(
            filter_expression(&only_max).as_deref(),
            Some("price_vnd <= 5")
        );
    }

    #[test]
    fn accented_relevance_queries_add_an_exact_marker_query() {
        let q = SearchQuery {
            offset: 20,
            limit: 10,
            ..SearchQuery::text("CHÈ shan \"tuyết\" AND")
        };
        let p = plan(&q, |_| Exact::Query);
        assert_eq!(p.main.q, "che shan tuyet and");
        assert!(!p.main.match_all);
        assert_eq!((p.main.offset, p.main.limit), (0, 30));
        let exact = p.exact.expect("exact query");
        assert!(exact.match_all);
        let words: Vec<&str> = exact.q.split(' ').collect();
        assert_eq!(words.len(), 4);
        assert!(words[0].starts_with("cheq") && words[0].ends_with('q'));
        assert_eq!(words[1], "shan");
        assert!(words[2].starts_with("tuyetq"));
        assert_eq!(words[3], "and");
        assert_eq!((exact.offset, exact.limit), (0, 30));
        assert_eq!((p.offset, p.limit), (20, 10));
    }

    #[test]
    fn the_main_query_needs_no_more_hits_than_the_page_ends_at() {
        let hit = |id: i64| SearchHit {
            id,
            slug: format!("s{id}"),
        };
        // Every way the exact hits can overlap the main ones, for pages (offset, limit).
        for (offset, limit) in [(0, 5), (5, 5), (3, 4)] {
            let end = offset + limit;
            for seed in 0..200u64 {
                let main: Vec<SearchHit> = (0..3 * end as i64).map(hit).collect();
                // Exact hits drawn from the main query's first hits only, or from further on too.
                let drawn_from = [end - 1, end, 2 * end, 3 * end][seed as usize % 4] as i64;
                let exact: Vec<SearchHit> = (0..drawn_from)
                    .filter(|i| (seed.rotate_left(7) >> (i % 64)) & 1 == 1)
                    .take(end)
                    .map(hit)
                    .collect();
                let ids = |h: Vec<SearchHit>| h.into_iter().map(|h| h.id).collect::<Vec<_>>();
                let whole = merge_hits(exact.clone(), main.clone(), offset, limit);
                let cut = merge_hits(exact, main[..end].to_vec(), offset, limit);
                assert_eq!(whole.len(), limit);
                assert_eq!(
                    ids(cut),
                    ids(whole),
                    "offset {offset} limit {limit} seed {seed}"
                );
            }
        }
    }

    #[test]
    fn plain_and_sorted_queries_are_single() {
        let p = plan(&SearchQuery::text("che shan"), |_| Exact::Query);
        assert!(p.exact.is_none());
        assert_eq!((p.main.offset, p.main.limit), (0, 20));
        let p = plan(
            &SearchQuery {
                sort: SortOrder::PriceAsc,
                ..SearchQuery::text("chè")
            },
            |_| Exact::Query,
        );
        assert!(p.exact.is_none());
        assert_eq!(p.main.sort, ["price_vnd:asc"]);
        let p = plan(
            &SearchQuery {
                sort: SortOrder::Nearest,
                near: Some((22.4, 105.3)),
                ..SearchQuery::text("")
            },
            |_| Exact::Query,
        );
        assert_eq!(p.main.sort, ["_geoPoint(22.4, 105.3):asc"]);
        assert_eq!(p.main.q, "");
        let p = plan(&SearchQuery::text("*** :: ()"), |_| Exact::Query);
        assert_eq!(p.main.q, "");
        assert_eq!(p.main.sort, ["published_at:desc"]);
        let p = plan(
            &SearchQuery {
                offset: usize::MAX,
                limit: usize::MAX,
                ..SearchQuery::text("x")
            },
            |_| Exact::Query,
        );
        assert_eq!((p.main.offset, p.main.limit), (MAX_OFFSET, MAX_LIMIT));
    }

    #[test]
    fn an_answer_reads_hits_totals_and_every_facet_count() {
        // As Meilisearch 1.x answers, with fields vungcao does not read.
        let text = json!({
            "hits": [{"id": 7, "slug": "che-shan-tuyet-7"}, {"id": 3, "slug": "mat-ong-3"}],
            "query": "che",
            "processingTimeMs": 2,
            "limit": 20,
            "offset": 0,
            "estimatedTotalHits": 33270,
            "facetDistribution": {
                "place_path": {"TQ": 40, "TQ-D08": 12, "TQ-D01": 28, "Hà Giang": 1},
                "kind": {"product": 39, "event": 1}
            },
            "facetStats": {"price_vnd": {"min": 1.0, "max": 2.0}}
        })
        .to_string();
        let answer: Answer = serde_json::from_str(&text).expect("answer");
        let ids: Vec<(i64, &str)> = answer
            .hits
            .iter()
            .map(|h| (h.id, h.slug.as_str()))
            .collect();
        assert_eq!(ids, [(7, "che-shan-tuyet-7"), (3, "mat-ong-3")]);
        assert_eq!(answer.estimated_total_hits, Some(33270));
        assert_eq!(answer.total_hits, None);
        let places: Vec<(&str, u64)> = answer.facet_distribution["place_path"]
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        // Every value once, in the map's order whatever order they came in.
        assert_eq!(
            places,
            [("Hà Giang", 1), ("TQ", 40), ("TQ-D01", 28), ("TQ-D08", 12)]
        );
        assert_eq!(answer.facet_distribution["kind"].0["event"], 1);
        // Without facets asked for, no facet distribution at all.
        let bare: Answer =
            serde_json::from_str(r#"{"hits": [], "totalHits": 0}"#).expect("bare answer");
        assert!(bare.facet_distribution.is_empty());
        assert_eq!(bare.total_hits, Some(0));
        // A count that is not a number is an error, not a zero.
        assert!(serde_json::from_str::<Answer>(
            r#"{"hits": [], "facetDistribution": {"kind": {"product": "many"}}}"#
        )
        .is_err());
    }

    #[test]
    fn merged_hits_put_exact_first_without_duplicates() {
        let h = |id| SearchHit {
            id,
            slug: format!("s{id}"),
        };
        let merged = merge_hits(vec![h(3), h(1)], vec![h(1), h(2), h(3), h(4)], 1, 2);
        assert_eq!(merged, vec![h(1), h(2)]);
    }

    #[test]
    fn settings_serialise_as_meilisearch_expects() {
        let v = serde_json::to_value(index_settings()).expect("json");
        assert_eq!(v["searchableAttributes"][0], "name_x");
        assert_eq!(
            v["typoTolerance"]["minWordSizeForTypos"],
            json!({"oneTypo": 5, "twoTypos": 9})
        );
        assert_eq!(
            v["typoTolerance"]["disableOnAttributes"],
            json!(["name_x", "rest_x"])
        );
        assert_eq!(
            v["sortableAttributes"],
            json!(["price_vnd", "published_at", "_geo"])
        );
        assert_eq!(v["filterableAttributes"].as_array().map(Vec::len), Some(9));
        assert_eq!(v["rankingRules"][0], "words");
        assert_eq!(v["faceting"]["maxValuesPerFacet"], 1000);
        assert_eq!(v["proximityPrecision"], "byAttribute");
    }

    fn listing(id: i64, name: &str, description: &str) -> SearchDocument {
        SearchDocument {
            description_vi: description.into(),
            ..super::super::sample_document(id, name)
        }
    }

    #[test]
    fn exact_spellings_are_put_first_the_cheapest_way_the_catalogue_allows() {
        let v = Vocabulary::of(&[
            listing(1, "Lê vàng", "Quả lê ngọt"),
            listing(2, "Lễ hội hoa lê", ""),
            listing(3, "Chè Shan tuyết", "Chè búp"),
            listing(4, "Mật ong bạc hà", ""),
            listing(5, "Chén trà", ""),
            listing(6, "Bánh ngọt", "mat ong"),
            listing(7, "Lê Hà Giang", "Hỏi đáp"),
        ]);
        let how = |q: &str| exact_for(&analyze::query_words(q), &v);
        let marker = |w: &str| analyze::query_words(w)[0].marker.clone();
        // The catalogue's only spelling of each accented word, the last word starting no other
        // catalogue word: the folded query alone puts them first.
        assert_eq!(how("chè shan"), Exact::Unneeded);
        assert_eq!(how("shan tuyết"), Exact::Unneeded);
        assert_eq!(how("chè shan tuyết"), Exact::Unneeded);
        assert_eq!(how("bạc hà"), Exact::Unneeded);
        // An accented word the catalogue never writes that way: nothing has every spelling.
        assert_eq!(how("lẽ"), Exact::Unneeded);
        assert_eq!(how("lê vảng"), Exact::Unneeded);
        assert_eq!(how("chè shăn"), Exact::Unneeded);
        // Written otherwise too (with other marks, or without): the markers go after the words,
        // only those of the words written more than one way.
        assert_eq!(
            how("lễ hội"),
            Exact::Appended(vec![marker("lễ"), marker("hội")])
        );
        assert_eq!(
            how("hội lê"),
            Exact::Appended(vec![marker("hội"), marker("lê")])
        );
        assert_eq!(how("mật ong"), Exact::Appended(vec![marker("mật")]));
        assert_eq!(how("lê shan tuyết"), Exact::Appended(vec![marker("lê")]));
        // The last word also finds longer words as a prefix ("che" → "chen", "ch" → "che"):
        // appended markers would make it a whole word, so the exact query goes out.
        assert_eq!(how("chè"), Exact::Query);
        assert_eq!(how("mật ong ch"), Exact::Query);
        // Beyond Meilisearch's ten words the markers would be dropped: the exact query goes out.
        assert_eq!(
            how("lê lễ hội lê lễ hội lê lễ hội ong"),
            Exact::Query,
            "10 words + 9 markers"
        );
        // Nothing known yet (the vocabulary loads after start-up): the exact query goes out.
        assert_eq!(
            exact_for(&analyze::query_words("chè shan"), &Vocabulary::new()),
            Exact::Query
        );

        // And the plan follows the answer.
        let planned = |q: SearchQuery| plan(&q, |w| exact_for(w, &v));
        let p = planned(SearchQuery {
            offset: 20,
            limit: 10,
            ..SearchQuery::text("chè shan")
        });
        assert!(p.exact.is_none());
        assert_eq!(p.main.q, "che shan");
        assert_eq!((p.main.offset, p.main.limit), (20, 10));
        let p = planned(SearchQuery {
            offset: 20,
            limit: 10,
            ..SearchQuery::text("Mật ong")
        });
        assert!(p.exact.is_none());
        assert_eq!(p.main.q, format!("mat ong {}", marker("mật")));
        assert!(!p.main.match_all);
        assert_eq!((p.main.offset, p.main.limit), (20, 10));
        let p = planned(SearchQuery::text("chè"));
        assert_eq!(p.main.q, "che");
        assert_eq!(p.exact.map(|e| e.q), Some(marker("chè")));
        // Sorted queries never rank by spelling.
        let p = planned(SearchQuery {
            sort: SortOrder::Newest,
            ..SearchQuery::text("mật ong")
        });
        assert_eq!(p.main.q, "mat ong");
    }

    #[test]
    fn documents_have_id_geo_and_markers() {
        let doc = SearchDocument {
            id: 7,
            slug: "le-vang".into(),
            kind: "product".into(),
            name_vi: "Lê vàng".into(),
            name_en: None,
            description_vi: "Quả lê".into(),
            description_en: None,
            category_code: "fruit".into(),
            category_name_vi: "Trái cây".into(),
            place_code: "TQ-NH-HT".into(),
            place_path: vec!["TQ-NH-HT".into(), "TQ-NH".into(), "TQ".into()],
            place_names: vec!["Hồng Thái".into(), "Na Hang".into()],
            cooperative_slug: "htx".into(),
            cooperative_name: "HTX Lê".into(),
            price_vnd: None,
            ocop_stars: Some(3),
            certifications: vec![],
            season_months: vec![7, 8],
            event_days: vec![],
            lat: 22.4,
            lng: 105.4,
            published_at: 1,
        };
        let v = serde_json::to_value(MeiliDocument::from(&doc)).expect("json");
        assert_eq!(v["id"], 7);
        assert_eq!(v["_geo"], json!({"lat": 22.4, "lng": 105.4}));
        assert_eq!(v["name"], "le vang");
        assert!(v["name_x"]
            .as_str()
            .is_some_and(|s| s.starts_with("leqbcq vangq")));
        assert!(v.get("price_vnd").is_none());
        assert_eq!(v["places"], "hong thai na hang");
        // Accented words outside the name, once each, none of the name's: "Quả lê" → quả only.
        let rest: Vec<&str> = v["rest_x"].as_str().expect("rest_x").split(' ').collect();
        let name_x: Vec<&str> = v["name_x"].as_str().expect("name_x").split(' ').collect();
        assert!(rest.iter().all(|m| !name_x.contains(m)), "{rest:?}");
        let unique: HashSet<&&str> = rest.iter().collect();
        assert_eq!(unique.len(), rest.len(), "{rest:?}");
        assert!(rest.iter().any(|m| m.starts_with("quaq")), "{rest:?}");
        assert!(rest.iter().any(|m| m.starts_with("hongq")), "{rest:?}");
    }
}
