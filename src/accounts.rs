//! Accounts: creating members and admins, checking and changing passwords, disabling accounts,
//! issuing and ending tokens, and who a presented token stands for. Used by both front ends and
//! the CLI alike; blocking (argon2 is slow on purpose), so call it off the async workers.

use crate::auth;
use crate::config::Settings;
use crate::error::{AppError, Code, FieldError};
use crate::messages::Message;
use crate::store::users::{self, Role, TokenRow, UserRow};
use crate::store::{catalogue, now, Conn};
use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

pub const SESSION_DAYS: i64 = 30;

/// The signed-in account behind a request (by session or API token), as a plain value the
/// rules below both front ends take.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: UserRow,
    pub token_id: i64,
}

impl Auth {
    pub fn is_admin(&self) -> bool {
        self.user.role() == Role::Admin
    }
}

/// Refuses a presented secret that cannot be a token, before any database work.
pub fn screen_secret(secret: &str) -> Result<(), AppError> {
    if secret.is_empty() || secret.len() > 200 {
        return Err(AppError::new(Code::Unauthorized).with_detail("the token is not valid"));
    }
    Ok(())
}

/// The account a presented session or API token stands for, or why it does not count.
pub fn authenticate(conn: &mut Conn, secret: &str) -> Result<Auth, AppError> {
    screen_secret(secret)?;
    let found = users::token_with_user(conn, &auth::token_hash(secret))?;
    let Some((token, user)) = found else {
        return Err(AppError::new(Code::Unauthorized).with_detail("the token is not valid"));
    };
    if token.revoked_at.is_some() {
        return Err(AppError::new(Code::Unauthorized).with_detail("the token was revoked"));
    }
    let at = now();
    if token.expires_at.is_some_and(|expiry| expiry <= at) {
        return Err(AppError::new(Code::Unauthorized).with_detail("the token has expired"));
    }
    // Disabling revokes every token; this also covers one issued in the same instant.
    if user.is_disabled() {
        return Err(AppError::new(Code::Unauthorized).with_detail("the account is disabled"));
    }
    let noted_lately = token
        .last_used_at
        .is_some_and(|last| last > at - Duration::hours(1));
    if token.kind == "api" && !noted_lately {
        // Only for the token list: a failed note must not refuse the request.
        if let Err(e) = users::note_use(conn, token.id, at) {
            tracing::warn!(error = %e, token_id = token.id, "could not note a token's use");
        }
    }
    Ok(Auth {
        user,
        token_id: token.id,
    })
}

/// Signing out: the session (or API token) `secret` stops working.
pub fn end_session(conn: &mut Conn, secret: &str) -> Result<(), AppError> {
    users::revoke_by_hash(conn, &auth::token_hash(secret))
}

pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub role: Role,
    /// Required for members.
    pub cooperative_slug: Option<&'a str>,
}

fn check_email(email: &str) -> bool {
    let email = email.trim();
    let mut parts = email.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub fn create(conn: &mut Conn, new: &NewAccount<'_>) -> Result<UserRow, AppError> {
    let mut errors = Vec::new();
    if !check_email(new.email) {
        errors.push(FieldError::new("email", Message::Email));
    }
    errors.extend(password_problem("password", new.password));
    let coop_id = match (new.role, new.cooperative_slug) {
        (Role::Member, Some(slug)) => match catalogue::cooperative_by_slug(conn, slug)? {
            Some(c) => Some(c.id),
            None => {
                errors.push(FieldError::new("cooperative", Message::UnknownCooperative));
                None
            }
        },
        (Role::Member, None) => {
            errors.push(FieldError::new(
                "cooperative",
                Message::MemberNeedsCooperative,
            ));
            None
        }
        (Role::Admin, Some(_)) => {
            errors.push(FieldError::new(
                "cooperative",
                Message::AdminHasNoCooperative,
            ));
            None
        }
        (Role::Admin, None) => None,
    };
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let hash = auth::hash_password(new.password).map_err(|e| AppError::internal(e.to_string()))?;
    users::insert(conn, new.email, &hash, new.role, coop_id)
}

/// A real argon2 hash no password matches well enough to matter: checked for unknown accounts
/// so that a wrong email costs as long as a wrong password.
pub fn unknown_account_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| auth::hash_password("no such account").unwrap_or_default())
        .clone()
}

