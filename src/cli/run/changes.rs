//! How `run --watch` hears that the bundle may have changed: `GET /v1/events`, followed on a task
//! of its own, reconnected with backoff when it drops. Each event only says "fetch again": the
//! fetch (with If-None-Match) decides whether anything the command got changed.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use crate::client::{ClientError, VaultClient};

/// Longest pause between two attempts (a fetch or a reconnect).
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A stream that lasted this long was healthy: the next reconnect starts from the shortest pause.
const HEALTHY: Duration = Duration::from_secs(30);

/// What the follower tells the watch loop.
#[derive(Debug)]
pub(super) enum Notice {
    /// Subscribed (again): what changed while unsubscribed is unknown, so fetch.
    Up,
    /// An event (a secret changed, or `resync`): fetch.
    Changed,
    /// The stream dropped, or could not be opened; why (never a value). Reconnecting.
    Down(String),
    /// The server has no event stream (an older one: 404). Never retried: poll.
    Unavailable,
}

/// Follows the event stream until the receiver goes away or the server has none.
pub(super) async fn follow(client: VaultClient, tx: UnboundedSender<Notice>) {
    let mut failures = 0u32;
    loop {
        let why = match client.events().await {
            Ok(mut stream) => {
                let opened = Instant::now();
                if tx.send(Notice::Up).is_err() {
                    return;
                }
                let why = loop {
                    match stream.next().await {
                        Some(Ok(_)) => {
                            if tx.send(Notice::Changed).is_err() {
                                return;
                            }
                        }
                        Some(Err(e)) => break e.to_string(),
                        None => break "the server ended it".to_owned(),
                    }
                };
                // A stream the server ends at once (an expired token) must not turn into a
                // reconnect (and a fetch) a second.
                if opened.elapsed() >= HEALTHY {
                    failures = 0;
                }
                why
            }
            Err(ClientError::NotFound(_)) => {
                let _ = tx.send(Notice::Unavailable);
                return;
            }
            Err(e) => e.to_string(),
        };
        if tx.send(Notice::Down(why)).is_err() {
            return;
        }
        failures = failures.saturating_add(1);
        tokio::time::sleep(backoff(failures)).await;
    }
}

/// The pause after `failures` failures in a row (1 or more): doubling from 1 s up to a minute,
/// each drawn between half and all of that, so that many runners a server restart cut off do not
/// all come back in the same second.
pub(super) fn backoff(failures: u32) -> Duration {
    let ceiling = Duration::from_secs(1u64 << failures.saturating_sub(1).min(6)).min(MAX_BACKOFF);
    let half = ceiling / 2;
    half + half.mul_f64(fraction())
}

/// A number in [0, 1): the jitter. From the system's random source; no jitter if it has none.
fn fraction() -> f64 {
    use aws_lc_rs::rand::SecureRandom;
    let mut bytes = [0u8; 4];
    match aws_lc_rs::rand::SystemRandom::new().fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_be_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_minute_with_jitter() {
        for (failures, ceiling) in [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (40, 60)] {
            let ceiling = Duration::from_secs(ceiling);
            for _ in 0..20 {
                let d = backoff(failures);
                assert!(d >= ceiling / 2 && d <= ceiling, "{failures}: {d:?}");
            }
        }
    }
}
