//! One read of a version row shared by the requests waiting for it.
//!
//! A request may use any read that *started* after the request arrived: that read sees every
//! change committed before the request, which is all a version read promises. So while one read
//! runs, the requests arriving meanwhile wait for the next one, which one of them starts once
//! the running one is over; under load one read by key answers many requests, and alone a
//! request reads as before (one read).

use super::Db;
use crate::error::AppError;
use std::future::Future;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::Notify;

/// Reads of one number, one at a time, each shared by the requests that arrived before it
/// started.
#[derive(Default)]
pub struct SharedRead {
    state: Mutex<State>,
    finished: Notify,
}

#[derive(Default)]
struct State {
    /// Reads started so far; the running one, if any, is number `started`.
    started: u64,
    running: bool,
    /// The number of the last read that succeeded, and what it found.
    found: Option<(u64, i64)>,
}

/// Ends a read: publishes what it found (if it succeeded) and lets the waiting requests go, even
/// when the request that ran it is dropped halfway.
struct Running<'a> {
    shared: &'a SharedRead,
    number: u64,
}

impl Running<'_> {
    fn finish(self, found: &Result<i64, AppError>) {
        if let Ok(value) = found {
            self.shared.lock().found = Some((self.number, *value));
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.shared.lock().running = false;
        self.shared.finished.notify_waiters();
    }
}

impl SharedRead {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The number as stored now: from a read that started after this call, run by `read` here
    /// or shared with the calls waiting alongside.
    pub async fn current<F, Fut>(&self, read: F) -> Result<i64, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<i64, AppError>>,
    {
        // The first read that may answer: the next to start (a running one started before).
        let wanted = self.lock().started + 1;
        loop {
            let finished = self.finished.notified();
            tokio::pin!(finished);
            // Registered before the state is looked at: a read ending in between still wakes us.
            finished.as_mut().enable();
            let running = {
                let mut state = self.lock();
                match state.found {
                    Some((number, value)) if number >= wanted => return Ok(value),
                    _ => {}
                }
                if state.running {
                    None
                } else {
                    state.running = true;
                    state.started += 1;
                    Some(Running {
                        shared: self,
                        number: state.started,
                    })
                }
            };
            if let Some(running) = running {
                let found = read().await;
                running.finish(&found);
                return found;
            }
            finished.await;
        }
    }
}

/// The storefront's and the festival calendar's versions, each read once for the requests
/// waiting on it (`super::storefront_version`, `super::calendar_version`).
#[derive(Default)]
pub struct StoredVersions {
    storefront: SharedRead,
    calendar: SharedRead,
}

impl StoredVersions {
    pub async fn storefront(&self, db: &Db) -> Result<i64, AppError> {
        self.storefront
            .current(|| db.read(super::storefront_version::current))
            .await
    }

    pub async fn calendar(&self, db: &Db) -> Result<i64, AppError> {
        self.calendar
            .current(|| db.read(super::calendar_version::current))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn alone_each_call_reads() {
        let shared = SharedRead::default();
        let reads = AtomicUsize::new(0);
        for expected in 1..=3 {
            let found = shared
                .current(|| async {
                    let n = reads.fetch_add(1, Ordering::SeqCst) + 1;
                    Ok(n as i64)
                })
                .await;
            assert_eq!(found.ok(), Some(expected));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 3);
    }

    /// Every caller gets a value at least as new as the one stored when it called, and the
    /// callers arriving during a read share the next one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_call_never_gets_a_read_that_started_before_it() {
        let shared = Arc::new(SharedRead::default());
        let stored = Arc::new(AtomicI64::new(0));
        let reads = Arc::new(AtomicUsize::new(0));
        let mut calls = Vec::new();
        for i in 0..200 {
            let (shared, stored, reads) = (shared.clone(), stored.clone(), reads.clone());
            calls.push(tokio::spawn(async move {
                if i % 10 == 0 {
                    stored.fetch_add(1, Ordering::SeqCst);
                }
                let at_call = stored.load(Ordering::SeqCst);
                let found = shared
                    .current(|| async {
                        reads.fetch_add(1, Ordering::SeqCst);
                        let value = stored.load(Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        Ok(value)
                    })
                    .await
                    .ok();
                assert!(found >= Some(at_call), "{found:?} < {at_call}");
            }));
        }
        for call in calls {
            call.await.ok();
        }
        assert!(reads.load(Ordering::SeqCst) < 200, "reads were shared");
    }

    /// A failed read is that call's error; the calls waiting on it read again.
    #[tokio::test]
    async fn a_failed_read_is_not_shared() {
        let shared = SharedRead::default();
        let failed = shared
            .current(|| async { Err(AppError::unavailable("database down")) })
            .await;
        assert!(failed.is_err());
        let found = shared.current(|| async { Ok(7) }).await;
        assert_eq!(found.ok(), Some(7));
    }

    /// A read whose caller went away still lets the others go.
    #[tokio::test]
    async fn a_dropped_read_does_not_stop_the_others() {
        let shared = SharedRead::default();
        let abandoned = shared.current(std::future::pending::<Result<i64, AppError>>);
        let _ = tokio::time::timeout(Duration::from_millis(5), abandoned).await;
        let found =
            tokio::time::timeout(Duration::from_secs(1), shared.current(|| async { Ok(3) })).await;
        assert_eq!(found.ok().and_then(Result::ok), Some(3));
    }
}
