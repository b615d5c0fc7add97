//! Accounts and their tokens (sessions and API tokens, stored hashed).

use super::schema::{tokens, users};
use super::{now, Conn};
use crate::error::AppError;
use crate::with_conn;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub cooperative_id: Option<i64>,
    pub created_at: NaiveDateTime,
    /// Set while an admin has the account disabled: no sign-in, no session, no token.
    pub disabled_at: Option<NaiveDateTime>,
}

impl UserRow {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }

    pub fn role(&self) -> Role {
        if self.role == "admin" {
            Role::Admin
        } else {
            Role::Member
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = tokens)]
pub struct TokenRow {
    pub id: i64,
    #[serde(skip)]
    pub user_id: i64,
    pub kind: String,
    #[serde(skip)]
    pub token_hash: String,
    pub label: Option<String>,
    #[serde(serialize_with = "crate::store::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::store::utc_opt")]
    pub expires_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::store::utc_opt")]
    pub revoked_at: Option<NaiveDateTime>,
    /// When the token was last presented (to the hour); `null` when never.
    #[serde(serialize_with = "crate::store::utc_opt")]
    pub last_used_at: Option<NaiveDateTime>,
}

pub fn by_email(conn: &mut Conn, email: &str) -> Result<Option<UserRow>, AppError> {
    let email = email.trim().to_lowercase();
    with_conn!(conn, |c| users::table
        .filter(users::email.eq(&email))
        .select(UserRow::as_select())
        .first(c)
        .optional())
    .map_err(AppError::from)
}

pub fn by_id(conn: &mut Conn, id: i64) -> Result<Option<UserRow>, AppError> {
    with_conn!(conn, |c| users::table
        .find(id)
        .select(UserRow::as_select())
        .first(c)
        .optional())
    .map_err(AppError::from)
}

/// Every account, by email.
pub fn all(conn: &mut Conn) -> Result<Vec<UserRow>, AppError> {
    with_conn!(conn, |c| users::table
        .order(users::email.asc())
        .select(UserRow::as_select())
        .load(c))
    .map_err(AppError::from)
}

/// Disables (`Some(since)`) or enables (`None`) an account; false when there is no such account.
pub fn set_disabled(
    conn: &mut Conn,
    user_id: i64,
    since: Option<NaiveDateTime>,
) -> Result<bool, AppError> {
    let n = with_conn!(conn, |c| diesel::update(users::table.find(user_id))
        .set(users::disabled_at.eq(since))
        .execute(c))?;
    Ok(n > 0)
}

pub fn members_of(conn: &mut Conn, cooperative_id: i64) -> Result<Vec<UserRow>, AppError> {
    with_conn!(conn, |c| users::table
        .filter(users::cooperative_id.eq(cooperative_id))
        .order(users::email.asc())
        .select(UserRow::as_select())
        .load(c))
    .map_err(AppError::from)
}

pub fn insert(
    conn: &mut Conn,
    email: &str,
    password_hash: &str,
    role: Role,
    cooperative_id: Option<i64>,
) -> Result<UserRow, AppError> {
    let email = email.trim().to_lowercase();
    let existing = by_email(conn, &email)?;
    if existing.is_some() {
        return Err(AppError::conflict(
            "email",
            "an account with this email exists",
        ));
    }
    with_conn!(conn, |c| diesel::insert_into(users::table)
        .values((
            users::email.eq(&email),
            users::password_hash.eq(password_hash),
            users::role.eq(role.as_str()),
            users::cooperative_id.eq(cooperative_id),
            users::created_at.eq(now()),
        ))
        .execute(c))?;
    by_email(conn, &email)?.ok_or_else(|| AppError::internal("user vanished after insert"))
}

pub fn set_password(conn: &mut Conn, user_id: i64, password_hash: &str) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::update(users::table.find(user_id))
        .set(users::password_hash.eq(password_hash))
        .execute(c))?;
    Ok(())
}

pub fn insert_token(
    conn: &mut Conn,
    user_id: i64,
    kind: &str,
    token_hash: &str,
    label: Option<&str>,
    expires_at: Option<NaiveDateTime>,
) -> Result<TokenRow, AppError> {
    with_conn!(conn, |c| diesel::insert_into(tokens::table)
        .values((
            tokens::user_id.eq(user_id),
            tokens::kind.eq(kind),
            tokens::token_hash.eq(token_hash),
            tokens::label.eq(label),
            tokens::created_at.eq(now()),
            tokens::expires_at.eq(expires_at),
        ))
        .execute(c))?;
    with_conn!(conn, |c| tokens::table
        .filter(tokens::token_hash.eq(token_hash))
        .select(TokenRow::as_select())
        .first(c))
    .map_err(AppError::from)
}

/// The token with this hash and its user, whatever its state (the caller checks expiry/revocation).
pub fn token_with_user(
    conn: &mut Conn,
    token_hash: &str,
) -> Result<Option<(TokenRow, UserRow)>, AppError> {
    with_conn!(conn, |c| tokens::table
        .inner_join(users::table)
        .filter(tokens::token_hash.eq(token_hash))
        .select((TokenRow::as_select(), UserRow::as_select()))
        .first(c)
        .optional())
    .map_err(AppError::from)
}

pub fn tokens_of(conn: &mut Conn, user_id: i64) -> Result<Vec<TokenRow>, AppError> {
    with_conn!(conn, |c| tokens::table
        .filter(tokens::user_id.eq(user_id))
        .filter(tokens::kind.eq("api"))
        .order(tokens::id.asc())
        .select(TokenRow::as_select())
        .load(c))
    .map_err(AppError::from)
}

/// Revokes a token of this user; false when there is no such token.
pub fn revoke(conn: &mut Conn, user_id: i64, token_id: i64) -> Result<bool, AppError> {
    let n = with_conn!(conn, |c| diesel::update(
        tokens::table
            .filter(tokens::id.eq(token_id))
            .filter(tokens::user_id.eq(user_id))
    )
    .set(tokens::revoked_at.eq(now()))
    .execute(c))?;
    Ok(n > 0)
}

/// Revokes every live session and token of this user but `keep` (the one in use); how many.
pub fn revoke_all(conn: &mut Conn, user_id: i64, keep: Option<i64>) -> Result<usize, AppError> {
    let keep = keep.unwrap_or(-1);
    with_conn!(conn, |c| diesel::update(
        tokens::table
            .filter(tokens::user_id.eq(user_id))
            .filter(tokens::revoked_at.is_null())
            .filter(tokens::id.ne(keep))
    )
    .set(tokens::revoked_at.eq(now()))
    .execute(c))
    .map_err(AppError::from)
}

/// Notes that a token was presented at `at`, unless it was noted less than an hour before (so
/// a busy client costs one write an hour, not one per request).
pub fn note_use(conn: &mut Conn, token_id: i64, at: NaiveDateTime) -> Result<(), AppError> {
    let hour_ago = at - chrono::Duration::hours(1);
    with_conn!(conn, |c| diesel::update(
        tokens::table.filter(tokens::id.eq(token_id)).filter(
            tokens::last_used_at
                .is_null()
                .or(tokens::last_used_at.lt(hour_ago))
        )
    )
    .set(tokens::last_used_at.eq(at))
    .execute(c))?;
    Ok(())
}

pub fn revoke_by_hash(conn: &mut Conn, token_hash: &str) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::update(
        tokens::table.filter(tokens::token_hash.eq(token_hash))
    )
    .set(tokens::revoked_at.eq(now()))
    .execute(c))?;
    Ok(())
}
