//! `vaultty serve`: the vault server.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use color_eyre::eyre::{Result, WrapErr};

use super::keys::{DatabaseArgs, KeyArgs};
use crate::server::{self, ConnectionLimits, ServerConfig};

#[derive(Debug, Clone, Args)]
#[command(
    after_help = "First start:\n  export VAULTTY_MASTER_KEY=$(vaultty admin gen-key)\n  \
    vaultty admin init --database sqlite:///var/lib/vaultty/vault.db --org acme --admin alice\n  \
    vaultty serve --database sqlite:///var/lib/vaultty/vault.db\n\n\
    At start, serve refuses (exit 2, naming the key ids) a database holding values sealed under a\n\
    master key it was not given, and re-seals values still in the old v1 format.\n\n\
    TLS: on an address other than loopback, serve refuses to start without --tls-cert and\n\
    --tls-key (exit 2), unless --insecure-no-tls says a TLS proxy in front does it:\n  \
    vaultty serve --listen 0.0.0.0:8200 --tls-cert /etc/vaultty/cert.pem --tls-key /etc/vaultty/key.pem\n\
    SIGHUP re-reads both files: new connections get the new certificate, open ones go on. If a file\n\
    cannot be used, the old certificate stays and one error line names the file.\n\
    Clients of a private CA trust it with --ca-cert CA.pem (or VAULTTY_CA_CERT; `login` saves it)."
)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8200", value_name = "ADDR")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub tls: TlsArgs,
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Versions kept per secret (older ones are pruned on rotation).
    #[arg(long, default_value_t = server::DEFAULT_MAX_VERSIONS, value_name = "N")]
    pub max_versions: u32,
    /// Reveals allowed per minute per user, all their tokens together; a `POST /v1/env` (`vaultty
    /// run`, `export`) counts as one. 429 with Retry-After beyond; 0 turns it off.
    #[arg(long, default_value_t = server::DEFAULT_REVEAL_RATE_LIMIT, value_name = "PER_MINUTE")]
    pub reveal_rate_limit: u32,
    /// Failed authentications allowed per minute per client address; beyond, its requests get 429
    /// with Retry-After unless their token is one in use lately (which still works). 0 never
    /// answers 429. Either way the audit log gets at most one `auth_failed` row per address a minute, with
    /// a count.
    #[arg(long, default_value_t = server::DEFAULT_AUTH_FAILURE_LIMIT, value_name = "PER_MINUTE")]
    pub auth_failure_limit: u32,
    #[command(flatten)]
    pub connections: ConnectionArgs,
    /// Serve Prometheus metrics at http://ADDR/metrics, a listener apart from the API's: plain HTTP
    /// and NO authentication. The series hold no secret, user name, token or address, but keep the
    /// address where only your scraper reaches it (loopback, or a private network). Off when not given.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
}

/// HTTPS, and the refusal of plain HTTP beyond this machine.
#[derive(Debug, Clone, Args)]
pub struct TlsArgs {
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key. SIGHUP re-reads it.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM); needs --tls-cert. SIGHUP re-reads it.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Listen on an address other than loopback without TLS (tokens then cross the network in
    /// clear text unless a TLS proxy in front carries them).
    #[arg(long, conflicts_with = "tls_cert")]
    pub insecure_no_tls: bool,
}

/// Timeouts and the connection cap; docs/API.md ("Connections") says what a client sees.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Seconds a client may take to send a request's head (from connecting, or from the first
    /// byte of a later request on the same connection); the connection is closed after.
    #[arg(long, value_name = "SECS", default_value_t = server::DEFAULT_HEADER_READ_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout: u64,
    /// Seconds a request may take to be answered (reading its body included); 503 with
    /// Retry-After after. Also how long an answer may wait for the client to read it.
    #[arg(long, value_name = "SECS", default_value_t = server::DEFAULT_REQUEST_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,
    /// Seconds a kept-alive connection may wait for its next request before it is closed.
    #[arg(long, value_name = "SECS", default_value_t = server::DEFAULT_IDLE_TIMEOUT.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
    /// Connections open at once. Beyond it new connections wait in the listen backlog until one
    /// closes. Lowered (with a warning) to what the open-file limit (ulimit -n) leaves, less 64.
    #[arg(long, value_name = "N", default_value_t = server::DEFAULT_MAX_CONNECTIONS,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_connections: usize,
}

