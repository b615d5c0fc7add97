//! Signing in, for both front ends: credentials checked under limits per account and address
//! (`limiter`) on a bounded password-checking pool (`verifier`), sessions, and signing out.

use crate::accounts;
use crate::error::{AppError, Code};
use crate::store::users::{self, UserRow};
use crate::store::Db;
use std::time::Duration;

pub mod limiter;
pub mod verifier;

pub use limiter::AttemptBook;
pub use verifier::{PasswordChecker, VerificationCount};

/// What keeps sign-in guesses cheap for the server and useless against one account: the
/// attempt book (limits per account and address, back-off) and the password-checking pool.
#[derive(Default)]
pub struct LoginLimiter {
    pub attempts: AttemptBook,
    pub checker: PasswordChecker,
}

/// Seconds a sign-in pool asks clients to wait when it is full.
const BUSY_RETRY_SECONDS: u64 = 2;

/// A refused sign-in: too many failures, wait `wait` (the answer's `Retry-After`).
pub fn rate_limited(wait: Duration) -> AppError {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    AppError::new(Code::RateLimited)
        .with_detail(format!(
            "too many failed sign-ins; try again in {seconds} seconds"
        ))
        .with_detail_vi(format!(
            "Bạn đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {seconds} giây."
        ))
        .with_retry_after(seconds)
}

/// A refused password change: too many wrong current passwords, wait `wait`.
fn too_many_wrong_passwords(wait: Duration) -> AppError {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    AppError::new(Code::RateLimited)
        .with_detail(format!(
            "too many wrong passwords; try again in {seconds} seconds"
        ))
        .with_detail_vi(format!(
            "Bạn đã nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau {seconds} giây."
        ))
        .with_retry_after(seconds)
}

fn busy() -> AppError {
    AppError::new(Code::SignInBusy)
        .with_detail("too many sign-ins are being checked; try again in a moment")
        .with_retry_after(BUSY_RETRY_SECONDS)
}

/// Checks credentials under the limits; `address` names the client (`ip:…`, see
/// `limiter::address_key`). The attempt is reserved before anything is awaited, the user row
/// is read with a database connection that is released before the (slow) password check, and
/// the check runs on the bounded [`PasswordChecker`].
pub async fn verify_login(
    db: &Db,
    limiter: &LoginLimiter,
    address: &str,
    email: &str,
    password: &str,
) -> Result<UserRow, AppError> {
    let account = email.trim().to_lowercase();
    let attempt = limiter
        .attempts
        .reserve(&account, address)
        .map_err(rate_limited)?;
    // A place on the checking pool before the database is touched: a refused guess costs
    // neither a read nor a check.
    let permit = limiter.checker.admit().map_err(|_| busy())?;
    let lookup = email.to_owned();
    let user = db.run(move |conn| users::by_email(conn, &lookup)).await?;
    // An unknown account is checked too, so timing does not tell which emails have accounts.
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = limiter
        .checker
        .check(permit, attempt, password.to_owned(), hash)
        .await
        .map_err(|_| busy())?;
    accounts::sign_in_outcome(user, matches)
}

/// The signed-in member changes their own password. The current password is a guess like any
/// sign-in: it takes an attempt for the account and `address` first and is checked on the
/// bounded pool, never inside a database slot. Returns how many other sessions and tokens ended.
pub async fn change_own_password(
    db: &Db,
    limiter: &LoginLimiter,
    address: &str,
    who: accounts::Auth,
    current: String,
    new: String,
) -> Result<usize, AppError> {
    let attempt = limiter
        .attempts
        .reserve(&who.user.email.trim().to_lowercase(), address)
        .map_err(too_many_wrong_passwords)?;
    let permit = limiter.checker.admit().map_err(|_| busy())?;
    let hash = Some(who.user.password_hash.clone());
    let matches = limiter
        .checker
        .check(permit, attempt, current, hash)
        .await
        .map_err(|_| busy())?;
    db.run(move |conn| accounts::change_own_password(conn, &who, matches, &new))
        .await
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
