//! The accept loop: HTTP/1.1 connections under a cap, each with the deadlines of `deadlines.rs`,
//! and a graceful shutdown that cannot be held open by a client.
//!
//! `axum::serve` has no cap, no timeouts and a shutdown that waits for every connection, a
//! half-sent head included, forever. Here:
//! - At most `max_connections` connections are open. Past the cap the loop stops accepting, so new
//!   connections wait in the kernel's listen backlog and are served as slots free up (every slot is
//!   freed within the deadlines): a client sees a delay, not an error, and the process never holds
//!   more sockets than it has file descriptors for (the cap is lowered to fit `ulimit -n`).
//! - Shutdown stops accepting, closes every connection that is not inside a request at once (idle
//!   or halfway through a head), lets requests in flight finish (the request timeout bounds their
//!   handlers), and after `request_timeout + SHUTDOWN_SLACK` closes whatever is left.
//! - With TLS (`tls.rs`), the handshake is part of the first request's head: it must be done
//!   within the head-read deadline, so a slow or silent handshake holds a slot no longer than a
//!   slow head would. Each handshake takes the certificate current at its accept.
//! - HTTP/1.1 only, with or without TLS: the client speaks it.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt;

use super::deadlines::{ConnWatch, Watched, limit_time};
use super::tls::Tls;

/// How long a request head may take: from the accept for a connection's first request, from its
/// first byte for a later one. A real client sends its head in one packet.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a handler may take to answer (503 after); also how long an answer may sit unread.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a kept-alive connection may wait for its next request.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Connections open at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// File descriptors kept for everything but client connections: SQLite's (a database and a WAL
/// file for each of the writer, the checkpointer and up to 8 readers, and the shared memory), the
/// listener, the runtime's own, standard streams and logs, with room to spare.
const RESERVED_FILES: u64 = 64;

/// After the request timeout, how long shutdown still waits for answers being written.
const SHUTDOWN_SLACK: Duration = Duration::from_secs(2);

/// The connection limits `vaultty serve` takes as flags; see the module doc and the constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub header_read_timeout: Duration,
    pub request_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl ConnectionLimits {
    /// The cap lowered, with a warning, to what the open-file limit leaves for connections:
    /// past it `accept` fails, and so would SQLite opening a reader.
    fn fitted_to_open_files(mut self) -> Self {
        let Ok(room) = usize::try_from(open_file_limit().saturating_sub(RESERVED_FILES)) else {
            return self;
        };
        if self.max_connections > room {
            tracing::warn!(
                configured = self.max_connections,
                lowered_to = room.max(1),
                "the open-file limit (ulimit -n) leaves room for fewer connections than --max-connections"
            );
            self.max_connections = room.max(1);
        }
        self.max_connections = self.max_connections.max(1);
        self
    }
}

#[cfg(unix)]
fn open_file_limit() -> u64 {
    rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX)
}

#[cfg(not(unix))]
fn open_file_limit() -> u64 {
    u64::MAX
}

/// Serves `router` on `listener` until `shutdown` resolves; see the module doc.
pub(super) async fn serve(
    router: Router,
    listener: TcpListener,
    limits: ConnectionLimits,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let limits = limits.fitted_to_open_files();
    let router = router.layer(axum::middleware::from_fn_with_state(limits.request_timeout, limit_time));
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
        };
        // Answers are written whole; without this, Nagle's algorithm can hold their last segment.
        let _ = stream.set_nodelay(true);
        let acceptor = tls.as_ref().map(Tls::acceptor);
        connections.spawn(connection(
            stream,
            acceptor,
            peer,
            router.clone(),
            limits,
            stopping.clone(),
            slot,
        ));
    }
    // New connections are refused from here on.
    drop(listener);
    let _ = stop.send(true);
    let bound = limits.request_timeout + SHUTDOWN_SLACK;
    let finished = tokio::time::timeout(bound, async { while connections.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        tracing::warn!(
            left = connections.len(),
            "shutdown: closing the connections still answering after the request timeout"
        );
        connections.shutdown().await;
    }
}

/// A failed accept: the peer gave up before we took it (go on), or the process is out of
/// something (file descriptors, memory): wait a little rather than spin.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind as K;
    if matches!(
        e.kind(),
        K::ConnectionAborted | K::ConnectionReset | K::ConnectionRefused | K::Interrupted
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept a connection; retrying in 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// One connection, from the accept to its close; `_slot` frees its place under the cap.
async fn connection(
    stream: TcpStream,
    tls: Option<tokio_rustls::TlsAcceptor>,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let watch = ConnWatch::new(limits);
    let stream = Watched::new(stream, Arc::clone(&watch));
    let Some(acceptor) = tls else {
        return http(stream, peer, router, watch, stopping).await;
    };
    // The phase is `Head` from the accept: the handshake's bytes do not move it, so the deadline
    // below is the first head's, shared by the handshake and the head after it.
    let Some(deadline) = watch.deadline() else {
        return;
    };
    let handshake = tokio::select! {
        biased;
        _ = stopping.changed() => return,
        done = tokio::time::timeout_at(deadline, acceptor.accept(stream)) => done,
    };
    match handshake {
        Ok(Ok(stream)) => http(stream, peer, router, watch, stopping).await,
        // A client that does not trust the certificate says so with an alert: worth a line at debug.
        Ok(Err(e)) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
        Err(_) => tracing::debug!(%peer, "closing a connection whose TLS handshake took too long"),
    }
}

/// HTTP/1.1 on an accepted (and, with TLS, handshaken) connection, under the deadlines of `watch`.
async fn http<I>(io: I, peer: SocketAddr, router: Router, watch: Arc<ConnWatch>, mut stopping: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(io);
    let service = {
        let watch = Arc::clone(&watch);
        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let mut req = req.map(Body::new);
            // Handlers and the audit log read the client's address from here.
            req.extensions_mut().insert(ConnectInfo(peer));
            let request = watch.request_started();
            let router = router.clone();
            async move {
                let res = match router.oneshot(req).await {
                    Ok(res) => res,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(request.answering(res))
            }
        })
    };
    let mut builder = http1::Builder::new();
    // Off: `ConnWatch` keeps the head and idle deadlines apart (see deadlines.rs).
    builder.header_read_timeout(None);
    let mut conn = pin!(builder.serve_connection(io, service));
    let mut stop_seen = false;
    loop {
        let deadline = watch.deadline();
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
                return;
            }
            () = watch.changed() => {}
            () = sleep_until(deadline) => {
                if watch.expired(Instant::now()) {
                    tracing::debug!(%peer, "closing a connection past its deadline");
                    return;
                }
            }
            _ = stopping.changed(), if !stop_seen => {
                stop_seen = true;
                // hyper closes after the answer in flight; a connection with none closes now.
                conn.as_mut().graceful_shutdown();
                if !watch.in_request() {
                    return;
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
