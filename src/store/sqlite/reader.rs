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
//!
//! Bounded: each way in has its own permits (`READERS` and `SHORT_READERS`), a read holds a
//! connection only with a permit, and every connection is kept idle between reads, so the pool
//! never holds more than `MAX_CONNECTIONS` files open and never opens one past that, whatever
//! the burst. A read waits at most `PERMIT_WAIT` for a permit, then fails with
//! `StoreError::Overloaded` (503 with `Retry-After`): under a flood the answer is "come back",
//! not a queue that grows for as long as the flood lasts.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::error::map;
use super::schema::{BUSY_TIMEOUT, open_reader};
use crate::store::{PoolMetrics, StoreError, StoreResult};

/// Blocking reads at once. Two cores: more would only queue inside the kernel.
const READERS: usize = 4;

/// Point lookups at once on the async threads. Each takes microseconds and holds its thread the
/// while, so more than the runtime's threads never run at once anyway; a short wait covers the rest.
const SHORT_READERS: usize = 4;

/// The most connections the pool ever holds open: one per permit.
const MAX_CONNECTIONS: usize = READERS + SHORT_READERS;

/// The longest a read waits for a permit before `Overloaded`: long enough to ride out a burst of
/// lookups (microseconds each) and a few lists, short enough that the client hears back well
/// within its own timeout (the CLI's is 10 s).
const PERMIT_WAIT: Duration = Duration::from_secs(2);

pub(super) struct ReadPool {
    path: String,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    short_permits: Semaphore,
    wait: Duration,
    /// Connections opened so far: at most `MAX_CONNECTIONS` unless one was dropped after a failure.
    opened: AtomicUsize,
    metrics: PoolMetrics,
}

impl ReadPool {
    pub(super) fn new(path: &str) -> Arc<ReadPool> {
        ReadPool::with_wait(path, PERMIT_WAIT)
    }

    fn with_wait(path: &str, wait: Duration) -> Arc<ReadPool> {
        Arc::new(ReadPool {
            path: path.to_owned(),
            idle: Mutex::new(Vec::with_capacity(MAX_CONNECTIONS)),
            permits: Arc::new(Semaphore::new(READERS)),
            short_permits: Semaphore::new(SHORT_READERS),
            wait,
            opened: AtomicUsize::new(0),
            metrics: PoolMetrics::default(),
        })
    }

    pub(super) fn metrics(&self) -> &PoolMetrics {
        &self.metrics
    }

    /// Runs `f` on a pooled connection on a blocking thread.
    pub(super) async fn read<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                self.metrics
                    .waited(self.wait, Arc::clone(&self.permits).acquire_owned())
                    .await?
            }
        };
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
        let permit = match self.short_permits.try_acquire() {
            Ok(permit) => permit,
            // Only when more tasks than SHORT_READERS run lookups at the same instant.
            Err(_) => self.metrics.waited(self.wait, self.short_permits.acquire()).await?,
        };
        let conn = self.take()?;
        // Busy at once rather than sleeping on an async thread.
        let result = conn.busy_timeout(Duration::ZERO).map_err(map).and_then(|()| f(&conn));
        let restored = conn.busy_timeout(BUSY_TIMEOUT);
        if restored.is_ok() {
            self.give_back(conn);
        }
        drop(permit);
        match result {
            Err(StoreError::Busy) => self.read(f).await,
            other => other,
        }
    }

    /// An idle connection, or a new one: connections are opened lazily. Only with a permit.
    fn take(&self) -> StoreResult<Connection> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match idle {
            Some(conn) => Ok(conn),
            None => {
                self.opened.fetch_add(1, Ordering::Relaxed);
                open_reader(&self.path)
            }
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_CONNECTIONS {
            idle.push(conn);
        }
    }
}

#[cfg(test)]
mod tests;
