//! Checks passwords (argon2, ~19 MiB and tens of milliseconds each) on a small pool of their
//! own: a few at once, a short queue, and a refusal beyond it, never holding a database slot.

use super::limiter::Attempt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

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

pub struct PasswordChecker {
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
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
    pub fn new(workers: usize, queue: usize) -> PasswordChecker {
        let workers = workers.max(1);
        PasswordChecker {
            running: Arc::new(Semaphore::new(workers)),
            admitted: Arc::new(Semaphore::new(workers + queue)),
            count: VerificationCount::default(),
        }
    }

    pub fn count(&self) -> VerificationCount {
        self.count.clone()
    }

    /// Checks `password` against `hash` (none: an unknown account, checked against a stand-in so
    /// that it takes as long) and settles `attempt` with the outcome, even if the
    /// caller stops waiting. `Err(Busy)` when the pool and its queue are full (the attempt is
    /// withdrawn: nothing was checked).
    pub async fn check(
        &self,
        attempt: Attempt,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, Busy> {
        let admission = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| Busy)?;
        let worker = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|_| Busy)?;
        let count = self.count.clone();
        tokio::task::spawn_blocking(move || {
            let _held = (admission, worker);
            count.add_one();
            let hash = hash.unwrap_or_else(crate::accounts::unknown_account_hash);
            let matches = crate::auth::verify_password(&password, &hash);
            if matches {
                attempt.succeeded();
            } else {
                attempt.failed();
            }
            matches
        })
        .await
        .map_err(|_| Busy)
    }
}
