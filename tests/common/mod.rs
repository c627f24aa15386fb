//! A real vault for tests: the server on 127.0.0.1 port 0 over a SQLite file in a temporary
//! directory, initialised with an org and an admin, and the real client pointed at it.
//! With `VAULTTY_TEST_BACKEND=postgres` the database is instead a fresh PostgreSQL database in
//! the cluster `VAULTTY_TEST_POSTGRES_URL` names (.ci/run runs the API tests so a second time).
#![allow(dead_code)]

pub mod http;
pub mod old_schema;
pub mod postgres;
pub mod served;
pub mod shell;

use std::path::PathBuf;

use http::Api;
use secrecy::SecretString;
use vaultty::client::{ClientOptions, VaultClient};
use vaultty::crypto::{Keyring, MasterKey};
use vaultty::server::{self, RunningServer, ServerConfig};
use vaultty::vault::Clock;

pub struct TestVault {
    /// The vault's own directory: its SQLite file, or (on PostgreSQL) nothing, but the database
    /// lives as long as it does (`postgres::database_tied_to`).
    pub dir: tempfile::TempDir,
    pub db_url: String,
    pub server: RunningServer,
    pub admin_token: SecretString,
    /// The base64 master keys the server runs with, primary first.
    pub keys: Vec<[u8; 32]>,
}

pub fn keyring(keys: &[[u8; 32]]) -> Keyring {
    Keyring::new(keys.iter().map(|k| MasterKey::from_bytes(*k)).collect()).unwrap()
}

/// The database `TestVault` runs on, from `VAULTTY_TEST_BACKEND`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Unset or `sqlite`: a file in the vault's temporary directory.
    Sqlite,
    /// `postgres`: a database of its own in `VAULTTY_TEST_POSTGRES_URL`'s cluster.
    Postgres,
}

impl Backend {
    pub const VAR: &str = "VAULTTY_TEST_BACKEND";

    /// Panics on any other value: a typo must not quietly test SQLite a second time.
    pub fn from_env() -> Backend {
        match std::env::var_os(Backend::VAR) {
            None => Backend::Sqlite,
            Some(v) if v == "sqlite" => Backend::Sqlite,
            Some(v) if v == "postgres" => Backend::Postgres,
            Some(v) => panic!("{}={v:?}: expected unset, `sqlite` or `postgres`", Backend::VAR),
        }
    }
}

pub struct Options {
    pub max_versions: u32,
    pub reveal_rate_limit: u32,
    /// Failed authentications per minute per client address (`serve --auth-failure-limit`).
    pub auth_failure_limit: u32,
    pub keys: Vec<[u8; 32]>,
    /// The vault's clock: pass `ManualClock::starting_now().into()` (keeping a clone) to move
    /// time by hand.
    pub clock: Clock,
    /// Timeouts and the connection cap (tests/api/connections.rs makes them short).
    pub connections: server::ConnectionLimits,
    /// Serve `/metrics` on a listener of its own on 127.0.0.1 port 0 (`serve --metrics-listen`);
    /// its address is `server.metrics_addr`.
    pub metrics: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_versions: 10,
            reveal_rate_limit: 0,
            auth_failure_limit: vaultty::server::DEFAULT_AUTH_FAILURE_LIMIT,
            keys: vec![[7u8; 32]],
            clock: Clock::System,
            connections: server::ConnectionLimits::default(),
            metrics: false,
        }
    }
}

impl TestVault {
    pub async fn start() -> TestVault {
        TestVault::start_with(Options::default()).await
    }

    pub async fn start_with(opts: Options) -> TestVault {
        let dir = tempfile::tempdir().unwrap();
        let db_url = match Backend::from_env() {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("vault.db").display()),
            Backend::Postgres => postgres::database_tied_to(dir.path()),
        };
        let admin_token = vaultty::vault::admin_init(&db_url, &keyring(&opts.keys), "acme", "alice")
            .await
            .unwrap();
        let server = start_server(&db_url, &opts).await;
        TestVault {
            dir,
            db_url,
            server,
            admin_token,
            keys: opts.keys,
        }
    }

    /// A vault whose clock moves only when the test moves the returned handle.
    pub async fn with_manual_clock() -> (TestVault, vaultty::vault::ManualClock) {
        let clock = vaultty::vault::ManualClock::starting_now();
        let v = TestVault::start_with(Options {
            clock: clock.clone().into(),
            ..Default::default()
        })
        .await;
        (v, clock)
    }

    /// The SQLite file, for tests that open or damage it behind the server's back.
    pub fn db_path(&self) -> PathBuf {
        assert!(
            self.db_url.starts_with("sqlite://"),
            "this test is SQLite-only: skip it in the Postgres run in .ci/run"
        );
        self.dir.path().join("vault.db")
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn client(&self, token: &SecretString) -> VaultClient {
        VaultClient::new(&self.url(), Some(token.clone()), ClientOptions::default()).unwrap()
    }

    /// A client that introduces itself as `agent` (the audit log's `client`).
    pub fn client_as(&self, token: &SecretString, agent: vaultty::client::Agent) -> VaultClient {
        let opts = ClientOptions {
            agent,
            ..ClientOptions::default()
        };
        VaultClient::new(&self.url(), Some(token.clone()), opts).unwrap()
    }

    pub fn admin(&self) -> VaultClient {
        self.client(&self.admin_token)
    }

    /// Creates a user through the API, enrols them as they would (the admin never sees their
    /// token), and returns their client and token.
    pub async fn user(&self, name: &str, role: vaultty::api::Role) -> (VaultClient, SecretString) {
        let token = enroll_user(&self.admin(), &self.url(), name, role).await;
        (self.client(&token), token)
    }

    /// Raw HTTP, for what the typed client will not send (malformed bodies, missing headers).
    pub fn api(&self) -> Api {
        Api::new(&self.url())
    }
}

/// Creates a user with `admin` and exchanges the enrolment code at `url` as the new user would,
/// with a client that holds no token; returns the user's first token.
pub async fn enroll_user(admin: &VaultClient, url: &str, name: &str, role: vaultty::api::Role) -> SecretString {
    let enrolment = admin
        .create_user(&vaultty::api::CreateUser {
            name: name.into(),
            role,
            expires_in: None,
        })
        .await
        .unwrap();
    let anonymous = VaultClient::new(url, None, ClientOptions::default()).unwrap();
    anonymous.enroll(enrolment.code).await.unwrap().token
}

pub async fn start_server(db_url: &str, opts: &Options) -> RunningServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_listener = match opts.metrics {
        true => Some(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()),
        false => None,
    };
    server::start(
        ServerConfig {
            max_versions: opts.max_versions,
            reveal_rate_limit: opts.reveal_rate_limit,
            auth_failure_limit: opts.auth_failure_limit,
            clock: opts.clock.clone(),
            connections: opts.connections,
            metrics_listener,
            ..ServerConfig::new(db_url, keyring(&opts.keys))
        },
        listener,
    )
    .await
    .unwrap()
}

pub fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}
