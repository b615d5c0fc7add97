//! Reads by key that arrive together on PostgreSQL, answered by one statement.
//!
//! On PostgreSQL a shopper's read by key (a listing's detail by slug) is a round trip, a
//! statement for a backend that shares the machine's cores with the server, and a hand-off to a
//! blocking thread and back; under load that is most of the read's cost, not the row. So such
//! reads queue here, and a few readers (each a [`Db::run_read`] job: a blocking thread and one
//! read connection) take everything queued when they look, read it with one statement
//! (`slug = ANY($1)`), answer each request and look again. Alone, a request is read at once, as
//! before; the batches grow only while every reader is busy.
//!
//! What a request sees: a batch is read after every request in it was queued, so a request sees
//! every change committed before it arrived, as a read of its own would. A batch that failed
//! because the server had dropped the connection is read again on another one (one dropped
//! connection must not fail every request that happened to share its batch).
//!
//! On SQLite there is no round trip: each read runs through [`Db::read`] by itself.

use super::{Backend, Conn, Db};
use crate::error::AppError;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

/// Reads the values of `keys` (distinct) with one statement; a key with nothing is left out.
pub type Fetch<K, V> = dyn Fn(&mut Conn, &[K]) -> Result<HashMap<K, V>, AppError> + Send + Sync;

/// At most this many keys in one statement; the rest wait for the next.
const LARGEST_BATCH: usize = 256;

type Answer<V> = oneshot::Sender<Result<Option<V>, AppError>>;

/// A request waiting for its read.
struct Waiting<K, V> {
    key: K,
    answer: Answer<V>,
    /// Reads of it that failed on a connection the server had dropped.
    dead_connections: u32,
}

/// Reads of `V` by `K`, batched on PostgreSQL (see the module documentation).
pub struct ReadBatches<K, V> {
    shared: Arc<Shared<K, V>>,
}

impl<K, V> Clone for ReadBatches<K, V> {
    fn clone(&self) -> Self {
        ReadBatches {
            shared: Arc::clone(&self.shared),
        }
    }
}

struct Shared<K, V> {
    db: Db,
    /// False on SQLite: each read by itself.
    batched: bool,
    fetch: Box<Fetch<K, V>>,
    /// At most this many batches read at once.
    readers: usize,
    queue: Mutex<Queue<K, V>>,
}

struct Queue<K, V> {
    waiting: Vec<Waiting<K, V>>,
    /// Readers started and not yet finished.
    reading: usize,
}

