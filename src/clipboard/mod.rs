//! The clipboard, shared by `secret get --copy` and the TUI: picking a method (the system clipboard
//! through one long-lived arboard handle, or OSC 52 through the terminal), copying a secret, and
//! clearing it later only if the clipboard still holds what vaultty put there.
//!
//! A copy returns a [`CopyReceipt`] that holds a salted SHA-256 of the value, never the value, so a
//! timer can carry it around for 30 seconds without keeping the secret alive.

mod osc52;
mod receipt;
mod system;
mod tmux;

use std::fmt;
use std::io::Write;
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

pub use receipt::CopyReceipt;
#[doc(hidden)]
pub use tmux::scrub_buffers as scrub_tmux_buffers;

use osc52::Osc52;
use system::System;

/// What the user asked for in the config (or on the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ClipboardMode {
    /// OSC 52 over SSH or without a display, else the system clipboard (OSC 52 if that fails).
    #[default]
    Auto,
    System,
    Osc52,
    Off,
}

impl ClipboardMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ClipboardMode::Auto => "auto",
            ClipboardMode::System => "system",
            ClipboardMode::Osc52 => "osc52",
            ClipboardMode::Off => "off",
        }
    }
}

impl fmt::Display for ClipboardMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClipboardMode {
    type Err = ClipboardError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(ClipboardMode::Auto),
            "system" => Ok(ClipboardMode::System),
            "osc52" => Ok(ClipboardMode::Osc52),
            "off" => Ok(ClipboardMode::Off),
            _ => Err(ClipboardError::UnknownMode(s.to_owned())),
        }
    }
}

impl TryFrom<String> for ClipboardMode {
    type Error = ClipboardError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ClipboardMode> for String {
    fn from(mode: ClipboardMode) -> String {
        mode.as_str().to_owned()
    }
}

/// How a copy actually reaches the user; its `Display` is what the status bar says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    System,
    Osc52 { tmux: bool },
    Off,
}

impl Method {
    /// Only the system clipboard can be read back, so only there is "cleared" a checked fact.
    pub fn clear_is_verifiable(&self) -> bool {
        matches!(self, Method::System)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::System => "system clipboard",
            Method::Osc52 { tmux: false } => "OSC 52 via the terminal",
            Method::Osc52 { tmux: true } => "OSC 52 via the terminal (tmux)",
            Method::Off => "clipboard off",
        })
    }
}

/// What [`Clipboard::clear_if_unchanged`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClearOutcome {
    /// The clipboard still held the copied value and now holds nothing.
    Cleared,
    /// The user copied something else since; it was left alone.
    ChangedSinceCopy,
    /// OSC 52: an empty selection was sent to the terminal, which cannot be read back.
    Unverifiable,
}

impl fmt::Display for ClearOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClearOutcome::Cleared => "clipboard cleared",
            ClearOutcome::ChangedSinceCopy => "clipboard changed since the copy; left it alone",
            ClearOutcome::Unverifiable => "sent the terminal an empty clipboard; OSC 52 cannot confirm it was cleared",
        })
    }
}

/// Errors never contain the copied value: only the mode the user typed and the platform's reason.
#[derive(Debug, thiserror::Error)]
pub enum ClipboardError {
    #[error("clipboard is off in the config; set the clipboard mode to auto, system or osc52 to copy")]
    Off,
    #[error(
        "no system clipboard is available ({reason}); run inside a graphical session \
         (DISPLAY or WAYLAND_DISPLAY set), or use the clipboard mode osc52 over SSH"
    )]
    NoSystemClipboard { reason: String },
    #[error("could not put the value on the system clipboard: {reason}")]
    SystemCopy { reason: String },
    #[error("could not read the system clipboard to check it before clearing: {reason}")]
    SystemRead { reason: String },
    #[error("could not clear the system clipboard: {reason}")]
    SystemClear { reason: String },
    #[error(
        "no terminal to send the OSC 52 copy to ({reason}); run vaultty in a terminal, \
         or use the system clipboard"
    )]
    NoTerminal { reason: String },
    #[error("could not write the OSC 52 copy to the terminal: {0}")]
    TerminalWrite(#[source] std::io::Error),
    #[error("unknown clipboard mode {0:?}: use auto, system, osc52 or off")]
    UnknownMode(String),
}

