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
    Ok(Vec::new())
}

pub(super) async fn audit_range(c: &ClientWrapper, after_id: i64, limit: u32) -> StoreResult<Vec<AuditRow>> {
    let rows = c.query("SELECT id, at, actor, action, secret, visibility, owner, version, outcome, client, ip, prev_hash, hash, count, target FROM audit WHERE id > $1 ORDER BY id LIMIT $2", &[&after_id, &i64::from(limit)]).await.map_err(super::error::map)?;
    rows.iter().map(|r| {
        let vis: Option<String> = r.get(5);
        let count: Option<i64> = r.get(13);
        let ph: &[u8] = r.get(11); let h: &[u8] = r.get(12);
        Ok(AuditRow { id: r.get(0), prev_hash: ph.try_into().map_err(|_| StoreError::NotFound)?, hash: h.try_into().map_err(|_| StoreError::NotFound)?, event: NewAudit {
            at: r.get(1), actor: r.get(2), action: super::error::parse("action", r.get(3))?, secret: r.get(4),
            visibility: match vis { Some(v) => Some(super::error::parse("visibility", &v)?), None => None },
            owner: r.get(6), version: r.get(7), outcome: super::error::parse("outcome", r.get(8))?, client: r.get(9), ip: r.get(10),
            count: count.map(|c| c as u32), target: r.get(14) } })
    }).collect()
}

pub(super) async fn chain_key(c: &ClientWrapper) -> StoreResult<Option<ChainKeyRecord>> {
    Ok(c.query_opt("SELECT sealed, keyed_from FROM audit_chain_key WHERE id = 1", &[]).await.map_err(super::error::map)?.map(|r| ChainKeyRecord { sealed: r.get(0), keyed_from: r.get(1) }))
}

pub(super) async fn key_chain(tx: &mut PgTx, record: ChainKeyRecord) -> StoreResult<ChainKeyRecord> {
    if let Some(k) = chain_key(tx.client()).await? { return Ok(k); }
    tx.client().execute("INSERT INTO audit_chain_key (id, sealed, keyed_from) VALUES (1, $1, $2)", &[&record.sealed, &record.keyed_from]).await.map_err(super::error::map)?;
    Ok(record)
}

pub(super) async fn reseal_chain_key(tx: &mut PgTx, old: &str, new: &str) -> StoreResult<bool> {
    nb()
}
