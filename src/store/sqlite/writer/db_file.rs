//! The writer's database file, watched for being deleted or replaced.
//!
//! Writes to a file whose name was deleted, renamed or pointed elsewhere still succeed, into a
//! file no later start will open, so every acknowledgement from then on would be a lie. SQLite
//! notices a moved file only in rollback-journal mode, not in WAL. So the writer checks before
//! each batch, and stops for good when the file is gone: it refuses the batch at hand, later
//! callers learn that the writer has stopped, and only a restart helps.

use std::path::PathBuf;

use crate::store::StoreError;

/// The database file as the writer opened it: its path and the identity of the file behind it.
pub(super) struct DbFile {
    path: PathBuf,
    id: (u64, u64),
}

impl DbFile {
    pub(super) fn of(path: &str) -> Option<DbFile> {
        // Absolute, so that a later change of working directory is not taken for a moved file.
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path));
        let id = file_id(&path)?;
        Some(DbFile { path, id })
    }

    /// The error for the jobs at hand once the path no longer names the file opened (one `stat`
    /// per batch, beside an fsync); `None` while it does.
    pub(super) fn gone(&self) -> Option<StoreError> {
        if file_id(&self.path) == Some(self.id) {
            return None;
        }
        Some(StoreError::Backend(format!(
            "the database file {} was deleted or replaced while the server ran; nothing more is written \
             until the server is restarted",
            self.path.display()
        )))
    }
}

#[cfg(unix)]
fn file_id(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(path: &std::path::Path) -> Option<(u64, u64)> {
    // No inode to compare: a deleted file is still caught.
    std::fs::metadata(path).ok().map(|_| (0, 0))
}
