//! Stored values as a rekey and the checks at start see them: the rows not sealed in the current
//! format or under the primary key, replacing one row's sealed text if it is unchanged, which key
//! ids and formats are in use, and retiring the old format. The queries behind those `Store`
//! methods; reads run on the read pool, writes in the writer thread inside a job's savepoint.

use rusqlite::{Connection, params};

use super::error::map;
use super::writer::Tx;
use crate::crypto::{LEGACY_SEALED_FORMAT, SEALED_FORMAT};
use crate::store::{Owner, SealedRow, SealingState, StoreResult};

pub(super) fn sealed_not_under(
    conn: &Connection,
    key_id: &str,
    after: (i64, i64),
    limit: u32,
) -> StoreResult<Vec<SealedRow>> {
    sealed_rows(conn, SealedWanted::NotUnder(key_id), after, limit)
}

pub(super) fn sealed_legacy(conn: &Connection, after: (i64, i64), limit: u32) -> StoreResult<Vec<SealedRow>> {
    sealed_rows(conn, SealedWanted::Legacy, after, limit)
}

enum SealedWanted<'a> {
    /// Not in the current format under this key.
    NotUnder(&'a str),
    /// In the old format.
    Legacy,
}

fn sealed_rows(
    conn: &Connection,
    wanted: SealedWanted<'_>,
    after: (i64, i64),
    limit: u32,
) -> StoreResult<Vec<SealedRow>> {
    // One statement text for both: ?3 is the prefix, ?4 whether rows must have it (1) or not (0).
    let (prefix, with) = match wanted {
        SealedWanted::NotUnder(key_id) => (format!("{SEALED_FORMAT}:{key_id}:"), false),
        SealedWanted::Legacy => (format!("{LEGACY_SEALED_FORMAT}:"), true),
    };
    conn.prepare_cached(
        "SELECT v.secret_id, s.owner_id, s.name, s.uid, v.version, v.sealed \
         FROM secret_versions v JOIN secrets s ON s.id = v.secret_id \
         WHERE (v.secret_id, v.version) > (?1, ?2) AND (substr(v.sealed, 1, length(?3)) = ?3) = ?4 \
         ORDER BY v.secret_id, v.version LIMIT ?5",
    )
    .and_then(|mut st| {
        st.query_map(params![after.0, after.1, prefix, with, limit], |r| {
            Ok(SealedRow {
                secret_id: r.get(0)?,
                owner: Owner::from_db_id(r.get(1)?),
                name: r.get(2)?,
                identity: r.get(3)?,
                version: r.get(4)?,
                sealed: r.get(5)?,
            })
        })?
        .collect()
    })
    .map_err(map)
}

pub(super) fn replace_sealed(
    tx: &mut Tx<'_>,
    secret_id: i64,
    version: i64,
    old: &str,
    new: &str,
    preview: &str,
) -> StoreResult<bool> {
    let changed = tx
        .conn
        .prepare_cached(
            "UPDATE secret_versions SET sealed = ?4, preview = ?5 WHERE secret_id = ?1 AND version = ?2 AND sealed = ?3",
        )
        .and_then(|mut st| st.execute(params![secret_id, version, old, new, preview]))
        .map_err(map)?;
    if changed == 1 {
        tx.conn
            .prepare_cached("UPDATE secrets SET preview = ?3 WHERE id = ?1 AND version = ?2")
            .and_then(|mut st| st.execute(params![secret_id, version, preview]))
            .map_err(map)?;
    }
    Ok(changed == 1)
}

/// The key id is the second field of every sealed text: one pass over the versions, measured at
/// 0.35 s for 100,000 rows (a debug build on a busy 2-core machine). Paid once at start, so no
/// `key_id` column: it would be a second copy of what the sealed text says, for every write and
/// re-seal to keep in step. Text in no known format is left to `open` to report, row by row.
pub(super) fn sealing_state(conn: &Connection) -> StoreResult<SealingState> {
    let key_ids = conn
        .prepare_cached(
            "SELECT DISTINCT substr(sealed, 4, instr(substr(sealed, 4), ':') - 1) FROM secret_versions \
             WHERE substr(sealed, 1, 3) IN ('v1:', 'v2:') ORDER BY 1",
        )
        .and_then(|mut st| {
            st.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(map)?;
    let legacy_retired = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM settings WHERE name = 'sealed_v1' AND value = 'refused')")
        .and_then(|mut st| st.query_row([], |r| r.get(0)))
        .map_err(map)?;
    Ok(SealingState {
        key_ids,
        legacy_retired,
    })
}

pub(super) fn retire_legacy_sealing(tx: &mut Tx<'_>) -> StoreResult<bool> {
    tx.conn
        .prepare_cached(
            "INSERT OR REPLACE INTO settings (name, value) SELECT 'sealed_v1', 'refused' \
             WHERE NOT EXISTS (SELECT 1 FROM secret_versions WHERE substr(sealed, 1, 3) = 'v1:')",
        )
        .and_then(|mut st| st.execute([]))
        .map_err(map)?;
    tx.conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM settings WHERE name = 'sealed_v1' AND value = 'refused')")
        .and_then(|mut st| st.query_row([], |r| r.get(0)))
        .map_err(map)
}
