//! The TUI's state and its one entry point, [`update`]: a message in, commands out.
//!
//! Nothing here does I/O or reads the clock: time arrives in [`Msg::Tick`] and on the replies that
//! start a countdown, results arrive as [`Reply`], and every effect leaves as a [`Command`] for
//! `tasks` to run. So every flow (reveal, copy, rotate, batch, filter) is testable without a
//! terminal or a server.

mod dialog;
mod dialog_keys;
mod filter;
mod form;
mod keys;
mod list;
mod replies;
mod session;
mod tabs;
mod values;
mod writes;

use crossterm::event::{KeyEvent, KeyEventKind};
use secrecy::SecretString;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::config::TuiConfig;
use super::keymap::{Context, Keymap};
use crate::api::{AuditEvent, Me, PatchSecret, Revealed, SecretMeta, UpsertSecret, VersionInfo, Visibility};

pub use dialog::{Confirm, Conflict, Dialog, FormDialog, OfferCopy, Purpose, Question, RotateTarget, Step};
pub use form::{Field, FieldId, FieldKind, Form, SecretInput};
pub use list::{CategoryTab, Counts, ScopeTab, SecretList, SortKey, Tabs, VisibilityFilter, is_stale};
pub use session::{Offline, Session, Status, Tone};
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
    /// "org-shared" or "private", as the dialogs say it.
    pub fn namespace(&self) -> &'static str {
        if self.org { "org-shared" } else { "private" }
    }
}

/// A failed call, reduced to what the UI needs to decide and to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    pub kind: ErrorKind,
    /// A sentence for the status bar; the server's own words where it sent some.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Connection refused, DNS, TLS, or a timeout: the banner and the retry with backoff.
    Unreachable,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict {
        current_version: Option<i64>,
    },
    Invalid,
    Other,
}

impl CallError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> CallError {
        CallError {
            kind,
            message: message.into(),
        }
    }
}

/// How a copy went: which method, and whether clearing can be checked afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyInfo {
    /// e.g. "system clipboard", "OSC 52 (terminal)".
    pub method: String,
    /// False for OSC 52: the terminal cannot be asked what its clipboard holds.
    pub verifiable: bool,
}

/// What a clipboard clear found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClearResult {
    Cleared,
    /// The clipboard held something else by then; it was left alone.
    ChangedSinceCopy,
    /// OSC 52: an empty selection was written; nobody can confirm it took.
    Unverifiable,
}

/// Why a value is being revealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevealPurpose {
    Show,
    Copy,
}

/// Which write a [`Reply::Written`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    Create(SecretKey),
    Rotate(SecretKey),
    Edit(SecretKey),
}

/// Results of commands, sent back by `tasks`.
#[derive(Debug)]
pub enum Reply {
    Me(Result<Me, CallError>),
    Secrets(Result<Vec<SecretMeta>, CallError>),
    Secret {
        key: SecretKey,
        result: Result<SecretMeta, CallError>,
    },
    Versions {
        key: SecretKey,
        result: Result<Vec<VersionInfo>, CallError>,
    },
    Audit(Result<Vec<AuditEvent>, CallError>),
    Revealed {
        key: SecretKey,
        purpose: RevealPurpose,
        result: Result<Revealed, CallError>,
        at: OffsetDateTime,
    },
    Copied {
        label: String,
        result: Result<CopyInfo, String>,
        at: OffsetDateTime,
    },
    Cleared(Result<ClearResult, String>),
    Written {
        op: WriteOp,
        result: Result<SecretMeta, CallError>,
    },
    Deleted {
        key: SecretKey,
        result: Result<(), CallError>,
    },
}

/// Everything that reaches `update`.
#[derive(Debug)]
pub enum Msg {
    /// The clock: countdowns, deadlines, retries and periodic refresh are decided from this.
    Tick(OffsetDateTime),
    Key(KeyEvent),
    /// Bracketed paste; may be a secret, so it is zeroized once consumed and never printed.
    Paste(Pasted),
    Resize,
    /// Boxed: replies are much larger than keys and ticks.
    Reply(Box<Reply>),
}

/// Pasted text: zeroized on drop, and its `Debug` shows only the length.
pub struct Pasted(pub Zeroizing<String>);

impl Pasted {
    pub fn new(text: String) -> Pasted {
        Pasted(Zeroizing::new(text))
    }
}

impl std::fmt::Debug for Pasted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pasted({} bytes)", self.0.len())
    }
}

impl From<Reply> for Msg {
    fn from(r: Reply) -> Msg {
        Msg::Reply(Box::new(r))
    }
}

