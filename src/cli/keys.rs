//! Where `serve` and `admin` find the master keys: `VAULTTY_MASTER_KEY` and `--master-key-file`.

use std::path::PathBuf;

use clap::Args;
use secrecy::SecretString;

use zeroize::Zeroizing;

use crate::config::files::{self, PrivateRead};
use crate::crypto::{KeyError, Keyring};

#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// A file holding master keys (base64 of 32 bytes, one per line; the first seals, all open).
    /// Repeatable. Keys in VAULTTY_MASTER_KEY (comma-separated) come first.
    #[arg(long = "master-key-file", value_name = "PATH")]
    pub master_key_files: Vec<PathBuf>,
}

impl KeyArgs {
    /// The keys of `VAULTTY_MASTER_KEY`, then of each `--master-key-file` in order. Each file is
    /// read as a private file ([`files::read_private_file`]): not through a symbolic link, owned by
    /// the user, and refused while group or others can read it, since whoever reads it can open
    /// every value.
    pub fn keyring(&self) -> Result<Keyring, KeyError> {
        let mut text = Zeroizing::new(
            std::env::var("VAULTTY_MASTER_KEY")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_default(),
        );
        for path in &self.master_key_files {
            let refused = |reason: String| KeyError::File {
                path: path.display().to_string(),
                reason,
            };
            match files::read_private_file(path).map_err(|e| refused(e.to_string()))? {
                PrivateRead::Text(keys) => {
                    // The file's lines follow the environment's keys: both are read alike
                    // (comma, space or line separated, `#` comments), the first key sealing.
                    text.push('\n');
                    text.push_str(&keys);
                }
                PrivateRead::Missing => return Err(refused("no such file".into())),
                PrivateRead::TooOpen => {
                    return Err(refused(format!(
                        "group or others can read it; run `chmod 600 {}`",
                        path.display()
                    )));
                }
            }
        }
        let all = (!text.trim().is_empty()).then(|| SecretString::from(text.as_str().to_owned()));
        Keyring::load(all.as_ref(), &[] as &[&std::path::Path])
    }
}

/// `--database URL` or `VAULTTY_DATABASE_URL`.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// The database: sqlite:///absolute/path/vault.db or sqlite://relative.db.
    #[arg(long = "database", env = "VAULTTY_DATABASE_URL", value_name = "URL")]
    pub database: String,
}
