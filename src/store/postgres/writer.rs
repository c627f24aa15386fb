//! The writer task and its group commit, one per replica.
//!
//! As with SQLite (`sqlite/writer.rs`), callers send jobs to one task, which drains every queued
//! job (up to `MAX_BATCH`), runs them in one transaction, each in its own savepoint (opened in the
//! round trip that releases the one before) so that a failing job rolls back alone, commits once, and only then answers every job: nothing is
//! acknowledged that is not durable, and one commit (one WAL flush in PostgreSQL) acknowledges a
//! whole batch.
//!
//! Several replicas write to one database, with no leader. The audit chain must stay one chain,
//! so every transaction first locks the chain's tail (`SELECT … FROM audit_head FOR UPDATE`) and
//! holds it to its commit: one lock per batch, taken before any other row, so two batches never
//! wait on each other in opposite orders (no deadlock), and the ids each appends follow the tail
//! it read, in commit order. A batch of another replica waits for the lock; under load each
//! replica's queue meanwhile grows into its next batch, so the lock is taken per batch, not per
//! request. Check-and-set and "latest" writes read the stored version inside the locked
//! transaction, so a rotation on one replica always sees the one committed on another.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use deadpool_postgres::{ClientWrapper, Object, Pool};
use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};

use crate::store::pending::{Pending, TypedPending};

use super::batch_rows::BatchRows;
use super::error::map;
use crate::store::{AuditChain, Millis, NewAudit, PoolMetrics, StoreError, StoreResult, WriterMetrics};

/// Most jobs in one transaction: bounds how long the first job of a batch waits for the last.
const MAX_BATCH: usize = 256;

/// The longest wait for the rest of a batch (see `sqlite/writer.rs`).
const GATHER_MAX: Duration = Duration::from_millis(1);

/// The tail of the audit chain as this transaction sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Chain {
    last_id: i64,
    last_hash: [u8; 32],
}

/// What a job gets: the batch's connection inside its savepoint, the audit chain's tail, and the
/// rows the batch writes at its end (`batch_rows.rs`).
pub(super) struct PgTx {
    client: Object,
    chain: Chain,
    links: Arc<OnceLock<AuditChain>>,
    rows: BatchRows,
}

/// The future a job's work returns, borrowing the transaction.
pub(super) type JobFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

impl PgTx {
    /// The connection, inside the batch's transaction and the job's savepoint.
    pub(super) fn client(&self) -> &ClientWrapper {
        &self.client
    }

    /// Appends one audit record, linked to the previous one; it is written with the batch.
    pub(super) fn append_audit(&mut self, a: NewAudit) -> StoreResult<()> {
        let links = self.links.get().ok_or(StoreError::NoChainKey)?;
        let row = links.next_row(self.chain.last_id, self.chain.last_hash, a)?;
        self.chain = Chain {
            last_id: row.id,
            last_hash: row.hash,
        };
        self.rows.push_audit(row);
        Ok(())
    }

    pub(super) fn append_audits(&mut self, audits: Vec<NewAudit>) -> StoreResult<()> {
        audits.into_iter().try_for_each(|a| self.append_audit(a))
    }

    /// Notes that these secrets were used at `at`; written with the batch.
    /// A notification on `vaultty_changes`, sent when the batch commits (`batch_rows.rs`).
    pub(super) fn notice(&mut self, payload: String) {
        self.rows.push_notice(payload);
    }

    pub(super) fn note_uses(&mut self, secret_ids: &[i64], at: Millis) {
        self.rows.push_uses(secret_ids, at);
    }
}

/// What a job does with the database, which decides what the batch does around it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum JobKind {
    /// Runs statements: in a savepoint of its own (when the batch has several jobs).
    Statements,
    /// Only appends audit events and notes uses (`write_buffered`): no statement of its own, so
    /// no savepoint; a failure takes its rows back in memory.
    Buffered,
    /// Reads the audit table: the events held so far are inserted first (`write_reading_audit`).
    ReadsAudit,
}

/// A job as the writer task sees it, whatever its result type.
trait Job: Send {
    fn sent(&self) -> Instant;
    fn kind(&self) -> JobKind;
    fn run<'a>(self: Box<Self>, tx: &'a mut PgTx) -> Pin<Box<dyn Future<Output = Box<dyn Pending>> + Send + 'a>>;
    fn reject(self: Box<Self>, error: StoreError);
}

struct TypedJob<T, F> {
    sent: Instant,
    kind: JobKind,
    work: F,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send + 'static,
    F: for<'a> FnOnce(&'a mut PgTx) -> JobFuture<'a, T> + Send + 'static,
{
    fn sent(&self) -> Instant {
        self.sent
    }

    fn kind(&self) -> JobKind {
        self.kind
    }

    fn run<'a>(self: Box<Self>, tx: &'a mut PgTx) -> Pin<Box<dyn Future<Output = Box<dyn Pending>> + Send + 'a>> {
        let TypedJob { work, reply, .. } = *self;
        Box::pin(async move {
            // A bug in one job must not take the writer task (and every later write) down with it.
            let result = AssertUnwindSafe(work(tx))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| Err(StoreError::Backend("a database write failed unexpectedly".into())));
            Box::new(TypedPending { result, reply }) as Box<dyn Pending>
        })
    }

    fn reject(self: Box<Self>, error: StoreError) {
        let _ = self.reply.send(Err(error));
    }
}

