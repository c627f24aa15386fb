//! STUB: helper B fills this in (port of sqlite/audit.rs).
#![allow(unused_variables, unused_imports, dead_code, clippy::unused_async)]

use deadpool_postgres::ClientWrapper;

use super::writer::PgTx;
use crate::crypto::TokenHash;
use crate::store::*;

fn nb<T>() -> StoreResult<T> {
    Err(StoreError::Backend("not built yet".into()))
}

pub(super) async fn list_audit(c: &ClientWrapper, filter: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
    nb()
}

pub(super) async fn audit_range(c: &ClientWrapper, after_id: i64, limit: u32) -> StoreResult<Vec<AuditRow>> {
    nb()
}

pub(super) async fn chain_key(c: &ClientWrapper) -> StoreResult<Option<ChainKeyRecord>> {
    nb()
}

pub(super) async fn key_chain(tx: &mut PgTx, record: ChainKeyRecord) -> StoreResult<ChainKeyRecord> {
    nb()
}

pub(super) async fn reseal_chain_key(tx: &mut PgTx, old: &str, new: &str) -> StoreResult<bool> {
    nb()
}