/// The account for these credentials, or `unauthorized` (the same answer for a wrong email
/// and a wrong password, so accounts cannot be discovered).
pub fn check_password(conn: &mut Conn, email: &str, password: &str) -> Result<UserRow, AppError> {
    let user = users::by_email(conn, email)?;
    // An unknown account is checked against a real hash too, so timing does not tell which
    // emails have accounts.
    let hash = user
        .as_ref()
        .map_or_else(unknown_account_hash, |u| u.password_hash.clone());
    sign_in_outcome(user, auth::verify_password(password, &hash))
}

/// What a password check means for signing in: the account, `account_disabled` (named only to
/// whoever knew the password: to anyone else a disabled account answers like a wrong password),
/// or `unauthorized`. Both sign-in paths (this module's `check_password`, `sign_in::verify_login`)
/// answer through it.
pub fn sign_in_outcome(user: Option<UserRow>, password_matches: bool) -> Result<UserRow, AppError> {
    match user {
        Some(user) if password_matches && user.is_disabled() => {
            Err(AppError::new(Code::AccountDisabled)
                .with_detail("this account is disabled; ask the admins to enable it"))
        }
        Some(user) if password_matches => Ok(user),
        _ => Err(AppError::new(Code::Unauthorized).with_detail("wrong email or password")),
    }
}

/// The one password rule (account creation, changes and resets alike).
fn password_problem(field: &str, password: &str) -> Option<FieldError> {
    let chars = password.chars().count();
    (!(auth::MIN_PASSWORD_CHARS..=200).contains(&chars))
        .then(|| FieldError::new(field, Message::PasswordLength(auth::MIN_PASSWORD_CHARS)))
}

fn hash(password: &str) -> Result<String, AppError> {
    auth::hash_password(password).map_err(|e| AppError::internal(e.to_string()))
}

/// A member changes their own password, once the current one was checked
/// (`current_matches`, by `sign_in::change_own_password` under the sign-in limits): every other
/// session and token of theirs stops working (the one in use stays). Returns how many ended.
pub fn change_own_password(
    conn: &mut Conn,
    who: &Auth,
    current_matches: bool,
    new_password: &str,
) -> Result<usize, AppError> {
    let mut errors = Vec::new();
    if !current_matches {
        errors.push(FieldError::new(
            "current_password",
            Message::CurrentPasswordWrong,
        ));
    }
    errors.extend(password_problem("new_password", new_password));
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let user = users::by_id(conn, who.user.id)?.ok_or_else(|| AppError::new(Code::UserNotFound))?;
    let hash = hash(new_password)?;
    conn.transaction(|conn| {
        users::set_password(conn, user.id, &hash)?;
        users::revoke_all(conn, user.id, Some(who.token_id))
    })
}

/// An admin (or an operator) sets a new password: every session and token of the account stops
/// working. Returns how many ended.
pub fn reset_password(
    conn: &mut Conn,
    user_id: i64,
    new_password: &str,
) -> Result<usize, AppError> {
    if let Some(problem) = password_problem("new_password", new_password) {
        return Err(AppError::validation(vec![problem]));
    }
    users::by_id(conn, user_id)?.ok_or_else(|| AppError::new(Code::UserNotFound))?;
    let hash = hash(new_password)?;
    conn.transaction(|conn| {
        users::set_password(conn, user_id, &hash)?;
        users::revoke_all(conn, user_id, None)
    })
}

/// An account as admins see it in the list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// The member's cooperative (its slug); `null` for admins.
    pub cooperative: Option<String>,
    #[serde(skip)]
    pub cooperative_name: Option<String>,
    #[serde(serialize_with = "crate::store::utc")]
    pub created_at: NaiveDateTime,
    /// Since when the account is disabled; `null` while it may sign in.
    #[serde(serialize_with = "crate::store::utc_opt")]
    pub disabled_at: Option<NaiveDateTime>,
}

