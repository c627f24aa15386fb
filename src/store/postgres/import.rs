//! `admin migrate`: copies a whole SQLite vault into an empty PostgreSQL database, row for row.
//!
//! Sealed values are copied as they are (they stay sealed under the same master keys, bound to
//! the same secret identities), and so are users, token hashes, enrolment codes, versions, the
//! audit log with its links, the sealed audit chain key and the vault-wide settings. The tables
//! and columns are the same on both sides (`schema.rs`); only the column types differ, and each
//! value is converted by the target column's type. Everything goes in one PostgreSQL
//! transaction that holds the audit chain's lock, read from one SQLite read transaction (a
//! snapshot): a copy is whole or absent, and never a mix of two moments of the source.

use deadpool_postgres::Object;
use rusqlite::types::Value;
use tokio_postgres::types::{ToSql, Type};

use super::error::map;
use super::schema::TABLES;
use crate::store::{StoreError, StoreResult};

/// Rows counted per table, in `TABLES` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, u64)>,
}

/// One column of a target table: its name and PostgreSQL type.
struct Column {
    name: String,
    ty: Type,
}

/// Copies the SQLite database at `sqlite_path` (what follows `sqlite://`; brought to the current
/// schema beforehand by opening it as a store) into the PostgreSQL database `pg_url` names, which
/// must hold no org, user, secret or audit event (`AlreadyExists` otherwise). Migrates the
/// target's schema first.
pub async fn copy_from_sqlite(sqlite_path: &str, pg_url: &str) -> StoreResult<CopyReport> {
    let config = super::connect::config(pg_url)?;
    let pool = super::connect::pool(config, 1, None)?;
    let mut client = super::connect::get(&pool, &crate::store::PoolMetrics::default()).await?;
    super::schema::migrate(&mut client).await?;
    copy_sqlite(&mut client, sqlite_path).await
}

async fn copy_sqlite(client: &mut Object, sqlite_path: &str) -> StoreResult<CopyReport> {
    let source = rusqlite::Connection::open_with_flags(
        sqlite_path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::Backend(format!("cannot open {sqlite_path}: {e}")))?;
    // One snapshot for every table: a server still writing cannot make the copy inconsistent.
    source.execute_batch("BEGIN").map_err(sqlite)?;
    // In a mutex only so that the future stays `Send` (a connection is not `Sync`); one user.
    let source = std::sync::Mutex::new(source);

    let tx = client.transaction().await.map_err(map)?;
    tx.query_one("SELECT last_id FROM audit_head WHERE id = 1 FOR UPDATE", &[])
        .await
        .map_err(map)?;
    for table in ["org", "users", "secrets", "audit"] {
        let row = tx
            .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[])
            .await
            .map_err(map)?;
        if row.get::<_, bool>(0) {
            return Err(StoreError::AlreadyExists(format!(
                "the target database holds a vault (its {table} table is not empty); migrate copies \
                 only into an empty database"
            )));
        }
    }
    // What the migration put in for a new vault: the source says what holds for its rows.
    tx.batch_execute("DELETE FROM settings; DELETE FROM audit_chain_key")
        .await
        .map_err(map)?;

    let mut report = CopyReport { tables: Vec::new() };
    for &table in TABLES {
        let columns = target_columns(&tx, table).await?;
        let rows = copy_table(&source, &tx, table, &columns).await?;
        report.tables.push((table, rows));
    }

    // Identities go on after the highest copied id; the chain's tail is the last copied event.
    tx.batch_execute(
        "SELECT setval(pg_get_serial_sequence('users', 'id'), COALESCE((SELECT MAX(id) FROM users), 0) + 1, false);
         SELECT setval(pg_get_serial_sequence('secrets', 'id'), COALESCE((SELECT MAX(id) FROM secrets), 0) + 1, false);
         UPDATE audit_head SET (last_id, last_hash) = (
             SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1
         ) WHERE id = 1 AND EXISTS (SELECT 1 FROM audit);",
    )
    .await
    .map_err(map)?;
    tx.commit().await.map_err(map)?;
    Ok(report)
}

