//! The backends the chapters run on. Each gives a fresh, empty database that lives as long as
//! the `Db` and can be opened as often as a chapter likes (several stores, reopening, a child
//! process). PostgreSQL needs a cluster (`tests/common/postgres.rs`), which CI starts.

use std::any::Any;

use vaultty::crypto::{Keyring, MasterKey};
use vaultty::store::DynStore;
use vaultty::vault::VaultError;

#[path = "../common/postgres.rs"]
pub mod pg;

pub struct Db {
    pub url: String,
    /// Whatever keeps the database alive (a temporary directory), dropped with it.
    _keep: Box<dyn Any + Send + Sync>,
}

impl Db {
    pub async fn try_open(&self) -> Result<DynStore, VaultError> {
        open_url(&self.url).await
    }

    pub async fn open(&self) -> DynStore {
        self.try_open()
            .await
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", self.url))
    }
}

pub const KEY: [u8; 32] = [5; 32];

/// The master keyring the chapters' databases seal their audit chain key under.
pub fn keyring() -> Keyring {
    Keyring::new(vec![MasterKey::from_bytes(KEY)]).unwrap()
}

/// Opens a database as the vault does: with its audit chain key, keying the chain when needed.
pub async fn open_url(url: &str) -> Result<DynStore, VaultError> {
    vaultty::vault::open_store(url, &keyring()).await
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

/// A database of its own in the test cluster (see `pg`).
pub fn postgres() -> Db {
    let db = pg::PgDatabase::create();
    Db {
        url: db.url.clone(),
        _keep: Box::new(db),
    }
}
