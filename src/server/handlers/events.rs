//! `GET /v1/events`: the changes to the secrets the caller can see, as Server-Sent Events.
//!
//! The stream carries names, versions and actions, never a value or a preview, so subscribing is
//! not audited, and neither is each event (the changes themselves are, by the requests that made
//! them). What keeps it safe is that it never outlives its token: it ends at the token's expiry,
//! and the token (revoked? user disabled?) is checked again before each event and at each
//! keep-alive, with the same lookup every request's authentication does. A failed check, the store
//! included, ends the stream: the client reconnects, and a reconnect authenticates afresh.

use std::convert::Infallible;
use std::pin::Pin;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};
use tokio::time::{Interval, MissedTickBehavior, Sleep};

use crate::api::{EVENT_RESYNC, EVENT_SECRET, SecretEvent};
use crate::crypto::TokenHash;
use crate::server::AppState;
use crate::server::deadlines::LongLived;
use crate::server::error::ApiError;
use crate::server::extract::{Delivery, bearer_hash};
use crate::server::openapi::DeliveryErrors;
use crate::store::{Millis, SecretChange};
use crate::vault::{Caller, Origin};

/// How often a quiet stream sends a comment: proxies and clients see a live connection, and the
/// token is checked again.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A Server-Sent Events stream (`text/event-stream`) of the changes to the secrets the caller can
/// see (the org's and its own; never another user's private secret, an admin's stream included),
/// after they are committed. Event `secret` carries a `SecretEvent`; event `resync` (data `{}`) says
/// changes were missed: re-list. A comment every 15 s keeps the connection alive. The stream ends
/// when the token expires or stops authenticating. Never a value.
#[utoipa::path(get, path = "/v1/events", tag = "secrets",
    responses((status = 200, content_type = "text/event-stream", body = SecretEvent,
        description = "A Server-Sent Events stream: `event: secret` with a SecretEvent as `data`, `event: resync` with `{}`, and keep-alive comments"),
        DeliveryErrors),
    security(("bearer" = [])))]
pub async fn events(
    State(s): State<AppState>,
    Delivery(caller): Delivery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // `Authed` has just accepted this header: it is there.
    let Some(hash) = bearer_hash(&headers) else {
        return Err(ApiError::from(crate::vault::VaultError::Unauthorized(
            "missing bearer token".into(),
        )));
    };
    let Some(slot) = s.event_streams.open(caller.user.id) else {
        return Err(ApiError::too_many_streams(
            crate::server::ratelimit::MAX_EVENT_STREAMS_PER_USER,
        ));
    };
    // Subscribed before the answer's head goes out: a client that has the head hears every change
    // committed after it.
    let changes = s.vault.subscribe_changes();
    let expiry = caller.token_expires_at.map(|at| until(at, s.vault.now_millis()));
    let mut keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
    keep_alive.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let subscription = Subscription {
        stopping: s.stopping.subscribe(),
        state: s,
        caller,
        hash,
        changes,
        keep_alive,
        expiry,
        opened: false,
        _slot: slot,
    };
    let stream = futures_util::stream::unfold(subscription, |mut sub| async move {
        let frame = sub.next_frame().await?;
        Some((Ok::<Bytes, Infallible>(frame), sub))
    });
    let mut res = (
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/event-stream")),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    // A reverse proxy (nginx) would otherwise hold the events back in its buffer.
    res.headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    res.extensions_mut().insert(LongLived { quiet: KEEP_ALIVE });
    Ok(res)
}

/// A sleep until the token's expiry, `at`, by the vault's clock.
fn until(at: Millis, now: Millis) -> Pin<Box<Sleep>> {
    let left = Duration::from_millis(u64::try_from(at.saturating_sub(now)).unwrap_or(0));
    Box::pin(tokio::time::sleep(left))
}

/// One subscriber's stream.
struct Subscription {
    state: AppState,
    caller: Caller,
    hash: TokenHash,
    changes: broadcast::Receiver<SecretChange>,
    keep_alive: Interval,
    expiry: Option<Pin<Box<Sleep>>>,
    stopping: watch::Receiver<bool>,
    /// Whether the opening comment has been sent.
    opened: bool,
    /// This stream's place among its user's; given back when the stream ends.
    _slot: crate::server::ratelimit::StreamSlot,
}

impl Subscription {
    /// The next bytes to send; `None` ends the stream.
    async fn next_frame(&mut self) -> Option<Bytes> {
        if !self.opened {
            // The head and this go out at once: the client knows the subscription is live.
            self.opened = true;
            return Some(Bytes::from_static(b": subscribed\n\n"));
        }
        loop {
            let wake = tokio::select! {
                biased;
                _ = self.stopping.wait_for(|stop| *stop) => Wake::End,
                () = expired(&mut self.expiry) => Wake::End,
                _ = self.keep_alive.tick() => Wake::KeepAlive,
                change = self.changes.recv() => Wake::Change(change),
            };
            match wake {
                Wake::End => return None,
                Wake::KeepAlive => {
                    self.still_authenticated().await?;
                    return Some(Bytes::from_static(b": keep-alive\n\n"));
                }
                Wake::Change(Ok(change)) => {
                    let Some(event) = self.state.vault.change_event(&self.caller, change) else {
                        continue;
                    };
                    self.still_authenticated().await?;
                    return Some(frame(EVENT_SECRET, &serde_json::to_string(&event).ok()?));
                }
                Wake::Change(Err(RecvError::Lagged(_))) => {
                    self.still_authenticated().await?;
                    return Some(frame(EVENT_RESYNC, "{}"));
                }
                // The backend lost track of changes (PostgreSQL: its listening connection was
                // restored) and started a new channel: changes in between may be missed.
                Wake::Change(Err(RecvError::Closed)) => {
                    let fresh = self.state.vault.subscribe_changes();
                    if fresh.is_closed() {
                        // No new channel: nothing more will be heard here.
                        return None;
                    }
                    self.changes = fresh;
                    self.still_authenticated().await?;
                    return Some(frame(EVENT_RESYNC, "{}"));
                }
            }
        }
    }

    /// `Some(())` while the stream's token still authenticates (not revoked, not expired, its user
    /// not disabled), checked as every request is; `None` (end the stream) otherwise, or when the
    /// check cannot be made.
    async fn still_authenticated(&self) -> Option<()> {
        let origin = Origin {
            client: self.caller.client.clone(),
            ip: self.caller.ip.clone(),
        };
        match self.state.vault.authenticate_hash(Some(self.hash), origin).await {
            Ok(caller) if caller.token_id == self.caller.token_id => Some(()),
            _ => None,
        }
    }
}

/// What woke a waiting stream.
enum Wake {
    /// Shutdown, or the token's expiry.
    End,
    KeepAlive,
    Change(Result<SecretChange, RecvError>),
}

/// Resolves at the token's expiry; never without one.
async fn expired(expiry: &mut Option<Pin<Box<Sleep>>>) {
    match expiry {
        Some(sleep) => sleep.as_mut().await,
        None => std::future::pending().await,
    }
}

/// One SSE event. `data` is one line of JSON (serde_json writes no newline).
fn frame(event: &str, data: &str) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}
