//! The read pool: a few query-only connections used from `spawn_blocking`.
//!
//! WAL lets them read beside the writer thread; each query sees everything committed before it
//! started, so a caller reads its own acknowledged writes.

use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::schema::open_reader;
use crate::store::{StoreError, StoreResult};

/// Connections reading at once. Two cores: more would only queue inside the kernel.
const READERS: usize = 4;

pub(super) struct ReadPool {
    path: String,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl ReadPool {
    pub(super) fn new(path: &str) -> Arc<ReadPool> {
        Arc::new(ReadPool {
            path: path.to_owned(),
            idle: Mutex::new(Vec::with_capacity(READERS)),
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

    /// An idle connection, or a new one: connections are opened lazily, at most one per permit.
    fn take(&self) -> StoreResult<Connection> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match idle {
            Some(conn) => Ok(conn),
            None => open_reader(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < READERS {
            idle.push(conn);
        }
    }
}
