//! What crosses `update`'s boundary: the messages in ([`Msg`], with the [`Reply`] of each
//! command), the commands out ([`Command`]), and the small types they carry.

use crossterm::event::KeyEvent;
use secrecy::SecretString;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::SecretKey;
use crate::api::{AuditEvent, FailureClass, Me, PatchSecret, Revealed, SecretMeta, UpsertSecret, VersionInfo};
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
    /// A random value for the form that asked with `ticket` (Ctrl-G); zeroized on drop, `Debug`
    /// shows nothing.
    Generated {
        ticket: u64,
        value: SecretString,
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
}

impl Command {
    /// Whether this command makes an HTTP call (the spinner counts these).
    pub fn is_call(&self) -> bool {
        !matches!(
            self,
            Command::Copy { .. } | Command::ClearClipboard | Command::Generate { .. }
        )
    }
}
