//! The HTTP server: axum router, auth extractor, thin handlers over `vault`, request limits, the
//! OpenAPI document, and the accept loop with its connection limits and graceful shutdown
//! (`listen.rs`). No SQL and no raw keys here.

mod deadlines;
mod error;
mod extract;
mod handlers;
mod list_cache;
mod listen;
mod metrics;
mod openapi;
// Public only for `benches/ratelimit.rs`; not part of the crate's interface.
#[doc(hidden)]
pub mod ratelimit;
mod routes;
mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use error::ApiError;
pub use listen::{
    ConnectionLimits, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_REQUEST_TIMEOUT,
};
pub use openapi::openapi_json;
pub use tls::{Tls, TlsError};

use crate::crypto::Keyring;
/// The vault's clock, re-exported so that whoever configures a server needs nothing from `vault`.
pub use crate::vault::Clock;
use crate::vault::{Vault, VaultError, VaultSettings};

/// Versions kept per secret unless configured.
pub const DEFAULT_MAX_VERSIONS: u32 = 10;
/// Reveals per minute unless configured.
pub const DEFAULT_REVEAL_RATE_LIMIT: u32 = 600;
/// Failed authentications per minute per client address unless configured.
pub const DEFAULT_AUTH_FAILURE_LIMIT: u32 = 30;

/// What `vaultty serve` (and the embedded local vault) runs with.
#[derive(Debug)]
pub struct ServerConfig {
    pub database_url: String,
    pub keyring: Keyring,
    /// Versions kept per secret.
    pub max_versions: u32,
    /// Reveals and env deliveries per minute per user; 0 turns the limit off.
    pub reveal_rate_limit: u32,
    /// Failed authentications per minute per client address before 429; 0 never answers 429
    /// (the failures are still written as summarised audit rows).
    pub auth_failure_limit: u32,
    /// The vault's time: `Clock::System` except in tests that move time by hand.
    pub clock: Clock,
    /// Timeouts and the connection cap.
    pub connections: ConnectionLimits,
    /// HTTPS with this certificate; plain HTTP when `None` (loopback, or `--insecure-no-tls`).
    pub tls: Option<Tls>,
    /// Where `/metrics` is served (`--metrics-listen`): plain HTTP, no authentication, never on
    /// the API's listener. No metrics listener when `None`.
    pub metrics_listener: Option<TcpListener>,
}

