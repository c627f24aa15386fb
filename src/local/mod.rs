//! The embedded default: with no server configured, vaultty keeps a vault in the data directory
//! and serves it in-process on `127.0.0.1:0` for the life of the command, and the CLI and the TUI
//! talk to it over HTTP like to any other server.
//!
//! Owns: the data directory (0700), the master key file `master.key` (created once, 0600, refused
//! when others can read it), the SQLite file `vault.db`, the local org and admin user and their
//! token `local.token` (0600), the in-process server, and the choice between a remote vault and
//! this one ([`connect`]). Several vaultty processes may use the same local vault at once.

mod connect;
mod keyfile;

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use tokio::net::TcpListener;

pub use connect::{ConnectError, ConnectOptions, Connection, Target, connect, connect_with};

use crate::client::{ClientOptions, ClientResult, VaultClient};
use crate::server::{self, RunningServer, ServerConfig};
use crate::vault::{self, VaultError};

/// The local org's name.
pub const LOCAL_ORG: &str = "local";
/// Versions kept per secret (the API's default).
const MAX_VERSIONS: u32 = server::DEFAULT_MAX_VERSIONS;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} can be read by other users, so vaultty will not use it; run `chmod 600 {}`", .0.display(), .0.display())]
    TooOpen(PathBuf),
    #[error(
        "the local vault {} exists but its master key {} is missing, so its values cannot be opened; \
         restore the key file, or move the data directory aside to start a new local vault",
        .database.display(), .key.display()
    )]
    KeyMissing { key: PathBuf, database: PathBuf },
    #[error("the master key file {} is not usable: {reason}", .path.display())]
    BadKey { path: PathBuf, reason: String },
    #[error(
        "the local vault in {} is initialised but its token file {} is missing; restore it, or move \
         the data directory aside to start a new local vault",
        .data_dir.display(), .token.display()
    )]
    TokenMissing { token: PathBuf, data_dir: PathBuf },
    #[error("the data directory {} is not a UTF-8 path; set VAULTTY_DATA_DIR to one that is", .0.display())]
    NonUtf8Path(PathBuf),
    #[error("cannot set up the local vault in {}: {source}", .data_dir.display())]
    Init { data_dir: PathBuf, source: VaultError },
    #[error("cannot start the local vault in {}: {source}", .data_dir.display())]
    Serve {
        data_dir: PathBuf,
        source: server::ServeError,
    },
}

/// The local vault, served in this process until [`LocalVault::close`] (or the runtime ends).
pub struct LocalVault {
    data_dir: PathBuf,
    server: RunningServer,
    token: SecretString,
}

impl fmt::Debug for LocalVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalVault")
            .field("data_dir", &self.data_dir)
            .field("url", &self.server.url())
            .finish_non_exhaustive()
    }
}

impl LocalVault {
    /// Opens (creating on first use) the local vault in `data_dir` and serves it on a free
    /// loopback port.
    pub async fn start(data_dir: &Path) -> Result<LocalVault, LocalError> {
        let io_err = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| LocalError::Io { action, path, source }
        };
        crate::config::files::create_private_dir(data_dir).map_err(io_err("create", data_dir))?;
        // The database URL needs an absolute path; VAULTTY_DATA_DIR may be relative.
        let data_dir = std::fs::canonicalize(data_dir).map_err(io_err("open", data_dir))?;
        let db_path = data_dir.join("vault.db");
        let keyring = keyfile::load_or_create_key(&data_dir.join("master.key"), &db_path).await?;
        let db_str = db_path
            .to_str()
            .ok_or_else(|| LocalError::NonUtf8Path(data_dir.clone()))?;
        let database_url = format!("sqlite://{db_str}");

        let token_path = data_dir.join("local.token");
        let token = match keyfile::read_token(&token_path)? {
            Some(t) => t,
            None => {
                let user = keyfile::local_user_name(keyfile::login_name().as_deref());
                match vault::admin_init(&database_url, &keyring, LOCAL_ORG, &user).await {
                    Ok(token) => {
                        keyfile::write_token(&token_path, &token)?;
                        token
                    }
                    // Another process initialised it a moment ago and is writing the token.
                    Err(VaultError::AlreadyInitialised) => keyfile::wait_for_token(&token_path, &data_dir).await?,
                    Err(source) => return Err(LocalError::Init { data_dir, source }),
                }
            }
        };

        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| LocalError::Serve {
                data_dir: data_dir.clone(),
                source: e.into(),
            })?;
        let config = ServerConfig {
            max_versions: MAX_VERSIONS,
            // One user, whose token sits beside the database: a reveal limit protects nothing here.
            reveal_rate_limit: 0,
            ..ServerConfig::new(database_url, keyring)
        };
        let server = server::start(config, listener)
            .await
            .map_err(|source| LocalError::Serve {
                data_dir: data_dir.clone(),
                source,
            })?;
        Ok(LocalVault {
            data_dir,
            server,
            token,
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The data directory, made absolute.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A client of this vault, authenticated as the local admin.
    pub fn client(&self, opts: ClientOptions) -> ClientResult<VaultClient> {
        VaultClient::new(&self.url(), Some(self.token.clone()), opts)
    }

    /// Stops serving after the requests in flight finish.
    pub async fn close(self) {
        self.server.shutdown().await;
    }
}
