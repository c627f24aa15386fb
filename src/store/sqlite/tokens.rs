//! Tokens (their hashes, lineage and use) and enrolment codes: the queries behind those `Store`
//! methods. Neither a token nor a code is ever stored, only its hash.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::accounts::{USER_BY_ID, user_by_id, user_row};
use super::error::{is_unique_violation, map, parse_column, parse_optional_column};
use super::writer::Tx;
use crate::crypto::TokenHash;
use crate::store::{
    EnrolOutcome, EnrolRefusal, Millis, NewAudit, NewEnrolment, NewToken, Outcome, Scope, StoreError, StoreResult,
    TokenRow, UserRow,
};

const TOKEN_COLUMNS: &str =
    "id, user_id, name, hash, created_at, expires_at, revoked_at, parent_id, kind, last_used_at, scope, org_wide";
pub(super) const TOKEN_BY_HASH: &str = "SELECT id, user_id, name, hash, created_at, expires_at, revoked_at, \
                                        parent_id, kind, last_used_at, scope, org_wide FROM tokens WHERE hash = ?1";

/// A token and every token created from it, transitively (`?1` the root's id). Tokens are only
/// ever created by tokens of the same user, so the tree never leaves the user.
const TOKEN_TREE: &str = "WITH RECURSIVE tree(id) AS (
        SELECT ?1
        UNION SELECT t.id FROM tokens t JOIN tree ON t.parent_id = tree.id
    )";

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
    Ok(token.stored())
}

