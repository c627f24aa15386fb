//! The full-screen app: browse, reveal with an audit notice, copy with clearing, rotate by
//! keyboard. A client of the HTTP API like the CLI, against a server or the embedded vault.
//!
//! `app` holds the state and the pure `update`; `tasks` runs the commands `update` returns (the
//! only place that spawns); `terminal` owns the terminal modes; `keymap` the bindings;
//! `layout` places the parts of the screen; `components` draw the main screen and `popups` what
//! opens over it (each popup with its keys). `run` ties them together in one `tokio::select!` loop.

pub mod app;
pub mod components;
pub mod config;
pub mod keymap;
pub mod layout;
pub mod popups;
pub mod terminal;

pub use app::{App, AppConfig, Command, Msg, Reply, update};
pub use config::{ClipboardChoice, TuiConfig};
mod tasks;

use std::time::Duration;

use color_eyre::eyre::WrapErr;
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use time::OffsetDateTime;
use tokio::sync::mpsc;

use crate::local::{Connection, Target};
use keymap::Keymap;
use tasks::Tasks;
use terminal::TerminalGuard;

/// The longest the loop sleeps with nothing to do; the app asks for sooner wake-ups itself.
const MAX_IDLE: Duration = Duration::from_secs(60);

/// Opens the full-screen app on `conn` and runs it until the user quits. Reads the `[tui]`
/// section of `config.toml` first, so a bad setting or key binding is reported before the
/// screen changes.
pub async fn run(conn: Connection) -> color_eyre::Result<()> {
    let paths = crate::config::paths().wrap_err("cannot find the config directory")?;
    let (tui, keymap) = config::load(&paths.config_dir)?;
    let result = run_with(&conn, tui, keymap).await;
    conn.close().await;
    result
}

/// [`run`] with settings already read (for callers that have their own config).
pub async fn run_with(conn: &Connection, tui: TuiConfig, keymap: Keymap) -> color_eyre::Result<()> {
    let server = match &conn.target {
        Target::Local { .. } => "local vault".to_owned(),
        Target::Remote { url, profile: Some(p) } => format!("{url} ({p})"),
        Target::Remote { url, profile: None } => url.clone(),
    };
    // https://no-color.org: set and not empty.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (tx, rx) = mpsc::unbounded_channel();
    let mut tasks = Tasks::new(conn.client.clone(), tx, tui.clipboard);
    let no_clipboard = tasks.clipboard_problem();
    let mut app = App::new(
        AppConfig {
            tui,
            server,
            no_color,
            no_clipboard,
            live_updates: !matches!(conn.target, Target::Local { .. }),
        },
        keymap,
        OffsetDateTime::now_utc(),
    );
    let result = {
        let mut guard = TerminalGuard::enter().wrap_err("cannot set up the terminal")?;
        event_loop(&mut guard, &mut app, &mut tasks, rx).await
        // The guard restores the terminal here, on every path out of the loop.
    };
    // Quitting cleared the clipboard already; after an error, do it now.
    let _ = tasks.clear();
    result
}

async fn event_loop(
    guard: &mut TerminalGuard,
    app: &mut App,
    tasks: &mut Tasks,
    mut results: mpsc::UnboundedReceiver<Msg>,
) -> color_eyre::Result<()> {
    let mut events = EventStream::new();
    let size = guard.terminal().size().wrap_err("cannot read the terminal's size")?;
    let mut first = update(
        app,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    );
    first.extend(app.start());
    for cmd in first {
        tasks.run(cmd);
    }
    loop {
        if app.view.dirty {
            guard
                .terminal()
                .draw(|f| components::draw(f, app))
                .wrap_err("cannot draw")?;
            app.view.dirty = false;
        }
        if app.view.quit {
            return Ok(());
        }
        let idle = app
            .next_wakeup()
            .and_then(|t| Duration::try_from(t - OffsetDateTime::now_utc()).ok())
            .unwrap_or(Duration::ZERO)
            .min(MAX_IDLE);
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(key))) => Some(Msg::Key(key)),
                // Wrapped at once: a paste is often a secret.
                Some(Ok(Event::Paste(text))) => Some(Msg::Paste(app::Pasted::new(text))),
                Some(Ok(Event::Resize(width, height))) => Some(Msg::Resize { width, height }),
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e).wrap_err("cannot read the terminal"),
                None => return Ok(()),
            },
            Some(msg) = results.recv() => Some(msg),
            () = tokio::time::sleep(idle) => None,
        };
        // The clock first, so that deadlines are current when the message is handled.
        let mut cmds = update(app, Msg::Tick(OffsetDateTime::now_utc()));
        if let Some(msg) = msg {
            cmds.extend(update(app, msg));
        }
        for cmd in cmds {
            tasks.run(cmd);
        }
    }
}
