//! The indexer: drains the outbox into the search index (at least once, idempotent by listing
//! id), and rebuilds or checks the whole index from the database.

use crate::error::AppError;
use crate::search::{SearchDocument, SearchError, SearchIndex, Vocabulary};
use crate::store::{listings, outbox, Db};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// Rows per batch: one index commit each, so a bulk import's 100 000 rows take 20 commits.
const BATCH: i64 = 5000;
const IDLE_POLL: Duration = Duration::from_millis(200);

/// Processes one batch of due outbox rows; returns how many rows it handled.
pub async fn drain_once(db: &Db, index: &SearchIndex) -> Result<usize, AppError> {
    Ok(drain_batch(db, index).await?.rows)
}

/// One batch of outbox rows handled (applied, or put back for a retry).
struct Batch {
    rows: usize,
    /// The listings the rows named.
    listings: Vec<i64>,
}

async fn drain_batch(db: &Db, index: &SearchIndex) -> Result<Batch, AppError> {
    let rows = db.run(|conn| outbox::claim(conn, BATCH)).await?;
    if rows.is_empty() {
        return Ok(Batch {
            rows: 0,
            listings: Vec::new(),
        });
    }
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r.listing_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // The document is read now, after the change committed, so the index gets the latest state.
    let docs = {
        let ids = ids.clone();
        db.run(move |conn| listings::search_documents(conn, &ids))
            .await?
    };
    let present: BTreeSet<i64> = docs.iter().map(|d| d.id).collect();
    let gone: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !present.contains(id))
        .collect();
    let result = async {
        index.upsert(docs).await?;
        index.delete(&gone).await
    }
    .await;
    let handled = rows.len();
    match result {
        Ok(()) => {
            let row_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let applied = row_ids.clone();
            db.run(move |conn| outbox::complete(conn, &row_ids)).await?;
            // One line per applied batch: the replicas' logs together show no row applied twice.
            tracing::info!(rows = handled, row_ids = ?applied,
                "outbox batch applied"
            );
        }
        Err(e) => {
            tracing::warn!(error = %e, rows = handled, "indexing failed; will retry with back-off");
            let message = e.to_string();
            db.run(move |conn| outbox::retry_later(conn, &rows, &message))
                .await?;
        }
    }
    Ok(Batch {
        rows: handled,
        listings: ids,
    })
}

/// Drains until nothing is due (used by tests and `check --fix`).
pub async fn drain_all(db: &Db, index: &SearchIndex) -> Result<usize, AppError> {
    let mut total = 0;
    loop {
        let n = drain_once(db, index).await?;
        if n == 0 {
            return Ok(total);
        }
        total += n;
    }
}

/// The running indexer task of a server.
pub struct IndexerTask {
    task: tokio::task::JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl IndexerTask {
    /// Ends the task at once, even mid-batch (its leased rows come back when the lease expires).
    pub fn abort_handle(&self) -> tokio::task::AbortHandle {
        self.task.abort_handle()
    }

    /// Lets the batch in hand finish (its rows completed or put back for retry, so no lease is
    /// left behind), then ends the task; a batch still running after `deadline` is cut off.
    pub async fn shutdown(self, deadline: Duration) {
        // An error means the task already ended.
        let _ = self.stop.send(true);
        let abort = self.task.abort_handle();
        if tokio::time::timeout(deadline, self.task).await.is_err() {
            tracing::warn!(
                ?deadline,
                "indexer batch still running at the shutdown deadline; its leases will expire"
            );
            abort.abort();
        }
    }
}

/// Runs until [`IndexerTask::shutdown`]: drains the outbox whenever rows are due; `changed` is
/// told each batch's listings (search answers may now differ).
pub fn spawn(
    db: Db,
    index: Arc<SearchIndex>,
    changed: crate::store::changes::Listener,
) -> IndexerTask {
    let (stop, mut stopping) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        if let Err(e) = prepare(&db, &index).await {
            tracing::warn!(error = %e, "readying the search index; the outbox drain goes on");
        }
        let mut failures = 0u32;
        while !*stopping.borrow() {
            let pause = match drain_batch(&db, &index).await {
                Ok(Batch { rows: 0, .. }) => {
                    failures = 0;
                    IDLE_POLL
                }
                Ok(batch) => {
                    failures = 0;
                    changed(&batch.listings);
                    Duration::ZERO
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let wait = Duration::from_millis(250 * 2u64.pow(failures.min(7)));
                    tracing::warn!(error = %e, ?wait, "outbox unavailable");
                    wait
                }
            };
            if !pause.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    _ = stopping.changed() => {}
                }
            }
        }
        tracing::info!("indexer stopped");
    });
    IndexerTask { task, stop }
}

/// Readies the index before the drain loop. An empty index (or one of an older schema) while the
/// database has published listings is rebuilt whole: after a bulk import into a fresh catalogue
/// one pass over the database beats draining the outbox batch by batch, and the rebuild completes
/// the outbox rows it covers. Otherwise the index was built by an earlier process and only the
/// query-understanding vocabulary is loaded from the database; every batch then keeps it current.
pub async fn prepare(db: &Db, index: &SearchIndex) -> Result<(), AppError> {
    let published = db.run(listings::count_published).await?;
    let indexed = index
        .doc_count()
        .await
        .map_err(|e| AppError::unavailable(e.to_string()))?;
    if published > 0 && (indexed == 0 || index.needs_rebuild()) {
        tracing::info!(
            published,
            "search index is empty; rebuilding from the database"
        );
        let n = reindex(db, index, |_, _| {}, Vocabulary::Rebuild).await?;
        tracing::info!(documents = n, "search index rebuilt");
    } else {
        load_vocabulary(db, index).await?;
    }
    Ok(())
}

