//! The writer thread and its group commit.
//!
//! One thread owns the only writing connection. Callers send it jobs over a channel; it drains
//! every queued job (up to `MAX_BATCH`), runs them in one `BEGIN IMMEDIATE` transaction, each in
//! its own savepoint so that a failing job (a `Conflict`, say) rolls back alone, commits once, and
//! only then answers every job. One fsync thus acknowledges a whole batch, and while it runs the
//! next batch queues up. If the transaction or its commit fails, every job of the batch gets the
//! error: nothing is acknowledged that is not durable.
//!
//! Gathering: under steady load the callers answered by one commit come back together a moment
//! later. Starting the next transaction on the first of them would commit it nearly alone and
//! make the rest wait a whole fsync more; so when fewer jobs are queued than the last batch held,
//! the thread waits a little (at most `GATHER_MAX`, and at most half the last commit's time) for
//! them. A lone caller never waits: its last batch held one job. WAL checkpoints run on their own
//! thread (`checkpoint.rs`), never inside a commit that callers are waiting for; the writer only
//! finishes one between batches when the WAL has grown past `WAL_RESTART_FRAMES`.
//!
//! The thread stops for good when its database file was deleted or replaced (`db_file.rs` says
//! why); `is_running`, and so `/healthz`, then says so.

use std::collections::VecDeque;
use std::ffi::c_int;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::hooks::Wal;
use rusqlite::{Connection, params};
use tokio::sync::oneshot;

use crate::store::pending::{Pending, TypedPending};

use self::db_file::DbFile;
use self::sql::{begin, exec, rollback};
use super::checkpoint::Checkpointer;
use super::error::map;
use super::schema::BUSY_TIMEOUT;
use crate::store::{AuditChain, NewAudit, StoreError, StoreResult, Visibility, WriterMetrics};

mod db_file;
mod sql;

/// Most jobs in one transaction: bounds how long the first job of a batch waits for the last.
const MAX_BATCH: usize = 256;

/// The longest wait for the rest of a batch (see the module doc).
const GATHER_MAX: Duration = Duration::from_millis(1);

/// WAL frames (pages) after which the writer checkpoints between batches itself, so that the WAL
/// can start over: 64 MiB of 4 KiB pages. Each such checkpoint holds the next batch for the
/// frames the checkpoint thread has not copied yet plus two flushes; under a steady stream of
/// rotations that is every second or two, rare enough to stay out of the p99.
/// (Unit tests use 16 MiB, to see the WAL start over without writing hundreds of MB.)
const WAL_RESTART_FRAMES: c_int = if cfg!(test) { 4096 } else { 16_384 };

/// The longest the writer waits for readers to leave the WAL when it checkpoints itself.
const RESTART_WAIT: Duration = Duration::from_millis(5);

/// The tail of the audit chain as this transaction sees it.
#[derive(Clone, Copy)]
struct Chain {
    last_id: i64,
    last_hash: [u8; 32],
}

/// What a job gets: the connection inside its savepoint, and the audit chain: its tail, and the
/// key that links it (`None` when the store was opened without it: appending then fails).
pub(super) struct Tx<'c> {
    pub(super) conn: &'c Connection,
    chain: &'c mut Chain,
    links: Option<&'c AuditChain>,
}

impl Tx<'_> {
    /// Appends one audit record, linked to the previous one.
    pub(super) fn append_audit(&mut self, a: NewAudit) -> StoreResult<()> {
        let links = self.links.ok_or(StoreError::NoChainKey)?;
        let row = links.next_row(self.chain.last_id, self.chain.last_hash, a)?;
        self.conn
            .prepare_cached(
                "INSERT INTO audit (id, at, actor, action, secret, visibility, owner, version, outcome, \
                 client, ip, prev_hash, hash, count, target) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )
            .and_then(|mut st| {
                let e = &row.event;
                st.execute(params![
                    row.id,
                    e.at,
                    e.actor,
                    e.action.as_str(),
                    e.secret,
                    e.visibility.map(Visibility::as_str),
                    e.owner,
                    e.version,
                    e.outcome.as_str(),
                    e.client,
                    e.ip,
                    &row.prev_hash[..],
                    &row.hash[..],
                    e.count,
                    e.target,
                ])
            })
            .map_err(map)?;
        *self.chain = Chain {
            last_id: row.id,
            last_hash: row.hash,
        };
        Ok(())
    }

    pub(super) fn append_audits(&mut self, audits: Vec<NewAudit>) -> StoreResult<()> {
        audits.into_iter().try_for_each(|a| self.append_audit(a))
    }
}

