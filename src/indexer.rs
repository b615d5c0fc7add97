//! The indexer: drains the outbox into the search index (at least once, idempotent by listing
//! id), and rebuilds or checks the whole index from the database.

use crate::error::AppError;
use crate::search::{SearchDocument, SearchError, SearchIndex, Vocabulary};
use crate::store::{indexed_changes, listings, outbox, Db};
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

/// Listings as they are in the database now.
struct Current {
    /// The listings asked about, each once, in id order.
    ids: Vec<i64>,
    /// The search documents of those still published.
    docs: Vec<SearchDocument>,
    /// Those no longer published (or gone).
    gone: Vec<i64>,
}

/// Reads the current search documents of `listings` (repeats allowed).
async fn current(db: &Db, listings: impl Iterator<Item = i64>) -> Result<Current, AppError> {
    let ids: Vec<i64> = listings.collect::<BTreeSet<_>>().into_iter().collect();
    let docs = {
        let ids = ids.clone();
        db.run(move |conn| listings::search_documents(conn, &ids))
            .await?
    };
    let present: BTreeSet<i64> = docs.iter().map(|d| d.id).collect();
    let gone = ids
        .iter()
        .copied()
        .filter(|id| !present.contains(id))
        .collect();
    Ok(Current { ids, docs, gone })
}