/// Effects for `tasks` to run.
#[derive(Debug)]
pub enum Command {
    LoadMe,
    LoadSecrets,
    LoadSecret(SecretKey),
    LoadVersions(SecretKey),
    LoadAudit,
    Reveal {
        key: SecretKey,
        purpose: RevealPurpose,
    },
    Copy {
        label: String,
        value: SecretString,
    },
    ClearClipboard,
    /// Create or rotate (`POST /v1/secrets`, with `expectedVersion` for a rotation).
    Write {
        op: WriteOp,
        req: UpsertSecret,
    },
    Patch {
        key: SecretKey,
        patch: PatchSecret,
    },
    Delete(SecretKey),
}

impl Command {
    /// Whether this command makes an HTTP call (the spinner counts these).
    pub fn is_call(&self) -> bool {
        !matches!(self, Command::Copy { .. } | Command::ClearClipboard)
    }
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
}

/// Which pane fills the main area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Secrets,
    Audit,
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
    /// How far the help can scroll at the current size, written as it renders.
    pub help_max_scroll: std::cell::Cell<usize>,
}

pub struct App {
    pub config: AppConfig,
    pub keymap: Keymap,
    pub now: OffsetDateTime,
    pub view: View,
    pub session: Session,
    pub list: SecretList,
    pub versions: Versions,
    pub audit: AuditLog,
    /// A revealed value on screen, with its deadline.
    pub shown: Option<Shown>,
    pub clip: Clip,
    pub dialog: Option<Dialog>,
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
            list: SecretList::default(),
            versions: Versions::default(),
            audit: AuditLog::default(),
            shown: None,
            clip: Clip::default(),
            dialog: None,
            batch: None,
            status: None,
        }
    }

    /// The first commands: who am I, and the list.
    pub fn start(&mut self) -> Vec<Command> {
        let mut out = Vec::new();
        self.issue(&mut out, Command::LoadMe);
        self.load_secrets(&mut out);
        out
    }

    /// Where keys go now.
    pub fn context(&self) -> Context {
        match &self.dialog {
            Some(Dialog::Confirm(_) | Dialog::Conflict(_) | Dialog::OfferCopy(_)) => Context::Confirm,
            Some(Dialog::Form(f)) if f.step == Step::Review => Context::Confirm,
            Some(Dialog::Form(_)) => Context::Editor,
            Some(Dialog::Help { .. }) => Context::Help,
            None if self.view.filtering => Context::Filter,
            None => Context::Main,
        }
    }

    /// When the loop must wake even if nothing else happens: the next countdown second, the
    /// spinner's next frame, a retry, the periodic refresh, a status message expiring.
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
        if let Some(t) = self.status.as_ref().and_then(|s| s.until) {
            consider(t);
        }
        // Relative times ("5m ago") move on at least once a minute.
        consider(self.now + time::Duration::seconds(60));
        at
    }

    /// Sends a command, counting calls for the spinner.
    fn issue(&mut self, out: &mut Vec<Command>, cmd: Command) {
        if cmd.is_call() {
            self.session.in_flight += 1;
        }
        out.push(cmd);
    }

    /// A reply arrived for one call.
    fn settle(&mut self) {
        self.session.in_flight = self.session.in_flight.saturating_sub(1);
    }

    /// Loads the list unless a load is in flight, in which case one more is queued.
    fn load_secrets(&mut self, out: &mut Vec<Command>) {
        if self.session.list_loading {
            self.session.list_queued = true;
        } else {
            self.session.list_loading = true;
            self.issue(out, Command::LoadSecrets);
        }
    }

    /// Asks for the selected secret's history if it is not the one shown or on its way.
    fn want_versions(&mut self, out: &mut Vec<Command>) {
        let Some(key) = self.list.selected_key() else { return };
        if self.versions.key.as_ref() == Some(&key) || self.versions.loading.is_some() {
            return;
        }
        self.versions.loading = Some(key.clone());
        self.issue(out, Command::LoadVersions(key));
    }

    /// Hides a revealed value when the selection has moved off it.
    fn after_move(&mut self, out: &mut Vec<Command>) {
        let sel = self.list.selected_key();
        if self.shown.as_ref().is_some_and(|s| Some(&s.key) != sel.as_ref()) {
            self.shown = None;
        }
        self.want_versions(out);
    }

    fn say(&mut self, tone: Tone, text: impl Into<String>) {
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
        Msg::Resize => app.view.dirty = true,
        Msg::Reply(reply) => {
            app.view.dirty = true;
            replies::on_reply(app, *reply, &mut out);
        }
    }
    out
}
