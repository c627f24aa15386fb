//! What every backend records for `/metrics` (docs/ARCHITECTURE.md, "Metrics"): its group commit
//! and its connection pool, under the same series names whichever backend serves.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::time::Instant;

use super::{StoreError, StoreResult};

/// What the writer thread records for `/metrics` (docs/ARCHITECTURE.md, "Metrics"). Each is an
/// `Arc` inside: the thread keeps clones, and the server registers them in its registry.
#[derive(Clone)]
pub struct WriterMetrics {
    /// Jobs per transaction.
    pub batch_jobs: Histogram,
    /// Seconds from a job's send to its batch's outcome (commit or failure).
    pub job_wait: Histogram,
    /// Jobs the store failed (see `is_store_failure`), their audit rows with them: a job's own
    /// storage error, or its transaction not committing. A refusal (a conflict, say) is not one.
    pub failed_jobs: Counter,
}

impl Default for WriterMetrics {
    fn default() -> Self {
        WriterMetrics {
            // 1, 2, 4 … 256 (MAX_BATCH).
            batch_jobs: Histogram::new(exponential_buckets(1.0, 2.0, 9)),
            // 50 µs to about 3.3 s.
            job_wait: Histogram::new(exponential_buckets(0.000_05, 2.0, 17)),
            failed_jobs: Counter::default(),
        }
    }
}

impl WriterMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "vaultty_store_batch_jobs",
            "Write jobs per group-commit transaction",
            self.batch_jobs.clone(),
        );
        registry.register(
            "vaultty_store_job_wait_seconds",
            "Time from a write job's send until its batch committed (or failed)",
            self.job_wait.clone(),
        );
        registry.register(
            "vaultty_store_failed_writes",
            "Write jobs the store failed (full disk, I/O, busy, a transaction that did not commit): their audit rows were not written",
            self.failed_jobs.clone(),
        );
    }
}

/// What the pool records for `/metrics`: only reads that found no permit free, so that the
/// common case (a permit at once) costs nothing.
#[derive(Clone)]
pub struct PoolMetrics {
    /// Seconds a read waited for a permit (those that got one).
    pub wait: Histogram,
    /// Reads that waited `PERMIT_WAIT` in vain: answered `Overloaded` (503).
    pub timeouts: Counter,
}

impl Default for PoolMetrics {
    fn default() -> Self {
        PoolMetrics {
            // 50 µs to about 3.3 s: past PERMIT_WAIT.
            wait: Histogram::new(exponential_buckets(0.000_05, 2.0, 17)),
            timeouts: Counter::default(),
        }
    }
}

impl PoolMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "vaultty_store_pool_wait_seconds",
            "Time a database read waited for a pooled connection",
            self.wait.clone(),
        );
        registry.register(
            "vaultty_store_pool_timeouts",
            "Database reads that found no connection within the wait: answered 503 (overloaded)",
            self.timeouts.clone(),
        );
    }

    /// Waits for `permit` at most `wait`, recording the wait or the timeout.
    pub async fn waited<P, E>(
        &self,
        wait: Duration,
        permit: impl std::future::Future<Output = Result<P, E>>,
    ) -> StoreResult<P> {
        let started = Instant::now();
        match tokio::time::timeout(wait, permit).await {
            Ok(Ok(permit)) => {
                self.wait.observe(started.elapsed().as_secs_f64());
                Ok(permit)
            }
            Ok(Err(_)) => Err(StoreError::Backend("the connection pool is closed".into())),
            Err(_) => {
                self.timeouts.inc();
                Err(StoreError::Overloaded)
            }
        }
    }
}
