//! `secret get --copy`: puts the value on the clipboard and stays in the foreground until it is
//! cleared (on X11 the copying process serves the selection, so leaving early would lose it).

use std::time::Duration;

use serde_json::json;

use crate::api::Revealed;
use crate::cli::format::{print_json, printable};
use crate::cli::{CliError, CliResult, ExitClass};
use crate::clipboard::{ClearOutcome, Clipboard, ClipboardError, ClipboardMode, hold_then_clear};

pub async fn copy_and_hold(revealed: &Revealed, clear_after: u64, json: bool) -> CliResult<()> {
    let mut clip = Clipboard::new(ClipboardMode::Auto).map_err(clipboard_error)?;
    let receipt = clip.copy(&revealed.value).map_err(clipboard_error)?;
    let method = clip.method();
    if clear_after == 0 {
        eprintln!(
            "Copied {} (version {}) to the clipboard ({method}); it will not be cleared.",
            printable(&revealed.name),
            revealed.version
        );
        return report(json, revealed, &method.to_string(), None);
    }
    eprintln!(
        "Copied {} (version {}) to the clipboard ({method}). Waiting {clear_after} s to clear it (Ctrl-C clears it now)...",
        printable(&revealed.name),
        revealed.version
    );
    // Listening starts before the wait, so a signal that comes early still clears.
    let stop = stop_requested()?;
    let finished = {
        let hold = hold_then_clear(&mut clip, &receipt, Duration::from_secs(clear_after));
        tokio::pin!(hold);
        tokio::select! {
            outcome = &mut hold => Some(outcome),
            () = stop => None,
        }
    };
    let outcome = match finished {
        Some(outcome) => outcome,
        None => clip.clear_if_unchanged(&receipt),
    }
    .map_err(clipboard_error)?;
    eprintln!("{}", capitalised(&outcome.to_string()));
    report(json, revealed, &method.to_string(), Some(outcome))
}

/// Resolves on Ctrl-C (SIGINT), SIGTERM (`kill`, a supervisor, a closing session manager) or
/// SIGHUP (the terminal went away): each would otherwise end vaultty with the value still on the
/// clipboard, and with OSC 52 or tmux nothing else ever clears it there. Listening replaces their
/// default "terminate" action, so the clear runs first and vaultty then exits normally.
#[cfg(unix)]
fn stop_requested() -> CliResult<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let listen =
        |kind: SignalKind| signal(kind).map_err(|e| CliError::other(format!("cannot listen for signals: {e}")));
    let mut int = listen(SignalKind::interrupt())?;
    let mut term = listen(SignalKind::terminate())?;
    let mut hup = listen(SignalKind::hangup())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn stop_requested() -> CliResult<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

fn report(json: bool, revealed: &Revealed, method: &str, outcome: Option<ClearOutcome>) -> CliResult<()> {
    if !json {
        return Ok(());
    }
    let cleared = outcome.map(|o| match o {
        ClearOutcome::Cleared => "cleared",
        ClearOutcome::ChangedSinceCopy => "changed_since_copy",
        ClearOutcome::Unverifiable => "unverifiable",
    });
    print_json(&json!({ "copied": revealed.name, "version": revealed.version, "method": method, "clear": cleared }))
}

fn clipboard_error(e: ClipboardError) -> CliError {
    let class = match e {
        ClipboardError::Off | ClipboardError::UnknownMode(_) => ExitClass::Usage,
        _ => ExitClass::Other,
    };
    CliError::new(class, e.to_string())
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
