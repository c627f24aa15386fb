//! Writes from the keyboard: the batch rotation over marked or stale secrets, opening a delete,
//! who may change what, and what the replies of writes and deletes do (the offer to copy, the
//! conflict path, the error back in the popup). The forms themselves are `popups::secret_form`.

use secrecy::SecretString;

use crate::api::SecretMeta;
use crate::tui::popups::{ConflictPopup, OfferCopyPopup};

use super::{
    App, Batch, CallError, Command, FailureClass, PendingAction, Popup, SecretForm, SecretKey, Step, Tone, WriteOp,
};

impl App {
    /// Members may read org-shared secrets but only admins change them; say so before a popup.
    pub(crate) fn may_change(&mut self, key: &SecretKey, verb: &str) -> bool {
        if key.org && self.session.me.is_some() && !self.is_admin() {
            self.say(
                Tone::Error,
                format!("Only admins {verb} org-shared secrets like {}", key.name),
            );
            return false;
        }
        true
    }

    /// R: the marked secrets, or every stale one, one after another.
    pub(crate) fn start_batch(&mut self, out: &mut Vec<Command>) {
        let (keys, what) = if self.list.mark_count() > 0 {
            (self.list.marked_in_order(), "marked")
        } else {
            (
                self.list.stale_in_order(self.now, self.config.tui.max_age_days),
                "stale",
            )
        };
        if keys.is_empty() {
            let mark = self
                .keymap
                .hint(crate::tui::keymap::Context::Main, crate::tui::keymap::Action::Mark);
            self.say(
                Tone::Info,
                format!("Nothing to rotate: no secret is stale; mark some with {mark}"),
            );
            return;
        }
        self.say(Tone::Info, format!("Rotating {} {what} secrets", keys.len()));
        self.batch = Some(Batch {
            total: keys.len(),
            pending: keys.into(),
            rotated: 0,
            skipped: 0,
        });
        self.next_in_batch(out);
    }

    /// Closes the current popup and opens the next secret of the batch, if any.
    pub(crate) fn next_in_batch(&mut self, out: &mut Vec<Command>) {
        self.popup = None;
        if self.batch.is_none() {
            return;
        }
        while let Some(key) = self.batch.as_mut().and_then(|b| b.pending.pop_front()) {
            if let Some(meta) = self.list.find(&key).cloned() {
                self.list.select(&key);
                self.after_move(out);
                self.popup = Some(Popup::Form(SecretForm::rotate(&meta)));
                return;
            }
            if let Some(b) = &mut self.batch {
                b.skipped += 1;
            }
        }
        if let Some(b) = self.batch.take() {
            self.say(
                Tone::Success,
                format!("Batch rotation done: {} rotated, {} skipped", b.rotated, b.skipped),
            );
        }
    }

    pub(crate) fn skip_in_batch(&mut self, out: &mut Vec<Command>) {
        if let Some(b) = &mut self.batch {
            b.skipped += 1;
        }
        self.next_in_batch(out);
    }

    pub(crate) fn stop_batch(&mut self) {
        if let Some(b) = self.batch.take() {
            self.say(
                Tone::Info,
                format!("Batch rotation stopped: {} of {} rotated", b.rotated, b.total),
            );
        }
    }

    /// d: a delete, confirmed by typing the name back.
    pub(crate) fn start_delete(&mut self) {
        let Some(key) = self.list.selected_key() else { return };
        if self.may_change(&key, "delete") {
            self.ask(PendingAction::Delete(key));
        }
    }

    /// A write failed: the popup it came from again, with the server's words.
    fn back_to_editing(&mut self, e: &CallError) {
        match &mut self.popup {
            Some(Popup::Form(f)) => {
                f.step = Step::Editing;
                f.error = Some(e.message.clone());
            }
            Some(Popup::Confirm(_)) => self.confirm_failed(&e.message),
            _ => {}
        }
        self.say(Tone::Error, e.message.clone());
    }

    pub(super) fn on_written(&mut self, op: WriteOp, result: Result<SecretMeta, CallError>, out: &mut Vec<Command>) {
        self.settle();
        match (op, result) {
            (WriteOp::Create(_), Ok(meta)) => {
                self.say(Tone::Success, format!("Created {} (v{})", meta.name, meta.version));
                self.list.upsert(meta, true);
                self.popup = None;
                self.after_move(out);
            }
            (WriteOp::Edit(_), Ok(meta)) => {
                self.say(Tone::Success, format!("Saved {}", meta.name));
                self.list.upsert(meta, true);
                self.popup = None;
            }
            (WriteOp::Rotate(key), Ok(meta)) => {
                let version = meta.version;
                self.say(Tone::Success, format!("Rotated {} to v{version}", key.name));
                self.list.upsert(meta, true);
                self.list.unmark(&key);
                if self.versions.key.as_ref() == Some(&key) {
                    self.versions.key = None;
                }
                self.shown = self.shown.take().filter(|s| s.key != key);
                if let Some(b) = &mut self.batch {
                    b.rotated += 1;
                }
                let value = self.typed_value().map(|(value, _)| value);
                self.popup = value.map(|value| Popup::OfferCopy(OfferCopyPopup { key, version, value }));
                self.want_versions(out);
            }
            (WriteOp::Rotate(key), Err(e)) if matches!(e.kind, FailureClass::Conflict { .. }) => {
                if let Some((value, expected)) = self.typed_value() {
                    self.popup = Some(Popup::Conflict(ConflictPopup {
                        key: key.clone(),
                        value,
                        expected,
                        current: None,
                        message: e.message,
                    }));
                }
                self.issue(out, Command::LoadSecret(key));
            }
            (_, Err(e)) => self.back_to_editing(&e),
        }
    }

    /// The value of the rotation being written, and the version it was written against.
    fn typed_value(&self) -> Option<(SecretString, i64)> {
        match &self.popup {
            Some(Popup::Confirm(c)) => match &c.action {
                PendingAction::WriteRotation { target, form } => {
                    form.form.secret().map(|s| (s.to_secret(), target.version))
                }
                _ => None,
            },
            _ => None,
        }
    }

    pub(super) fn on_deleted(&mut self, key: SecretKey, result: Result<(), CallError>, out: &mut Vec<Command>) {
        self.settle();
        match result {
            Ok(()) => {
                self.list.remove(&key);
                self.popup = None;
                if self.shown.as_ref().is_some_and(|s| s.key == key) {
                    self.shown = None;
                }
                self.say(Tone::Success, format!("Deleted {} ({})", key.name, key.namespace()));
                self.after_move(out);
            }
            Err(e) => self.back_to_editing(&e),
        }
    }

    pub(super) fn on_secret(&mut self, key: SecretKey, result: Result<SecretMeta, CallError>) {
        self.settle();
        match result {
            Ok(meta) => {
                if let Some(Popup::Conflict(c)) = &mut self.popup
                    && c.key == key
                {
                    c.current = Some(meta.clone());
                }
                self.list.upsert(meta, false);
            }
            Err(e) => self.say(Tone::Error, format!("Could not reload {}: {}", key.name, e.message)),
        }
    }
}
