//! The org, users and tokens: the queries behind those `Store` methods.
//!
//! Functions taking `&Connection` are reads (run on the read pool); those taking `&mut Tx` run in
//! the writer thread inside a job's savepoint.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::error::{is_unique_violation, map, parse_column};
use super::writer::Tx;
use crate::crypto::TokenHash;
use crate::store::{Millis, NewAudit, NewToken, OrgRow, Role, StoreError, StoreResult, TokenRow, UserRow};

pub(super) fn org(conn: &Connection) -> StoreResult<Option<OrgRow>> {
    conn.prepare_cached("SELECT name, members_can_reveal FROM org WHERE id = 1")
        .and_then(|mut st| {
            st.query_row([], |r| {
                Ok(OrgRow {
                    name: r.get(0)?,
                    members_can_reveal: r.get(1)?,
                })
            })
            .optional()
        })
        .map_err(map)
}

pub(super) fn init(tx: &mut Tx<'_>, org_name: &str, admin: &str, token: NewToken, at: Millis) -> StoreResult<UserRow> {
    if org(tx.conn)?.is_some() {
        return Err(StoreError::AlreadyInitialised);
    }
    tx.conn
        .prepare_cached("INSERT INTO org (id, name, members_can_reveal, created_at) VALUES (1, ?1, 0, ?2)")
        .and_then(|mut st| st.execute(params![org_name, at]))
        .map_err(map)?;
    insert_user_with_token(tx.conn, admin, Role::Admin, token, at)
}

pub(super) fn update_org(tx: &mut Tx<'_>, members_can_reveal: bool, audit: NewAudit) -> StoreResult<OrgRow> {
    let changed = tx
        .conn
        .prepare_cached("UPDATE org SET members_can_reveal = ?1 WHERE id = 1")
        .and_then(|mut st| st.execute(params![members_can_reveal]))
        .map_err(map)?;
    if changed == 0 {
        return Err(StoreError::NotInitialised);
    }
    tx.append_audit(audit)?;
    org(tx.conn)?.ok_or(StoreError::NotInitialised)
}

pub(super) fn create_user(
    tx: &mut Tx<'_>,
    name: &str,
    role: Role,
    token: NewToken,
    at: Millis,
    audit: NewAudit,
) -> StoreResult<UserRow> {
    if org(tx.conn)?.is_none() {
        return Err(StoreError::NotInitialised);
    }
    let user = insert_user_with_token(tx.conn, name, role, token, at)?;
    tx.append_audit(audit)?;
    Ok(user)
}

/// A new user and its first token: `token.user_id` is ignored, the token goes to the new user.
fn insert_user_with_token(
    conn: &Connection,
    name: &str,
    role: Role,
    token: NewToken,
    at: Millis,
) -> StoreResult<UserRow> {
    let user = insert_user(conn, name, role, at)?;
    insert_token(
        conn,
        &NewToken {
            user_id: user.id,
            ..token
        },
    )?;
    Ok(user)
}

fn insert_user(conn: &Connection, name: &str, role: Role, at: Millis) -> StoreResult<UserRow> {
    conn.prepare_cached("INSERT INTO users (name, role, created_at) VALUES (?1, ?2, ?3)")
        .and_then(|mut st| st.execute(params![name, role.as_str(), at]))
        .map_err(|e| {
            if is_unique_violation(&e, "users.name") {
                StoreError::AlreadyExists(name.to_owned())
            } else {
                map(e)
            }
        })?;
    Ok(UserRow {
        id: conn.last_insert_rowid(),
        name: name.to_owned(),
        role,
        created_at: at,
    })
}

pub(super) fn user_by_name(conn: &Connection, name: &str) -> StoreResult<Option<UserRow>> {
    conn.prepare_cached("SELECT id, name, role, created_at FROM users WHERE name = ?1")
        .and_then(|mut st| st.query_row([name], |r| user_row(r, 0)).optional())
        .map_err(map)
}

const TOKEN_COLUMNS: &str = "t.id, t.user_id, t.name, t.hash, t.created_at, t.expires_at, t.revoked_at";
pub(super) const TOKEN_BY_HASH: &str = "SELECT t.id, t.user_id, t.name, t.hash, t.created_at, t.expires_at, \
                                        t.revoked_at FROM tokens t WHERE t.hash = ?1";
pub(super) const USER_BY_ID: &str = "SELECT id, name, role, created_at FROM users WHERE id = ?1";

/// Two lookups rather than a join: SQLite (with STAT4) compiles a joining statement again on every
/// run, and this one runs for every request.
pub(super) fn token_by_hash(conn: &Connection, hash: &TokenHash) -> StoreResult<Option<(TokenRow, UserRow)>> {
    let Some(token) = conn
        .prepare_cached(TOKEN_BY_HASH)
        .and_then(|mut st| st.query_row([&hash.0[..]], token_row).optional())
        .map_err(map)?
    else {
        return Ok(None);
    };
    let user = conn
        .prepare_cached(USER_BY_ID)
        .and_then(|mut st| st.query_row([token.user_id], |r| user_row(r, 0)).optional())
        .map_err(map)?;
    Ok(user.map(|user| (token, user)))
}

pub(super) fn create_token(tx: &mut Tx<'_>, token: NewToken, audit: NewAudit) -> StoreResult<TokenRow> {
    insert_token(tx.conn, &token)?;
    tx.append_audit(audit)?;
    Ok(TokenRow {
        id: token.id,
        user_id: token.user_id,
        name: token.name,
        hash: token.hash,
        created_at: token.created_at,
        expires_at: token.expires_at,
        revoked_at: None,
    })
}

fn insert_token(conn: &Connection, t: &NewToken) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO tokens (id, user_id, name, hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut st| {
        st.execute(params![
            t.id,
            t.user_id,
            t.name,
            &t.hash.0[..],
            t.created_at,
            t.expires_at
        ])
    })
    .map_err(|e| {
        if is_unique_violation(&e, "tokens.id") {
            StoreError::AlreadyExists(format!("token {}", t.id))
        } else {
            map(e)
        }
    })?;
    Ok(())
}

pub(super) fn list_tokens(conn: &Connection, user_id: i64) -> StoreResult<Vec<TokenRow>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens t WHERE t.user_id = ?1 ORDER BY t.created_at, t.id");
    conn.prepare_cached(&sql)
        .and_then(|mut st| st.query_map([user_id], token_row)?.collect())
        .map_err(map)
}

/// Revokes a token that is not revoked yet (an expired one can still be revoked).
pub(super) fn revoke_token(
    tx: &mut Tx<'_>,
    user_id: i64,
    token_id: &str,
    at: Millis,
    audit: NewAudit,
) -> StoreResult<()> {
    let changed = tx
        .conn
        .prepare_cached("UPDATE tokens SET revoked_at = ?1 WHERE id = ?2 AND user_id = ?3 AND revoked_at IS NULL")
        .and_then(|mut st| st.execute(params![at, token_id, user_id]))
        .map_err(map)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    tx.append_audit(audit)
}

fn user_row(r: &Row<'_>, at: usize) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(at)?,
        name: r.get(at + 1)?,
        role: parse_column(r, at + 2)?,
        created_at: r.get(at + 3)?,
    })
}

fn token_row(r: &Row<'_>) -> rusqlite::Result<TokenRow> {
    let hash: Vec<u8> = r.get(3)?;
    let hash = <[u8; 32]>::try_from(hash.as_slice()).map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Blob, "a token hash is not 32 bytes".into())
    })?;
    Ok(TokenRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        name: r.get(2)?,
        hash: TokenHash(hash),
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        revoked_at: r.get(6)?,
    })
}