impl ConnectionArgs {
    fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout),
            request_timeout: Duration::from_secs(self.request_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            max_connections: self.max_connections,
        }
    }
}

pub async fn run(args: ServeArgs) -> Result<()> {
    init_logging();
    let tls = match (&args.tls.tls_cert, &args.tls.tls_key) {
        (Some(cert), Some(key)) => {
            Some(server::Tls::load(cert, key).map_err(|e| super::CliError::usage(e.to_string()))?)
        }
        _ => None,
    };
    if tls.is_none() && !args.tls.insecure_no_tls && !is_loopback(args.listen.ip()) {
        return Err(super::CliError::usage(format!(
            "refusing to serve plain HTTP on {}, which other machines can reach: tokens would cross the \
             network in clear text; pass --tls-cert and --tls-key, or --insecure-no-tls if a TLS proxy is in front",
            args.listen
        ))
        .into());
    }
    // Before the first line that says we serve: from then on a SIGHUP must reload, not kill.
    #[cfg(unix)]
    if let Some(tls) = &tls {
        reload_on_sighup(tls.clone())?;
    }
    let keyring = args.keys.keyring()?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .wrap_err_with(|| format!("cannot listen on {}", args.listen))?;
    // With port 0 the kernel picks the port: report the real address, which scripts and tests read.
    let addr = listener.local_addr().wrap_err("cannot read the listening address")?;
    let metrics_listener = match args.metrics_listen {
        Some(at) => Some(
            tokio::net::TcpListener::bind(at)
                .await
                .wrap_err_with(|| format!("cannot listen on {at} for metrics"))?,
        ),
        None => None,
    };
    let metrics_addr = metrics_listener
        .as_ref()
        .map(tokio::net::TcpListener::local_addr)
        .transpose()
        .wrap_err("cannot read the metrics listening address")?;
    let config = ServerConfig {
        max_versions: args.max_versions,
        reveal_rate_limit: args.reveal_rate_limit,
        auth_failure_limit: args.auth_failure_limit,
        connections: args.connections.limits(),
        tls,
        metrics_listener,
        ..ServerConfig::new(args.db.database, keyring)
    };
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    tracing::info!(listen = %addr, scheme, "vaultty serving");
    eprintln!("vaultty: serving on {scheme}://{addr}");
    if let Some(at) = metrics_addr {
        tracing::info!(metrics_listen = %at, "serving metrics");
        eprintln!("vaultty: metrics on http://{at}/metrics (no authentication)");
    }
    server::serve(config, listener, shutdown_signal())
        .await
        .map_err(refused_start)?;
    tracing::info!("stopped");
    Ok(())
}

/// 127.0.0.0/8 and ::1 (also IPv4-mapped): no other machine can connect.
fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// SIGHUP re-reads the certificate and key; a file that cannot be used leaves the old ones in
/// place, said in one error line that names it.
#[cfg(unix)]
fn reload_on_sighup(tls: server::Tls) -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup()).wrap_err("cannot listen for SIGHUP")?;
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            match tls.reload() {
                Ok(()) => tracing::info!(cert = %tls.cert_path().display(), "reloaded the TLS certificate and key"),
                Err(e) => tracing::error!("{e}; still serving the previous certificate"),
            }
        }
    });
    Ok(())
}

/// A database sealed under keys this server was not given is a configuration error (exit 2), said
/// in one line; anything else is reported as it comes.
fn refused_start(e: server::ServeError) -> color_eyre::Report {
    match &e {
        server::ServeError::Database(v) if v.is_missing_keys() => super::CliError::usage(e.to_string()).into(),
        _ => e.into(),
    }
}

/// Structured logs on stderr (`VAULTTY_LOG` sets the filter; `VAULTTY_LOG_FORMAT=json` for JSON).
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("VAULTTY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_ansi(ansi)
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if std::env::var("VAULTTY_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// SIGINT or SIGTERM: stop accepting, finish what is in flight.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
