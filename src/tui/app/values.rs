//! Values on screen and on the clipboard: asking to reveal or copy (the confirmation itself is a
//! [`PendingAction`]), the countdown that masks a revealed value again, copying with a
//! clear-after deadline, and quitting with a pending clear.

use secrecy::SecretString;
use time::{Duration, OffsetDateTime};

use super::{
    App, CallError, ClearResult, Command, CopyInfo, FailureClass, PendingAction, RevealPurpose, SecretKey, Seen, Tone,
};
use crate::api::Revealed;

/// A revealed value, shown in the detail pane until `until`. Dropping it zeroizes the value.
pub struct Shown {
    pub key: SecretKey,
    pub version: i64,
    pub value: SecretString,
    pub until: OffsetDateTime,
}

impl std::fmt::Debug for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shown")
            .field("key", &self.key)
            .field("version", &self.version)
            .field("until", &self.until)
            .finish()
    }
}

#[derive(Debug, Default)]
pub struct Clip {
    /// A value vaultty put on the clipboard and will clear.
    pub pending: Option<ClipState>,
    /// A clear is running.
    pub clearing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipState {
    pub label: String,
    pub method: String,
    pub verifiable: bool,
    pub clear_at: OffsetDateTime,
}

/// The keyboard rotation workflow: secrets still to rotate, and how it went so far.
#[derive(Debug, Default)]
pub struct Batch {
    pub pending: std::collections::VecDeque<SecretKey>,
    pub total: usize,
    pub rotated: usize,
    pub skipped: usize,
}

impl Batch {
    /// 1-based position of the secret being rotated now.
    pub fn position(&self) -> usize {
        self.total - self.pending.len()
    }
}

impl App {
    /// Enter/v (Show) or c (Copy) on the selected secret.
    pub(super) fn ask_reveal(&mut self, purpose: RevealPurpose, out: &mut Vec<Command>) {
        let Some(meta) = self.list.selected() else { return };
        let key = SecretKey::of(meta);
        let version = meta.version;
        if !meta.revealable {
            self.say(
                Tone::Error,
                format!(
                    "{} is write-only: programs get it through `vaultty run`; nobody can reveal it",
                    key.name
                ),
            );
            return;
        }
        if let (RevealPurpose::Copy, Some(why)) = (purpose, &self.config.no_clipboard) {
            self.say(Tone::Error, format!("Cannot copy: {why}"));
            return;
        }
        let shown_here = self.shown.as_ref().filter(|s| s.key == key);
        match (purpose, shown_here) {
            (RevealPurpose::Copy, Some(s)) => {
                let value = s.value.clone();
                self.issue(out, Command::Copy { label: key.name, value });
                return;
            }
            (RevealPurpose::Show, Some(s)) => {
                let left = crate::tui::components::fmt::secs_left(self.now, s.until);
                self.say(
                    Tone::Info,
                    format!("{} is shown; masked again in {left}s (Esc hides it now)", key.name),
                );
                return;
            }
            _ => {}
        }
        let seen = Seen { key, version };
        self.ask(match purpose {
            RevealPurpose::Show => PendingAction::Reveal(seen),
            RevealPurpose::Copy => PendingAction::Copy(seen),
        });
    }

    pub(super) fn on_revealed(
        &mut self,
        key: SecretKey,
        purpose: RevealPurpose,
        result: Result<Revealed, CallError>,
        at: OffsetDateTime,
        out: &mut Vec<Command>,
    ) {
        self.settle();
        match (result, purpose) {
            (Ok(r), RevealPurpose::Show) => {
                // The reveal set "last used" on the server: fetch the row again.
                self.issue(out, Command::LoadSecret(key.clone()));
                if self.list.selected_key().as_ref() == Some(&key) {
                    let until = at + Duration::seconds(self.config.tui.reveal_seconds.into());
                    self.shown = Some(Shown {
                        key,
                        version: r.version,
                        value: r.value,
                        until,
                    });
                } else {
                    self.say(
                        Tone::Info,
                        format!("{} was revealed after you moved on; it stays hidden", key.name),
                    );
                }
            }
            (Ok(r), RevealPurpose::Copy) => {
                self.issue(out, Command::LoadSecret(key.clone()));
                self.issue(
                    out,
                    Command::Copy {
                        label: key.name,
                        value: r.value,
                    },
                );
            }
            (Err(e), _) if e.kind == FailureClass::Forbidden => {
                self.say(Tone::Error, format!("Reveal of {} denied: {}", key.name, e.message));
            }
            (Err(e), _) => self.say(Tone::Error, format!("Could not reveal {}: {}", key.name, e.message)),
        }
    }

    pub(super) fn on_copied(&mut self, label: String, result: Result<CopyInfo, String>, at: OffsetDateTime) {
        match result {
            Ok(info) => {
                let secs = self.config.tui.clipboard_clear_seconds;
                let text = format!("Copied {label} ({})", info.method);
                // A new copy replaces the old deadline: the timer restarts.
                self.clip.pending = Some(ClipState {
                    label,
                    method: info.method,
                    verifiable: info.verifiable,
                    clear_at: at + Duration::seconds(secs.into()),
                });
                self.say(Tone::Success, text);
            }
            Err(m) => self.say(Tone::Error, format!("Could not copy {label}: {m}")),
        }
    }

    pub(super) fn on_cleared(&mut self, result: Result<ClearResult, String>) {
        self.clip.clearing = false;
        match result {
            Ok(ClearResult::Cleared) => self.say(Tone::Info, "Clipboard cleared"),
            Ok(ClearResult::ChangedSinceCopy) => {
                self.say(Tone::Info, "The clipboard changed since the copy, so it was left alone");
            }
            Ok(ClearResult::Unverifiable) => self.say(
                Tone::Info,
                "Clipboard cleared with OSC 52; the terminal cannot confirm it",
            ),
            Err(m) => self.say(Tone::Error, format!("Could not clear the clipboard: {m}")),
        }
    }

    /// Esc: hide a value now.
    pub(crate) fn hide(&mut self) -> bool {
        match self.shown.take() {
            Some(s) => {
                self.say(Tone::Info, format!("{} is masked again", s.key.name));
                true
            }
            None => false,
        }
    }

    /// q / Ctrl-C: clear a pending clipboard at once, drop any value, and stop.
    pub(crate) fn quit(&mut self, out: &mut Vec<Command>) {
        if self.clip.pending.take().is_some() {
            self.issue(out, Command::ClearClipboard);
        }
        self.shown = None;
        self.popup = None;
        self.view.quit = true;
    }
}
