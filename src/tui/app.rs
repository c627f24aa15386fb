//! The TUI's state and its one entry point, [`update`]: a message in, commands out.
//!
//! Nothing here does I/O or reads the clock: time arrives in [`Msg::Tick`] and on the replies that
//! start a countdown, results arrive as [`Reply`], and every effect leaves as a [`Command`] for
//! `tasks` to run (a generated value too: Ctrl-G asks for one). The terminal's size arrives as
//! [`Msg::Resize`], so that page sizes are known here and the renderer only reads. So every flow
//! (reveal, copy, rotate, batch, filter) is testable without a terminal or a server.
//!
//! A key goes to the focused context's [`ActionTable`] (the open popup's, or the table's, the
//! audit pane's, the filter's), the same table the bottom bar is drawn from. Every audited or
//! destructive action waits in one [`PendingAction`] for its yes.

mod account_questions;
mod accounts;
mod action_table;
mod filter;
mod keys;
mod list;
mod live;
mod main_keys;
mod messages;
mod pending;
mod replies;
mod session;
mod tabs;
mod values;
mod writes;

use crossterm::event::KeyEventKind;
use ratatui::layout::Rect;
use time::OffsetDateTime;

use super::config::TuiConfig;
use super::keymap::Keymap;
use super::layout::Areas;
use crate::api::{AuditEvent, SecretMeta, VersionInfo, Visibility};

/// The failure classes a [`CallError`] carries, where the tests and `tasks` look for them.
pub use crate::api::FailureClass;
/// The popups' types, where the tests and the renderer look for them.
pub use crate::tui::popups::{
    ConfirmPopup, ConflictPopup, Field, FieldId, FieldKind, Form, HelpPopup, OfferCopyPopup, Popup, Purpose,
    RotateTarget, SecretForm, SecretInput, Step,
};
pub use accounts::{Accounts, Loaded, descendants};
pub use action_table::{ActionTable, Handler, Row, Show, TextHandler, TextKey};
pub use list::{CategoryTab, Counts, ScopeTab, SecretList, SortKey, Tabs, VisibilityFilter, is_stale};
pub use live::{Live, LiveState, MAX_READS, QUIET_WINDOW};
pub use messages::{
    AccountOp, AccountOutcome, CallError, ClearResult, Command, CopyInfo, LiveEvent, Msg, Pasted, Reply, RevealPurpose,
    UserChange, WriteOp,
};
pub use pending::{ConfirmKeys, PendingAction, Seen};
pub use session::{Offline, Revoked, Session, Status, Tone};
pub use values::{Batch, Clip, ClipState, Shown};

/// Which secret: its name and namespace (the same name may exist privately and org-wide).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretKey {
    pub name: String,
    pub org: bool,
}

impl SecretKey {
    pub fn of(meta: &SecretMeta) -> SecretKey {
        SecretKey {
            name: meta.name.to_string(),
            org: meta.visibility == Visibility::Org,
        }
    }
    pub fn is(&self, meta: &SecretMeta) -> bool {
        self.name == meta.name && self.org == (meta.visibility == Visibility::Org)
    }
    /// "org-shared" or "private", as the popups say it.
    pub fn namespace(&self) -> &'static str {
        namespace_label(self.org)
    }
    /// The same words for a row, as the detail pane says them, without building its key.
    pub fn namespace_of(meta: &SecretMeta) -> &'static str {
        namespace_label(meta.visibility == Visibility::Org)
    }
}

fn namespace_label(org: bool) -> &'static str {
    if org { "org-shared" } else { "private" }
}

/// Fixed inputs of the app.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub tui: TuiConfig,
    /// Where the vault is, for the title bar ("http://127.0.0.1:4000", "local vault").
    pub server: String,
    pub no_color: bool,
    /// Why nothing can be copied (clipboard off, or none available), if so: said before a copy
    /// would reveal the value for nothing.
    pub no_clipboard: Option<String>,
    /// Whether to subscribe to changes (`GET /v1/events`). Not for the local vault: its server
    /// lives in this process and hears only this process's writes, so a `vaultty secret rotate`
    /// in another shell (another process, another server) would never be heard; the periodic
    /// refresh covers it, and the status line says that instead of "live".
    pub live_updates: bool,
}

