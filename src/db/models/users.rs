//! Staff accounts, their browser sessions and their API tokens.
//!
//! Sessions and tokens are looked up by the SHA-256 of the secret; the secret
//! itself is never stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{api_tokens, sessions, users};
use crate::db::{now, DbConn, StoreError};
use crate::domain::email::EmailAddress;
use crate::domain::role::{Role, Staff};
use crate::on_backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl UserRow {
    pub fn staff(&self) -> Result<Staff, StoreError> {
        Ok(Staff {
            user_id: self.id,
            email: self.email.clone(),
            role: Role::parse(&self.role)?,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    email: &'a str,
    password_hash: &'a str,
    role: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

pub fn count(conn: &mut DbConn) -> Result<i64, StoreError> {
    Ok(on_backend!(conn, |c| users::table
        .count()
        .get_result::<i64>(c))?)
}

/// Creates an account; a second account with the same email is a conflict.
pub fn create(
    conn: &mut DbConn,
    email: &EmailAddress,
    role: Role,
    password_hash: &str,
) -> Result<Staff, StoreError> {
    let at = now();
    let row = NewUser {
        email: email.as_str(),
        password_hash,
        role: role.as_str(),
        created_at: at,
        updated_at: at,
    };
    let id = on_backend!(conn, |c| diesel::insert_into(users::table)
        .values(&row)
        .returning(users::id)
        .get_result::<i64>(c))
    .map_err(StoreError::on_unique(format!(
        "An account for {} already exists.",
        email.as_str()
    )))?;
    Ok(Staff {
        user_id: id,
        email: email.as_str().to_string(),
        role,
    })
}

/// Creates the first administrator, only while there is no account at all.
pub fn create_first_admin(
    conn: &mut DbConn,
    email: &EmailAddress,
    password_hash: &str,
) -> Result<Staff, StoreError> {
    conn.write_transaction(|conn| {
        if count(conn)? > 0 {
            return Err(StoreError::Conflict(
                "An administrator already exists: sign in instead.".into(),
            ));
        }
        create(conn, email, Role::Admin, password_hash)
    })
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> Result<Option<UserRow>, StoreError> {
    Ok(on_backend!(conn, |c| users::table
        .select(UserRow::as_select())
        .filter(users::email.eq(email.trim().to_lowercase()))
        .first(c)
        .optional())?)
}

/// Starts a browser session for a user.
pub fn create_session(
    conn: &mut DbConn,
    user_id: i64,
    token_hash: &str,
    expires_at: NaiveDateTime,
) -> Result<(), StoreError> {
    let at = now();
    on_backend!(conn, |c| {
        diesel::delete(sessions::table.filter(sessions::expires_at.lt(at))).execute(c)?;
        diesel::insert_into(sessions::table)
            .values((
                sessions::token_hash.eq(token_hash),
                sessions::user_id.eq(user_id),
                sessions::created_at.eq(at),
                sessions::expires_at.eq(expires_at),
            ))
            .execute(c)
    })?;
    Ok(())
}

/// The person behind a live session, if any.
pub fn session_user(conn: &mut DbConn, token_hash: &str) -> Result<Option<Staff>, StoreError> {
    let row = on_backend!(conn, |c| sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now()))
        .select(UserRow::as_select())
        .first(c)
        .optional())?;
    row.map(|r| r.staff()).transpose()
}

pub fn delete_session(conn: &mut DbConn, token_hash: &str) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::delete(
        sessions::table.filter(sessions::token_hash.eq(token_hash))
    )
    .execute(c))?;
    Ok(())
}

/// Stores a new API token for a user.
pub fn create_token(
    conn: &mut DbConn,
    user_id: i64,
    name: &str,
    token_hash: &str,
) -> Result<i64, StoreError> {
    Ok(on_backend!(conn, |c| diesel::insert_into(
        api_tokens::table
    )
    .values((
        api_tokens::user_id.eq(user_id),
        api_tokens::name.eq(name),
        api_tokens::token_hash.eq(token_hash),
        api_tokens::created_at.eq(now()),
    ))
    .returning(api_tokens::id)
    .get_result::<i64>(c))?)
}

/// The person a bearer token acts for, if the token exists.
pub fn token_user(
    conn: &mut DbConn,
    token_hash: &str,
) -> Result<Option<(Staff, String)>, StoreError> {
    let row = on_backend!(conn, |c| api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .select((UserRow::as_select(), api_tokens::name))
        .first::<(UserRow, String)>(c)
        .optional())?;
    row.map(|(user, name)| Ok((user.staff()?, name)))
        .transpose()
}