fn account_of(user: UserRow, coops: &[catalogue::Cooperative]) -> Account {
    let coop = user
        .cooperative_id
        .and_then(|id| coops.iter().find(|c| c.id == id));
    Account {
        id: user.id,
        role: user.role(),
        email: user.email,
        cooperative: coop.map(|c| c.slug.clone()),
        cooperative_name: coop.map(|c| c.name.clone()),
        created_at: user.created_at,
        disabled_at: user.disabled_at,
    }
}

/// Every account, by email.
pub fn list(conn: &mut Conn) -> Result<Vec<Account>, AppError> {
    let coops = catalogue::all_cooperatives(conn)?;
    Ok(users::all(conn)?
        .into_iter()
        .map(|u| account_of(u, &coops))
        .collect())
}

fn account(conn: &mut Conn, user_id: i64) -> Result<Account, AppError> {
    let user = users::by_id(conn, user_id)?.ok_or_else(|| AppError::new(Code::UserNotFound))?;
    let coops = catalogue::all_cooperatives(conn)?;
    Ok(account_of(user, &coops))
}

/// Disables an account: sign-in is refused and every session and token ends at once. `actor`
/// is the admin doing it, who may not disable themselves (and so lock the admins out).
/// Disabling a disabled account changes nothing.
pub fn disable(conn: &mut Conn, user_id: i64, actor: Option<i64>) -> Result<Account, AppError> {
    if actor == Some(user_id) {
        return Err(AppError::conflict("id", Message::OwnAccount));
    }
    let user = users::by_id(conn, user_id)?.ok_or_else(|| AppError::new(Code::UserNotFound))?;
    conn.transaction(|conn| {
        if !user.is_disabled() {
            users::set_disabled(conn, user_id, Some(now()))?;
        }
        users::revoke_all(conn, user_id, None)
    })?;
    account(conn, user_id)
}

/// Lets a disabled account sign in again (its old sessions and tokens stay revoked).
pub fn enable(conn: &mut Conn, user_id: i64) -> Result<Account, AppError> {
    if !users::set_disabled(conn, user_id, None)? {
        return Err(AppError::new(Code::UserNotFound));
    }
    account(conn, user_id)
}

/// How long API tokens last: a default, and a longest term a creator may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenTerms {
    pub default_days: u32,
    pub max_days: u32,
}

impl TokenTerms {
    pub fn of(settings: &Settings) -> TokenTerms {
        TokenTerms {
            default_days: settings.token_days_default,
            max_days: settings.token_days_max,
        }
    }

    /// When a token issued now for `requested` days (the default when `None`) expires; a term
    /// outside 1 to `max_days` is refused, naming `expires_in_days`.
    pub fn expiry(&self, requested: Option<i64>) -> Result<NaiveDateTime, AppError> {
        let days = requested.unwrap_or(i64::from(self.default_days));
        if !(1..=i64::from(self.max_days)).contains(&days) {
            return Err(AppError::field(
                "expires_in_days",
                Message::TokenDays(self.max_days),
            ));
        }
        Ok(now() + Duration::days(days))
    }
}

/// Issues a token; returns the secret (shown once) and its row.
pub fn issue_token(
    conn: &mut Conn,
    user_id: i64,
    kind: &str,
    label: Option<&str>,
    expires_at: Option<NaiveDateTime>,
) -> Result<(String, TokenRow), AppError> {
    let secret = auth::new_token();
    let row = users::insert_token(
        conn,
        user_id,
        kind,
        &auth::token_hash(&secret),
        label,
        expires_at,
    )?;
    Ok((secret, row))
}

/// Issues an API token (a bearer token for clients) that expires at `expires_at`.
pub fn issue_api_token(
    conn: &mut Conn,
    user_id: i64,
    label: Option<&str>,
    expires_at: NaiveDateTime,
) -> Result<(String, TokenRow), AppError> {
    let label: Option<String> = label.map(|l| l.trim().chars().take(80).collect());
    let label = label.filter(|l| !l.is_empty());
    issue_token(conn, user_id, "api", label.as_deref(), Some(expires_at))
}

pub fn issue_session(conn: &mut Conn, user_id: i64) -> Result<String, AppError> {
    let expires = now() + Duration::days(SESSION_DAYS);
    issue_token(conn, user_id, "session", None, Some(expires)).map(|(secret, _)| secret)
}
