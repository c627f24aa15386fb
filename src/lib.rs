//! vaultty: a terminal secrets manager over an encrypted vault with a plain HTTP API.
#![forbid(unsafe_code)]
pub mod api;
pub mod cli;
pub mod client;
pub mod clipboard;
pub mod config;
pub mod crypto;
pub mod local;
pub mod server;
pub mod store;
pub mod tui;
pub mod vault;
