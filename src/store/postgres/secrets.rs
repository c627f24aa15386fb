//! STUB: helper A fills this in (port of sqlite/secrets.rs).
#![allow(unused_variables, unused_imports, dead_code, clippy::unused_async)]

use deadpool_postgres::ClientWrapper;

use super::writer::PgTx;
use crate::crypto::TokenHash;
use crate::store::*;

fn nb<T>() -> StoreResult<T> {
    Err(StoreError::Backend("not built yet".into()))
}

pub(super) async fn get_secret(c: &ClientWrapper, owner: Owner, name: &str) -> StoreResult<Option<SecretRow>> {
    nb()
}

pub(super) async fn list_secrets(c: &ClientWrapper, filter: &SecretFilter) -> StoreResult<Vec<SecretRow>> {
    nb()
}

pub(super) async fn write_secret(tx: &mut PgTx, write: SecretWrite, audit: NewAudit) -> StoreResult<SecretRow> {
    nb()
}

pub(super) async fn write_secret_latest(
    tx: &mut PgTx,
    write: SecretWrite,
    reseal: Reseal,
    audit: NewAudit,
) -> StoreResult<(SecretRow, bool)> {
    nb()
}

pub(super) async fn update_secret(
    tx: &mut PgTx,
    owner: Owner,
    name: &str,
    patch: MetaPatch,
    audit: NewAudit,
) -> StoreResult<SecretRow> {
    nb()
}

pub(super) async fn delete_secret(tx: &mut PgTx, owner: Owner, name: &str, audit: NewAudit) -> StoreResult<()> {
    nb()
}

pub(super) async fn versions(c: &ClientWrapper, secret_id: i64) -> StoreResult<Vec<VersionRow>> {
    nb()
}

pub(super) async fn version(c: &ClientWrapper, secret_id: i64, version: i64) -> StoreResult<Option<VersionRow>> {
    nb()
}

pub(super) async fn deliverable(
    c: &ClientWrapper,
    owners: &[Owner],
    scope: Option<Scope>,
) -> StoreResult<Vec<(SecretRow, String)>> {
    nb()
}

pub(super) async fn record_use(
    tx: &mut PgTx,
    secret_ids: &[i64],
    at: Millis,
    audits: Vec<NewAudit>,
) -> StoreResult<()> {
    nb()
}
