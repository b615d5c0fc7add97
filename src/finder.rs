//! Searching, then loading: the search index ranks, the database has the last word (a listing
//! unpublished a moment ago is not shown). Used by the API's search and the storefront's.

use crate::error::AppError;
use crate::search::{SearchError, SearchIndex, SearchQuery, SearchResults};
use crate::store::listings::{self, ListingBrief};
use crate::store::Db;
use std::sync::Arc;

fn observe_search(backend: &str, started: std::time::Instant) {
    crate::metrics::with(|m| {
        m.search
            .with_label_values(&[backend])
            .observe(started.elapsed().as_secs_f64());
    });
}

/// Runs `query` and reads the hits from the database, in the index's order, as what a card
/// shows of each. The database has the last word: a listing unpublished a moment ago is not
/// shown. Used by the storefront's search page.
pub async fn find_listings(
    db: &Db,
    search: &Arc<SearchIndex>,
    media_base: Arc<str>,
    query: &SearchQuery,
) -> Result<(SearchResults, Vec<ListingBrief>), AppError> {
    find_with(
        db,
        search,
        media_base,
        query,
        listings::cards::published_briefs,
    )
    .await
}

/// [`find_listings`] with each listing as the API's JSON text (from its stored card, not read
/// into a view and written out again): the API's search.
pub async fn find_listings_json(
    db: &Db,
    search: &Arc<SearchIndex>,
    media_base: Arc<str>,
    query: &SearchQuery,
) -> Result<(SearchResults, Vec<String>), AppError> {
    find_with(
        db,
        search,
        media_base,
        query,
        listings::cards::published_json,
    )
    .await
}

/// Reads the published listings among the ids, in their order, with the media base.
type ReadHits<T> = fn(&mut crate::store::Conn, &[i64], &str) -> Result<Vec<T>, AppError>;

async fn find_with<T: Send + 'static>(
    db: &Db,
    search: &Arc<SearchIndex>,
    media_base: Arc<str>,
    query: &SearchQuery,
    read: ReadHits<T>,
) -> Result<(SearchResults, Vec<T>), AppError> {
    let unavailable = |e: SearchError| {
        AppError::unavailable(format!("search: {e}")).with_detail("search is unavailable right now")
    };
    if let SearchIndex::Tantivy(tantivy) = &**search {
        let quick = tantivy.searches_are_quick();
        // The embedded index is searched where the listings are then read: on the calling
        // worker while its searches are quick (SQLite, see `Db::read`), else on one blocking
        // thread (one hand-off from the async workers instead of two).
        let index = Arc::clone(search);
        let query = query.clone();
        let work = move |conn: &mut crate::store::Conn| {
            let SearchIndex::Tantivy(tantivy) = &*index else {
                return Err(AppError::internal("search backend changed"));
            };
            let started = std::time::Instant::now();
            let results = tantivy
                .search_understood_blocking(&query)
                .map_err(unavailable)?;
            observe_search("tantivy", started);
            let ids: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
            let items = read(conn, &ids, &media_base)?;
            Ok((results, items))
        };
        return if quick {
            db.read(work).await
        } else {
            db.run_read(work).await
        };
    }
    let started = std::time::Instant::now();
    let results = search.search(query).await.map_err(unavailable)?;
    observe_search(search.backend_name(), started);
    let ids: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
    let items = db.read(move |conn| read(conn, &ids, &media_base)).await?;
    Ok((results, items))
}
