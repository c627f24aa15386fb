//! Reading the audit log (appending is `PgTx::append_audit`, in the writer), and the audit chain
//! key's row. A port of `sqlite/audit.rs`.

use deadpool_postgres::ClientWrapper;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::error::{map, parse};
use super::writer::PgTx;
use crate::api::AUDIT_DEFAULT_LIMIT;
use crate::store::{
    AuditAction, AuditFilter, AuditRow, ChainKeyRecord, GENESIS_HASH, NewAudit, StoreError, StoreResult,
    legacy_link_hash,
};

/// Events read per batch while checking a legacy chain before keying it.
const LEGACY_BATCH: u32 = 1000;

const AUDIT_SELECT: &str = "SELECT id, at, actor, action, secret, visibility, owner, version, outcome, client, ip, \
                            prev_hash, hash, count, target FROM audit";

fn hash_column(r: &Row, idx: usize) -> StoreResult<[u8; 32]> {
    let bytes: &[u8] = r.try_get(idx).map_err(map)?;
    <[u8; 32]>::try_from(bytes).map_err(|_| StoreError::Backend("an audit hash is not 32 bytes".into()))
}

fn audit_row(r: &Row) -> StoreResult<AuditRow> {
    let action: &str = r.try_get(3).map_err(map)?;
    let visibility: Option<&str> = r.try_get(5).map_err(map)?;
    let outcome: &str = r.try_get(8).map_err(map)?;
    let count: Option<i64> = r.try_get(13).map_err(map)?;
    let event = NewAudit {
        at: r.try_get(1).map_err(map)?,
        actor: r.try_get(2).map_err(map)?,
        action: parse("audit.action", action)?,
        secret: r.try_get(4).map_err(map)?,
        visibility: visibility.map(|v| parse("audit.visibility", v)).transpose()?,
        owner: r.try_get(6).map_err(map)?,
        version: r.try_get(7).map_err(map)?,
        outcome: parse("audit.outcome", outcome)?,
        client: r.try_get(9).map_err(map)?,
        ip: r.try_get(10).map_err(map)?,
        target: r.try_get(14).map_err(map)?,
        count: count
            .map(u32::try_from)
            .transpose()
            .map_err(|_| StoreError::Backend("unexpected value in column audit.count: out of range".into()))?,
    };
    Ok(AuditRow {
        id: r.try_get(0).map_err(map)?,
        event,
        prev_hash: hash_column(r, 11)?,
        hash: hash_column(r, 12)?,
    })
}

/// Newest first. A `limit` of 0 means the API's default page.
pub(super) async fn list_audit(c: &ClientWrapper, filter: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
    // Only the conditions in use go into the statement, so the planner can pick the matching
    // index; the text is built from fixed fragments and numbered parameters, every value is bound.
    const CONDITIONS: [&str; 4] = ["actor = $", "secret = $", "action = $", "id < $"];
    let action = filter.action.map(AuditAction::as_str);
    let limit = i64::from(if filter.limit == 0 {
        AUDIT_DEFAULT_LIMIT
    } else {
        filter.limit
    });
    let candidates: [Option<&(dyn ToSql + Sync)>; 4] = [
        filter.actor.as_ref().map(|v| v as &(dyn ToSql + Sync)),
        filter.secret.as_ref().map(|v| v as &(dyn ToSql + Sync)),
        action.as_ref().map(|v| v as &(dyn ToSql + Sync)),
        filter.before.as_ref().map(|v| v as &(dyn ToSql + Sync)),
    ];
    let mut sql = String::from(AUDIT_SELECT);
    let mut values: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(5);
    for (condition, value) in CONDITIONS.iter().zip(candidates) {
        let Some(value) = value else { continue };
        sql.push_str(if values.is_empty() { " WHERE " } else { " AND " });
        values.push(value);
        sql.push_str(condition);
        sql.push_str(&values.len().to_string());
    }
    values.push(&limit);
    sql.push_str(" ORDER BY id DESC LIMIT $");
    sql.push_str(&values.len().to_string());
    let st = c.prepare_cached(&sql).await.map_err(map)?;
    let rows = c.query(&st, &values).await.map_err(map)?;
    rows.iter().map(audit_row).collect()
}

/// Oldest first, `id > after_id`.
pub(super) async fn audit_range(c: &ClientWrapper, after_id: i64, limit: u32) -> StoreResult<Vec<AuditRow>> {
    let st = c
        .prepare_cached(&format!("{AUDIT_SELECT} WHERE id > $1 ORDER BY id LIMIT $2"))
        .await
        .map_err(map)?;
    let rows = c.query(&st, &[&after_id, &i64::from(limit)]).await.map_err(map)?;
    rows.iter().map(audit_row).collect()
}

pub(super) async fn chain_key(c: &ClientWrapper) -> StoreResult<Option<ChainKeyRecord>> {
    let st = c
        .prepare_cached("SELECT sealed, keyed_from FROM audit_chain_key WHERE id = 1")
        .await
        .map_err(map)?;
    let Some(r) = c.query_opt(&st, &[]).await.map_err(map)? else {
        return Ok(None);
    };
    Ok(Some(ChainKeyRecord {
        sealed: r.try_get(0).map_err(map)?,
        keyed_from: r.try_get(1).map_err(map)?,
    }))
}

/// See `Store::key_audit_chain`. Runs in a write job, whose transaction holds the audit chain's
/// tail, so that no writer (of this replica or another) appends between the check of the legacy
/// chain and the key's row, and a key stored by another replica first is seen here.
pub(super) async fn key_chain(tx: &mut PgTx, record: ChainKeyRecord) -> StoreResult<ChainKeyRecord> {
    let c = tx.client();
    if let Some(existing) = chain_key(c).await? {
        return Ok(existing);
    }
    let (mut prev, mut walked) = (GENESIS_HASH, 0);
    loop {
        let batch = audit_range(c, walked, LEGACY_BATCH).await?;
        if batch.is_empty() {
            break;
        }
        for row in &batch {
            if row.prev_hash != prev || legacy_link_hash(&prev, row) != row.hash {
                return Err(StoreError::ChainBroken { id: row.id });
            }
            (prev, walked) = (row.hash, row.id);
        }
    }
    // The next id follows the chain's tail, not the highest stored id. The tail row moves only at
    // the batch's commit, so events an earlier job of this batch appended are counted from the
    // walk (they are visible to it, and are the highest ids).
    let st = c
        .prepare_cached("SELECT last_id FROM audit_head WHERE id = 1")
        .await
        .map_err(map)?;
    let head: i64 = c.query_one(&st, &[]).await.map_err(map)?.try_get(0).map_err(map)?;
    let last_id = head.max(walked);
    if record.keyed_from != last_id + 1 {
        return Err(StoreError::Conflict { current: Some(last_id) });
    }
    let st = c
        .prepare_cached("INSERT INTO audit_chain_key (id, sealed, keyed_from) VALUES (1, $1, $2)")
        .await
        .map_err(map)?;
    c.execute(&st, &[&record.sealed, &record.keyed_from])
        .await
        .map_err(map)?;
    Ok(record)
}

pub(super) async fn reseal_chain_key(tx: &mut PgTx, old: &str, new: &str) -> StoreResult<bool> {
    let c = tx.client();
    let st = c
        .prepare_cached("UPDATE audit_chain_key SET sealed = $2 WHERE id = 1 AND sealed = $1")
        .await
        .map_err(map)?;
    let changed = c.execute(&st, &[&old, &new]).await.map_err(map)?;
    Ok(changed == 1)
}
