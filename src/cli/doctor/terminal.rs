//! Where vaultty meets the user's desk: the clipboard method a copy would use here and whether it
//! can work, and the terminal's size and colours. None of these fail: a runner or a script needs
//! neither, so at worst they warn.

use std::io::IsTerminal;
use std::process::{Command, Stdio};

use super::Check;
use crate::clipboard::{Clipboard, ClipboardMode, Method};
use crate::config::{Env, Paths};

/// Below this the TUI's list and detail panes are cramped.
const MIN_COLS: u16 = 80;
const MIN_ROWS: u16 = 20 + 4;

pub(super) fn checks() -> Vec<Check> {
    vec![clipboard_check(), size_check(), colour_check()]
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The `[tui] clipboard` setting of `config.toml` (the TUI's; `secret get --copy` always uses
/// auto). Read here rather than through `tui::config`, which the CLI may not use (tests/layering.rs);
/// only this one key is looked at, and the TUI itself reports any other mistake in the file.
fn configured_mode() -> Result<ClipboardMode, String> {
    let paths = Paths::resolve(&Env::from_process()).map_err(|e| e.to_string())?;
    let path = paths.config_dir.join("config.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ClipboardMode::Auto),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    mode_in(&text, &path)
}

/// The clipboard mode `config.toml`'s text sets (auto when it sets none).
fn mode_in(text: &str, path: &std::path::Path) -> Result<ClipboardMode, String> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("{} is not valid TOML: {}", path.display(), e.message()))?;
    match doc.get("tui").and_then(|t| t.get("clipboard")) {
        None => Ok(ClipboardMode::Auto),
        Some(toml::Value::String(s)) => s.parse().map_err(|e: crate::clipboard::ClipboardError| e.to_string()),
        Some(_) => Err(format!("{}: [tui] clipboard must be a string", path.display())),
    }
}

fn clipboard_check() -> Check {
    const NAME: &str = "clipboard";
    let mode = match configured_mode() {
        Ok(m) => m,
        Err(e) => return Check::warn(NAME, e, "fix the [tui] section of config.toml"),
    };
    // Opening a handle decides the method exactly as a copy would, and copies nothing.
    let clip = match Clipboard::new(mode) {
        Ok(c) => c,
        Err(e) => {
            return Check::warn(
                NAME,
                format!("clipboard = {mode}: {e}"),
                "run inside a graphical session, or set clipboard = \"osc52\" under [tui] in config.toml",
            );
        }
    };
    match clip.method() {
        Method::Off => Check::ok(NAME, "off (clipboard = \"off\" in config.toml): copying is disabled"),
        Method::System => Check::ok(
            NAME,
            format!(
                "the system clipboard ({}), which opens; nothing was copied",
                display_kind()
            ),
        ),
        Method::Osc52 { tmux } => osc52_check(mode, tmux),
    }
}

fn display_kind() -> String {
    match (var("WAYLAND_DISPLAY"), var("DISPLAY")) {
        (Some(w), _) => format!("Wayland, WAYLAND_DISPLAY={w}"),
        (None, Some(d)) => format!("X11, DISPLAY={d}"),
        (None, None) => std::env::consts::OS.to_owned(),
    }
}

/// OSC 52 works when there is a terminal to write it to, and (in tmux) when tmux passes it on.
/// Whether the terminal itself honours OSC 52 cannot be asked from here.
fn osc52_check(mode: ClipboardMode, tmux: bool) -> Check {
    const NAME: &str = "clipboard";
    let why = if mode == ClipboardMode::Osc52 {
        "clipboard = \"osc52\" in config.toml".to_owned()
    } else if var("SSH_TTY").is_some() || var("SSH_CONNECTION").is_some() {
        "over SSH the terminal's clipboard is the one at your desk".to_owned()
    } else if var("DISPLAY").is_none() && var("WAYLAND_DISPLAY").is_none() {
        "no DISPLAY or WAYLAND_DISPLAY".to_owned()
    } else {
        match Clipboard::new(ClipboardMode::System) {
            Err(e) => format!("the system clipboard did not open: {e}"),
            Ok(_) => "the system clipboard did not open".to_owned(),
        }
    };
    let how = if tmux {
        "OSC 52 through tmux"
    } else {
        "OSC 52 through the terminal"
    };
    if !has_tty() && !std::io::stdout().is_terminal() {
        return Check::warn(
            NAME,
            format!("{how} ({why}), but there is no terminal to send it to"),
            "run vaultty in a terminal to copy",
        );
    }
    if tmux && let Some(problem) = tmux_problem() {
        return Check::warn(
            NAME,
            format!("{how} ({why}): {problem}"),
            "add `set -g set-clipboard on` (or `set -g allow-passthrough on`) to ~/.tmux.conf and reload it",
        );
    }
    Check::ok(
        NAME,
        format!("{how} ({why}); whether the terminal honours OSC 52 cannot be checked from here"),
    )
}

/// Whether the controlling terminal opens for writing, as OSC 52 would open it (nothing is written).
fn has_tty() -> bool {
    let path = if cfg!(windows) { "CONOUT$" } else { "/dev/tty" };
    std::fs::OpenOptions::new().write(true).open(path).is_ok()
}

/// Why tmux would drop the copy, when both ways through it are off (see `clipboard/osc52.rs`).
fn tmux_problem() -> Option<String> {
    let option = |name: &str| {
        Command::new("tmux")
            .args(["show-options", "-gv", name])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(set_clipboard) = option("set-clipboard") else {
        return Some("cannot ask tmux for its set-clipboard option".to_owned());
    };
    // allow-passthrough exists from tmux 3.3; older ones have no such option, so it is off.
    let passthrough = option("allow-passthrough").unwrap_or_else(|| "off".to_owned());
    (set_clipboard == "off" && passthrough == "off")
        .then(|| "tmux has set-clipboard off and allow-passthrough off, so it drops the copy".to_owned())
}

fn size_check() -> Check {
    const NAME: &str = "terminal";
    // Without a terminal crossterm still answers (from `tput`, i.e. TERM's default size): that
    // would be a size of nothing.
    if !std::io::stdout().is_terminal() && !has_tty() {
        return Check::warn(
            NAME,
            "no terminal: standard output is not one and there is no controlling terminal; the TUI needs one",
            "run `vaultty` in a terminal for the TUI; the other commands need none",
        );
    }
    match crossterm::terminal::size() {
        Ok((cols, rows)) if cols < MIN_COLS || rows < MIN_ROWS => Check::warn(
            NAME,
            format!("{cols}x{rows}, smaller than {MIN_COLS}x{MIN_ROWS}: the TUI's panes are cramped"),
            format!("make the window at least {MIN_COLS} columns by {MIN_ROWS} rows"),
        ),
        Ok((cols, rows)) => Check::ok(NAME, format!("{cols}x{rows}")),
        Err(e) => Check::warn(
            NAME,
            format!("no terminal size ({e}): the TUI needs a terminal"),
            "run `vaultty` in a terminal for the TUI; the other commands need none",
        ),
    }
}

fn colour_check() -> Check {
    const NAME: &str = "colours";
    let term = var("TERM");
    if var("NO_COLOR").is_some() {
        return Check::ok(NAME, "NO_COLOR is set: the TUI uses bold, underline and reverse only");
    }
    match term.as_deref() {
        None | Some("dumb") => Check::warn(
            NAME,
            format!("TERM is {}: the TUI may not draw", term.as_deref().unwrap_or("unset")),
            "set TERM to your terminal's type (e.g. xterm-256color)",
        ),
        Some(t) => {
            let depth = match var("COLORTERM").as_deref() {
                Some("truecolor" | "24bit") => "24-bit colour (COLORTERM)",
                _ if t.contains("256color") => "256 colours",
                _ => "16 colours",
            };
            Check::ok(NAME, format!("TERM={t}: {depth}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clipboard_mode_is_read_from_the_tui_section() {
        let path = std::path::Path::new("config.toml");
        assert_eq!(mode_in("", path), Ok(ClipboardMode::Auto));
        assert_eq!(
            mode_in("[tui]\nclipboard = \"osc52\"\n", path),
            Ok(ClipboardMode::Osc52)
        );
        assert_eq!(mode_in("[other]\nclipboard = \"off\"\n", path), Ok(ClipboardMode::Auto));
        assert!(
            mode_in("[tui]\nclipboard = \"sometimes\"\n", path)
                .unwrap_err()
                .contains("sometimes")
        );
        assert!(mode_in("[tui\n", path).unwrap_err().contains("not valid TOML"));
    }
}
