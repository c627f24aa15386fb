//! The server's limits that live in memory: reveals (and env deliveries) per user, open event
//! streams per user, and failed authentications per client address with their summarised audit
//! rows. Both read the vault's
//! clock, so that tests move time by hand instead of sleeping, and both cost O(1) per request.

mod auth_failures;
mod event_streams;
mod flusher;
mod known_tokens;
mod reveal;

pub use auth_failures::{AuthFailures, FailureRow, MAX_ADDRESSES, WINDOW_MS};
pub use event_streams::{EventStreams, MAX_PER_USER as MAX_EVENT_STREAMS_PER_USER, StreamSlot};
pub use flusher::{Flusher, failed_auths};
pub use known_tokens::KnownTokens;
pub use reveal::RevealLimiter;
