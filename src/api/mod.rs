//! The wire types of `docs/API.md`, shared by the server and the client, and the input limits.
//!
//! No axum, reqwest or SQL here, and no I/O: this module is the contract and nothing else.

mod audit;
mod error;
mod events;
mod json_integer;
mod secret;
mod secret_serde;
pub mod timestamp;
mod token_request_doc;
mod users;
pub mod validate;

pub use audit::*;
pub use error::*;
pub use events::*;
pub use secret::*;
pub use token_request_doc::*;
pub use users::*;

/// Largest accepted request body, in bytes (`docs/API.md`, Limits).
pub const MAX_BODY_BYTES: usize = 128 * 1024;
/// Largest accepted secret value, in bytes of UTF-8.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Longest accepted description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
/// Longest token lifetime (`expiresIn`), in seconds: 100 years of 365 days.
pub const MAX_TOKEN_LIFETIME_SECS: u64 = 100 * 365 * 86_400;
/// Default and largest page of audit events.
pub const AUDIT_DEFAULT_LIMIT: u32 = 100;
pub const AUDIT_MAX_LIMIT: u32 = 1000;
