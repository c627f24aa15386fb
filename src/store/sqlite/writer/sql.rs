//! The few statements the batch loop runs itself: begin (with the chain's tail), and the rest.

use rusqlite::{Connection, OptionalExtension};

use super::Chain;
use crate::store::sqlite::error::map;
use crate::store::{GENESIS_HASH, StoreError, StoreResult};

/// Starts the batch's transaction and reads the chain's tail: another process may have appended
/// since our last batch.
pub(super) fn begin(conn: &Connection) -> StoreResult<Chain> {
    exec(conn, "BEGIN IMMEDIATE").map_err(map)?;
    let last: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")
        .and_then(|mut st| st.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(map)?;
    match last {
        None => Ok(Chain {
            last_id: 0,
            last_hash: GENESIS_HASH,
        }),
        Some((id, hash)) => {
            let last_hash = <[u8; 32]>::try_from(hash.as_slice())
                .map_err(|_| StoreError::Backend(format!("audit event {id} has a malformed hash")))?;
            Ok(Chain { last_id: id, last_hash })
        }
    }
}

/// Runs a statement without parameters or rows, prepared once per connection: the batch loop runs
/// these for every job.
pub(super) fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

pub(super) fn rollback(conn: &Connection) {
    if !conn.is_autocommit() {
        // Failing here leaves nothing to undo that the next BEGIN would not refuse loudly.
        let _ = conn.execute_batch("ROLLBACK");
    }
}