async fn target_columns(tx: &deadpool_postgres::Transaction<'_>, table: &str) -> StoreResult<Vec<Column>> {
    // The statement's own description gives each column's type as tokio-postgres knows it.
    let st = tx.prepare(&format!("SELECT * FROM {table}")).await.map_err(map)?;
    Ok(st
        .columns()
        .iter()
        .map(|c| Column {
            name: c.name().to_owned(),
            ty: c.type_().clone(),
        })
        .collect())
}

/// Rows read from SQLite at a time: bounded memory, and one pipelined burst of inserts each.
const CHUNK: i64 = 1000;

/// Copies every row of `table` (the columns the target has, by name) and returns how many.
async fn copy_table(
    source: &std::sync::Mutex<rusqlite::Connection>,
    tx: &deadpool_postgres::Transaction<'_>,
    table: &str,
    columns: &[Column],
) -> StoreResult<u64> {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    // Keyset pages by rowid (every table has one): the SQLite statement never lives across an
    // await, and memory stays bounded whatever the size of the audit log.
    let select = format!(
        "SELECT rowid, {} FROM {table} WHERE rowid > ?1 ORDER BY rowid LIMIT {CHUNK}",
        names.join(", ")
    );
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let insert = tx
        .prepare(&format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            placeholders.join(", ")
        ))
        .await
        .map_err(map)?;
    let mut after = 0i64;
    let mut copied = 0u64;
    loop {
        let chunk = read_chunk(source, &select, after, columns.len())?;
        let Some((last, _)) = chunk.last() else { break };
        after = *last;
        let mut rows: Vec<Vec<Box<dyn ToSql + Sync + Send>>> = Vec::with_capacity(chunk.len());
        for (_, values) in chunk {
            let converted = values
                .into_iter()
                .zip(columns)
                .map(|(value, column)| convert(table, column, value))
                .collect::<StoreResult<Vec<_>>>()?;
            rows.push(converted);
        }
        // Sent together: tokio-postgres pipelines them on the one connection, in order.
        let inserts = rows.iter().map(|values| {
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| &**v as &(dyn ToSql + Sync)).collect();
            let insert = &insert;
            async move { tx.execute(insert, &params).await }
        });
        futures_util::future::try_join_all(inserts).await.map_err(map)?;
        copied += rows.len() as u64;
    }
    Ok(copied)
}

/// Up to `CHUNK` rows after `after`: each with its rowid and its values.
fn read_chunk(
    source: &std::sync::Mutex<rusqlite::Connection>,
    select: &str,
    after: i64,
    width: usize,
) -> StoreResult<Vec<(i64, Vec<Value>)>> {
    let source = source.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut st = source.prepare_cached(select).map_err(sqlite)?;
    let rows = st
        .query_map([after], |r| {
            let rowid: i64 = r.get(0)?;
            let values = (1..=width)
                .map(|i| r.get::<_, Value>(i))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((rowid, values))
        })
        .map_err(sqlite)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sqlite)
}

/// A SQLite value as the target column's type. Never quotes the value in an error: it may be a
/// hash or a sealed text.
fn convert(table: &str, column: &Column, value: Value) -> StoreResult<Box<dyn ToSql + Sync + Send>> {
    let mismatch = || {
        StoreError::Backend(format!(
            "{table}.{}: a value of an unexpected type in the source; nothing was copied",
            column.name
        ))
    };
    Ok(match (value, &column.ty) {
        (Value::Null, &Type::INT8) => Box::new(None::<i64>),
        (Value::Null, &Type::INT4) => Box::new(None::<i32>),
        (Value::Null, &Type::BOOL) => Box::new(None::<bool>),
        (Value::Null, &Type::BYTEA) => Box::new(None::<Vec<u8>>),
        (Value::Null, &Type::TEXT) => Box::new(None::<String>),
        (Value::Integer(i), &Type::INT8) => Box::new(i),
        (Value::Integer(i), &Type::INT4) => Box::new(i32::try_from(i).map_err(|_| mismatch())?),
        (Value::Integer(i), &Type::BOOL) => Box::new(i != 0),
        (Value::Blob(b), &Type::BYTEA) => Box::new(b),
        (Value::Text(s), &Type::TEXT) => Box::new(s),
        _ => return Err(mismatch()),
    })
}

fn sqlite(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("reading the SQLite vault: {e}"))
}