enum Backend {
    System(System),
    Osc52(Osc52),
    Off,
}

/// One long-lived clipboard handle. On X11 the process that copied serves the selection, so keep
/// this alive (and the process in the foreground) until the value has been cleared.
pub struct Clipboard {
    backend: Backend,
}

impl fmt::Debug for Clipboard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clipboard").field("method", &self.method()).finish()
    }
}

/// The environment facts [`ClipboardMode::Auto`] decides on, read once so the rule is testable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Env {
    ssh: bool,
    display: bool,
    tmux: bool,
}

impl Env {
    fn from_process() -> Env {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        Env {
            ssh: set("SSH_TTY") || set("SSH_CONNECTION"),
            display: set("DISPLAY") || set("WAYLAND_DISPLAY"),
            tmux: set("TMUX"),
        }
    }

    /// Over SSH a local display (X forwarding) is not the user's desk, so OSC 52 wins there too.
    fn auto_wants_osc52(self) -> bool {
        self.ssh || !self.display
    }
}

impl Clipboard {
    pub fn new(mode: ClipboardMode) -> Result<Clipboard, ClipboardError> {
        let env = Env::from_process();
        let backend = match mode {
            ClipboardMode::Off => Backend::Off,
            ClipboardMode::Osc52 => Backend::Osc52(Osc52::terminal(env.tmux)),
            ClipboardMode::System => Backend::System(System::new()?),
            ClipboardMode::Auto if env.auto_wants_osc52() => Backend::Osc52(Osc52::terminal(env.tmux)),
            ClipboardMode::Auto => match System::new() {
                Ok(system) => Backend::System(system),
                Err(err) => {
                    tracing::info!(%err, "system clipboard unavailable, using OSC 52");
                    Backend::Osc52(Osc52::terminal(env.tmux))
                }
            },
        };
        Ok(Clipboard { backend })
    }

    /// An OSC 52 clipboard that writes to `writer` instead of the controlling terminal: for a
    /// caller that owns the terminal handle, and for tests that check the exact bytes.
    pub fn with_osc52_writer(writer: Box<dyn Write + Send>, tmux: bool) -> Clipboard {
        Clipboard {
            backend: Backend::Osc52(Osc52::with_writer(writer, tmux)),
        }
    }

    pub fn method(&self) -> Method {
        match &self.backend {
            Backend::System(_) => Method::System,
            Backend::Osc52(osc) => Method::Osc52 { tmux: osc.tmux() },
            Backend::Off => Method::Off,
        }
    }

    /// Puts `value` on the clipboard. Each receipt is unique (salted), even for the same value, so
    /// a caller can tell a stale clearing timer from the current one by comparing receipts.
    pub fn copy(&mut self, value: &SecretString) -> Result<CopyReceipt, ClipboardError> {
        let method = self.method();
        let text = value.expose_secret();
        match &mut self.backend {
            Backend::System(system) => system.set(text)?,
            Backend::Osc52(osc) => osc.copy(text.as_bytes())?,
            Backend::Off => return Err(ClipboardError::Off),
        }
        Ok(CopyReceipt::new(method, text.as_bytes()))
    }

    /// Clears the clipboard if it still holds the value of `receipt`. OSC 52 cannot read back,
    /// so there it always sends an empty selection (and, under tmux, deletes the paste buffers
    /// holding the value) and says [`ClearOutcome::Unverifiable`].
    pub fn clear_if_unchanged(&mut self, receipt: &CopyReceipt) -> Result<ClearOutcome, ClipboardError> {
        match &mut self.backend {
            Backend::System(system) => system.clear_if_unchanged(receipt),
            Backend::Osc52(osc) => {
                osc.clear(receipt)?;
                Ok(ClearOutcome::Unverifiable)
            }
            Backend::Off => Err(ClipboardError::Off),
        }
    }
}

/// For `secret get --copy`: waits `after`, then clears the clipboard if it is unchanged. The caller
/// stays in the foreground meanwhile (on X11 the copying process serves the selection).
pub async fn hold_then_clear(
    clip: &mut Clipboard,
    receipt: &CopyReceipt,
    after: Duration,
) -> Result<ClearOutcome, ClipboardError> {
    tokio::time::sleep(after).await;
    clip.clear_if_unchanged(receipt)
}

#[cfg(test)]
mod tests;
