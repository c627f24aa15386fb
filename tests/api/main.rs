//! The vault server over HTTP: the real server on port 0 over a temporary SQLite file, driven by
//! the real client (and raw HTTP where the typed client would refuse to send something bad).
//! One test binary, one file per concern.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod audit;
mod auth_limits;
mod connections;
mod crypto_at_rest;
mod env;
mod events;
mod health;
mod hot_secret;
mod limits;
mod list_cache;
mod no_echo;
mod policy;
mod providers;
mod refused_writes;
mod reserved_names;
mod runners;
mod sealed_rows;
mod secrets;
mod start_checks;
mod tokens;
mod write_only_race;

use vaultty::api::UpsertSecret;

use common::secret;

fn upsert(name: &str, value: &str) -> UpsertSecret {
    UpsertSecret::new(name, secret(value))
}

fn org_upsert(name: &str, value: &str) -> UpsertSecret {
    let mut u = upsert(name, value);
    u.org_wide = Some(true);
    u
}
