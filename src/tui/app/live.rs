//! Live updates: what the subscription to `GET /v1/events` does to the list.
//!
//! An event is a hint, not data: a created, rotated or edited secret is read again
//! (`Command::Refetch`) and its row replaced in place, so the selection, the filter, the scroll and
//! an open popup stay as they are; a deleted one loses its row; a resync, or subscribing again
//! after a gap, re-lists. A burst of events for one secret becomes one read: the first event opens
//! a short quiet window, and one that arrives while a read is in flight asks for one more read
//! after it (the read in flight may have been answered before that change). Many secrets at once
//! are re-listed instead.
//!
//! Without the stream the periodic refresh goes on as before; the status line says which holds.

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use super::{App, CallError, Command, FailureClass, LiveEvent, Popup, Purpose, SecretKey, Tone};
use crate::api::{AuditAction, SecretMeta, Visibility};

/// How long events for one secret are gathered before it is read again: short enough to feel
/// immediate, long enough to fold a script's burst of rotations into one read.
pub const QUIET_WINDOW: Duration = Duration::milliseconds(150);

/// More secrets than this due at once (a script rotating many) are re-listed in one call rather
/// than read one by one: each read replaces a row, which at 100,000 rows under a time sort
/// re-sorts the list.
pub const MAX_READS: usize = 16;

/// Whether changes arrive as they happen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LiveState {
    /// Subscribing (at start, or after the token works again); nothing said yet.
    #[default]
    Connecting,
    On,
    /// Not subscribed by design (the local vault, see `AppConfig::live_updates`): the periodic
    /// refresh is what keeps the list current.
    NotOffered,
    /// The stream is down (the reason, in the client's words); the task is trying again and the
    /// periodic refresh is what keeps the list current meanwhile.
    Off {
        reason: String,
    },
}

/// What a read in flight is followed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Nothing,
    /// Another change came meanwhile: read again.
    Again,
    /// The secret was deleted meanwhile: drop the answer.
    Drop,
}

#[derive(Debug, Default)]
pub struct Live {
    pub state: LiveState,
    /// Secrets to read again, each when its quiet window ends.
    due: BTreeMap<SecretKey, OffsetDateTime>,
    /// Reads in flight.
    reading: BTreeMap<SecretKey, After>,
}

impl Live {
    pub fn is_on(&self) -> bool {
        self.state == LiveState::On
    }

    /// The token stopped working: the subscription has stopped and pending reads are dropped
    /// (their commands with them); it starts again from scratch with access.
    pub(super) fn stop(&mut self) {
        if self.state != LiveState::NotOffered {
            self.state = LiveState::Connecting;
        }
        self.due.clear();
        self.reading.clear();
    }

    /// When the next gathered read is due, for the loop's wake-up.
    pub fn next_due(&self) -> Option<OffsetDateTime> {
        self.due.values().min().copied()
    }

    /// Whether a read of `key` is waiting or in flight (for the tests' and the spinner's sake).
    pub fn is_pending(&self, key: &SecretKey) -> bool {
        self.due.contains_key(key) || self.reading.contains_key(key)
    }
}

fn key_of(name: &str, visibility: Visibility) -> SecretKey {
    SecretKey {
        name: name.to_owned(),
        org: visibility == Visibility::Org,
    }
}

impl App {
    pub(super) fn on_live(&mut self, event: LiveEvent, out: &mut Vec<Command>) {
        match event {
            LiveEvent::Up => {
                self.live.state = LiveState::On;
                // Whatever changed while not subscribed was not heard.
                if self.session.revoked.is_none() {
                    self.load_secrets(out);
                }
            }
            LiveEvent::Resync if self.session.revoked.is_none() => self.load_secrets(out),
            LiveEvent::Resync => {}
            LiveEvent::Secret(e) => {
                if self.session.revoked.is_some() {
                    return;
                }
                let key = key_of(&e.name, e.visibility);
                if e.action == AuditAction::Delete {
                    self.live.due.remove(&key);
                    if let Some(after) = self.live.reading.get_mut(&key) {
                        *after = After::Drop;
                    }
                    self.forget(&key, out);
                } else {
                    // The earliest deadline stays: a steady stream of events cannot postpone the read.
                    self.live.due.entry(key).or_insert(self.now + QUIET_WINDOW);
                }
            }
            LiveEvent::Down { error, .. } => self.live_down(error, out),
        }
    }

