//! The `[tui]` section of the user's `config.toml`: timings, the clipboard method, key overrides.
//!
//! Reads only; a missing file or section means the defaults. Unknown settings inside `[tui]` are
//! errors naming the line (a typo should not silently do nothing); other sections belong to others.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

use super::keymap::{KeySections, Keymap, KeymapError, bindings_from, line_of};

pub const CONFIG_FILE: &str = "config.toml";

/// How values reach the clipboard (mirrors `crate::clipboard::ClipboardMode`, so that the pure
/// parts of the TUI do not depend on the clipboard's I/O).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClipboardChoice {
    /// OSC 52 over SSH or without a display, the system clipboard otherwise.
    #[default]
    Auto,
    System,
    Osc52,
    Off,
}

impl FromStr for ClipboardChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(ClipboardChoice::Auto),
            "system" => Ok(ClipboardChoice::System),
            "osc52" => Ok(ClipboardChoice::Osc52),
            "off" => Ok(ClipboardChoice::Off),
            other => Err(format!("clipboard is one of auto, system, osc52, off, not {other:?}")),
        }
    }
}

/// Settings of the TUI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TuiConfig {
    /// A secret whose value changed longer ago than this is marked stale.
    pub max_age_days: u32,
    /// How long a revealed value stays on screen.
    pub reveal_seconds: u32,
    /// How long a copied value stays on the clipboard.
    pub clipboard_clear_seconds: u32,
    pub clipboard: ClipboardChoice,
    /// How often the list reloads by itself; 0 turns that off.
    pub refresh_seconds: u32,
}

impl Default for TuiConfig {
    fn default() -> Self {
        TuiConfig {
            max_age_days: 90,
            reveal_seconds: 20,
            clipboard_clear_seconds: 30,
            clipboard: ClipboardChoice::Auto,
            refresh_seconds: 60,
        }
    }
}

impl TuiConfig {
    pub fn reveal_for(&self) -> Duration {
        Duration::from_secs(self.reveal_seconds.into())
    }
    pub fn clear_after(&self) -> Duration {
        Duration::from_secs(self.clipboard_clear_seconds.into())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TuiConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} line {line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(transparent)]
    Keymap(#[from] KeymapError),
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    tui: Option<toml::Spanned<Section>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    max_age_days: Option<toml::Spanned<u32>>,
    reveal_seconds: Option<toml::Spanned<u32>>,
    clipboard_clear_seconds: Option<toml::Spanned<u32>>,
    clipboard: Option<toml::Spanned<String>>,
    refresh_seconds: Option<toml::Spanned<u32>>,
    #[serde(default)]
    keys: KeySections,
}

/// Reads `config.toml` in `config_dir` (absent: defaults) and builds the keymap with its overrides.
pub fn load(config_dir: &Path) -> Result<(TuiConfig, Keymap), TuiConfigError> {
    let path = config_dir.join(CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(TuiConfigError::Read { path, source }),
    };
    parse(&text, &path)
}

/// Parses the text of a `config.toml` (`path` only names it in errors).
pub fn parse(text: &str, path: &Path) -> Result<(TuiConfig, Keymap), TuiConfigError> {
    let invalid = |line: usize, message: String| TuiConfigError::Invalid {
        path: path.to_owned(),
        line,
        message,
    };
    let file: File = toml::from_str(text)
        .map_err(|e| invalid(e.span().map_or(0, |s| line_of(text, s.start)), e.message().to_owned()))?;
    let mut cfg = TuiConfig::default();
    let Some(section) = file.tui else {
        return Ok((cfg, Keymap::defaults()?));
    };
    let section = section.into_inner();
    let ranged = |field: &str, v: Option<toml::Spanned<u32>>, min: u32, max: u32, out: &mut u32| {
        if let Some(v) = v {
            let n = *v.get_ref();
            if n < min || n > max {
                return Err(invalid(
                    line_of(text, v.span().start),
                    format!("{field} is between {min} and {max}, not {n}"),
                ));
            }
            *out = n;
        }
        Ok(())
    };
    ranged("max_age_days", section.max_age_days, 1, 36_500, &mut cfg.max_age_days)?;
    ranged(
        "reveal_seconds",
        section.reveal_seconds,
        1,
        600,
        &mut cfg.reveal_seconds,
    )?;
    ranged(
        "clipboard_clear_seconds",
        section.clipboard_clear_seconds,
        1,
        3_600,
        &mut cfg.clipboard_clear_seconds,
    )?;
    ranged(
        "refresh_seconds",
        section.refresh_seconds,
        0,
        86_400,
        &mut cfg.refresh_seconds,
    )?;
    if let Some(mode) = section.clipboard {
        cfg.clipboard = mode
            .get_ref()
            .parse()
            .map_err(|m| invalid(line_of(text, mode.span().start), m))?;
    }
    let user = bindings_from(section.keys, text);
    let keymap = Keymap::with_overrides(&user, &path.display().to_string())?;
    Ok((cfg, keymap))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<(TuiConfig, Keymap), TuiConfigError> {
        parse(text, Path::new("/cfg/config.toml"))
    }

    #[test]
    fn missing_section_means_defaults() {
        let (cfg, _) = p("[profiles.default]\nurl = \"https://vault\"\n").unwrap();
        assert_eq!(cfg, TuiConfig::default());
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap().0, TuiConfig::default());
    }

    #[test]
    fn settings_are_read() {
        let (cfg, _) =
            p("[tui]\nmax_age_days = 30\nreveal_seconds = 5\nclipboard = \"osc52\"\nrefresh_seconds = 0\n").unwrap();
        assert_eq!(cfg.max_age_days, 30);
        assert_eq!(cfg.reveal_seconds, 5);
        assert_eq!(cfg.clipboard, ClipboardChoice::Osc52);
        assert_eq!(cfg.refresh_seconds, 0);
    }

    #[test]
    fn mistakes_name_the_line() {
        let e = p("[tui]\nreveal_seconds = 0\n").unwrap_err().to_string();
        assert_eq!(e, "/cfg/config.toml line 2: reveal_seconds is between 1 and 600, not 0");
        let e = p("[tui]\n\nclipboard = \"xclip\"\n").unwrap_err().to_string();
        assert!(e.starts_with("/cfg/config.toml line 3: clipboard is one of"), "{e}");
        let e = p("[tui]\nreveal_secs = 3\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("reveal_secs"), "{e}");
        let e = p("[tui.keys.main]\nquit = \"ctrl-\"\n").unwrap_err().to_string();
        assert!(e.starts_with("/cfg/config.toml line 2: quit:"), "{e}");
    }
}