pub(super) fn insert_token(conn: &Connection, t: &NewToken) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO tokens (id, user_id, name, hash, created_at, expires_at, parent_id, kind, scope, org_wide) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut st| {
        st.execute(params![
            t.id,
            t.user_id,
            t.name,
            &t.hash.0[..],
            t.created_at,
            t.expires_at,
            t.parent_id,
            t.kind.as_str(),
            t.scope.map(Scope::as_str),
            t.org_wide,
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
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE user_id = ?1 ORDER BY created_at, id");
    conn.prepare_cached(&sql)
        .and_then(|mut st| st.query_map([user_id], token_row)?.collect())
        .map_err(map)
}

/// Revokes a token that is not revoked yet (an expired one can still be revoked) and its
/// descendants, one audit row each.
pub(super) fn revoke_token(tx: &mut Tx<'_>, user_id: i64, token_id: &str, audit: NewAudit) -> StoreResult<Vec<String>> {
    let live = tx
        .conn
        .prepare_cached("SELECT 1 FROM tokens WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL")
        .and_then(|mut st| st.exists(params![token_id, user_id]))
        .map_err(map)?;
    if !live {
        return Err(StoreError::NotFound);
    }
    let ids: Vec<String> = tx
        .conn
        .prepare_cached(&format!(
            "{TOKEN_TREE} SELECT t.id FROM tokens t JOIN tree ON t.id = tree.id \
             WHERE t.revoked_at IS NULL ORDER BY t.created_at, t.id"
        ))
        .and_then(|mut st| st.query_map([token_id], |r| r.get(0))?.collect())
        .map_err(map)?;
    revoke_ids(tx, &ids, audit)?;
    Ok(ids)
}

pub(super) fn revoke_user_tokens(tx: &mut Tx<'_>, user_id: i64, audit: NewAudit) -> StoreResult<Vec<String>> {
    let ids: Vec<String> = tx
        .conn
        .prepare_cached(
            "SELECT id FROM tokens WHERE user_id = ?1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > ?2) ORDER BY created_at, id",
        )
        .and_then(|mut st| st.query_map(params![user_id, audit.at], |r| r.get(0))?.collect())
        .map_err(map)?;
    revoke_ids(tx, &ids, audit)?;
    Ok(ids)
}

fn revoke_ids(tx: &mut Tx<'_>, ids: &[String], audit: NewAudit) -> StoreResult<()> {
    for id in ids {
        tx.conn
            .prepare_cached("UPDATE tokens SET revoked_at = ?1 WHERE id = ?2")
            .and_then(|mut st| st.execute(params![audit.at, id]))
            .map_err(map)?;
        tx.append_audit(NewAudit {
            target: Some(id.clone()),
            ..audit.clone()
        })?;
    }
    Ok(())
}

pub(super) fn touch_tokens(tx: &mut Tx<'_>, uses: &[(String, Millis)]) -> StoreResult<()> {
    for (id, at) in uses {
        tx.conn
            .prepare_cached(
                "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
            )
            .and_then(|mut st| st.execute(params![id, at]))
            .map_err(map)?;
    }
    Ok(())
}

pub(super) fn insert_enrolment(conn: &Connection, user_id: i64, e: &NewEnrolment) -> StoreResult<()> {
    conn.prepare_cached("INSERT INTO enrolments (hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut st| st.execute(params![&e.hash.0[..], user_id, e.created_at, e.expires_at]))
        .map_err(map)?;
    Ok(())
}

pub(super) fn enrolment_exists(conn: &Connection, code: &TokenHash) -> StoreResult<bool> {
    conn.prepare_cached("SELECT 1 FROM enrolments WHERE hash = ?1")
        .and_then(|mut st| st.exists([&code.0[..]]))
        .map_err(map)
}

fn has_tokens(conn: &Connection, user_id: i64) -> StoreResult<bool> {
    conn.prepare_cached("SELECT 1 FROM tokens WHERE user_id = ?1")
        .and_then(|mut st| st.exists([user_id]))
        .map_err(map)
}

/// A new code for a user who has never held a token; their unused codes are dropped, so only
/// the newest works. Refused once the user has a token: a code for an enrolled user would let
/// an admin take over their account and so their private secrets.
pub(super) fn new_enrolment(tx: &mut Tx<'_>, user_id: i64, e: NewEnrolment, audit: NewAudit) -> StoreResult<()> {
    let user = user_by_id(tx.conn, user_id)?.ok_or(StoreError::NotFound)?;
    if has_tokens(tx.conn, user.id)? {
        return Err(StoreError::AlreadyExists(format!("{} has enrolled", user.name)));
    }
    tx.conn
        .prepare_cached("DELETE FROM enrolments WHERE user_id = ?1 AND used_at IS NULL")
        .and_then(|mut st| st.execute([user.id]))
        .map_err(map)?;
    insert_enrolment(tx.conn, user.id, &e)?;
    tx.append_audit(audit)
}

pub(super) fn enroll(tx: &mut Tx<'_>, code: &TokenHash, token: NewToken, audit: NewAudit) -> StoreResult<EnrolOutcome> {
    let at = token.created_at;
    let Some((user_id, expires_at, used_at)) = tx
        .conn
        .prepare_cached("SELECT user_id, expires_at, used_at FROM enrolments WHERE hash = ?1")
        .and_then(|mut st| {
            st.query_row([&code.0[..]], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Millis>(1)?,
                    r.get::<_, Option<Millis>>(2)?,
                ))
            })
            .optional()
        })
        .map_err(map)?
    else {
        return Ok(EnrolOutcome::Unknown);
    };
    let user = user_by_id(tx.conn, user_id)?.ok_or(StoreError::NotFound)?;
    let refusal = match EnrolRefusal::of_code(used_at, expires_at, at, &user) {
        None if has_tokens(tx.conn, user.id)? => Some(EnrolRefusal::Enrolled),
        other => other,
    };
    let target = Some(user.name.clone());
    if let Some(refusal) = refusal {
        tx.append_audit(NewAudit {
            target,
            outcome: Outcome::Denied,
            ..audit
        })?;
        return Ok(EnrolOutcome::Refused(user, refusal));
    }
    tx.conn
        .prepare_cached("UPDATE enrolments SET used_at = ?1 WHERE user_id = ?2 AND used_at IS NULL")
        .and_then(|mut st| st.execute(params![at, user.id]))
        .map_err(map)?;
    insert_token(
        tx.conn,
        &NewToken {
            user_id: user.id,
            parent_id: None,
            ..token
        },
    )?;
    tx.append_audit(NewAudit {
        actor: Some(user.name.clone()),
        target,
        outcome: Outcome::Ok,
        ..audit
    })?;
    Ok(EnrolOutcome::Enrolled(user))
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
        parent_id: r.get(7)?,
        kind: parse_column(r, 8)?,
        last_used_at: r.get(9)?,
        scope: parse_optional_column(r, 10)?,
        org_wide: r.get(11)?,
    })
}
