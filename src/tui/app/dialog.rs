//! Dialog state: yes/no questions, the forms (rotate, new, edit, delete; their fields are in
//! `form`), the rotation conflict, the offer to copy a new value, and help.

use secrecy::SecretString;

use super::SecretKey;
use super::form::Form;
use crate::api::SecretMeta;

#[derive(Debug)]
pub enum Dialog {
    Confirm(Confirm),
    Form(FormDialog),
    Conflict(Conflict),
    OfferCopy(OfferCopy),
    Help { scroll: usize },
}

/// A yes/no question before an audited action. Only `y` says yes.
#[derive(Debug)]
pub struct Confirm {
    pub question: Question,
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    Reveal(SecretKey),
    Copy(SecretKey),
}

/// A rotation was refused because someone else wrote first. The typed value is kept so the user
/// can review it against the new version.
#[derive(Debug)]
pub struct Conflict {
    pub key: SecretKey,
    pub value: SecretString,
    pub expected: i64,
    /// The secret as it is now, once reloaded: who rotated it and to which version.
    pub current: Option<SecretMeta>,
    pub message: String,
}

/// After a rotation: copy the new value?
#[derive(Debug)]
pub struct OfferCopy {
    pub key: SecretKey,
    pub version: i64,
    pub value: SecretString,
}

#[derive(Debug)]
pub struct FormDialog {
    pub purpose: Purpose,
    pub form: Form,
    pub step: Step,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    Rotate(RotateTarget),
    New,
    Edit(SecretKey),
    Delete(SecretKey),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateTarget {
    pub key: SecretKey,
    /// The version the new value replaces: sent as `expectedVersion`.
    pub version: i64,
    pub old_preview: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Editing,
    /// Rotate only: old and new previews side by side, `y` writes.
    Review,
    Saving,
}
