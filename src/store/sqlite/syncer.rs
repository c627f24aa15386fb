//! Making commits durable off the writer thread.
//!
//! The writer's connection runs with `synchronous=NORMAL`: its COMMIT writes the batch's WAL frames
//! to the operating system (where they survive a `kill -9` of the process) without waiting for the
//! disk, and checkpoints still sync as before. The batch's jobs are not answered there: they come
//! here, and are answered only after an `fdatasync` of the WAL file that began after their
//! commit. So an answer still means "on disk, survives power loss", while the writer goes on to
//! the next batch during the flush instead of idling through it: the flush and the next batch's
//! statements overlap, and one flush covers every batch committed while the previous one ran.
//!
//! What a reader may see meanwhile: a committed change a few milliseconds before it is on disk
//! (`GET` of metadata, say). Anything whose answer depends on a write (a reveal's audit record,
//! a rotation) is answered after its own flush, which covers every earlier commit too.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use super::writer::Pending;
use crate::store::{StoreError, StoreResult};

/// A batch that committed (or failed), waiting for its answers.
pub(super) struct Settled {
    pub(super) pending: Vec<Box<dyn Pending>>,
    /// Set when the batch did not commit: its jobs get this error, and need no flush.
    pub(super) failure: Option<StoreError>,
}

pub(super) struct Syncer {
    batches: Option<Sender<Settled>>,
    thread: Option<JoinHandle<()>>,
    /// Flushes done so far (tests check that answers wait for them, and that they are shared).
    flushes: Arc<AtomicU64>,
}

impl Syncer {
    /// Starts the thread for the database at `db_path`; it flushes `<db_path>-wal`.
    pub(super) fn start(db_path: &str) -> StoreResult<Syncer> {
        let wal = PathBuf::from(format!("{db_path}-wal"));
        let (batches, rx) = mpsc::channel();
        let flushes = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&flushes);
        let thread = std::thread::Builder::new()
            .name("vaultty-sqlite-sync".into())
            .spawn(move || run(wal, rx, counter))
            .map_err(|e| StoreError::Backend(format!("cannot start the database sync thread: {e}")))?;
        Ok(Syncer {
            batches: Some(batches),
            thread: Some(thread),
            flushes,
        })
    }

    /// Hands over a batch; its jobs are answered after the next flush.
    pub(super) fn settle(&self, batch: Settled) {
        match &self.batches {
            Some(tx) => {
                if let Err(mpsc::SendError(batch)) = tx.send(batch) {
                    // The thread is gone (it cannot be while the writer runs): say so rather
                    // than acknowledge unflushed writes.
                    answer(
                        batch.pending,
                        Some(&StoreError::Backend("the database sync thread stopped".into())),
                    );
                }
            }
            None => answer(
                batch.pending,
                Some(&StoreError::Backend("the database sync thread stopped".into())),
            ),
        }
    }

    pub(super) fn flush_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.flushes)
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        // Closing the channel lets the thread flush and answer what is queued, then stop.
        drop(self.batches.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(wal: PathBuf, batches: Receiver<Settled>, flushes: Arc<AtomicU64>) {
    // Opened at the first flush: the WAL file exists once a commit has happened, and stays (same
    // inode) while this process holds the database open.
    let mut file: Option<File> = None;
    while let Ok(first) = batches.recv() {
        let mut ready = vec![first];
        ready.extend(batches.try_iter());
        let flush_error = if ready.iter().any(|b| b.failure.is_none()) {
            let result = flush(&wal, &mut file);
            flushes.fetch_add(1, Ordering::Release);
            result.err()
        } else {
            None
        };
        for Settled { pending, failure } in ready {
            let flush_failure = flush_error.as_ref().map(|m| StoreError::Backend(m.clone()));
            answer(pending, failure.as_ref().or(flush_failure.as_ref()));
        }
    }
}

fn flush(wal: &PathBuf, file: &mut Option<File>) -> Result<(), String> {
    let describe = |e: std::io::Error| {
        format!("the change is committed but could not be flushed to disk ({e}); it may not survive a power failure")
    };
    if file.is_none() {
        *file = Some(OpenOptions::new().write(true).open(wal).map_err(describe)?);
    }
    match file {
        Some(f) => f.sync_data().map_err(describe),
        None => Ok(()),
    }
}

fn answer(pending: Vec<Box<dyn Pending>>, failure: Option<&StoreError>) {
    for p in pending {
        p.finish(failure);
    }
}
