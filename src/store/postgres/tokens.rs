//! Tokens (their hashes, lineage and use) and enrolment codes: the queries behind those `Store`
//! methods, a port of `sqlite/tokens.rs`. Neither a token nor a code is ever stored, only its hash.
//!
//! Token ids are ordered `COLLATE "C"` (bytewise, as SQLite orders them): the column has the
//! cluster's collation, which could order ties on `created_at` differently.

use deadpool_postgres::ClientWrapper;
use tokio_postgres::Row;

use super::accounts::{user_by_id, user_row};
use super::error::{is_unique_violation, map, parse};
use super::writer::PgTx;
use crate::crypto::TokenHash;
use crate::store::{
    EnrolOutcome, EnrolRefusal, Millis, NewAudit, NewEnrolment, NewToken, Outcome, StoreError, StoreResult, TokenRow,
    UserRow,
};

/// The columns `token_row` reads, in its order, from `tokens t`.
const TOKEN_COLUMNS: &str =
    "t.id, t.user_id, t.name, t.hash, t.created_at, t.expires_at, t.revoked_at, t.parent_id, t.kind, t.last_used_at, \
     t.scope, t.org_wide";

/// One join rather than SQLite's two lookups: a round trip to the server costs more than the join,
/// and this runs for every request.
pub(super) async fn token_by_hash(c: &ClientWrapper, hash: &TokenHash) -> StoreResult<Option<(TokenRow, UserRow)>> {
    let st = c
        .prepare_cached(&format!(
            "SELECT {TOKEN_COLUMNS}, u.id, u.name, u.role, u.created_at, u.disabled \
             FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1"
        ))
        .await
        .map_err(map)?;
    let Some(r) = c.query_opt(&st, &[&&hash.0[..]]).await.map_err(map)? else {
        return Ok(None);
    };
    Ok(Some((token_row(&r)?, user_row(&r, 12)?)))
}

pub(super) async fn create_token(tx: &mut PgTx, token: NewToken, audit: NewAudit) -> StoreResult<TokenRow> {
    insert_token(tx.client(), &token).await?;
    tx.append_audit(audit)?;
    Ok(token.stored())
}

pub(super) async fn insert_token(c: &ClientWrapper, t: &NewToken) -> StoreResult<()> {
    let st = c
        .prepare_cached(
            "INSERT INTO tokens (id, user_id, name, hash, created_at, expires_at, parent_id, kind, scope, org_wide) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .await
        .map_err(map)?;
    c.execute(
        &st,
        &[
            &t.id,
            &t.user_id,
            &t.name,
            &&t.hash.0[..],
            &t.created_at,
            &t.expires_at,
            &t.parent_id,
            &t.kind.as_str(),
            &t.scope.map(|s| s.as_str()),
            &t.org_wide,
        ],
    )
    .await
    .map_err(|e| {
        if is_unique_violation(&e, "tokens_pkey") {
            StoreError::AlreadyExists(format!("token {}", t.id))
        } else {
            map(e)
        }
    })?;
    Ok(())
}

pub(super) async fn list_tokens(c: &ClientWrapper, user_id: i64) -> StoreResult<Vec<TokenRow>> {
    let st = c
        .prepare_cached(&format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens t WHERE t.user_id = $1 ORDER BY t.created_at, t.id COLLATE \"C\""
        ))
        .await
        .map_err(map)?;
    let rows = c.query(&st, &[&user_id]).await.map_err(map)?;
    rows.iter().map(token_row).collect()
}