    fn live_down(&mut self, error: CallError, out: &mut Vec<Command>) {
        if error.kind == FailureClass::Unauthorized {
            // The banner says it (`lose_access`); the task has stopped until access is back.
            return;
        }
        let was_off = matches!(self.live.state, LiveState::Off { .. });
        self.live.state = LiveState::Off {
            reason: error.message.clone(),
        };
        // Said once when it goes down, not at every failed reconnection; the unreachable banner
        // already speaks for a server that is down.
        if !was_off && self.session.offline.is_none() {
            self.say(Tone::Info, format!("No live updates: {}", error.message));
            // Changes from here on are not heard, and the stream often ends because the server
            // went away: reading the list at once tells which (the unreachable banner) rather
            // than at the next periodic refresh.
            self.load_secrets(out);
        }
    }

    /// At each tick: reads whose quiet window has ended.
    pub(super) fn live_tick(&mut self, out: &mut Vec<Command>) {
        if self.session.revoked.is_some() {
            self.live.due.clear();
            return;
        }
        let now = self.now;
        let ready: Vec<SecretKey> = self
            .live
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        if ready.len() + self.live.reading.len() > MAX_READS {
            for key in &ready {
                self.live.due.remove(key);
            }
            self.load_secrets(out);
            return;
        }
        for key in ready {
            self.live.due.remove(&key);
            self.refetch(key, out);
        }
    }

    fn refetch(&mut self, key: SecretKey, out: &mut Vec<Command>) {
        match self.live.reading.get_mut(&key) {
            Some(after) => *after = After::Again,
            None => {
                self.live.reading.insert(key.clone(), After::Nothing);
                self.issue(out, Command::Refetch(key));
            }
        }
    }

    pub(super) fn on_refetched(
        &mut self,
        key: SecretKey,
        result: Result<SecretMeta, CallError>,
        out: &mut Vec<Command>,
    ) {
        self.settle();
        let after = self.live.reading.remove(&key).unwrap_or(After::Nothing);
        match result {
            Ok(_) if after == After::Drop => {}
            Ok(meta) => self.replace_row(&key, meta, out),
            // Deleted between the event and the read (its delete event is on its way too).
            Err(e) if e.kind == FailureClass::NotFound && after != After::Again => self.forget(&key, out),
            // Anything else: the next refresh or resync puts it right; a 401 raised the banner.
            Err(_) => {}
        }
        if after == After::Again {
            self.refetch(key, out);
        }
    }

    /// Puts a fresh row in place: the selection, filter and scroll stay, a conflict dialog about
    /// it sees the new version, and what was shown of an older version goes.
    fn replace_row(&mut self, key: &SecretKey, meta: SecretMeta, out: &mut Vec<Command>) {
        if let Some(Popup::Conflict(c)) = &mut self.popup
            && &c.key == key
        {
            c.current = Some(meta.clone());
        }
        let old = self.list.find(key).map(|m| m.version);
        let version = meta.version;
        // A rotation being typed replaces the version it opened on; its write will be refused
        // (check-and-set) and the conflict dialog will offer to review against the new one: say
        // so now, rather than only after the value is typed and reviewed.
        if let Some(Popup::Form(f)) = &mut self.popup
            && let Purpose::Rotate(t) = &f.purpose
            && &t.key == key
            && t.version != version
        {
            let warning = format!("Changed elsewhere, now v{version}: writing will ask you to review against it");
            f.error = Some(warning);
        }
        self.list.upsert(meta, false);
        if self
            .shown
            .as_ref()
            .is_some_and(|s| &s.key == key && s.version != version)
        {
            self.shown = None;
            self.say(
                Tone::Info,
                format!("{} is now v{version} (changed elsewhere): masked again", key.name),
            );
        }
        // The history pane shows the selected secret's versions: reload it if it moved on, and
        // load it when the selection landed on a row the list did not have (the first row of
        // an empty list), which no key press will ask for.
        if old != Some(version) && self.versions.key.as_ref() == Some(key) {
            self.versions.key = None;
        }
        self.want_versions(out);
    }

    /// A secret that no longer exists: its row, its marks and anything shown of it go. The cursor
    /// stays where it was, so the next row takes the deleted one's place.
    fn forget(&mut self, key: &SecretKey, out: &mut Vec<Command>) {
        if self.list.find(key).is_none() {
            return;
        }
        let was_selected = self.list.selected_key().as_ref() == Some(key);
        self.list.remove(key);
        if self.shown.as_ref().is_some_and(|s| &s.key == key) {
            self.shown = None;
        }
        if was_selected {
            self.say(Tone::Info, format!("{} was deleted", key.name));
            self.after_move(out);
        }
    }
}
