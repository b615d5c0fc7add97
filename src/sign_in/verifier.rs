//! Checks passwords (argon2, ~19 MiB and tens of milliseconds each) on a small pool of threads
//! of their own: a few at once, a short queue, a refusal beyond it, and no database slot held.
//!
//! Dedicated threads, not tokio's blocking pool: each thread that runs argon2 keeps its 19 MiB
//! in its allocator arena, so a burst spread over dozens of blocking threads would keep dozens
//! of those; here it is one per worker.

use super::limiter::Attempt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// How many passwords were checked: the verifications a flood of guesses actually bought.
#[derive(Clone, Default)]
pub struct VerificationCount(Arc<AtomicU64>);

impl VerificationCount {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add_one(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
        crate::metrics::with(|m| m.login_verifications.inc());
    }
}

/// The pool is full: the caller answers 503 and asks the client to come back shortly.
#[derive(Debug)]
pub struct Busy;

type Job = Box<dyn FnOnce() + Send>;

pub struct PasswordChecker {
    admitted: Arc<Semaphore>,
    jobs: mpsc::Sender<Job>,
    count: VerificationCount,
}

impl Default for PasswordChecker {
    /// Half the cores (at least one) check passwords; four checks per worker may wait.
    fn default() -> PasswordChecker {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let workers = (cores / 2).max(1);
        PasswordChecker::new(workers, workers * 4)
    }
}

impl PasswordChecker {
    /// `workers` threads (at least one); they end when the checker is dropped.
    pub fn new(workers: usize, queue: usize) -> PasswordChecker {
        let workers = workers.max(1);
        let (jobs, inbox) = mpsc::channel::<Job>();
        let inbox = Arc::new(Mutex::new(inbox));
        for n in 0..workers {
            let inbox = inbox.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-check-{n}"))
                .spawn(move || loop {
                    let next = inbox
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .recv();
                    match next {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-checking thread");
            }
        }
        PasswordChecker {
            admitted: Arc::new(Semaphore::new(workers + queue)),
            jobs,
            count: VerificationCount::default(),
        }
    }

    pub fn count(&self) -> VerificationCount {
        self.count.clone()
    }

    /// A place in the pool (running or queued), taken before the user row is read so that a
    /// refused guess costs neither a database read nor a check.
    pub fn admit(&self) -> Result<CheckPermit, Busy> {
        Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map(|place| CheckPermit { _place: place })
            .map_err(|_| Busy)
    }

    /// Checks `password` against `hash` (none: an unknown account, checked against a stand-in so
    /// that it takes as long) and settles `attempt` with the outcome, even if the caller stops
    /// waiting.
    pub async fn check(
        &self,
        permit: CheckPermit,
        attempt: Attempt,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, Busy> {
        let (answer, answered) = oneshot::channel();
        let count = self.count.clone();
        let job: Job = Box::new(move || {
            count.add_one();
            let hash = hash.unwrap_or_else(crate::accounts::unknown_account_hash);
            let matches = crate::auth::verify_password(&password, &hash);
            if matches {
                attempt.succeeded();
            } else {
                attempt.failed();
            }
            // The place goes back before the answer, so whoever hears it finds the pool free.
            drop(permit);
            let _ = answer.send(matches);
        });
        self.jobs.send(job).map_err(|_| Busy)?;
        answered.await.map_err(|_| Busy)
    }
}

/// Held from admission until the password has been checked (dropping it gives the place back).
pub struct CheckPermit {
    _place: OwnedSemaphorePermit,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sign_in::AttemptBook;

    #[tokio::test]
    async fn beyond_the_workers_and_the_queue_a_check_is_refused_at_once() {
        let checker = PasswordChecker::new(1, 1);
        let first = checker.admit().unwrap();
        let _second = checker.admit().unwrap();
        assert!(checker.admit().is_err());
        let book = AttemptBook::default();
        let attempt = book.reserve("tea@htx.vn", "ip:10.0.0.1").unwrap();
        let hash = crate::auth::hash_password("mat-khau-an-toan").unwrap();
        let matches = checker
            .check(first, attempt, "mat-khau-an-toan".into(), Some(hash))
            .await
            .unwrap();
        assert!(matches);
        assert_eq!(checker.count().get(), 1);
        assert!(
            checker.admit().is_ok(),
            "the finished check gave its place back"
        );
    }
}
