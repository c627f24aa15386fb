//! `Store::data_version` for SQLite: SQLite's own `PRAGMA data_version`, asked on one
//! connection kept for it.
//!
//! The pragma's value changes on a connection whenever a transaction of any *other* connection
//! committed since that connection last read, whoever wrote: this store's writer thread, or
//! another process on the same file (several `vaultty` processes share the local vault; `admin`
//! commands write beside a running server). The connection kept here never writes, so every
//! commit counts. A counter bumped by the writer thread alone would miss the other processes.
//!
//! Values are only comparable on one connection, and a reopened connection starts over: so the
//! pragma's value is not returned as it is. A counter of our own goes up whenever the value
//! differs from the last one seen, and on every (re)open: equal answers then do mean that
//! nothing committed in between.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::Connection;

use super::schema::open_reader;

pub(super) struct DataVersion {
    path: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    conn: Option<Connection>,
    /// The pragma's last value on `conn`; `None` right after (re)opening it.
    seen: Option<i64>,
    /// What `current` answers.
    version: u64,
}

impl DataVersion {
    pub(super) fn new(path: &str) -> DataVersion {
        DataVersion {
            path: path.to_owned(),
            state: Mutex::new(State::default()),
        }
    }

    /// See `Store::data_version`. Holds the mutex for one pragma (a read transaction's start:
    /// microseconds); a busy database (SQLite recovering the WAL, say) answers `None` at once.
    pub(super) fn current(&self) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.conn.is_none() {
            let conn = open_reader(&self.path).ok()?;
            conn.busy_timeout(Duration::ZERO).ok()?;
            state.conn = Some(conn);
            state.seen = None;
        }
        let read = state
            .conn
            .as_ref()
            .map(|c| c.query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0)));
        match read {
            Some(Ok(value)) => {
                if state.seen != Some(value) {
                    state.seen = Some(value);
                    state.version += 1;
                }
                Some(state.version)
            }
            Some(Err(rusqlite::Error::SqliteFailure(e, _))) if e.code == rusqlite::ErrorCode::DatabaseBusy => None,
            _ => {
                // Anything else: start over on a new connection next time (which counts as a change).
                state.conn = None;
                None
            }
        }
    }
}
