//! The backends the chapters run on. Each gives a fresh, empty database that lives as long as
//! the `Db` and can be opened as often as a chapter likes (several stores, reopening, a child
//! process). Postgres joins here, with its own CI, when its store exists.

use std::any::Any;

use vaultty::store::{self, DynStore, StoreError};

pub struct Db {
    pub url: String,
    /// Whatever keeps the database alive (a temporary directory), dropped with it.
    _keep: Box<dyn Any + Send + Sync>,
}

impl Db {
    pub async fn try_open(&self) -> Result<DynStore, StoreError> {
        store::open(&self.url).await
    }

    pub async fn open(&self) -> DynStore {
        self.try_open()
            .await
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", self.url))
    }
}

/// A file in a temporary directory.
pub fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    Db {
        url: sqlite_url(&dir),
        _keep: Box::new(dir),
    }
}

pub fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("vault.db").display())
}
