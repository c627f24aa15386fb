//! Choosing the vault a command talks to: a remote one when a URL or a profile says so, otherwise
//! the local vault, started in this process.

use std::fmt;
use std::path::PathBuf;

use super::{LocalError, LocalVault};
use crate::client::{Agent, ClientError, ClientOptions, VaultClient};
use crate::config::{self, ConfigError, Env, Paths};

/// What the user asked for on the command line (`--profile`, `--url`, `--allow-insecure-http`,
/// `--ca-cert`). The CLI and the TUI both connect through here, so they trust the same CAs.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub profile: Option<String>,
    pub url: Option<String>,
    pub allow_insecure_http: bool,
    /// Replaces `VAULTTY_CA_CERT` and the profile's `ca_cert`.
    pub ca_cert: Option<PathBuf>,
}

/// Where a connection goes, for messages such as "using the local vault in ...".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `profile` is the stored profile used, if any (none when only a URL was given).
    Remote {
        url: String,
        profile: Option<String>,
    },
    Local {
        data_dir: PathBuf,
    },
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Remote { url, profile: Some(p) } => write!(f, "{url} (profile {p})"),
            Target::Remote { url, profile: None } => f.write_str(url),
            Target::Local { data_dir } => write!(f, "the local vault in {}", data_dir.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Local(#[from] LocalError),
}

/// A client and, for the local vault, the server it talks to, which lives as long as this value.
pub struct Connection {
    pub client: VaultClient,
    pub target: Target,
    local: Option<LocalVault>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("client", &self.client)
            .field("target", &self.target)
            .finish()
    }
}

impl Connection {
    /// Shuts the embedded server down gracefully (a no-op for a remote vault).
    pub async fn close(self) {
        if let Some(local) = self.local {
            local.close().await;
        }
    }
}

/// Connects as this process's environment and `opts` say; see [`connect_with`].
pub async fn connect(opts: &ConnectOptions, agent: Agent) -> Result<Connection, ConnectError> {
    connect_with(opts, agent, &Env::from_process()).await
}

/// Resolves the vault to use: `--url` (else `VAULTTY_URL`) or a profile (`--profile`, else
/// `VAULTTY_PROFILE`, else a stored `default`) means a remote vault; with none of them, the local
/// vault in the data directory is started in this process.
pub async fn connect_with(opts: &ConnectOptions, agent: Agent, env: &Env) -> Result<Connection, ConnectError> {
    let paths = Paths::resolve(env)?;
    let mut env = env.clone();
    if let Some(url) = &opts.url {
        env.url = Some(url.clone());
    }
    if let Some(ca) = &opts.ca_cert {
        env.ca_cert = Some(ca.clone());
    }
    let client_opts = |allow_insecure_http, ca_cert| ClientOptions {
        agent,
        allow_insecure_http,
        ca_cert,
        ..ClientOptions::default()
    };
    match config::load_profile_with(&paths, opts.profile.as_deref(), &env)? {
        Some(profile) => {
            let stored = config::list_profiles(&paths)?.iter().any(|p| p.name == profile.name);
            // The profile's own setting already holds only for its own host (config::same_host);
            // the flag is the user's say-so for this one command, wherever it goes.
            let allow = opts.allow_insecure_http || profile.allow_insecure_http;
            let client = VaultClient::new(&profile.url, profile.token, client_opts(allow, profile.ca_cert))?;
            let target = Target::Remote {
                url: client.base_url().to_owned(),
                profile: stored.then_some(profile.name),
            };
            Ok(Connection {
                client,
                target,
                local: None,
            })
        }
        None => {
            let local = LocalVault::start(&paths.data_dir).await?;
            // Loopback and plain HTTP: no certificate to trust.
            let client = local.client(client_opts(false, None))?;
            let target = Target::Local {
                data_dir: local.data_dir().to_path_buf(),
            };
            Ok(Connection {
                client,
                target,
                local: Some(local),
            })
        }
    }
}
