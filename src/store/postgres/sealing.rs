//! Stored values as a rekey and the checks at start see them: the rows not sealed in the current
//! format or under the primary key, replacing one row's sealed text if it is unchanged, which key
//! ids and formats are in use, and retiring the old format. The queries behind those `Store`
//! methods (the port of `sqlite/sealing.rs`); reads run on the read pool, writes in the writer
//! task inside a job's savepoint.

use deadpool_postgres::ClientWrapper;

use super::error::map;
use super::writer::PgTx;
use crate::crypto::{LEGACY_SEALED_FORMAT, SEALED_FORMAT};
use crate::store::{Owner, SealedRow, SealingState, StoreResult};

pub(super) async fn sealed_not_under(
    c: &ClientWrapper,
    key_id: &str,
    after: (i64, i64),
    limit: u32,
) -> StoreResult<Vec<SealedRow>> {
    sealed_rows(c, SealedWanted::NotUnder(key_id), after, limit).await
}

pub(super) async fn sealed_legacy(c: &ClientWrapper, after: (i64, i64), limit: u32) -> StoreResult<Vec<SealedRow>> {
    sealed_rows(c, SealedWanted::Legacy, after, limit).await
}

enum SealedWanted<'a> {
    /// Not in the current format under this key.
    NotUnder(&'a str),
    /// In the old format.
    Legacy,
}

async fn sealed_rows(
    c: &ClientWrapper,
    wanted: SealedWanted<'_>,
    after: (i64, i64),
    limit: u32,
) -> StoreResult<Vec<SealedRow>> {
    // One statement text for both: $3 is the prefix, $4 whether rows must have it or not. The
    // row comparison walks secret_versions' primary key from the cursor on.
    let (prefix, with) = match wanted {
        SealedWanted::NotUnder(key_id) => (format!("{SEALED_FORMAT}:{key_id}:"), false),
        SealedWanted::Legacy => (format!("{LEGACY_SEALED_FORMAT}:"), true),
    };
    let st = c
        .prepare_cached(
            "SELECT v.secret_id, s.owner_id, s.name, s.uid, v.version, v.sealed \
             FROM secret_versions v JOIN secrets s ON s.id = v.secret_id \
             WHERE (v.secret_id, v.version) > ($1, $2) AND starts_with(v.sealed, $3::text) = $4::boolean \
             ORDER BY v.secret_id, v.version LIMIT $5",
        )
        .await
        .map_err(map)?;
    let rows = c
        .query(&st, &[&after.0, &after.1, &prefix, &with, &i64::from(limit)])
        .await
        .map_err(map)?;
    rows.iter()
        .map(|r| {
            Ok(SealedRow {
                secret_id: r.try_get(0).map_err(map)?,
                owner: Owner::from_db_id(r.try_get(1).map_err(map)?),
                name: r.try_get(2).map_err(map)?,
                identity: r.try_get(3).map_err(map)?,
                version: r.try_get(4).map_err(map)?,
                sealed: r.try_get(5).map_err(map)?,
            })
        })
        .collect()
}

/// Replaces the version's sealed text if unchanged and, when it did and the version is the
/// secret's current one, the secret's preview: one statement, one round trip.
const REPLACE_SEALED: &str = "WITH v AS (UPDATE secret_versions SET sealed = $4, preview = $5 \
     WHERE secret_id = $1 AND version = $2 AND sealed = $3 RETURNING secret_id), \
     s AS (UPDATE secrets SET preview = $5 WHERE id = $1 AND version = $2 AND EXISTS (SELECT 1 FROM v)) \
     SELECT count(*) FROM v";

pub(super) async fn replace_sealed(
    tx: &mut PgTx,
    secret_id: i64,
    version: i64,
    old: &str,
    new: &str,
    preview: &str,
) -> StoreResult<bool> {
    let c = tx.client();
    let st = c.prepare_cached(REPLACE_SEALED).await.map_err(map)?;
    let changed: i64 = c
        .query_one(&st, &[&secret_id, &version, &old, &new, &preview])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(map)?;
    Ok(changed == 1)
}

/// The key id is the second field of every sealed text: one pass over the versions, paid once at
/// start (see `sqlite/sealing.rs` for why there is no `key_id` column). Text in no known format
/// is left to `open` to report, row by row. Sorted bytewise, as SQLite sorts.
pub(super) async fn sealing_state(c: &ClientWrapper) -> StoreResult<SealingState> {
    let st = c
        .prepare_cached(
            "SELECT DISTINCT split_part(substr(sealed, 4), ':', 1) COLLATE \"C\" FROM secret_versions \
             WHERE substr(sealed, 1, 3) IN ('v1:', 'v2:') ORDER BY 1",
        )
        .await
        .map_err(map)?;
    let key_ids = c
        .query(&st, &[])
        .await
        .map_err(map)?
        .iter()
        .map(|r| r.try_get::<_, String>(0).map_err(map))
        .collect::<StoreResult<Vec<_>>>()?;
    let st = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM settings WHERE name = 'sealed_v1' AND value = 'refused')")
        .await
        .map_err(map)?;
    let legacy_retired = c.query_one(&st, &[]).await.and_then(|r| r.try_get(0)).map_err(map)?;
    Ok(SealingState {
        key_ids,
        legacy_retired,
    })
}

/// Refuses the old format if no row is left in it, and answers whether it is refused, in one
/// statement (the CTE's insert is not visible to the outer query's snapshot, hence the OR).
pub(super) async fn retire_legacy_sealing(tx: &mut PgTx) -> StoreResult<bool> {
    let c = tx.client();
    let st = c
        .prepare_cached(
            "WITH retired AS (INSERT INTO settings (name, value) SELECT 'sealed_v1', 'refused' \
             WHERE NOT EXISTS (SELECT 1 FROM secret_versions WHERE substr(sealed, 1, 3) = 'v1:') \
             ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value RETURNING 1) \
             SELECT EXISTS (SELECT 1 FROM retired) \
             OR EXISTS (SELECT 1 FROM settings WHERE name = 'sealed_v1' AND value = 'refused')",
        )
        .await
        .map_err(map)?;
    c.query_one(&st, &[]).await.and_then(|r| r.try_get(0)).map_err(map)
}
