//! The TUI without a terminal or a server: `update` flows driven message by message, and screens
//! rendered into ratatui's `TestBackend` and compared with `insta` snapshots (every render also
//! checks that no unrevealed value is anywhere on screen), and the real binary driven in tmux
//! (ignored unless asked for: it needs tmux). The 100,000-secret timing is a bench:
//! `cargo bench --bench tui_filter`.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui/accounts.rs"]
mod accounts;
#[path = "common/mod.rs"]
mod common;
#[path = "tui/e2e.rs"]
mod e2e;
#[path = "tui/fixtures.rs"]
mod fixtures;
#[path = "tui/flows.rs"]
mod flows;
#[path = "tui/flows_list.rs"]
mod flows_list;
#[path = "tui/flows_live.rs"]
mod flows_live;
#[path = "tui/flows_writes.rs"]
mod flows_writes;
#[path = "tui/providers.rs"]
mod providers;
#[path = "tui/render.rs"]
mod render;
#[path = "tui/tables.rs"]
mod tables;
