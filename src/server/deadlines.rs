//! What each phase of a connection may take, and the request timeout.
//!
//! hyper has one timer, `header_read_timeout`, which runs from the end of the last answer to the
//! end of the next head: it cannot give a kept-alive connection a minute of quiet and a slow head
//! ten seconds. So `listen.rs` turns hyper's off and keeps these instead: a `ConnWatch` per
//! connection knows the phase, `Watched` (the socket) moves it when bytes arrive or leave, and the
//! service moves it when a request starts and when its answer has been handed over. The
//! connection's task sleeps until `ConnWatch::deadline` and closes the connection once it has passed.
//!
//! | phase | ends | deadline |
//! |---|---|---|
//! | `Head` | the request head is complete | from the accept (first request) or the head's first byte: `header_read_timeout` |
//! | `Idle` | a byte of the next request arrives | from the end of the last answer: `idle_timeout` |
//! | `Handling` | the handler answers | none here: `limit_time` answers 503 after `request_timeout` |
//! | `Answering` | the answer is written out (hyper's buffer flushed) | `request_timeout` without the client taking a byte of it |
//!
//! A long-lived answer (the event stream of `GET /v1/events`) marks itself with [`LongLived`]: it
//! is written for as long as it lasts, so no total time can bound it; it writes at least every
//! `quiet`, and the connection is closed once the socket has taken nothing for `request_timeout`
//! past that (a client that stopped reading). It keeps its connection, and its place under the
//! connection cap, while it lasts.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::error::ApiError;
use super::listen::ConnectionLimits;

#[derive(Debug, Clone, Copy)]
enum Phase {
    Head {
        since: Instant,
    },
    Idle {
        since: Instant,
    },
    Handling,
    /// `handed_over`: hyper has the whole body (it drops the body once it has it); its buffer may
    /// still hold megabytes the client has not taken.
    Answering {
        progress: Instant,
        handed_over: bool,
        /// How long the socket may take nothing: `request_timeout`, more for a [`LongLived`] answer.
        patience: Duration,
    },
}

/// A response extension: this answer's body is a stream that lasts (Server-Sent Events), writing
/// something at least every `quiet`. See the module doc.
#[derive(Debug, Clone, Copy)]
pub(super) struct LongLived {
    pub quiet: Duration,
}

/// One connection's phase, shared by its socket, its service and its task.
pub(super) struct ConnWatch {
    phase: Mutex<Phase>,
    /// Woken when the phase changes: a deadline may have appeared or come closer.
    changed: Notify,
    limits: ConnectionLimits,
}

impl ConnWatch {
    /// A connection just accepted: its first head is due `header_read_timeout` from now.
    pub(super) fn new(limits: ConnectionLimits) -> Arc<ConnWatch> {
        Arc::new(ConnWatch {
            phase: Mutex::new(Phase::Head { since: Instant::now() }),
            changed: Notify::new(),
            limits,
        })
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = phase;
        self.changed.notify_one();
    }

    /// When the connection is to be closed if its phase has not moved on; `None` while a handler runs.
    pub(super) fn deadline(&self) -> Option<Instant> {
        let l = &self.limits;
        match self.phase() {
            Phase::Head { since } => Some(since + l.header_read_timeout),
            Phase::Idle { since } => Some(since + l.idle_timeout),
            Phase::Handling => None,
            Phase::Answering { progress, patience, .. } => Some(progress + patience),
        }
    }

    pub(super) fn expired(&self, now: Instant) -> bool {
        self.deadline().is_some_and(|d| now >= d)
    }

    /// Whether a request is being handled or answered: graceful shutdown lets it finish, and
    /// closes every other connection at once.
    pub(super) fn in_request(&self) -> bool {
        matches!(self.phase(), Phase::Handling | Phase::Answering { .. })
    }

    /// Resolves when the phase has changed since the last call.
    pub(super) async fn changed(&self) {
        self.changed.notified().await;
    }

    /// A request head is complete and its handler starts; the guard ends the request.
    pub(super) fn request_started(self: &Arc<Self>) -> RequestGuard {
        self.set(Phase::Handling);
        RequestGuard(Arc::clone(self))
    }

    fn bytes_read(&self) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        if let Phase::Idle { .. } = *phase {
            *phase = Phase::Head { since: Instant::now() };
            drop(phase);
            self.changed.notify_one();
        }
    }

    /// hyper flushes the socket only once its own buffer is empty: an answer handed over is now sent.
    fn flushed(&self) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        if let Phase::Answering { handed_over: true, .. } = *phase {
            *phase = Phase::Idle { since: Instant::now() };
            drop(phase);
            self.changed.notify_one();
        }
    }

    fn bytes_written(&self) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        if let Phase::Answering { progress, .. } = &mut *phase {
            // A later deadline: the task sees it when it wakes at the earlier one, no wake-up needed.
            *progress = Instant::now();
        }
    }
}

/// Held from the moment a request's head is complete until its answer has been sent (or given up).
pub(super) struct RequestGuard(Arc<ConnWatch>);

impl RequestGuard {
    /// The handler has answered; hyper now writes the answer, with `body` holding this guard.
    pub(super) fn answering(self, res: Response) -> Response {
        let timeout = self.0.limits.request_timeout;
        let patience = res
            .extensions()
            .get::<LongLived>()
            .map_or(timeout, |long| timeout + long.quiet);
        self.0.set(Phase::Answering {
            progress: Instant::now(),
            handed_over: false,
            patience,
        });
        res.map(|inner| Body::new(GuardedBody { inner, _guard: self }))
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let watch = &self.0;
        let mut phase = watch.phase.lock().unwrap_or_else(PoisonError::into_inner);
        *phase = match *phase {
            // hyper has the whole body; it may still be writing it (see `flushed`).
            Phase::Answering { progress, patience, .. } => Phase::Answering {
                progress,
                handed_over: true,
                patience,
            },
            // No answer (the connection is going away): nothing more to wait for.
            _ => Phase::Idle { since: Instant::now() },
        };
        drop(phase);
        watch.changed.notify_one();
    }
}

/// An answer's body that ends the request when hyper is done with it.
struct GuardedBody {
    inner: Body,
    _guard: RequestGuard,
}

impl http_body::Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        // Keeps `Content-Length` on the answers that have one.
        self.inner.size_hint()
    }
}

/// The socket, telling its `ConnWatch` when bytes come and go.
pub(super) struct Watched<T> {
    io: T,
    watch: Arc<ConnWatch>,
}

impl<T> Watched<T> {
    pub(super) fn new(io: T, watch: Arc<ConnWatch>) -> Self {
        Watched { io, watch }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(res, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.watch.bytes_read();
        }
        res
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(res, Poll::Ready(Ok(n)) if n > 0) {
            self.watch.bytes_written();
        }
        res
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(res, Poll::Ready(Ok(n)) if n > 0) {
            self.watch.bytes_written();
        }
        res
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let res = Pin::new(&mut self.io).poll_flush(cx);
        if matches!(res, Poll::Ready(Ok(()))) {
            self.watch.flushed();
        }
        res
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The request timeout, as middleware around the router: a handler that has not answered within
/// it (a body that arrives too slowly, a database that stays locked) is dropped and the client
/// gets 503 with `Retry-After`. A write that had reached the database may still commit.
pub(super) async fn limit_time(State(timeout): State<Duration>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            // The inner request log never finishes for this one: say it here (paths carry names only).
            tracing::warn!(%method, path, secs = timeout.as_secs_f64(), "request timed out");
            ApiError::timed_out(timeout).into_response()
        }
    }
}