/// The handle: sends jobs; dropping it lets the task finish the queued jobs and stop.
pub(super) struct Writer {
    jobs: mpsc::UnboundedSender<Box<dyn Job>>,
    running: Arc<AtomicBool>,
    metrics: WriterMetrics,
}

impl Writer {
    /// Starts the writer task. It takes a connection from `pool` (its own, of one) per batch, so
    /// a connection that broke is replaced by the next batch.
    pub(super) fn start(pool: Pool, pool_metrics: PoolMetrics, links: Arc<OnceLock<AuditChain>>) -> Writer {
        let (jobs, rx) = mpsc::unbounded_channel();
        let metrics = WriterMetrics::default();
        let running = Arc::new(AtomicBool::new(true));
        let task = WriterTask {
            pool,
            pool_metrics,
            links,
            metrics: metrics.clone(),
        };
        let flag = Arc::clone(&running);
        tokio::spawn(async move {
            task.run(rx).await;
            flag.store(false, Ordering::Relaxed);
        });
        Writer { jobs, running, metrics }
    }

    pub(super) fn metrics(&self) -> &WriterMetrics {
        &self.metrics
    }

    pub(super) fn is_running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }

    /// Runs `work` in the next batch; answers once its batch is committed (or failed).
    pub(super) async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut PgTx) -> JobFuture<'a, T> + Send + 'static,
    {
        self.send(JobKind::Statements, work).await
    }

    /// Like `write`, for work that only appends audit events and notes uses (no statement).
    pub(super) async fn write_buffered<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut PgTx) -> JobFuture<'a, T> + Send + 'static,
    {
        self.send(JobKind::Buffered, work).await
    }

    /// Like `write`, for work that reads the audit table.
    pub(super) async fn write_reading_audit<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut PgTx) -> JobFuture<'a, T> + Send + 'static,
    {
        self.send(JobKind::ReadsAudit, work).await
    }

    async fn send<T, F>(&self, kind: JobKind, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut PgTx) -> JobFuture<'a, T> + Send + 'static,
    {
        let stopped = || StoreError::Backend("the database writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        let sent = Instant::now();
        self.jobs
            .send(Box::new(TypedJob {
                sent,
                kind,
                work,
                reply,
            }))
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

struct WriterTask {
    pool: Pool,
    pool_metrics: PoolMetrics,
    links: Arc<OnceLock<AuditChain>>,
    metrics: WriterMetrics,
}

impl WriterTask {
    async fn run(&self, mut rx: mpsc::UnboundedReceiver<Box<dyn Job>>) {
        let mut queue: VecDeque<Box<dyn Job>> = VecDeque::with_capacity(MAX_BATCH);
        let mut last_batch = 1;
        let mut last_commit = Duration::ZERO;
        while let Some(first) = rx.recv().await {
            queue.push_back(first);
            drain(&mut rx, &mut queue);
            let wanted = last_batch.min(MAX_BATCH);
            if queue.len() < wanted {
                let deadline = tokio::time::Instant::now() + GATHER_MAX.min(last_commit / 2);
                while queue.len() < wanted {
                    match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Some(job)) => {
                            queue.push_back(job);
                            drain(&mut rx, &mut queue);
                        }
                        Ok(None) | Err(_) => break,
                    }
                }
            }
            last_batch = queue.len();
            while !queue.is_empty() {
                last_commit = self.run_batch(&mut queue).await;
            }
        }
    }

    /// Runs jobs from the front of `queue` in one transaction. Consumes at least one job. Returns
    /// how long its commit took.
    async fn run_batch(&self, queue: &mut VecDeque<Box<dyn Job>>) -> Duration {
        let mut tx = match self.begin().await {
            Ok(tx) => tx,
            Err(e) => {
                self.metrics.failed_jobs.inc_by(queue.len() as u64);
                for job in queue.drain(..) {
                    job.reject(e.duplicate());
                }
                return Duration::ZERO;
            }
        };
        let head = tx.chain;
        // A lone job needs no savepoint: if it fails, the whole transaction rolls back with it.
        let savepoints = queue.len() > 1;
        let mut done: Vec<(Instant, Box<dyn Pending>)> = Vec::with_capacity(queue.len());
        let mut own_failures = 0;
        let mut aborted: Option<StoreError> = None;
        // A savepoint whose job succeeded and which is not released yet.
        let mut released_later = false;
        while let Some(job) = queue.pop_front() {
            let kind = job.kind();
            if kind == JobKind::ReadsAudit
                && let Err(e) = tx.rows.flush_audits(&tx.client).await
            {
                self.metrics.failed_jobs.inc();
                job.reject(e.duplicate());
                aborted = Some(e);
                break;
            }
            let savepoint = savepoints && kind != JobKind::Buffered;
            // The previous job's savepoint is released with this one's opening, in one round
            // trip; a job with no statement of its own leaves it open (COMMIT releases it).
            let opening = match (released_later, savepoint) {
                (true, true) => Some("RELEASE SAVEPOINT job; SAVEPOINT job"),
                (false, true) => Some("SAVEPOINT job"),
                (_, false) => None,
            };
            if savepoint {
                released_later = false;
            }
            if let Some(sql) = opening
                && let Err(e) = tx.client.batch_execute(sql).await
            {
                let e = map(e);
                self.metrics.failed_jobs.inc();
                job.reject(e.duplicate());
                aborted = Some(e);
                break;
            }
            let (before, mark) = (tx.chain, tx.rows.mark());
            let sent = job.sent();
            let pending = job.run(&mut tx).await;
            let own_error = pending.error();
            if own_error.as_ref().is_some_and(StoreError::is_store_failure) {
                own_failures += 1;
            }
            if own_error.is_some() {
                tx.chain = before;
                tx.rows.truncate(mark);
            }
            let end = match (&own_error, savepoint) {
                (Some(_), true) => {
                    tx.client
                        .batch_execute("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job")
                        .await
                }
                (None, true) => {
                    released_later = true;
                    Ok(())
                }
                // Nothing of it reached the database: its rows are taken back above.
                (Some(_), false) if kind == JobKind::Buffered => Ok(()),
                (Some(_), false) => {
                    // A lone job's own answer stands; its transaction is rolled back below.
                    done.push((sent, pending));
                    aborted = Some(StoreError::Backend("rolled back".into()));
                    break;
                }
                (None, false) => Ok(()),
            };
            done.push((sent, pending));
            if let Err(e) = end {
                aborted = Some(map(e));
                break;
            }
        }
        let lone_refusal = !savepoints && aborted.is_some();
        let committing = Instant::now();
        let failure = match aborted {
            Some(e) => {
                // A failed ROLLBACK leaves a broken connection, which deadpool replaces.
                let _ = tx.client.batch_execute("ROLLBACK").await;
                if lone_refusal { None } else { Some(e) }
            }
            None => self.commit(&mut tx, head).await.err(),
        };
        let commit_time = committing.elapsed();
        let finished = Instant::now();
        self.metrics.batch_jobs.observe(done.len() as f64);
        let failed = if failure.is_some() { done.len() } else { own_failures };
        self.metrics.failed_jobs.inc_by(failed as u64);
        for (sent, pending) in done {
            self.metrics
                .job_wait
                .observe(finished.saturating_duration_since(sent).as_secs_f64());
            pending.finish(failure.as_ref());
        }
        commit_time
    }

    /// Opens the batch's transaction and locks the audit chain's tail.
    async fn begin(&self) -> StoreResult<PgTx> {
        let client = super::connect::get(&self.pool, &self.pool_metrics).await?;
        client.batch_execute("BEGIN").await.map_err(map)?;
        let locked = async {
            let st = client
                .prepare_cached("SELECT last_id, last_hash FROM audit_head WHERE id = 1 FOR UPDATE")
                .await?;
            client.query_one(&st, &[]).await
        }
        .await;
        let row = match locked {
            Ok(row) => row,
            Err(e) => {
                let _ = client.batch_execute("ROLLBACK").await;
                return Err(map(e));
            }
        };
        let hash: &[u8] = row.get(1);
        let chain = Chain {
            last_id: row.get(0),
            last_hash: <[u8; 32]>::try_from(hash)
                .map_err(|_| StoreError::Backend("the audit chain's tail hash is not 32 bytes".into()))?,
        };
        Ok(PgTx {
            client,
            chain,
            links: Arc::clone(&self.links),
            rows: BatchRows::default(),
        })
    }

    /// Writes the batch's held rows, moves the chain's tail if the batch appended, and commits.
    async fn commit(&self, tx: &mut PgTx, head: Chain) -> StoreResult<()> {
        if let Err(e) = tx.rows.flush(&tx.client).await {
            let _ = tx.client.batch_execute("ROLLBACK").await;
            return Err(e);
        }
        let result = async {
            if tx.chain != head {
                let st = tx
                    .client
                    .prepare_cached("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE id = 1")
                    .await?;
                tx.client
                    .execute(&st, &[&tx.chain.last_id, &&tx.chain.last_hash[..]])
                    .await?;
            }
            tx.client.batch_execute("COMMIT").await
        }
        .await;
        if let Err(e) = result {
            let _ = tx.client.batch_execute("ROLLBACK").await;
            return Err(map(e));
        }
        Ok(())
    }
}

/// Moves every job already sent into `queue`, up to `MAX_BATCH`.
fn drain(rx: &mut mpsc::UnboundedReceiver<Box<dyn Job>>, queue: &mut VecDeque<Box<dyn Job>>) {
    while queue.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => queue.push_back(job),
            Err(_) => break,
        }
    }
}