/// Which pane fills the main area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Secrets,
    Audit,
    /// One's own tokens.
    Tokens,
    /// Users and a user's tokens (admins).
    Users,
}

/// The selected secret's version history, loaded one request at a time.
#[derive(Debug, Default)]
pub struct Versions {
    pub key: Option<SecretKey>,
    pub list: Vec<VersionInfo>,
    pub loading: Option<SecretKey>,
    pub error: Option<String>,
}

/// The audit pane's events.
#[derive(Debug, Default)]
pub struct AuditLog {
    pub events: Vec<AuditEvent>,
    pub loaded: bool,
    pub loading: bool,
    pub cursor: usize,
    pub error: Option<String>,
}

/// Where the eye is: pane, filter typing, and the loop's flags.
#[derive(Debug, Default)]
pub struct View {
    pub pane: Pane,
    /// `/` was pressed and keys go to the filter.
    pub filtering: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    pub quit: bool,
    /// The terminal's size, from [`Msg::Resize`]; unknown until the first one.
    pub size: Option<(u16, u16)>,
}

pub struct App {
    pub config: AppConfig,
    pub keymap: Keymap,
    pub now: OffsetDateTime,
    pub view: View,
    pub session: Session,
    /// The subscription to changes: on, off (and why), and the reads it asked for.
    pub live: Live,
    pub list: SecretList,
    pub versions: Versions,
    pub audit: AuditLog,
    pub accounts: Accounts,
    /// A revealed value on screen, with its deadline.
    pub shown: Option<Shown>,
    pub clip: Clip,
    /// The popup over the screen, which takes the keys while open.
    pub popup: Option<Popup>,
    pub batch: Option<Batch>,
    pub status: Option<Status>,
}

impl App {
    pub fn new(config: AppConfig, keymap: Keymap, now: OffsetDateTime) -> App {
        App {
            config,
            keymap,
            now,
            view: View {
                dirty: true,
                ..View::default()
            },
            session: Session::default(),
            live: Live::default(),
            list: SecretList::default(),
            versions: Versions::default(),
            audit: AuditLog::default(),
            accounts: Accounts::default(),
            shown: None,
            clip: Clip::default(),
            popup: None,
            batch: None,
            status: None,
        }
    }

    /// The first commands: who am I, the list, and the subscription to changes.
    pub fn start(&mut self) -> Vec<Command> {
        let mut out = Vec::new();
        self.issue(&mut out, Command::LoadMe);
        self.load_secrets(&mut out);
        self.subscribe(&mut out);
        out
    }

    /// The focused context's actions: what keys do now, and what the bottom bar says.
    pub fn action_table(&self) -> ActionTable {
        match &self.popup {
            Some(p) => p.table(self),
            None if self.session.revoked.is_some() => main_keys::revoked_table(),
            None if self.view.filtering => main_keys::filter_table(),
            None => match self.view.pane {
                Pane::Audit => main_keys::audit_table(self),
                Pane::Tokens => main_keys::tokens_table(self),
                Pane::Users => main_keys::users_table(self),
                Pane::Secrets => main_keys::list_table(self),
            },
        }
    }

    /// The screen's areas at the terminal's size, if known.
    pub fn areas(&self) -> Option<Areas> {
        self.view.size.map(|(w, h)| Areas::of(self, Rect::new(0, 0, w, h)))
    }

    /// When the loop must wake even if nothing else happens: the next countdown second, the
    /// spinner's next frame, a retry, the periodic refresh, a live update's read, a status
    /// message expiring.
    pub fn next_wakeup(&self) -> Option<OffsetDateTime> {
        let second = self.now + time::Duration::seconds(1);
        let mut at: Option<OffsetDateTime> = None;
        let mut consider = |t: OffsetDateTime| at = Some(at.map_or(t, |a| a.min(t)));
        if self.session.in_flight > 0 {
            consider(self.now + time::Duration::milliseconds(100));
        }
        if let Some(s) = &self.shown {
            consider(s.until.min(second));
        }
        if let Some(c) = &self.clip.pending {
            consider(c.clear_at.min(second));
        }
        if let Some(o) = &self.session.offline {
            consider(o.retry_at.min(second));
        }
        if let Some(t) = self.session.next_refresh {
            consider(t);
        }
        if let Some(t) = self.live.next_due() {
            consider(t);
        }
        if let Some(t) = self.status.as_ref().and_then(|s| s.until) {
            consider(t);
        }
        // Relative times ("5m ago") move on at least once a minute.
        consider(self.now + time::Duration::seconds(60));
        at
    }