async fn drain_batch(db: &Db, index: &SearchIndex) -> Result<Batch, AppError> {
    let rows = db.run(|conn| outbox::claim(conn, BATCH)).await?;
    if rows.is_empty() {
        return Ok(Batch {
            rows: 0,
            listings: Vec::new(),
        });
    }
    // The document is read now, after the change committed, so the index gets the latest state.
    let Current { ids, docs, gone } = current(db, rows.iter().map(|r| r.listing_id)).await?;
    let result = async {
        index.upsert(docs).await?;
        index.delete(&gone).await
    }
    .await;
    let handled = rows.len();
    match result {
        Ok(()) => {
            let applied: Vec<i64> = rows.iter().map(|r| r.id).collect();
            complete_rows(
                db,
                index,
                rows.iter().map(|r| (r.id, r.listing_id)).collect(),
            )
            .await?;
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

/// Completes outbox rows, (row id, listing id), whose listings the index now holds as they are.
/// On a shared index their listings are recorded in the same transaction (both or neither), so
/// the other processes serving from it learn of them ([`Follower`]).
async fn complete_rows(
    db: &Db,
    index: &SearchIndex,
    rows: Vec<(i64, i64)>,
) -> Result<(), AppError> {
    let shared = index.is_shared();
    db.run(move |conn| {
        conn.transaction(|conn| {
            let row_ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
            outbox::complete(conn, &row_ids)?;
            if shared {
                let listings: BTreeSet<i64> = rows.iter().map(|r| r.1).collect();
                let listings: Vec<i64> = listings.into_iter().collect();
                indexed_changes::record(conn, &listings)?;
            }
            Ok(())
        })
    })
    .await
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

/// What the indexing tasks tell the rest of the server (its kept answers).
#[derive(Clone)]
pub struct Tell {
    /// The listings whose search documents changed (answers showing them may now differ).
    pub listings: crate::store::changes::Listener,
    /// The vocabulary was read whole: any search may now read its query differently (answers
    /// given while a server was still reading it at start-up understood nothing).
    pub vocabulary_read: Arc<dyn Fn() + Send + Sync>,
}

/// Runs until [`IndexerTask::shutdown`]: drains the outbox whenever rows are due; `tell` hears
/// each batch's listings (search answers may now differ).
pub fn spawn(db: Db, index: Arc<SearchIndex>, tell: Tell) -> IndexerTask {
    let (stop, mut stopping) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        // Before the vocabulary is read: what other processes index meanwhile is then applied.
        let mut follower = Follower::start(&db, &index).await;
        match prepare(&db, &index).await {
            Ok(()) => (tell.vocabulary_read)(),
            Err(e) => {
                tracing::warn!(error = %e, "readying the search index; the outbox drain goes on")
            }
        }
        let mut failures = 0u32;
        while !*stopping.borrow() {
            let pause = match drain_batch(&db, &index).await {
                Ok(Batch { rows: 0, .. }) => {
                    failures = 0;
                    if let Some(f) = follower.as_mut() {
                        f.follow_when_due(&db, &index, &tell).await;
                    }
                    IDLE_POLL
                }
                Ok(batch) => {
                    failures = 0;
                    (tell.listings)(&batch.listings);
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

/// Runs until [`IndexerTask::shutdown`] on a server without an indexer: reads the vocabulary
/// once and, on a shared index, keeps it current with what the indexing processes record
/// ([`Follower`]); `tell` hears the listings they indexed.
pub fn spawn_follower(db: Db, index: Arc<SearchIndex>, tell: Tell) -> IndexerTask {
    let (stop, mut stopping) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        let follower = Follower::start(&db, &index).await;
        match load_vocabulary(&db, &index).await {
            Ok(_) => (tell.vocabulary_read)(),
            Err(e) => tracing::warn!(error = %e, "loading the search vocabulary"),
        }
        let Some(mut follower) = follower else {
            return;
        };
        while !*stopping.borrow() {
            tokio::select! {
                () = tokio::time::sleep(FOLLOW_POLL) => {}
                _ = stopping.changed() => {}
            }
            follower.follow_when_due(&db, &index, &tell).await;
        }
    });
    IndexerTask { task, stop }
}

/// How often a process on a shared index reads what the others indexed.
const FOLLOW_POLL: Duration = Duration::from_secs(2);
/// Rows of [`indexed_changes`] read at a time.
const FOLLOW_BATCH: i64 = 5000;

/// Where a process serving from a shared index (Meilisearch) stands in what the indexing
/// processes recorded ([`indexed_changes`]): its vocabulary learns each listing indexed since
/// it read the catalogue, whichever process indexed it.
pub struct Follower {
    after: i64,
    /// When the record was last read (or the vocabulary loaded).
    read_at: std::time::Instant,
}

impl Follower {
    /// Starts at the record's latest row, on a shared index only; call before the vocabulary is
    /// read from the database, so that a listing indexed meanwhile is applied again (re-adding a
    /// listing's unchanged words changes nothing). `None` when the index is not shared or the
    /// database cannot be read (the vocabulary is then only this process's).
    pub async fn start(db: &Db, index: &SearchIndex) -> Option<Follower> {
        if !index.is_shared() {
            return None;
        }
        match db.run(indexed_changes::latest).await {
            Ok(after) => Some(Follower {
                after,
                read_at: std::time::Instant::now(),
            }),
            Err(e) => {
                tracing::warn!(error = %e, "reading the indexed-changes record; the vocabulary will not follow other processes");
                None
            }
        }
    }

    /// [`Follower::follow`] at most every [`FOLLOW_POLL`], telling `tell` what it learned; a
    /// failure is logged and tried again at the next poll.
    async fn follow_when_due(&mut self, db: &Db, index: &SearchIndex, tell: &Tell) {
        if self.read_at.elapsed() < FOLLOW_POLL {
            return;
        }
        match self.follow(db, index).await {
            Ok(Followed::Listings(listings)) if !listings.is_empty() => (tell.listings)(&listings),
            Ok(Followed::Listings(_)) => {}
            Ok(Followed::VocabularyRead) => (tell.vocabulary_read)(),
            Err(e) => tracing::warn!(error = %e, "following other processes' indexing"),
        }
    }

    /// Applies every row recorded since the last read to the vocabulary. After a gap longer
    /// than the record keeps rows, the vocabulary is read again whole instead.
    pub async fn follow(&mut self, db: &Db, index: &SearchIndex) -> Result<Followed, AppError> {
        let kept = Duration::from_secs(3600 * indexed_changes::KEPT_HOURS as u64);
        if self.read_at.elapsed() >= kept / 2 {
            let after = db.run(indexed_changes::latest).await?;
            reload_vocabulary(db, index).await?;
            *self = Follower {
                after,
                read_at: std::time::Instant::now(),
            };
            return Ok(Followed::VocabularyRead);
        }
        let mut learned = BTreeSet::new();
        loop {
            let after = self.after;
            let rows = db
                .run(move |conn| indexed_changes::after(conn, after, FOLLOW_BATCH))
                .await?;
            self.read_at = std::time::Instant::now();
            let Some(&(last, _)) = rows.last() else {
                break;
            };
            let Current { ids, docs, gone } = current(db, rows.iter().map(|r| r.1)).await?;
            index
                .learn(&docs, &gone)
                .map_err(|e| AppError::unavailable(e.to_string()))?;
            self.after = last;
            learned.extend(ids);
            if (rows.len() as i64) < FOLLOW_BATCH {
                break;
            }
        }
        Ok(Followed::Listings(learned.into_iter().collect()))
    }
}

/// What one [`Follower::follow`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Followed {
    /// Learned these listings (none: nothing new was recorded).
    Listings(Vec<i64>),
    /// Read the whole vocabulary again (the record had been out of reach too long).
    VocabularyRead,
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
    read_vocabulary(db, index, false).await
}

/// Builds the vocabulary from every published listing and puts it in place of the one in use.
async fn reload_vocabulary(db: &Db, index: &SearchIndex) -> Result<usize, AppError> {
    read_vocabulary(db, index, true).await
}

async fn read_vocabulary(db: &Db, index: &SearchIndex, replace: bool) -> Result<usize, AppError> {
    let failed = Arc::new(std::sync::Mutex::new(None));
    let docs = DatabaseDocuments {
        db: db.clone(),
        after: 0,
        buffer: Vec::new().into_iter(),
        remaining: 0,
        failed: failed.clone(),
    };
    let started = std::time::Instant::now();
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
    tracing::info!(
        listings = n,
        seconds = started.elapsed().as_secs_f64(),
        "search vocabulary read from the database"
    );
    let empty = index
        .vocabulary()
        .read()
        .map(|v| v.is_empty())
        .unwrap_or(false);
    if empty || replace {
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
    let covered = db.run(outbox::all_rows).await?;
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
    complete_rows(db, index, covered).await?;
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
