//! Reading the audit log (appending is `Tx::append_audit`, in the writer), and the audit chain
//! key's row.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::error::{map, parse_column};
use super::writer::Tx;
use crate::api::AUDIT_DEFAULT_LIMIT;
use crate::store::{
    AuditFilter, AuditRow, ChainKeyRecord, GENESIS_HASH, NewAudit, StoreError, StoreResult, legacy_link_hash,
};

/// Events read per batch while checking a legacy chain before keying it.
const LEGACY_BATCH: u32 = 1000;

const AUDIT_SELECT: &str = "SELECT id, at, actor, action, secret, visibility, owner, version, outcome, client, ip, \
                            prev_hash, hash, count, target FROM audit";

fn hash_column(r: &Row<'_>, idx: usize) -> rusqlite::Result<[u8; 32]> {
    let bytes: Vec<u8> = r.get(idx)?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Blob,
            "an audit hash is not 32 bytes".into(),
        )
    })
}

fn audit_row(r: &Row<'_>) -> rusqlite::Result<AuditRow> {
    let visibility: Option<String> = r.get(5)?;
    let event = NewAudit {
        at: r.get(1)?,
        actor: r.get(2)?,
        action: parse_column(r, 3)?,
        secret: r.get(4)?,
        visibility: match visibility {
            Some(_) => Some(parse_column(r, 5)?),
            None => None,
        },
        owner: r.get(6)?,
        version: r.get(7)?,
        outcome: parse_column(r, 8)?,
        client: r.get(9)?,
        ip: r.get(10)?,
        target: r.get(14)?,
        count: r.get(13)?,
    };
    Ok(AuditRow {
        id: r.get(0)?,
        event,
        prev_hash: hash_column(r, 11)?,
        hash: hash_column(r, 12)?,
    })
}

/// Newest first. A `limit` of 0 means the API's default page.
pub(super) fn list_audit(conn: &Connection, filter: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
    // Only the conditions in use go into the statement, so SQLite can pick the matching index;
    // the text is built from fixed fragments, every value is a parameter.
    let mut conditions: Vec<&str> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    if let Some(actor) = &filter.actor {
        conditions.push("actor = ?");
        values.push(Value::Text(actor.clone()));
    }
    if let Some(secret) = &filter.secret {
        conditions.push("secret = ?");
        values.push(Value::Text(secret.clone()));
    }
    if let Some(action) = filter.action {
        conditions.push("action = ?");
        values.push(Value::Text(action.as_str().to_owned()));
    }
    if let Some(before) = filter.before {
        conditions.push("id < ?");
        values.push(Value::Integer(before));
    }
    let limit = if filter.limit == 0 {
        AUDIT_DEFAULT_LIMIT
    } else {
        filter.limit
    };
    values.push(Value::Integer(i64::from(limit)));
    let mut sql = String::from(AUDIT_SELECT);
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    conn.prepare_cached(&sql)
        .and_then(|mut st| st.query_map(params_from_iter(values), audit_row)?.collect())
        .map_err(map)
}

/// Oldest first, `id > after_id`.
pub(super) fn audit_range(conn: &Connection, after_id: i64, limit: u32) -> StoreResult<Vec<AuditRow>> {
    let sql = format!("{AUDIT_SELECT} WHERE id > ?1 ORDER BY id LIMIT ?2");
    conn.prepare_cached(&sql)
        .and_then(|mut st| st.query_map(params![after_id, limit], audit_row)?.collect())
        .map_err(map)
}

pub(super) fn chain_key(conn: &Connection) -> StoreResult<Option<ChainKeyRecord>> {
    conn.prepare_cached("SELECT sealed, keyed_from FROM audit_chain_key WHERE id = 1")
        .and_then(|mut st| {
            st.query_row([], |r| {
                Ok(ChainKeyRecord {
                    sealed: r.get(0)?,
                    keyed_from: r.get(1)?,
                })
            })
            .optional()
        })
        .map_err(map)
}

/// See `Store::key_audit_chain`. Runs in the writer's transaction, so that no other writer (of
/// this process or another) appends between the check of the legacy chain and the key's row.
pub(super) fn key_chain(tx: &mut Tx<'_>, record: ChainKeyRecord) -> StoreResult<ChainKeyRecord> {
    if let Some(existing) = chain_key(tx.conn)? {
        return Ok(existing);
    }
    let (mut prev, mut last_id) = (GENESIS_HASH, 0);
    loop {
        let batch = audit_range(tx.conn, last_id, LEGACY_BATCH)?;
        if batch.is_empty() {
            break;
        }
        for row in &batch {
            if row.prev_hash != prev || legacy_link_hash(&prev, row) != row.hash {
                return Err(StoreError::ChainBroken { id: row.id });
            }
            (prev, last_id) = (row.hash, row.id);
        }
    }
    if record.keyed_from != last_id + 1 {
        return Err(StoreError::Conflict { current: Some(last_id) });
    }
    tx.conn
        .prepare_cached("INSERT INTO audit_chain_key (id, sealed, keyed_from) VALUES (1, ?1, ?2)")
        .and_then(|mut st| st.execute(params![record.sealed, record.keyed_from]))
        .map_err(map)?;
    Ok(record)
}

pub(super) fn reseal_chain_key(tx: &mut Tx<'_>, old: &str, new: &str) -> StoreResult<bool> {
    let changed = tx
        .conn
        .prepare_cached("UPDATE audit_chain_key SET sealed = ?2 WHERE id = 1 AND sealed = ?1")
        .and_then(|mut st| st.execute(params![old, new]))
        .map_err(map)?;
    Ok(changed == 1)
}
