//! Where `serve` and `admin` find the master keys: `VAULTTY_MASTER_KEY` and `--master-key-file`.

use std::path::PathBuf;

use clap::Args;
use secrecy::SecretString;

use crate::crypto::{KeyError, Keyring};

#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// A file holding master keys (base64 of 32 bytes, one per line; the first seals, all open).
    /// Repeatable. Keys in VAULTTY_MASTER_KEY (comma-separated) come first.
    #[arg(long = "master-key-file", value_name = "PATH")]
    pub master_key_files: Vec<PathBuf>,
}

impl KeyArgs {
    pub fn keyring(&self) -> Result<Keyring, KeyError> {
        let env = std::env::var("VAULTTY_MASTER_KEY")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(SecretString::from);
        Keyring::load(env.as_ref(), &self.master_key_files)
    }
}

/// `--database URL` or `VAULTTY_DATABASE_URL`.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// The database: sqlite:///absolute/path/vault.db or sqlite://relative.db.
    #[arg(long = "database", env = "VAULTTY_DATABASE_URL", value_name = "URL")]
    pub database: String,
}
