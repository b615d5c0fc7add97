//! Signing in, for both front ends: credentials checked under a rate limit per account and per
//! address, and the limiter that remembers failures.

use crate::accounts;
use crate::error::{AppError, Code};
use crate::store::users::UserRow;
use crate::store::Db;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins per account and per address; past the limit, wait for the window to pass.
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    window: Duration,
}

impl Default for LoginLimiter {
    fn default() -> LoginLimiter {
        LoginLimiter {
            failures: Mutex::new(HashMap::new()),
            window: Duration::from_secs(15 * 60),
        }
    }
}

const MAX_FAILURES_PER_ACCOUNT: u32 = 5;
const MAX_FAILURES_PER_ADDRESS: u32 = 20;

impl LoginLimiter {
    /// Seconds to wait if either key is over its limit.
    pub fn blocked(&self, account: &str, address: &str) -> Option<u64> {
        let mut map = self.failures.lock().ok()?;
        let now = Instant::now();
        map.retain(|_, (_, since)| now.duration_since(*since) < self.window);
        [
            (account, MAX_FAILURES_PER_ACCOUNT),
            (address, MAX_FAILURES_PER_ADDRESS),
        ]
        .iter()
        .filter_map(|(key, max)| {
            map.get(*key).filter(|(n, _)| n >= max).map(|(_, since)| {
                self.window
                    .saturating_sub(now.duration_since(*since))
                    .as_secs()
                    .max(1)
            })
        })
        .max()
    }

    pub fn failed(&self, account: &str, address: &str) {
        if let Ok(mut map) = self.failures.lock() {
            for key in [account, address] {
                let entry = map.entry(key.to_owned()).or_insert((0, Instant::now()));
                entry.0 += 1;
            }
        }
    }

    pub fn succeeded(&self, account: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(account);
        }
    }
}

/// A refused sign-in: wrong credentials, or too many failures (wait `minutes`).
pub fn rate_limited(minutes: u64) -> AppError {
    AppError::new(Code::RateLimited).with_detail(format!(
        "too many failed sign-ins; try again in {minutes} minutes"
    ))
}

/// Checks credentials under the rate limit; `address` names the client (`ip:…`).
pub async fn verify_login(
    db: &Db,
    limiter: &LoginLimiter,
    address: &str,
    email: &str,
    password: &str,
) -> Result<UserRow, AppError> {
    let account = format!("account:{}", email.trim().to_lowercase());
    if let Some(wait) = limiter.blocked(&account, address) {
        return Err(rate_limited(wait.div_ceil(60)));
    }
    let (email, password) = (email.to_owned(), password.to_owned());
    let result = db
        .run(move |conn| accounts::check_password(conn, &email, &password))
        .await;
    match &result {
        Ok(_) => limiter.succeeded(&account),
        Err(e) if e.code == Code::Unauthorized => limiter.failed(&account, address),
        Err(_) => {}
    }
    result
}

/// Signs `user_id` in: a new session secret for the cookie.
pub async fn start_session(db: &Db, user_id: i64) -> Result<String, AppError> {
    db.run(move |conn| accounts::issue_session(conn, user_id))
        .await
}

/// Signs out whoever presented `secret` (a session or an API token), if anyone did.
pub async fn sign_out(db: &Db, secret: Option<String>) -> Result<(), AppError> {
    match secret {
        Some(secret) => {
            db.run(move |conn| accounts::end_session(conn, &secret))
                .await
        }
        None => Ok(()),
    }
}