impl<K, V> Shared<K, V> {
    fn lock(&self) -> MutexGuard<'_, Queue<K, V>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<K, V> ReadBatches<K, V>
where
    K: Eq + Hash + Clone + Send + 'static,
    V: Clone + Send + 'static,
{
    /// `readers` batches at most at once (at least one); batched on PostgreSQL only.
    pub fn new(
        db: Db,
        readers: usize,
        fetch: impl Fn(&mut Conn, &[K]) -> Result<HashMap<K, V>, AppError> + Send + Sync + 'static,
    ) -> Self {
        let batched = db.backend() == Backend::Postgres;
        Self::with(db, batched, readers, fetch)
    }

    fn with(
        db: Db,
        batched: bool,
        readers: usize,
        fetch: impl Fn(&mut Conn, &[K]) -> Result<HashMap<K, V>, AppError> + Send + Sync + 'static,
    ) -> Self {
        ReadBatches {
            shared: Arc::new(Shared {
                db,
                batched,
                fetch: Box::new(fetch),
                readers: readers.max(1),
                queue: Mutex::new(Queue {
                    waiting: Vec::new(),
                    reading: 0,
                }),
            }),
        }
    }

    /// The value of `key`, read after this call began.
    pub async fn get(&self, key: K) -> Result<Option<V>, AppError> {
        let shared = &self.shared;
        if !shared.batched {
            let shared = Arc::clone(shared);
            return shared
                .db
                .clone()
                .read(
                    move |conn| Ok((shared.fetch)(conn, std::slice::from_ref(&key))?.remove(&key)),
                )
                .await;
        }
        let (answer, answered) = oneshot::channel();
        let start_reader = {
            let mut queue = shared.lock();
            queue.waiting.push(Waiting {
                key,
                answer,
                dead_connections: 0,
            });
            let start = queue.reading < shared.readers;
            if start {
                queue.reading += 1;
            }
            start
        };
        if start_reader {
            Reader::start(Arc::clone(shared));
        }
        answered
            .await
            .map_err(|_| AppError::unavailable("a batched read was dropped before it answered"))?
    }
}

/// One reader: counted in [`Queue::reading`] from its start until it finds the queue empty (or,
/// when it fails or is dropped, until it has answered what it took).
struct Reader<K, V> {
    shared: Arc<Shared<K, V>>,
    /// Still counted in `reading`: cleared when the reader leaves by the normal way.
    counted: bool,
}

impl<K, V> Reader<K, V>
where
    K: Eq + Hash + Clone + Send + 'static,
    V: Clone + Send + 'static,
{
    /// Runs a reader on its own task, so that no request's going away can stop it halfway.
    fn start(shared: Arc<Shared<K, V>>) {
        let db = shared.db.clone();
        let mut reader = Reader {
            shared,
            counted: true,
        };
        // Without a runtime (shutting down) the reader is dropped, which answers the requests.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                // An error was given to the requests it concerned.
                let _ = db.run_read(move |conn| reader.read_all(conn)).await;
            });
        }
    }

    /// Reads batches until the queue is empty.
    fn read_all(&mut self, conn: &mut Conn) -> Result<(), AppError> {
        loop {
            let batch = {
                let mut queue = self.shared.lock();
                if queue.waiting.is_empty() {
                    // Leaving and uncounting under one lock: a request queued after this sees
                    // a free reader slot and starts one.
                    queue.reading -= 1;
                    self.counted = false;
                    return Ok(());
                }
                let take = queue.waiting.len().min(LARGEST_BATCH);
                queue.waiting.drain(..take).collect::<Vec<_>>()
            };
            let mut keys: Vec<K> = batch.iter().map(|w| w.key.clone()).collect();
            dedup(&mut keys);
            let failed = match (self.shared.fetch)(conn, &keys) {
                Ok(found) => {
                    for waiting in batch {
                        let _ = waiting.answer.send(Ok(found.get(&waiting.key).cloned()));
                    }
                    continue;
                }
                Err(e) => e,
            };
            // On a connection the server dropped (a restart, a cut), the batch is read again by
            // a reader with another connection: the pool discards this one when `Db::run_read`
            // sees the error. Only a read failing on a live connection, or on more dead ones
            // than the pool holds, is answered with the error.
            let dead = !conn.is_alive();
            let most_tries = self.shared.db.pool_size() + 1;
            let mut again = Vec::new();
            for mut waiting in batch {
                waiting.dead_connections += u32::from(dead);
                if dead && waiting.dead_connections < most_tries {
                    again.push(waiting);
                } else {
                    let _ = waiting.answer.send(Err(failed.clone()));
                }
            }
            let restart = {
                let mut queue = self.shared.lock();
                // First in line again, ahead of those queued meanwhile.
                queue.waiting.splice(0..0, again);
                queue.reading -= 1;
                self.counted = false;
                let restart = !queue.waiting.is_empty() && queue.reading < self.shared.readers;
                if restart {
                    queue.reading += 1;
                }
                restart
            };
            if restart {
                Reader::start(Arc::clone(&self.shared));
            }
            return Err(failed);
        }
    }
}

/// Drops repeated keys, keeping the first of each (order otherwise kept).
fn dedup<K: Eq + Hash + Clone>(keys: &mut Vec<K>) {
    let mut seen = std::collections::HashSet::with_capacity(keys.len());
    keys.retain(|k| seen.insert(k.clone()));
}