/// A job as the writer thread sees it, whatever its result type.
trait Job: Send {
    /// When the caller sent it.
    fn sent(&self) -> Instant;
    fn run(self: Box<Self>, tx: &mut Tx<'_>) -> Box<dyn Pending>;
    fn reject(self: Box<Self>, error: StoreError);
}

struct TypedJob<T, F> {
    sent: Instant,
    work: F,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send + 'static,
    F: FnOnce(&mut Tx<'_>) -> StoreResult<T> + Send + 'static,
{
    fn sent(&self) -> Instant {
        self.sent
    }

    fn run(self: Box<Self>, tx: &mut Tx<'_>) -> Box<dyn Pending> {
        let TypedJob { work, reply, .. } = *self;
        // A bug in one job must not take the writer thread (and every later write) down with it.
        let result = catch_unwind(AssertUnwindSafe(|| work(tx)))
            .unwrap_or_else(|_| Err(StoreError::Backend("a database write failed unexpectedly".into())));
        Box::new(TypedPending { result, reply })
    }

    fn reject(self: Box<Self>, error: StoreError) {
        // The caller may have gone away (a cancelled request): nobody to tell.
        let _ = self.reply.send(Err(error));
    }
}

/// The handle: sends jobs; dropping it lets the thread finish the queued jobs and stop.
pub(super) struct Writer {
    jobs: Option<Sender<Box<dyn Job>>>,
    thread: Option<JoinHandle<()>>,
    metrics: WriterMetrics,
}

impl Writer {
    /// Starts the writer thread on `conn`, and the checkpoint thread beside it on a connection
    /// of its own to the same file.
    pub(super) fn start(mut conn: Connection, links: Arc<OnceLock<AuditChain>>) -> StoreResult<Writer> {
        // Checkpoints are the checkpoint thread's job, not a commit's: this hook replaces SQLite's
        // automatic one, and only notes how many frames the WAL holds after each commit.
        let wal_frames = Arc::new(AtomicI32::new(0));
        let frames = Arc::clone(&wal_frames);
        conn.wal_hook(Some(move |_: &mut Wal, pages: c_int| {
            frames.store(pages, Ordering::Relaxed);
            Ok(())
        }))
        .map_err(map)?;
        let checkpointer = match conn.path().filter(|p| !p.is_empty()) {
            Some(path) => Some(Checkpointer::start(path)?),
            None => None,
        };
        let file = conn.path().filter(|p| !p.is_empty()).and_then(DbFile::of);
        let (jobs, rx) = mpsc::channel();
        let metrics = WriterMetrics::default();
        let recorded = metrics.clone();
        let thread = std::thread::Builder::new()
            .name("vaultty-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, checkpointer, wal_frames, links, file, &recorded))
            .map_err(|e| StoreError::Backend(format!("cannot start the database writer thread: {e}")))?;
        Ok(Writer {
            jobs: Some(jobs),
            thread: Some(thread),
            metrics,
        })
    }

    pub(super) fn metrics(&self) -> &WriterMetrics {
        &self.metrics
    }

    /// Whether the thread still takes jobs (see the module doc for when it stops).
    pub(super) fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Runs `work` in the next batch; answers once its batch is committed (or failed).
    pub(super) async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> StoreResult<T> + Send + 'static,
    {
        let stopped = || StoreError::Backend("the database writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        let sent = Instant::now();
        jobs.send(Box::new(TypedJob { sent, work, reply }))
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel ends the loop once the queued jobs are done; joining makes the
        // connection close (and checkpoint) before a reopen of the same file in this process.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn writer_loop(
    conn: Connection,
    rx: Receiver<Box<dyn Job>>,
    checkpointer: Option<Checkpointer>,
    wal_frames: Arc<AtomicI32>,
    links: Arc<OnceLock<AuditChain>>,
    file: Option<DbFile>,
    metrics: &WriterMetrics,
) {
    let mut queue: VecDeque<Box<dyn Job>> = VecDeque::with_capacity(MAX_BATCH);
    let mut last_batch = 1;
    let mut last_commit = Duration::ZERO;
    while let Ok(first) = rx.recv() {
        queue.push_back(first);
        drain(&rx, &mut queue);
        let wanted = last_batch.min(MAX_BATCH);
        if queue.len() < wanted {
            let deadline = Instant::now() + GATHER_MAX.min(last_commit / 2);
            while queue.len() < wanted {
                let left = deadline.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok(job) => {
                        queue.push_back(job);
                        drain(&rx, &mut queue);
                    }
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                }
            }
        }
        last_batch = queue.len();
        if let Some(gone) = file.as_ref().and_then(DbFile::gone) {
            for job in queue.drain(..) {
                job.reject(gone.duplicate());
            }
            break;
        }
        while !queue.is_empty() {
            last_commit = run_batch(&conn, &mut queue, links.get(), metrics);
        }
        let frames = wal_frames.load(Ordering::Relaxed);
        if frames >= WAL_RESTART_FRAMES {
            // The checkpoint thread copies frames while batches keep committing and readers keep
            // reading, so it never catches up with the end of the WAL, and SQLite starts a WAL
            // over only once every frame is copied and no reader still uses one: without this
            // the file grows for as long as the load lasts. Here, between batches and after
            // their answers, nothing commits meanwhile, RESTART waits out the readers (lookups of
            // microseconds), and as the thread has copied nearly everything, little is left.
            // Waiting for readers is bounded by RESTART_WAIT; if they do not clear by then, a
            // later batch tries again.
            let _ = conn.busy_timeout(RESTART_WAIT);
            let _ = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()));
            let _ = conn.busy_timeout(BUSY_TIMEOUT);
            wal_frames.store(0, Ordering::Relaxed);
        } else if frames > 0
            && let Some(c) = &checkpointer
        {
            c.nudge();
        }
    }
    // The checkpointer stops after the writer: dropping it here, once the last batch committed.
    drop(checkpointer);
}

/// Moves every job already sent into `queue`, up to `MAX_BATCH`.
fn drain(rx: &Receiver<Box<dyn Job>>, queue: &mut VecDeque<Box<dyn Job>>) {
    while queue.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => queue.push_back(job),
            Err(_) => break,
        }
    }
}

/// Runs jobs from the front of `queue` in one transaction. Consumes at least one job. Returns how
/// long its commit took.
fn run_batch(
    conn: &Connection,
    queue: &mut VecDeque<Box<dyn Job>>,
    links: Option<&AuditChain>,
    metrics: &WriterMetrics,
) -> Duration {
    let mut chain = match begin(conn) {
        Ok(chain) => chain,
        Err(e) => {
            rollback(conn);
            metrics.failed_jobs.inc_by(queue.len() as u64);
            for job in queue.drain(..) {
                job.reject(e.duplicate());
            }
            return Duration::ZERO;
        }
    };
    let mut done: Vec<(Instant, Box<dyn Pending>)> = Vec::with_capacity(queue.len());
    let mut own_failures = 0;
    let mut aborted: Option<StoreError> = None;
    while let Some(job) = queue.pop_front() {
        if let Err(e) = exec(conn, "SAVEPOINT job") {
            let e = map(e);
            metrics.failed_jobs.inc();
            job.reject(e.duplicate());
            aborted = Some(e);
            break;
        }
        let before = chain;
        let sent = job.sent();
        let pending = job.run(&mut Tx {
            conn,
            chain: &mut chain,
            links,
        });
        let own_error = pending.error();
        if own_error.as_ref().is_some_and(StoreError::is_store_failure) {
            own_failures += 1;
        }
        let end = if own_error.is_some() {
            chain = before;
            exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
        } else {
            exec(conn, "RELEASE job")
        };
        done.push((sent, pending));
        // SQLite rolls the whole transaction back by itself after some errors (SQLITE_FULL,
        // I/O errors): then the earlier jobs of the batch are gone too.
        if conn.is_autocommit() {
            // The job's own error (Full, say) is the cause; a failed `ROLLBACK TO` only follows it.
            let cause = own_error.or_else(|| end.err().map(map));
            aborted = Some(cause.unwrap_or_else(|| StoreError::Backend("the transaction was rolled back".into())));
            break;
        }
        if let Err(e) = end {
            aborted = Some(map(e));
            break;
        }
    }
    let committing = Instant::now();
    let failure = match aborted {
        Some(e) => {
            rollback(conn);
            Some(e)
        }
        None => match exec(conn, "COMMIT") {
            Ok(()) => None,
            Err(e) => {
                rollback(conn);
                Some(map(e))
            }
        },
    };
    let commit_time = committing.elapsed();
    let finished = Instant::now();
    metrics.batch_jobs.observe(done.len() as f64);
    // A failed transaction fails every job in it; a committed one only those that failed alone.
    let failed = if failure.is_some() { done.len() } else { own_failures };
    metrics.failed_jobs.inc_by(failed as u64);
    for (sent, pending) in done {
        metrics
            .job_wait
            .observe(finished.saturating_duration_since(sent).as_secs_f64());
        pending.finish(failure.as_ref());
    }
    commit_time
}
