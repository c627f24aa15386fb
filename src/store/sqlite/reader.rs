//! The read pool: a few query-only connections beside the writer.
//!
//! WAL lets them read beside the writer thread; each query sees everything committed before it
//! started, so a caller reads its own acknowledged writes.
//!
//! Two ways in. `read` runs on a blocking thread, for reads whose length grows with the data (a
//! list, the audit log). `read_short` runs right on the calling task, for the point lookups every
//! request makes (a token, a secret, a version): those take a few microseconds, less than the
//! two thread hand-offs of `spawn_blocking` they would otherwise pay. It never waits for a lock on
//! the async thread: if SQLite answers busy (another process recovering the WAL, say), the read is
//! handed to `read`, which waits as long as `BUSY_TIMEOUT`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::error::map;
use super::schema::{BUSY_TIMEOUT, open_reader};
use crate::store::{StoreError, StoreResult};

/// Blocking reads at once. Two cores: more would only queue inside the kernel.
const READERS: usize = 4;

/// Idle connections kept: the blocking reads plus a few short ones on the async threads.
const IDLE: usize = READERS + 4;

pub(super) struct ReadPool {
    path: String,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl ReadPool {
    pub(super) fn new(path: &str) -> Arc<ReadPool> {
        Arc::new(ReadPool {
            path: path.to_owned(),
            idle: Mutex::new(Vec::with_capacity(IDLE)),
            permits: Arc::new(Semaphore::new(READERS)),
        })
    }

    /// Runs `f` on a pooled connection on a blocking thread.
    pub(super) async fn read<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Backend("the read pool is closed".into()))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = pool.take()?;
            let result = f(&conn);
            pool.give_back(conn);
            result
        })
        .await
        .map_err(|_| StoreError::Backend("a database read stopped unexpectedly".into()))?
    }

    /// Runs a point lookup `f` here and now; see the module doc.
    pub(super) async fn read_short<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = self.take()?;
        // Busy at once rather than sleeping on an async thread.
        let result = conn.busy_timeout(Duration::ZERO).map_err(map).and_then(|()| f(&conn));
        let restored = conn.busy_timeout(BUSY_TIMEOUT);
        if restored.is_ok() {
            self.give_back(conn);
        }
        match result {
            Err(StoreError::Busy) => self.read(f).await,
            other => other,
        }
    }

    /// An idle connection, or a new one: connections are opened lazily.
    fn take(&self) -> StoreResult<Connection> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match idle {
            Some(conn) => Ok(conn),
            None => open_reader(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE {
            idle.push(conn);
        }
    }
}