/// Revokes a token that is not revoked yet (an expired one can still be revoked) and its
/// descendants, one audit row each.
pub(super) async fn revoke_token(
    tx: &mut PgTx,
    user_id: i64,
    token_id: &str,
    audit: NewAudit,
) -> StoreResult<Vec<String>> {
    let c = tx.client();
    let st = c
        .prepare_cached("SELECT 1 FROM tokens WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
        .await
        .map_err(map)?;
    if c.query_opt(&st, &[&token_id, &user_id]).await.map_err(map)?.is_none() {
        return Err(StoreError::NotFound);
    }
    // The token and every token created from it, transitively. Tokens are only ever created by
    // tokens of the same user, so the tree never leaves the user.
    let st = c
        .prepare_cached(
            "WITH RECURSIVE tree(id) AS (
                SELECT $1::text
                UNION SELECT t.id FROM tokens t JOIN tree ON t.parent_id = tree.id
             )
             SELECT t.id FROM tokens t JOIN tree ON t.id = tree.id
             WHERE t.revoked_at IS NULL ORDER BY t.created_at, t.id COLLATE \"C\"",
        )
        .await
        .map_err(map)?;
    let ids = token_ids(c.query(&st, &[&token_id]).await.map_err(map)?)?;
    revoke_ids(tx, &ids, audit).await?;
    Ok(ids)
}

pub(super) async fn revoke_user_tokens(tx: &mut PgTx, user_id: i64, audit: NewAudit) -> StoreResult<Vec<String>> {
    let c = tx.client();
    let st = c
        .prepare_cached(
            "SELECT id FROM tokens WHERE user_id = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2) ORDER BY created_at, id COLLATE \"C\"",
        )
        .await
        .map_err(map)?;
    let ids = token_ids(c.query(&st, &[&user_id, &audit.at]).await.map_err(map)?)?;
    revoke_ids(tx, &ids, audit).await?;
    Ok(ids)
}

fn token_ids(rows: Vec<Row>) -> StoreResult<Vec<String>> {
    rows.iter().map(|r| r.try_get(0).map_err(map)).collect()
}

async fn revoke_ids(tx: &mut PgTx, ids: &[String], audit: NewAudit) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let st = tx
        .client()
        .prepare_cached("UPDATE tokens SET revoked_at = $1 WHERE id = ANY($2)")
        .await
        .map_err(map)?;
    tx.client().execute(&st, &[&audit.at, &ids]).await.map_err(map)?;
    for id in ids {
        tx.append_audit(NewAudit {
            target: Some(id.clone()),
            ..audit.clone()
        })?;
    }
    Ok(())
}

/// One statement for the whole batch; an id used twice gets its latest time, as one update per
/// use would leave it.
pub(super) async fn touch_tokens(tx: &mut PgTx, uses: &[(String, Millis)]) -> StoreResult<()> {
    let (ids, times): (Vec<&str>, Vec<Millis>) = uses.iter().map(|(id, at)| (id.as_str(), *at)).unzip();
    let c = tx.client();
    let st = c
        .prepare_cached(
            "UPDATE tokens t SET last_used_at = u.at \
             FROM (SELECT id, MAX(at) AS at FROM unnest($1::text[], $2::bigint[]) AS x(id, at) GROUP BY id) u \
             WHERE t.id = u.id AND (t.last_used_at IS NULL OR t.last_used_at < u.at)",
        )
        .await
        .map_err(map)?;
    c.execute(&st, &[&ids, &times]).await.map_err(map)?;
    Ok(())
}

