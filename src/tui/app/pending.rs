//! [`PendingAction`]: an audited or destructive action waiting for the user's yes. Reveal, copy,
//! delete, a rotation's write, and every account change (revoke, disable, role) go through it: one enum owns
//! each one's title and text, its keys, its audit sentence, and the commands a yes runs. The
//! confirm popup (`popups::confirm`) only draws and dispatches what this says.

use time::OffsetDateTime;

use super::account_questions as question;
use super::{AccountOp, App, Command, RevealPurpose, SecretKey, WriteOp};
use crate::api::UpsertSecret;
use crate::tui::keymap::{Action, Context};
use crate::tui::popups::{Popup, RotateTarget, SecretForm};

/// A secret at the version the user saw when asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub key: SecretKey,
    pub version: i64,
}

#[derive(Debug)]
pub enum PendingAction {
    Reveal(Seen),
    /// Reveals the value straight to the clipboard.
    Copy(Seen),
    /// Typing the name back is part of the yes.
    Delete(SecretKey),
    /// The rotate form as filled in (boxed: it holds the typed value); cancelling returns to it.
    WriteRotation {
        target: RotateTarget,
        form: Box<SecretForm>,
    },
    /// A token revocation or a change to a user (`app::accounts`).
    Account(AccountOp),
}

/// The keys of a pending action: the only one that confirms, and the one that cancels, with
/// the words they are shown with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmKeys {
    /// The keymap section the keys are looked up in.
    pub ctx: Context,
    pub yes: (Action, &'static str),
    pub no: (Action, &'static str),
    /// The name must be typed back before `yes` does anything.
    pub typed_name: bool,
}

/// "14:02 UTC".
pub fn hhmm_utc(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:02}:{:02} UTC", t.hour(), t.minute())
}

impl PendingAction {
    /// The secret it acts on, if it acts on one.
    pub fn key(&self) -> Option<&SecretKey> {
        match self {
            PendingAction::Reveal(s) | PendingAction::Copy(s) => Some(&s.key),
            PendingAction::Delete(k) => Some(k),
            PendingAction::WriteRotation { target, .. } => Some(&target.key),
            PendingAction::Account(_) => None,
        }
    }

    /// The name to type back before the yes counts, for the actions that ask for it.
    pub fn name_to_type(&self) -> &str {
        self.key().map_or("", |k| k.name.as_str())
    }

    pub fn title(&self, app: &App) -> String {
        match self {
            PendingAction::Reveal(s) => format!(" Reveal {}? ", s.key.name),
            PendingAction::Copy(s) => format!(" Copy {}? ", s.key.name),
            PendingAction::Delete(k) => format!(" Delete {} ({}) ", k.name, k.namespace()),
            PendingAction::WriteRotation { form, .. } => form.title(app),
            PendingAction::Account(op) => question::title(op),
        }
    }

    /// Where the audit log will show this, and as whom; `at` is when the question was asked.
    pub fn audit_sentence(&self, user: &str, at: OffsetDateTime) -> String {
        let when = hhmm_utc(at);
        match self {
            PendingAction::Reveal(_) => format!("is recorded in the audit log as {user} at {when}."),
            PendingAction::Copy(_) => format!("reveals it, which is recorded in the audit log as {user} at {when}."),
            PendingAction::Delete(_) => format!("The deletion is recorded in the audit log as {user}."),
            PendingAction::WriteRotation { .. } => format!("The rotation is recorded in the audit log as {user}."),
            PendingAction::Account(_) => format!("Recorded in the audit log as {user}."),
        }
    }

    /// The question's sentences (the rotation's old and new previews are drawn by the popup).
    pub fn text(&self, app: &App, at: OffsetDateTime) -> Vec<String> {
        let audit = self.audit_sentence(app.user_label(), at);
        match self {
            PendingAction::Reveal(s) => vec![format!(
                "Revealing {} ({}, v{}) {audit}",
                s.key.name,
                s.key.namespace(),
                s.version
            )],
            PendingAction::Copy(s) => vec![format!(
                "Copying {} ({}, v{}) {audit} The clipboard is cleared after {} s if it still holds the value.",
                s.key.name,
                s.key.namespace(),
                s.version,
                app.config.tui.clipboard_clear_seconds
            )],
            PendingAction::Delete(k) => vec![format!(
                "Deleting {} removes every version; it cannot be undone. {audit} Type its name to confirm.",
                k.name
            )],
            PendingAction::WriteRotation { target, .. } => vec![
                format!(
                    "The write only succeeds if the stored version is still v{}.",
                    target.version
                ),
                audit,
            ],
            PendingAction::Account(op) => question::text(op, app),
        }
    }

    pub fn keys(&self) -> ConfirmKeys {
        let ask = |yes| ConfirmKeys {
            ctx: Context::Confirm,
            yes: (Action::Yes, yes),
            no: (Action::No, "cancel"),
            typed_name: false,
        };
        match self {
            PendingAction::Reveal(_) => ask("reveal"),
            PendingAction::Copy(_) => ask("copy"),
            PendingAction::Account(op) => ask(question::yes(op)),
            PendingAction::WriteRotation { .. } => ConfirmKeys {
                no: (Action::No, "back to editing"),
                ..ask("write")
            },
            PendingAction::Delete(_) => ConfirmKeys {
                ctx: Context::Editor,
                yes: (Action::Submit, "delete"),
                no: (Action::Cancel, "cancel"),
                typed_name: true,
            },
        }
    }

    /// What a yes runs.
    pub fn commands(&self) -> Vec<Command> {
        match self {
            PendingAction::Reveal(s) => vec![Command::Reveal {
                key: s.key.clone(),
                purpose: RevealPurpose::Show,
            }],
            PendingAction::Copy(s) => vec![Command::Reveal {
                key: s.key.clone(),
                purpose: RevealPurpose::Copy,
            }],
            PendingAction::Delete(k) => vec![Command::Delete(k.clone())],
            PendingAction::Account(op) => vec![Command::Account(op.clone())],
            PendingAction::WriteRotation { target, form } => {
                let Some(value) = form.form.secret() else {
                    return Vec::new();
                };
                // `expectedVersion`, so that a concurrent rotation is not overwritten.
                let mut req = UpsertSecret::new(target.key.name.clone(), value.to_secret());
                req.org_wide = target.key.org.then_some(true);
                req.expected_version = Some(target.version);
                vec![Command::Write {
                    op: WriteOp::Rotate(target.key.clone()),
                    req,
                }]
            }
        }
    }

    /// Whether the popup stays open, working, until the reply (a write or a delete may fail and
    /// is then retried from the same popup); a reveal's result shows elsewhere.
    pub fn waits_for_reply(&self) -> bool {
        matches!(
            self,
            PendingAction::Delete(_) | PendingAction::WriteRotation { .. } | PendingAction::Account(_)
        )
    }

    /// What a no leaves on screen: the form again for a rotation, nothing otherwise. Dropping
    /// the action drops any value it held.
    pub fn cancelled(self) -> Option<Popup> {
        match self {
            PendingAction::WriteRotation { form, .. } => Some(Popup::Form(*form)),
            _ => None,
        }
    }
}
