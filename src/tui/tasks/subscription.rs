//! The subscription to `GET /v1/events`: each event becomes a [`Reply::Live`] for `update`, and
//! a stream that ends or fails is opened again after a backoff with jitter (so that many TUIs
//! do not all come back at the same instant after a server restart). A 401 ends it: the token no
//! longer works, which `update` shows with its banner, and it asks for a new subscription once
//! access is back.

use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use super::call_error;
use crate::api::FailureClass;
use crate::client::{ServerEvent, VaultClient};
use crate::tui::app::{CallError, LiveEvent, Msg, Reply};

/// A stream that stayed open this long was healthy: the next failure starts the backoff afresh.
const STEADY: Duration = Duration::from_secs(30);
/// The longest wait between attempts against a server that is there but failing.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A server without the endpoint (an older vaultty) gets it only by being upgraded: ask rarely.
const NO_ENDPOINT_RETRY: Duration = Duration::from_secs(300);

/// Runs until the app closes (the channel is gone) or the token is refused.
pub async fn follow(client: VaultClient, tx: UnboundedSender<Msg>) {
    let send = |event: LiveEvent| tx.send(Msg::from(Reply::Live(event))).is_ok();
    let mut failures: u32 = 0;
    loop {
        let opened = Instant::now();
        let error = match client.events().await {
            Ok(mut stream) => {
                if !send(LiveEvent::Up) {
                    return;
                }
                loop {
                    let event = match stream.next().await {
                        Some(Ok(ServerEvent::Secret(e))) => LiveEvent::Secret(e),
                        Some(Ok(ServerEvent::Resync)) => LiveEvent::Resync,
                        Some(Err(e)) => break call_error(e),
                        // The server ended it: it is stopping, or the token stopped working (the
                        // next attempt tells which).
                        None => break CallError::new(FailureClass::Unreachable, "the server closed the event stream"),
                    };
                    if !send(event) {
                        return;
                    }
                }
            }
            Err(e) => call_error(e),
        };
        if opened.elapsed() >= STEADY {
            failures = 0;
        }
        failures = failures.saturating_add(1);
        if error.kind == FailureClass::Unauthorized {
            let _ = send(LiveEvent::Down { error, retry_in: None });
            return;
        }
        let (error, wait) = if error.kind == FailureClass::NotFound {
            let error = CallError::new(
                FailureClass::NotFound,
                "this server has no event stream (older version?)",
            );
            (error, NO_ENDPOINT_RETRY)
        } else {
            (error, backoff(failures))
        };
        let wait = jitter(wait);
        if !send(LiveEvent::Down {
            error,
            retry_in: Some(wait),
        }) {
            return;
        }
        tokio::time::sleep(wait).await;
    }
}

/// 1 s, 2 s, 4 s … up to [`MAX_BACKOFF`].
fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(6)).min(MAX_BACKOFF)
}

/// Between half and all of `wait`, at random.
fn jitter(wait: Duration) -> Duration {
    let [a, b] = crate::crypto::random_bytes::<2>();
    let fraction = f64::from(u16::from_le_bytes([a, b])) / f64::from(u16::MAX);
    wait.mul_f64(0.5 + fraction / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_minute_and_jitter_stays_within_half() {
        let secs: Vec<u64> = (1..=9).map(|f| backoff(f).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        for _ in 0..100 {
            let j = jitter(Duration::from_secs(8));
            assert!(j >= Duration::from_secs(4) && j <= Duration::from_secs(8), "{j:?}");
        }
    }
}