pub(super) async fn insert_enrolment(c: &ClientWrapper, user_id: i64, e: &NewEnrolment) -> StoreResult<()> {
    let st = c
        .prepare_cached("INSERT INTO enrolments (hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .await
        .map_err(map)?;
    c.execute(&st, &[&&e.hash.0[..], &user_id, &e.created_at, &e.expires_at])
        .await
        .map_err(map)?;
    Ok(())
}

pub(super) async fn enrolment_exists(c: &ClientWrapper, code: &TokenHash) -> StoreResult<bool> {
    let st = c
        .prepare_cached("SELECT 1 FROM enrolments WHERE hash = $1")
        .await
        .map_err(map)?;
    Ok(c.query_opt(&st, &[&&code.0[..]]).await.map_err(map)?.is_some())
}

async fn has_tokens(c: &ClientWrapper, user_id: i64) -> StoreResult<bool> {
    let st = c
        .prepare_cached("SELECT 1 FROM tokens WHERE user_id = $1 LIMIT 1")
        .await
        .map_err(map)?;
    Ok(c.query_opt(&st, &[&user_id]).await.map_err(map)?.is_some())
}

/// A new code for a user who has never held a token; their unused codes are dropped, so only
/// the newest works. Refused once the user has a token: a code for an enrolled user would let
/// an admin take over their account and so their private secrets.
pub(super) async fn new_enrolment(
    tx: &mut PgTx,
    user_id: i64,
    enrolment: NewEnrolment,
    audit: NewAudit,
) -> StoreResult<()> {
    let c = tx.client();
    let user = user_by_id(c, user_id).await?.ok_or(StoreError::NotFound)?;
    if has_tokens(c, user.id).await? {
        return Err(StoreError::AlreadyExists(format!("{} has enrolled", user.name)));
    }
    let st = c
        .prepare_cached("DELETE FROM enrolments WHERE user_id = $1 AND used_at IS NULL")
        .await
        .map_err(map)?;
    c.execute(&st, &[&user.id]).await.map_err(map)?;
    insert_enrolment(c, user.id, &enrolment).await?;
    tx.append_audit(audit)
}

pub(super) async fn enroll(
    tx: &mut PgTx,
    code: &TokenHash,
    token: NewToken,
    audit: NewAudit,
) -> StoreResult<EnrolOutcome> {
    let at = token.created_at;
    let c = tx.client();
    let st = c
        .prepare_cached("SELECT user_id, expires_at, used_at FROM enrolments WHERE hash = $1")
        .await
        .map_err(map)?;
    // Gone since the caller's read found it (a newer code replaced it): as unknown as a guess.
    let Some(r) = c.query_opt(&st, &[&&code.0[..]]).await.map_err(map)? else {
        return Ok(EnrolOutcome::Unknown);
    };
    let user_id: i64 = r.try_get(0).map_err(map)?;
    let expires_at: Millis = r.try_get(1).map_err(map)?;
    let used_at: Option<Millis> = r.try_get(2).map_err(map)?;
    let user = user_by_id(c, user_id).await?.ok_or(StoreError::NotFound)?;
    let refusal = match EnrolRefusal::of_code(used_at, expires_at, at, &user) {
        None if has_tokens(c, user.id).await? => Some(EnrolRefusal::Enrolled),
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
    let st = c
        .prepare_cached("UPDATE enrolments SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .await
        .map_err(map)?;
    c.execute(&st, &[&at, &user.id]).await.map_err(map)?;
    insert_token(
        c,
        &NewToken {
            user_id: user.id,
            parent_id: None,
            ..token
        },
    )
    .await?;
    tx.append_audit(NewAudit {
        actor: Some(user.name.clone()),
        target,
        outcome: Outcome::Ok,
        ..audit
    })?;
    Ok(EnrolOutcome::Enrolled(user))
}

fn token_row(r: &Row) -> StoreResult<TokenRow> {
    let hash: &[u8] = r.try_get(3).map_err(map)?;
    let hash = <[u8; 32]>::try_from(hash).map_err(|_| StoreError::Backend("a token hash is not 32 bytes".into()))?;
    let kind: &str = r.try_get(8).map_err(map)?;
    let scope: Option<&str> = r.try_get(10).map_err(map)?;
    Ok(TokenRow {
        id: r.try_get(0).map_err(map)?,
        user_id: r.try_get(1).map_err(map)?,
        name: r.try_get(2).map_err(map)?,
        hash: TokenHash(hash),
        created_at: r.try_get(4).map_err(map)?,
        expires_at: r.try_get(5).map_err(map)?,
        revoked_at: r.try_get(6).map_err(map)?,
        parent_id: r.try_get(7).map_err(map)?,
        kind: parse("tokens.kind", kind)?,
        last_used_at: r.try_get(9).map_err(map)?,
        scope: scope.map(|s| parse("tokens.scope", s)).transpose()?,
        org_wide: r.try_get(11).map_err(map)?,
    })
}
