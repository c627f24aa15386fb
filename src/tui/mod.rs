//! The full-screen app: browse, reveal with an audit notice, copy with clearing, rotate by
//! keyboard. A client of the HTTP API like the CLI, against a server or the embedded vault.
//!
//! `app` holds the state and the pure `update`; `tasks` runs the commands `update` returns (the
//! only place that spawns); `terminal` owns the terminal modes; `keymap` the bindings;
//! `components` draw. `run` ties them together in one `tokio::select!` loop.

pub mod app;
pub mod components;
pub mod config;
pub mod keymap;
pub mod terminal;

pub use app::{App, AppConfig, Command, Msg, Reply, update};
pub use config::{ClipboardChoice, TuiConfig};