/// Published listings as search documents, read from the database in batches as the index
/// builder asks for them (blocking: the builder runs it on a blocking thread).
struct DatabaseDocuments {
    db: Db,
    after: i64,
    buffer: std::vec::IntoIter<SearchDocument>,
    remaining: usize,
    /// Set when a read fails: the iteration ends early and the rebuild must not be swapped in.
    failed: Arc<std::sync::Mutex<Option<String>>>,
}

impl Iterator for DatabaseDocuments {
    type Item = SearchDocument;

    fn next(&mut self) -> Option<SearchDocument> {
        loop {
            if let Some(doc) = self.buffer.next() {
                self.remaining = self.remaining.saturating_sub(1);
                return Some(doc);
            }
            if self.failed.lock().map_or(true, |f| f.is_some()) {
                return None;
            }
            let batch = self.db.get().and_then(|mut conn| {
                let ids = listings::published_ids_after(&mut conn, self.after, 1000)?;
                let docs = listings::search_documents(&mut conn, &ids)?;
                Ok((ids, docs))
            });
            match batch {
                Ok((ids, _)) if ids.is_empty() => return None,
                Ok((ids, docs)) => {
                    self.after = ids.last().copied().unwrap_or(self.after);
                    self.buffer = docs.into_iter();
                }
                Err(e) => {
                    if let Ok(mut failed) = self.failed.lock() {
                        *failed = Some(e.to_string());
                    }
                    return None;
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// Builds the query-understanding vocabulary from every published listing and hands it to the
/// index (unless a rebuild already filled it meanwhile).
pub async fn load_vocabulary(db: &Db, index: &SearchIndex) -> Result<usize, AppError> {
    let failed = Arc::new(std::sync::Mutex::new(None));
    let docs = DatabaseDocuments {
        db: db.clone(),
        after: 0,
        buffer: Vec::new().into_iter(),
        remaining: 0,
        failed: failed.clone(),
    };
    let vocabulary = tokio::task::spawn_blocking(move || {
        let mut v = crate::search::understand::Vocabulary::new();
        for d in docs {
            v.add(&d);
        }
        v.shrink();
        v
    })
    .await
    .map_err(|e| AppError::internal(format!("loading the vocabulary: {e}")))?;
    if let Ok(Some(e)) = failed.lock().map(|f| f.clone()) {
        return Err(AppError::unavailable(format!("reading the database: {e}")));
    }
    let n = vocabulary.len();
    let empty = index
        .vocabulary()
        .read()
        .map(|v| v.is_empty())
        .unwrap_or(false);
    if empty {
        index
            .set_vocabulary(vocabulary)
            .map_err(|e| AppError::unavailable(e.to_string()))?;
    }
    Ok(n)
}

/// Rebuilds the index from the database into a fresh index and swaps it in. The outbox rows
/// already written when it starts are completed after the swap: their changes committed before
/// the rebuild read the listings, so the fresh index holds them (a row written meanwhile stays
/// for the drain).
pub async fn reindex(
    db: &Db,
    index: &SearchIndex,
    progress: impl FnMut(usize, usize) + Send + 'static,
    vocabulary: Vocabulary,
) -> Result<u64, AppError> {
    let covered = db.run(outbox::all_ids).await?;
    let total = db.run(listings::count_published).await?;
    let failed = Arc::new(std::sync::Mutex::new(None));
    let docs = DatabaseDocuments {
        db: db.clone(),
        after: 0,
        buffer: Vec::new().into_iter(),
        remaining: usize::try_from(total).unwrap_or(0),
        failed: failed.clone(),
    };
    let complete = move || match failed.lock().map(|f| f.clone()) {
        Ok(None) => Ok(()),
        Ok(Some(e)) => Err(SearchError::Unavailable(format!(
            "reading the database: {e}"
        ))),
        Err(_) => Err(SearchError::Backend("rebuild state lock poisoned".into())),
    };
    let n = index
        .rebuild_checked(docs, progress, complete, vocabulary)
        .await
        .map_err(|e| AppError::unavailable(e.to_string()))?;
    let rows = covered.len();
    db.run(move |conn| outbox::complete(conn, &covered)).await?;
    if rows > 0 {
        tracing::info!(rows, "outbox rows covered by the rebuild completed");
    }
    Ok(n)
}

/// How the index differs from the database.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// Published in the database, missing from the index.
    pub missing: Vec<i64>,
    /// In the index, not published in the database.
    pub extra: Vec<i64>,
}

pub async fn check(db: &Db, index: &SearchIndex) -> Result<Drift, AppError> {
    let mut published = BTreeSet::new();
    let mut after = 0;
    loop {
        let ids = db
            .run(move |conn| listings::published_ids_after(conn, after, 10_000))
            .await?;
        let Some(last) = ids.last() else { break };
        after = *last;
        published.extend(ids);
    }
    let indexed: BTreeSet<i64> = index
        .all_ids()
        .await
        .map_err(|e| AppError::unavailable(e.to_string()))?
        .into_iter()
        .collect();
    Ok(Drift {
        missing: published.difference(&indexed).copied().collect(),
        extra: indexed.difference(&published).copied().collect(),
    })
}

/// Repairs drift through the outbox, so the fix follows the same path as every other change.
pub async fn fix(db: &Db, index: &SearchIndex, drift: &Drift) -> Result<usize, AppError> {
    let ids: Vec<i64> = drift.missing.iter().chain(&drift.extra).copied().collect();
    db.run(move |conn| outbox::enqueue(conn, &ids)).await?;
    drain_all(db, index).await
}
