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
    nb()
}

pub(super) async fn enroll(
    tx: &mut PgTx,
    code: &TokenHash,
    token: NewToken,
    audit: NewAudit,
) -> StoreResult<EnrolOutcome> {
    nb()
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
