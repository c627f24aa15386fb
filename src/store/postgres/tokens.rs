//! STUB: helper B fills this in (port of sqlite/tokens.rs).
#![allow(unused_variables, unused_imports, dead_code, clippy::unused_async)]

use deadpool_postgres::ClientWrapper;

use super::writer::PgTx;
use crate::crypto::TokenHash;
use crate::store::*;

fn nb<T>() -> StoreResult<T> {
    Err(StoreError::Backend("not built yet".into()))
}

pub(super) async fn new_enrolment(
    tx: &mut PgTx,
    user_id: i64,
    enrolment: NewEnrolment,
    audit: NewAudit,
) -> StoreResult<()> {
    nb()
}

pub(super) async fn enrolment_exists(c: &ClientWrapper, code: &TokenHash) -> StoreResult<bool> {
    Ok(c.query_opt("SELECT 1 FROM enrolments WHERE hash = $1", &[&&code.0[..]]).await.map_err(super::error::map)?.is_some())
}

pub(super) async fn enroll(
    tx: &mut PgTx,
    code: &TokenHash,
    token: NewToken,
    audit: NewAudit,
) -> StoreResult<EnrolOutcome> {
    let c = tx.client();
    let r = c.query_one("UPDATE enrolments e SET used_at = $2 FROM users u WHERE e.hash = $1 AND u.id = e.user_id RETURNING u.id, u.name, u.role, u.created_at, u.disabled", &[&&code.0[..], &token.created_at]).await.map_err(super::error::map)?;
    let user = UserRow { id: r.get(0), name: r.get(1), role: super::error::parse("role", r.get(2))?, created_at: r.get(3), disabled: r.get(4) };
    c.execute("INSERT INTO tokens (id, user_id, name, hash, created_at, kind) VALUES ($1, $2, $3, $4, $5, 'user')", &[&token.id, &user.id, &token.name, &&token.hash.0[..], &token.created_at]).await.map_err(super::error::map)?;
    tx.append_audit(NewAudit { target: Some(user.name.clone()), ..audit }).await?;
    Ok(EnrolOutcome::Enrolled(user))
}

pub(super) async fn token_by_hash(c: &ClientWrapper, hash: &TokenHash) -> StoreResult<Option<(TokenRow, UserRow)>> {
    nb()
}

pub(super) async fn create_token(tx: &mut PgTx, token: NewToken, audit: NewAudit) -> StoreResult<TokenRow> {
    nb()
}

pub(super) async fn list_tokens(c: &ClientWrapper, user_id: i64) -> StoreResult<Vec<TokenRow>> {
    nb()
}

pub(super) async fn revoke_token(
    tx: &mut PgTx,
    user_id: i64,
    token_id: &str,
    audit: NewAudit,
) -> StoreResult<Vec<String>> {
    nb()
}

pub(super) async fn revoke_user_tokens(tx: &mut PgTx, user_id: i64, audit: NewAudit) -> StoreResult<Vec<String>> {
    nb()
}

pub(super) async fn touch_tokens(tx: &mut PgTx, uses: &[(String, Millis)]) -> StoreResult<()> {
    nb()
}
