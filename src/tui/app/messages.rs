//! What crosses `update`'s boundary: the messages in ([`Msg`], with the [`Reply`] of each
//! command), the commands out ([`Command`]), and the small types they carry.

use crossterm::event::KeyEvent;
use secrecy::SecretString;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::SecretKey;
use crate::api::{
    AuditEvent, FailureClass, Me, PatchSecret, PatchUser, Revealed, SecretEvent, SecretMeta, TokenInfo, UpsertSecret,
    UserInfo, VersionInfo,
};
use crate::crypto::Alphabet;

/// A failed call, reduced to what the UI needs to decide and to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// What the app decides on: `Unreachable` shows the banner and retries with backoff.
    pub kind: FailureClass,
    /// A sentence for the status bar; the server's own words where it sent some.
    pub message: String,
}

impl CallError {
    pub fn new(kind: FailureClass, message: impl Into<String>) -> CallError {
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
    /// `GET /v1/tokens`: the caller's own tokens.
    Tokens(Result<Vec<TokenInfo>, CallError>),
    /// `GET /v1/users` (admin).
    Users(Result<Vec<UserInfo>, CallError>),
    /// `GET /v1/users/{user}/tokens` (admin).
    UserTokens {
        user: String,
        result: Result<Vec<TokenInfo>, CallError>,
    },
    /// The answer to a confirmed account action.
    AccountDone {
        op: AccountOp,
        result: Result<AccountOutcome, CallError>,
    },
    /// A random value for the form that asked with `ticket` (Ctrl-G); zeroized on drop, `Debug`
    /// shows nothing.
    Generated {
        ticket: u64,
        value: SecretString,
    },
    /// What the subscription to `GET /v1/events` heard ([`Command::Subscribe`] started it).
    Live(LiveEvent),
    /// One secret's metadata, read again because an event said it changed.
    Refetched {
        key: SecretKey,
        result: Result<SecretMeta, CallError>,
    },
}

/// The subscription's news, from `tasks`: it reconnects by itself (with backoff) and says so here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveEvent {
    /// Subscribed: every change from now on is heard. What changed before is not: re-list.
    Up,
    /// A secret changed. A hint, not data: the row is read again.
    Secret(SecretEvent),
    /// The server says changes were missed: re-list.
    Resync,
    /// The stream ended or could not be opened. `retry_in` is when the task tries again; none
    /// after a 401 (the token no longer works: the task stops, and the banner takes over).
    Down {
        error: CallError,
        retry_in: Option<std::time::Duration>,
    },
}

impl Reply {
    /// The server's words when this reply is a 401: the token no longer works.
    pub fn refused(&self) -> Option<&str> {
        fn no<T>(r: &Result<T, CallError>) -> Option<&str> {
            match r {
                Err(e) if e.kind == FailureClass::Unauthorized => Some(e.message.as_str()),
                _ => None,
            }
        }
        match self {
            Reply::Me(r) => no(r),
            Reply::Secrets(r) => no(r),
            Reply::Secret { result, .. } | Reply::Written { result, .. } | Reply::Refetched { result, .. } => {
                no(result)
            }
            Reply::Live(LiveEvent::Down { error, .. }) if error.kind == FailureClass::Unauthorized => {
                Some(error.message.as_str())
            }
            Reply::Versions { result, .. } => no(result),
            Reply::Audit(r) => no(r),
            Reply::Revealed { result, .. } => no(result),
            Reply::Deleted { result, .. } => no(result),
            Reply::Tokens(r) | Reply::UserTokens { result: r, .. } => no(r),
            Reply::Users(r) => no(r),
            Reply::AccountDone { result, .. } => no(result),
            Reply::Copied { .. } | Reply::Cleared(_) | Reply::Generated { .. } | Reply::Live(_) => None,
        }
    }
}

/// A confirmed change to an account or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountOp {
    /// One of the caller's own tokens; `current` when it is the one this session uses.
    RevokeOwn { id: String, name: String, current: bool },
    /// Another user's token (admin).
    RevokeUserToken { user: String, id: String, name: String },
    /// Every token of a user (admin).
    RevokeAll { user: String },
    /// `PATCH /v1/users/{user}` (admin).
    Patch { user: String, patch: UserChange },
}

/// One change to a user: what the popup asks and what the PATCH sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserChange {
    Disable,
    Enable,
    MakeAdmin,
    MakeMember,
}

impl UserChange {
    pub fn patch(self) -> PatchUser {
        match self {
            UserChange::Disable => PatchUser {
                disabled: Some(true),
                ..PatchUser::default()
            },
            UserChange::Enable => PatchUser {
                disabled: Some(false),
                ..PatchUser::default()
            },
            UserChange::MakeAdmin => PatchUser {
                role: Some(crate::api::Role::Admin),
                ..PatchUser::default()
            },
            UserChange::MakeMember => PatchUser {
                role: Some(crate::api::Role::Member),
                ..PatchUser::default()
            },
        }
    }
}

/// What a successful account action answered.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountOutcome {
    Revoked,
    RevokedAll(u32),
    User(UserInfo),
}

/// Everything that reaches `update`.
#[derive(Debug)]
pub enum Msg {
    /// The clock: countdowns, deadlines, retries and periodic refresh are decided from this.
    Tick(OffsetDateTime),
    Key(KeyEvent),
    /// Bracketed paste; may be a secret, so it is zeroized once consumed and never printed.
    Paste(Pasted),
    /// The terminal's size: at start and whenever it changes. Page sizes and scroll limits are
    /// computed from it in `update`, so the renderer only reads.
    Resize {
        width: u16,
        height: u16,
    },
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
    /// One secret's metadata after an event, answered with [`Reply::Refetched`].
    Refetch(SecretKey),
    /// (Re)starts the subscription to `GET /v1/events`; it runs until the app closes or a 401.
    Subscribe,
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
    /// Ctrl-G: a random value for the open form, answered with [`Reply::Generated`].
    Generate {
        len: usize,
        alphabet: Alphabet,
        /// Names the request, so that the value lands only in the form that asked for it.
        ticket: u64,
    },
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
    LoadTokens,
    LoadUsers,
    LoadUserTokens(String),
    /// A confirmed [`AccountOp`].
    Account(AccountOp),
}

impl Command {
    /// Whether this command makes a short HTTP call (the spinner counts these; the subscription,
    /// which stays open, is not one).
    pub fn is_call(&self) -> bool {
        !matches!(
            self,
            Command::Copy { .. } | Command::ClearClipboard | Command::Generate { .. } | Command::Subscribe
        )
    }
}
