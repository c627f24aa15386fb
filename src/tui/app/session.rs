//! The connection's state (who we are, calls in flight, the unreachable banner and its backoff,
//! the periodic refresh), the status message, and what happens when the clock ticks.

use time::{Duration, OffsetDateTime};

use super::{App, Command};
use crate::api::Me;

#[derive(Debug, Default)]
pub struct Session {
    pub me: Option<Me>,
    pub offline: Option<Offline>,
    /// HTTP calls not yet answered: the spinner turns while this is above zero.
    pub in_flight: usize,
    pub(super) list_loading: bool,
    pub(super) list_queued: bool,
    pub next_refresh: Option<OffsetDateTime>,
    /// Why the last list load failed (other than the server being unreachable).
    pub load_error: Option<String>,
    /// The vault refused this session's token (401) after it was in use, or from the start.
    pub revoked: Option<Revoked>,
}

/// The token no longer works: revoked, expired, or its user disabled. The banner says so; no
/// call is made on its own any more (Ctrl-R asks once whether access is back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// The server's words, or what this session did (revoking its own token).
    pub reason: String,
    /// Whether the token had worked in this session before: "access revoked" rather than
    /// "not signed in".
    pub had_access: bool,
}

/// The server could not be reached; the list is retried with backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offline {
    pub reason: String,
    pub attempt: u32,
    pub retry_at: OffsetDateTime,
}

/// 1 s, 2 s, 4 s … up to 30 s between attempts.
pub fn backoff(attempt: u32) -> Duration {
    Duration::seconds(1i64 << attempt.saturating_sub(1).min(5)).min(Duration::seconds(30))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub tone: Tone,
    pub until: Option<OffsetDateTime>,
}

pub(super) fn tick(app: &mut App, now: OffsetDateTime, out: &mut Vec<Command>) {
    let before = app.now;
    app.now = now;
    let mut changed = before.minute() != now.minute() || before.hour() != now.hour();

    if app.shown.as_ref().is_some_and(|s| s.until <= now) {
        if let Some(s) = app.shown.take() {
            // Dropping the SecretString zeroizes the value.
            app.say(super::Tone::Info, format!("{} is masked again", s.key.name));
        }
        changed = true;
    }
    if app.clip.pending.as_ref().is_some_and(|c| c.clear_at <= now) {
        app.clip.pending = None;
        app.clip.clearing = true;
        app.issue(out, Command::ClearClipboard);
        changed = true;
    }
    // Without access nothing is retried or refreshed: each call would only be refused again.
    let live = app.session.revoked.is_none();
    if live && app.session.offline.as_ref().is_some_and(|o| o.retry_at <= now) && !app.session.list_loading {
        if app.session.me.is_none() {
            app.issue(out, Command::LoadMe);
        }
        app.load_secrets(out);
        changed = true;
    }
    if live && app.session.next_refresh.is_some_and(|t| t <= now) {
        app.session.next_refresh = None;
        app.load_secrets(out);
        match app.view.pane {
            super::Pane::Tokens => app.load_tokens(out),
            super::Pane::Users => app.load_users(out),
            _ => {}
        }
    }
    app.live_tick(out);
    if app.status.as_ref().and_then(|s| s.until).is_some_and(|t| t <= now) {
        app.status = None;
        changed = true;
    }
    let counting = app.shown.is_some() || app.clip.pending.is_some() || app.session.offline.is_some();
    if changed || counting || app.session.in_flight > 0 {
        app.view.dirty = true;
    }
}

impl App {
    /// A call was answered 401: the banner goes up, whatever waited for an answer is closed, the
    /// periodic refresh, retries and live updates stop, and calls already decided on in this
    /// update are dropped.
    pub(crate) fn lose_access(&mut self, reason: &str, out: &mut Vec<Command>) {
        let dropped = out.iter().filter(|c| c.is_call()).count();
        out.retain(|c| !c.is_call() && !matches!(c, Command::Subscribe));
        self.session.in_flight = self.session.in_flight.saturating_sub(dropped);
        let had_access = self.session.me.is_some() || self.list.is_loaded();
        self.session.revoked = Some(Revoked {
            reason: reason.to_owned(),
            had_access,
        });
        self.session.next_refresh = None;
        self.session.offline = None;
        self.session.load_error = None;
        self.session.list_loading = false;
        self.session.list_queued = false;
        self.versions.loading = None;
        self.live.stop();
        self.audit.loading = false;
        self.accounts.tokens.loading = false;
        self.accounts.users.loading = false;
        self.accounts.user_tokens.loading = false;
        // A value on screen or a dialog waiting for the vault has nothing more to come.
        self.shown = None;
        self.batch = None;
        if !matches!(self.popup, Some(super::Popup::Help(_))) {
            self.popup = None;
        }
        self.view.filtering = false;
        self.status = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_thirty_seconds() {
        let secs: Vec<i64> = (1..=8).map(|a| backoff(a).whole_seconds()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
