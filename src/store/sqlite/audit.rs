//! Reading the audit log (appending is `Tx::append_audit`, in the writer).

use rusqlite::types::Value;
use rusqlite::{Connection, Row, params, params_from_iter};

use super::error::{map, parse_column};
use crate::api::AUDIT_DEFAULT_LIMIT;
use crate::store::{AuditFilter, AuditRow, NewAudit, StoreResult};

const AUDIT_SELECT: &str = "SELECT id, at, actor, action, secret, visibility, owner, version, outcome, client, ip, \
                            prev_hash, hash, count FROM audit";

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