    /// Starts the subscription to changes, where there is one to have.
    pub(crate) fn subscribe(&mut self, out: &mut Vec<Command>) {
        if self.config.live_updates {
            self.issue(out, Command::Subscribe);
        } else {
            self.live.state = LiveState::NotOffered;
        }
    }

    /// Sends a command, counting calls for the spinner.
    pub(crate) fn issue(&mut self, out: &mut Vec<Command>, cmd: Command) {
        if cmd.is_call() {
            self.session.in_flight += 1;
        }
        out.push(cmd);
    }

    /// A reply arrived for one call.
    pub(crate) fn settle(&mut self) {
        self.session.in_flight = self.session.in_flight.saturating_sub(1);
    }

    /// Loads the list unless a load is in flight, in which case one more is queued.
    pub(crate) fn load_secrets(&mut self, out: &mut Vec<Command>) {
        if self.session.list_loading {
            self.session.list_queued = true;
        } else {
            self.session.list_loading = true;
            self.issue(out, Command::LoadSecrets);
        }
    }

    /// Asks for the selected secret's history if it is not the one shown or on its way.
    pub(crate) fn want_versions(&mut self, out: &mut Vec<Command>) {
        let Some(key) = self.list.selected_key() else { return };
        if self.versions.key.as_ref() == Some(&key) || self.versions.loading.is_some() {
            return;
        }
        self.versions.loading = Some(key.clone());
        self.issue(out, Command::LoadVersions(key));
    }

    /// Hides a revealed value when the selection has moved off it.
    pub(crate) fn after_move(&mut self, out: &mut Vec<Command>) {
        let sel = self.list.selected_key();
        if self.shown.as_ref().is_some_and(|s| Some(&s.key) != sel.as_ref()) {
            self.shown = None;
        }
        self.want_versions(out);
    }

    pub(crate) fn say(&mut self, tone: Tone, text: impl Into<String>) {
        let secs = match tone {
            Tone::Error => 20,
            Tone::Info | Tone::Success => 8,
        };
        self.status = Some(Status {
            text: text.into(),
            tone,
            until: Some(self.now + time::Duration::seconds(secs)),
        });
    }

    /// The user's name for audit notices, while `/v1/me` may still be on its way.
    pub fn user_label(&self) -> &str {
        self.session.me.as_ref().map_or("you", |m| m.user.as_str())
    }

    pub fn is_admin(&self) -> bool {
        self.session
            .me
            .as_ref()
            .is_some_and(|m| m.role == crate::api::Role::Admin)
    }
}

/// The whole app's reaction to one message.
pub fn update(app: &mut App, msg: Msg) -> Vec<Command> {
    let mut out = Vec::new();
    match msg {
        Msg::Tick(now) => session::tick(app, now, &mut out),
        Msg::Key(key) => {
            // Key releases and repeats arrive only with enhanced keyboards; act on presses.
            if key.kind == KeyEventKind::Press {
                app.view.dirty = true;
                keys::on_key(app, key, &mut out);
            }
        }
        Msg::Paste(text) => {
            app.view.dirty = true;
            keys::on_paste(app, &text.0);
        }
        Msg::Resize { width, height } => {
            app.view.size = Some((width, height));
            app.view.dirty = true;
        }
        Msg::Reply(reply) => {
            app.view.dirty = true;
            replies::on_reply(app, *reply, &mut out);
        }
    }
    // The table's page follows the size and whatever changed the layout (a banner, the filter).
    let page = app.areas().map_or(app.list.page_size(), |a| a.table_rows());
    app.list.follow(page);
    out
}