impl<K, V> Drop for Reader<K, V> {
    /// A reader that failed, or never ran (its task dropped at shut-down), stops being counted;
    /// if no other reader is left, the requests still queued are answered with an error rather
    /// than left waiting.
    fn drop(&mut self) {
        if !self.counted {
            return;
        }
        let stranded = {
            let mut queue = self.shared.lock();
            queue.reading -= 1;
            if queue.reading == 0 {
                std::mem::take(&mut queue.waiting)
            } else {
                Vec::new()
            }
        };
        for waiting in stranded {
            let _ = waiting.answer.send(Err(AppError::unavailable(
                "the database read for this request failed; try again",
            )));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    type Batches = Arc<Mutex<Vec<Vec<u32>>>>;

    /// Batched reads on a SQLite file (the batching does not depend on the database), each key
    /// read as ten times itself except 99 (nothing) and 13 (an error). The first batch waits
    /// for `release`.
    fn reads(
        dir: &std::path::Path,
        readers: usize,
    ) -> (ReadBatches<u32, u32>, Batches, mpsc::Sender<()>) {
        let db = Db::connect(&format!("sqlite://{}", dir.join("t.db").display()), 4).unwrap();
        let batches: Batches = Arc::default();
        let (release, released) = mpsc::channel::<()>();
        let released = Mutex::new(released);
        let seen = Arc::clone(&batches);
        let reads = ReadBatches::with(db, true, readers, move |_conn, keys: &[u32]| {
            let first = {
                let mut seen = seen.lock().unwrap();
                seen.push(keys.to_vec());
                seen.len() == 1
            };
            if first {
                released
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(20))
                    .unwrap();
            }
            if keys.contains(&13) {
                return Err(AppError::internal("thirteen"));
            }
            Ok(keys
                .iter()
                .filter(|k| **k != 99)
                .map(|k| (*k, k * 10))
                .collect())
        });
        (reads, batches, release)
    }

    async fn until(what: &str, mut done: impl FnMut() -> bool) {
        for _ in 0..2000 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("timed out waiting until {what}");
    }

    /// A request for `key`, on its own task.
    fn asking(
        reads: &ReadBatches<u32, u32>,
        key: u32,
    ) -> tokio::task::JoinHandle<Result<Option<u32>, AppError>> {
        let reads = reads.clone();
        tokio::spawn(async move { reads.get(key).await })
    }

    fn queued<K, V>(reads: &ReadBatches<K, V>) -> usize {
        reads.shared.lock().waiting.len()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_queued_while_the_reader_is_busy_are_read_with_one_statement() {
        let dir = tempfile::tempdir().unwrap();
        let (reads, batches, release) = reads(dir.path(), 1);
        let first = asking(&reads, 1);
        until("the first read runs", || batches.lock().unwrap().len() == 1).await;
        let later: Vec<_> = [2, 3, 2, 99].map(|key| asking(&reads, key)).into();
        until("four requests wait", || queued(&reads) == 4).await;
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), Some(10));
        let mut answers = Vec::new();
        for read in later {
            answers.push(read.await.unwrap().unwrap());
        }
        assert_eq!(answers, [Some(20), Some(30), Some(20), None]);
        // One statement for the four (queued in any order), each key once.
        let mut read = batches.lock().unwrap().clone();
        read[1].sort_unstable();
        assert_eq!(read, [vec![1], vec![2, 3, 99]]);
        // The reader leaves once it finds the queue empty (just after answering).
        until("the reader leaves", || reads.shared.lock().reading == 0).await;
        // Alone, a request is read at once.
        assert_eq!(reads.get(7).await.unwrap(), Some(70));
        assert_eq!(batches.lock().unwrap().last().unwrap(), &vec![7]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_batch_answers_its_requests_with_the_error_and_later_ones_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let (reads, batches, release) = reads(dir.path(), 1);
        let first = asking(&reads, 13);
        until("the first read runs", || batches.lock().unwrap().len() == 1).await;
        let second = asking(&reads, 4);
        until("a request waits", || queued(&reads) == 1).await;
        release.send(()).unwrap();
        let failed = first.await.unwrap().unwrap_err();
        assert_eq!(failed.code, crate::error::Code::Internal);
        // The request queued behind the failure is read by a new reader.
        assert_eq!(second.await.unwrap().unwrap(), Some(40));
        assert_eq!(*batches.lock().unwrap(), [vec![13], vec![4]]);
        until("the reader leaves", || reads.shared.lock().reading == 0).await;
        assert_eq!(reads.get(5).await.unwrap(), Some(50));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unbatched_reads_go_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(
            &format!("sqlite://{}", dir.path().join("t.db").display()),
            4,
        )
        .unwrap();
        let reads = ReadBatches::new(db, 2, |_conn, keys: &[u32]| {
            assert_eq!(keys.len(), 1);
            Ok(keys.iter().map(|k| (*k, *k)).collect())
        });
        let all = futures_util::future::join_all((0..20u32).map(|k| {
            let reads = reads.clone();
            async move { reads.get(k).await.unwrap() }
        }))
        .await;
        assert_eq!(all, (0..20).map(Some).collect::<Vec<_>>());
    }
}
