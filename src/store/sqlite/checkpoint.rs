//! The checkpoint thread: copies committed WAL pages back into the database file.
//!
//! SQLite's default runs a checkpoint inside the commit that crosses 1,000 WAL pages, so that one
//! batch of callers waits for a few hundred random writes and an extra fsync of the database file.
//! Here the writer's connection has a WAL hook in place of that automatic checkpoint, and after
//! its commits it nudges this thread, which runs a PASSIVE checkpoint (it never blocks the writer
//! or a reader) at most once per `INTERVAL` on a connection of its own. Durability does not
//! depend on it: a commit is durable once its WAL frames are synced, before any checkpoint.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use super::error::map;
use super::schema::BUSY_TIMEOUT;
use crate::store::{StoreError, StoreResult};

/// The shortest time between two checkpoints: commits in between are copied in one go. Each
/// checkpoint ends with a flush of the database file, which competes with the commits' flushes.
const INTERVAL: Duration = Duration::from_millis(100);

pub(super) struct Checkpointer {
    nudges: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub(super) fn start(path: &str) -> StoreResult<Checkpointer> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(map)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(map)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(map)?;
        // One pending nudge is enough: nudges that arrive meanwhile are folded into it.
        let (nudges, rx) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("vaultty-sqlite-checkpoint".into())
            .spawn(move || run(conn, rx))
            .map_err(|e| StoreError::Backend(format!("cannot start the database checkpoint thread: {e}")))?;
        Ok(Checkpointer {
            nudges: Some(nudges),
            thread: Some(thread),
        })
    }

    /// Tells the thread that there are new commits to copy; never blocks.
    pub(super) fn nudge(&self) {
        // Full: a nudge is pending already. Disconnected: the thread is gone; nothing to do.
        if let Some(n) = &self.nudges {
            let _: Result<(), TrySendError<()>> = n.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.nudges.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(conn: Connection, nudges: Receiver<()>) {
    let mut last = Instant::now();
    while nudges.recv().is_ok() {
        // Wait out the interval (nudges meanwhile fold into this checkpoint), but stop at once
        // when the writer goes away.
        let ready = last + INTERVAL;
        while let Some(left) = ready.checked_duration_since(Instant::now()) {
            match nudges.recv_timeout(left) {
                Ok(()) => {}
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        // A checkpoint that fails (busy, I/O) loses nothing: the frames stay in the WAL, and the
        // next nudge tries again.
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        last = Instant::now();
    }
}