impl ServerConfig {
    /// The defaults `vaultty serve` documents; callers override fields with struct-update syntax
    /// (`ServerConfig { max_versions: 3, ..ServerConfig::new(url, keyring) }`), so that a new knob
    /// needs no change where the defaults suit.
    pub fn new(database_url: impl Into<String>, keyring: Keyring) -> Self {
        ServerConfig {
            database_url: database_url.into(),
            keyring,
            max_versions: DEFAULT_MAX_VERSIONS,
            reveal_rate_limit: DEFAULT_REVEAL_RATE_LIMIT,
            auth_failure_limit: DEFAULT_AUTH_FAILURE_LIMIT,
            clock: Clock::System,
            connections: ConnectionLimits::default(),
            tls: None,
            metrics_listener: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    // The cause is in the message, not a `source`: a report would print it twice.
    #[error("cannot open the database: {0}")]
    Database(VaultError),
    #[error("the vault at {0} is not initialised: run `vaultty admin init --org NAME --admin NAME` first")]
    NotInitialised(String),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
}

impl From<VaultError> for ServeError {
    fn from(e: VaultError) -> Self {
        ServeError::Database(e)
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub(crate) struct AppState {
    pub vault: Vault,
    pub reveal_limiter: Arc<ratelimit::RevealLimiter>,
    pub auth_failures: Arc<ratelimit::AuthFailures>,
    pub known_tokens: Arc<ratelimit::KnownTokens>,
    pub metrics: Arc<metrics::Metrics>,
    /// Set at shutdown: the event streams (`GET /v1/events`), which would otherwise last until
    /// their tokens expire, end then, so that shutdown does not wait out the request timeout.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Open event streams per user, bounded (`ratelimit/event_streams.rs`).
    pub event_streams: Arc<ratelimit::EventStreams>,
    /// Encoded `GET /v1/secrets` answers while the store is unchanged (`list_cache.rs`).
    pub list_cache: Arc<list_cache::ListCache>,
}

/// A server running in this process.
pub struct RunningServer {
    pub addr: SocketAddr,
    /// Where `/metrics` is served, when `ServerConfig::metrics_listener` was given.
    pub metrics_addr: Option<SocketAddr>,
    tls: bool,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// `http://127.0.0.1:PORT`, or `https://` when it serves TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting connections, closes the idle ones and waits for the requests in flight to
    /// finish (at most the request timeout, and a little more for their answers).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

async fn build_state(config: ServerConfig) -> Result<AppState, ServeError> {
    let store = crate::vault::open_store(&config.database_url, &config.keyring).await?;
    if store.org().await.map_err(VaultError::from)?.is_none() {
        // Named without its password (a PostgreSQL URL may carry one).
        return Err(ServeError::NotInitialised(crate::store::postgres::connect::redacted(
            &config.database_url,
        )));
    }
    let vault = Vault::new(
        store,
        Arc::new(config.keyring),
        VaultSettings {
            max_versions: config.max_versions.max(1),
            clock: config.clock,
        },
    );
    vault.prepare().await?;
    let metrics = Arc::new(metrics::Metrics::new(vault.store()));
    Ok(AppState {
        vault,
        reveal_limiter: Arc::new(
            ratelimit::RevealLimiter::new(config.reveal_rate_limit).counting_refusals(metrics.reveal_limited()),
        ),
        auth_failures: Arc::new(ratelimit::AuthFailures::new(config.auth_failure_limit)),
        known_tokens: Arc::default(),
        metrics,
        stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
        event_streams: Arc::new(ratelimit::EventStreams::default()),
        list_cache: Arc::default(),
    })
}

/// Starts the server on `listener` in the background; for tests and the embedded local vault.
pub async fn start(mut config: ServerConfig, listener: TcpListener) -> Result<RunningServer, ServeError> {
    let addr = listener.local_addr()?;
    let metrics_addr = config
        .metrics_listener
        .as_ref()
        .map(TcpListener::local_addr)
        .transpose()?;
    let metrics_listener = config.metrics_listener.take();
    let (stop, stopped) = oneshot::channel::<()>();
    let limits = config.connections;
    let tls = config.tls.clone();
    let state = build_state(config).await?;
    let serves_tls = tls.is_some();
    let task = tokio::spawn(async move {
        run(state, listener, metrics_listener, limits, tls, async {
            let _ = stopped.await;
        })
        .await;
    });
    Ok(RunningServer {
        addr,
        metrics_addr,
        tls: serves_tls,
        stop: Some(stop),
        task,
    })
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    mut config: ServerConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let limits = config.connections;
    let tls = config.tls.clone();
    let metrics_listener = config.metrics_listener.take();
    let state = build_state(config).await?;
    run(state, listener, metrics_listener, limits, tls, shutdown).await;
    Ok(())
}

/// Connections the metrics listener holds at once: a scraper or two.
const METRICS_CONNECTIONS: usize = 16;

async fn run(
    state: AppState,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    limits: ConnectionLimits,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let flusher = ratelimit::Flusher::spawn(state.auth_failures.clone(), state.vault.clone());
    // The metrics listener has the API's deadlines and a small cap, and stops with it.
    let (stop_metrics, metrics_stopping) = oneshot::channel::<()>();
    let metrics_task = metrics_listener.map(|metrics_listener| {
        let limits = ConnectionLimits {
            max_connections: METRICS_CONNECTIONS,
            ..limits
        };
        tokio::spawn(listen::serve(
            metrics::router(Arc::clone(&state.metrics)),
            metrics_listener,
            limits,
            None,
            async {
                let _ = metrics_stopping.await;
            },
        ))
    });
    let stopping = Arc::clone(&state.stopping);
    listen::serve(routes::router(state), listener, limits, tls, async move {
        shutdown.await;
        stopping.send_replace(true);
        let _ = stop_metrics.send(());
    })
    .await;
    if let Some(task) = metrics_task {
        let _ = task.await;
    }
    // After the last request: the summarised failed authentications still pending.
    flusher.finish().await;
}
