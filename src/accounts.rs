//! Accounts: creating members and admins, checking passwords, issuing and ending tokens, and
//! who a presented token stands for. Used by both front ends and the CLI alike; blocking (argon2
//! is slow on purpose), so call it off the async workers.

use crate::auth;
use crate::error::{AppError, Code, FieldError};
use crate::messages::Message;
use crate::store::users::{self, Role, TokenRow, UserRow};
use crate::store::{catalogue, Conn};
use chrono::{Duration, NaiveDateTime};

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
    if token
        .expires_at
        .is_some_and(|at| at <= chrono::Utc::now().naive_utc())
    {
        return Err(AppError::new(Code::Unauthorized).with_detail("the token has expired"));
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
    let chars = new.password.chars().count();
    if !(auth::MIN_PASSWORD_CHARS..=200).contains(&chars) {
        errors.push(FieldError::new(
            "password",
            Message::PasswordLength(auth::MIN_PASSWORD_CHARS),
        ));
    }
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
    if auth::verify_password(password, &hash) {
        if let Some(user) = user {
            return Ok(user);
        }
    }
    Err(AppError::new(Code::Unauthorized).with_detail("wrong email or password"))
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

pub fn issue_session(conn: &mut Conn, user_id: i64) -> Result<String, AppError> {
    let expires = crate::store::now() + Duration::days(SESSION_DAYS);
    issue_token(conn, user_id, "session", None, Some(expires)).map(|(secret, _)| secret)
}
