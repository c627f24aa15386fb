//! STUB: helper A fills this in (port of sqlite/sealing.rs).
#![allow(unused_variables, unused_imports, dead_code, clippy::unused_async)]

use deadpool_postgres::ClientWrapper;

use super::writer::PgTx;
use crate::crypto::TokenHash;
use crate::store::*;

fn nb<T>() -> StoreResult<T> {
    Err(StoreError::Backend("not built yet".into()))
}

pub(super) async fn sealed_not_under(
    c: &ClientWrapper,
    key_id: &str,
    after: (i64, i64),
    limit: u32,
) -> StoreResult<Vec<SealedRow>> {
    nb()
}

pub(super) async fn sealed_legacy(c: &ClientWrapper, after: (i64, i64), limit: u32) -> StoreResult<Vec<SealedRow>> {
    nb()
}

pub(super) async fn replace_sealed(
    tx: &mut PgTx,
    secret_id: i64,
    version: i64,
    old: &str,
    new: &str,
    preview: &str,
) -> StoreResult<bool> {
    nb()
}

pub(super) async fn sealing_state(c: &ClientWrapper) -> StoreResult<SealingState> {
    nb()
}

pub(super) async fn retire_legacy_sealing(tx: &mut PgTx) -> StoreResult<bool> {
    nb()
}
