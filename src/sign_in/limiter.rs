//! The sign-in attempt book: attempts per account and address pair, per address and per
//! account, reserved atomically before a password is checked, with back-off instead of a lock.
//!
//! A failed attempt counts against the pair (this address guessing this account), the address
//! (one address guessing many accounts) and the account (many addresses guessing one account).
//! Each key allows a few failures, then one attempt at a time after a pause that doubles with
//! every further failure (capped at the window); a key forgets its failures once the window
//! has passed without one. The account's own ceiling is generous and binds only addresses that
//! have failed before: an attacker cannot keep the owner out by failing from elsewhere.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long failures are remembered, and the longest pause.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures an address may make for one account before it must pause.
pub const PAIR_FREE_FAILURES: u32 = 5;
/// Failures an address may make over every account before it must pause.
pub const ADDRESS_FREE_FAILURES: u32 = 20;
/// Failures all addresses together may make for one account before addresses that have failed
/// before must pause (an address with a clean record is never held back by it).
pub const ACCOUNT_FREE_FAILURES: u32 = 100;
/// The first pause past the free failures; each further failure doubles it, up to [`WINDOW`].
pub const FIRST_PAUSE: Duration = Duration::from_secs(60);

/// The address an attempt comes from, as the limits count it: an IPv4 address, or the /64 an
/// IPv6 address belongs to (one subscriber usually holds a whole /64).
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip:{v4}"),
            None => {
                let s = v6.segments();
                format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Record {
    failures: u32,
    in_flight: u32,
    last_failure: Option<Instant>,
}

impl Record {
    /// Nothing to remember: no attempt running and no failure within the window.
    fn is_clean(&self, now: Instant) -> bool {
        self.in_flight == 0
            && self
                .last_failure
                .is_none_or(|at| now.duration_since(at) >= WINDOW)
    }

    /// Failures that still count (none once the window has passed without one).
    fn failures(&self, now: Instant) -> u32 {
        match self.last_failure {
            Some(at) if now.duration_since(at) < WINDOW => self.failures,
            _ => 0,
        }
    }

    /// How long the next attempt must wait, if at all.
    fn wait(&self, free: u32, now: Instant) -> Option<Duration> {
        let failures = self.failures(now);
        if failures + self.in_flight < free {
            return None;
        }
        // Past the free failures, one attempt at a time: the running one decides the pause.
        if self.in_flight > 0 {
            return Some(Duration::from_secs(1));
        }
        let doublings = (failures - free).min(16);
        let pause = FIRST_PAUSE.saturating_mul(1 << doublings).min(WINDOW);
        let since = self.last_failure.map_or(pause, |at| now.duration_since(at));
        (since < pause).then(|| pause - since)
    }
}

#[derive(Default)]
struct Book {
    records: HashMap<String, Record>,
    /// Clean records are swept out when the book grows past this.
    sweep_at: usize,
}

const FIRST_SWEEP: usize = 1024;

impl Book {
    fn sweep_if_due(&mut self, now: Instant) {
        if self.records.len() < self.sweep_at.max(FIRST_SWEEP) {
            return;
        }
        self.records.retain(|_, record| !record.is_clean(now));
        self.sweep_at = (self.records.len() * 2).max(FIRST_SWEEP);
    }

    fn get(&self, key: &str) -> Record {
        self.records.get(key).copied().unwrap_or_default()
    }

    fn update(&mut self, key: &str, now: Instant, change: impl FnOnce(&mut Record)) {
        let record = self.records.entry(key.to_owned()).or_default();
        if record.failures(now) == 0 {
            record.failures = 0;
        }
        change(record);
        if record.is_clean(now) {
            self.records.remove(key);
        }
    }
}

/// Attempts in progress and failures remembered, shared by every request.
#[derive(Clone, Default)]
pub struct AttemptBook {
    book: Arc<Mutex<Book>>,
}

/// The three keys one attempt counts against.
#[derive(Debug, Clone)]
struct Keys {
    pair: String,
    address: String,
    account: String,
}

impl Keys {
    fn new(account: &str, address: &str) -> Keys {
        Keys {
            pair: format!("pair:{account}|{address}"),
            address: address.to_owned(),
            account: format!("account:{account}"),
        }
    }

    fn all(&self) -> [&str; 3] {
        [&self.pair, &self.address, &self.account]
    }
}

impl AttemptBook {
    fn lock(&self) -> MutexGuard<'_, Book> {
        // A panic while holding the lock leaves plain counters behind: still usable.
        self.book
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reserves an attempt for `account` from `address`, or says how long to wait. The check
    /// and the reservation happen under one lock, so parallel guesses cannot all slip through.
    pub fn reserve(&self, account: &str, address: &str) -> Result<Attempt, Duration> {
        let keys = Keys::new(account, address);
        let now = Instant::now();
        let mut book = self.lock();
        book.sweep_if_due(now);
        let address_record = book.get(&keys.address);
        let mut waits = vec![
            book.get(&keys.pair).wait(PAIR_FREE_FAILURES, now),
            address_record.wait(ADDRESS_FREE_FAILURES, now),
        ];
        if !address_record.is_clean(now) {
            waits.push(book.get(&keys.account).wait(ACCOUNT_FREE_FAILURES, now));
        }
        if let Some(wait) = waits.into_iter().flatten().max() {
            return Err(wait);
        }
        for key in keys.all() {
            book.update(key, now, |r| r.in_flight += 1);
        }
        Ok(Attempt {
            book: self.clone(),
            keys,
            settled: false,
        })
    }

    fn settle(&self, keys: &Keys, outcome: Outcome) {
        let now = Instant::now();
        let mut book = self.lock();
        for key in keys.all() {
            let is_pair = key == keys.pair;
            book.update(key, now, |r| {
                r.in_flight = r.in_flight.saturating_sub(1);
                match outcome {
                    Outcome::Failed => {
                        r.failures += 1;
                        r.last_failure = Some(now);
                    }
                    // The right password from this address clears this address's record for
                    // this account only: an attacker signing in to their own account must not
                    // wipe their failures against others.
                    Outcome::Succeeded if is_pair => {
                        r.failures = 0;
                        r.last_failure = None;
                    }
                    Outcome::Succeeded | Outcome::Withdrawn => {}
                }
            });
        }
    }

    /// Attempts reserved and not yet settled (for tests).
    pub fn in_flight(&self) -> u32 {
        self.lock()
            .records
            .iter()
            .filter(|(key, _)| key.starts_with("pair:"))
            .map(|(_, r)| r.in_flight)
            .sum()
    }
}

#[derive(Debug, Clone, Copy)]
enum Outcome {
    Failed,
    Succeeded,
    /// The password was never checked (the server was busy, the client went away).
    Withdrawn,
}

/// A reserved attempt. Settle it with the check's outcome; dropped unsettled, it is withdrawn
/// and counts as nothing.
pub struct Attempt {
    book: AttemptBook,
    keys: Keys,
    settled: bool,
}

impl Attempt {
    pub fn failed(mut self) {
        self.settled = true;
        self.book.settle(&self.keys, Outcome::Failed);
    }

    pub fn succeeded(mut self) {
        self.settled = true;
        self.book.settle(&self.keys, Outcome::Succeeded);
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if !self.settled {
            self.book.settle(&self.keys, Outcome::Withdrawn);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fail(book: &AttemptBook, account: &str, address: &str) {
        book.reserve(account, address).unwrap().failed();
    }

    #[test]
    fn parallel_attempts_beyond_the_free_failures_are_refused_before_any_settles() {
        let book = AttemptBook::default();
        let held: Vec<Attempt> = (0..30)
            .filter_map(|_| book.reserve("tea@htx.vn", "ip:10.0.0.1").ok())
            .collect();
        assert_eq!(held.len(), PAIR_FREE_FAILURES as usize);
        drop(held);
        assert_eq!(book.in_flight(), 0);
    }

    #[test]
    fn failures_from_one_address_do_not_hold_back_another() {
        let book = AttemptBook::default();
        for _ in 0..PAIR_FREE_FAILURES {
            fail(&book, "tea@htx.vn", "ip:10.0.0.1");
        }
        let wait = book.reserve("tea@htx.vn", "ip:10.0.0.1").err();
        assert_eq!(wait.map(|w| w.as_secs().div_ceil(60)), Some(1));
        assert!(book.reserve("tea@htx.vn", "ip:10.0.0.2").is_ok());
    }

    #[test]
    fn the_account_ceiling_spares_addresses_with_a_clean_record() {
        let book = AttemptBook::default();
        for n in 0..ACCOUNT_FREE_FAILURES {
            fail(
                &book,
                "tea@htx.vn",
                &format!("ip:10.1.{}.{}", n / 200, n % 200),
            );
        }
        // An address that failed before waits; a fresh one (the owner's phone) goes through.
        assert!(book.reserve("tea@htx.vn", "ip:10.1.0.0").is_err());
        assert!(book.reserve("tea@htx.vn", "ip:192.0.2.7").is_ok());
    }

    #[test]
    fn pauses_double_past_the_free_failures_and_success_clears_only_the_pair() {
        let now = Instant::now();
        let record = Record {
            failures: PAIR_FREE_FAILURES + 2,
            in_flight: 0,
            last_failure: Some(now),
        };
        let wait = record.wait(PAIR_FREE_FAILURES, now).unwrap();
        assert_eq!(wait, FIRST_PAUSE * 4);
        let forgotten = Record {
            last_failure: now.checked_sub(WINDOW),
            ..record
        };
        assert_eq!(forgotten.wait(PAIR_FREE_FAILURES, now), None);

        let book = AttemptBook::default();
        for _ in 0..3 {
            fail(&book, "tea@htx.vn", "ip:10.0.0.1");
        }
        book.reserve("tea@htx.vn", "ip:10.0.0.1")
            .unwrap()
            .succeeded();
        let lock = book.lock();
        assert!(!lock.records.contains_key("pair:tea@htx.vn|ip:10.0.0.1"));
        assert_eq!(lock.records.get("ip:10.0.0.1").map(|r| r.failures), Some(3));
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(address_key(mapped), "ip:192.0.2.1");
    }
}
