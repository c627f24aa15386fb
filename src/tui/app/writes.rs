//! Writes from the keyboard: rotate (alone or as a batch over marked or stale secrets, with the
//! conflict path), create, edit and delete, and what their replies do.

use crate::api::{Category, PatchSecret, Scope, SecretMeta, UpsertSecret, validate};

use super::{
    App, Batch, CallError, Command, Conflict, Dialog, ErrorKind, FieldId, Form, FormDialog, OfferCopy, Purpose,
    RotateTarget, SecretKey, Step, Tone, WriteOp,
};

impl App {
    /// Members may read org-shared secrets but only admins change them; say so before a dialog.
    fn may_change(&mut self, key: &SecretKey, verb: &str) -> bool {
        if key.org && self.session.me.is_some() && !self.is_admin() {
            self.say(
                Tone::Error,
                format!("Only admins {verb} org-shared secrets like {}", key.name),
            );
            return false;
        }
        true
    }

    fn open_rotate(&mut self, meta: &SecretMeta) {
        let target = RotateTarget {
            key: SecretKey::of(meta),
            version: meta.version,
            old_preview: meta.preview.to_string(),
        };
        self.dialog = Some(Dialog::Form(FormDialog {
            purpose: Purpose::Rotate(target),
            form: Form::rotate(),
            step: Step::Editing,
            error: None,
        }));
    }

    pub(super) fn start_rotate(&mut self) {
        let Some(meta) = self.list.selected().cloned() else {
            return;
        };
        if self.may_change(&SecretKey::of(&meta), "rotate") {
            self.open_rotate(&meta);
        }
    }

    /// R: the marked secrets, or every stale one, one after another.
    pub(super) fn start_batch(&mut self, out: &mut Vec<Command>) {
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

    /// Closes the current dialog and opens the next secret of the batch, if any.
    pub(super) fn next_in_batch(&mut self, out: &mut Vec<Command>) {
        self.dialog = None;
        if self.batch.is_none() {
            return;
        }
        while let Some(key) = self.batch.as_mut().and_then(|b| b.pending.pop_front()) {
            if let Some(meta) = self.list.find(&key).cloned() {
                self.list.select(&key);
                self.after_move(out);
                self.open_rotate(&meta);
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

    pub(super) fn skip_in_batch(&mut self, out: &mut Vec<Command>) {
        if let Some(b) = &mut self.batch {
            b.skipped += 1;
        }
        self.next_in_batch(out);
    }

    pub(super) fn stop_batch(&mut self) {
        if let Some(b) = self.batch.take() {
            self.say(
                Tone::Info,
                format!("Batch rotation stopped: {} of {} rotated", b.rotated, b.total),
            );
        }
    }

    pub(super) fn start_new(&mut self) {
        let tab = self.list.tabs().category;
        let category = match tab {
            super::CategoryTab::Provider => "provider",
            super::CategoryTab::Tool => "tool",
            _ => "custom",
        };
        let offer_org = self.is_admin();
        self.dialog = Some(Dialog::Form(FormDialog {
            purpose: Purpose::New,
            form: Form::new_secret(category, offer_org),
            step: Step::Editing,
            error: None,
        }));
    }

    pub(super) fn start_edit(&mut self) {
        let Some(meta) = self.list.selected().cloned() else {
            return;
        };
        let key = SecretKey::of(&meta);
        if self.may_change(&key, "edit") {
            self.dialog = Some(Dialog::Form(FormDialog {
                purpose: Purpose::Edit(key),
                form: Form::edit(&meta),
                step: Step::Editing,
                error: None,
            }));
        }
    }

    pub(super) fn start_delete(&mut self) {
        let Some(key) = self.list.selected_key() else { return };
        if self.may_change(&key, "delete") {
            self.dialog = Some(Dialog::Form(FormDialog {
                purpose: Purpose::Delete(key),
                form: Form::delete(),
                step: Step::Editing,
                error: None,
            }));
        }
    }

    /// Enter in a form.
    pub(super) fn submit_form(&mut self, out: &mut Vec<Command>) {
        let Some(Dialog::Form(mut f)) = self.dialog.take() else {
            return;
        };
        let result = match f.purpose.clone() {
            Purpose::Rotate(_) => match f.form.secret().map(|s| validate::secret_value(s.expose())) {
                Some(Ok(())) => {
                    f.step = Step::Review;
                    Ok(())
                }
                Some(Err(e)) => Err(e),
                None => Ok(()),
            },
            Purpose::New => self.submit_new(&f.form, out).map(|()| f.step = Step::Saving),
            Purpose::Edit(key) => {
                let description = f.form.text(FieldId::Description).trim().to_owned();
                validate::description(&description).map(|()| {
                    let patch = PatchSecret {
                        category: f
                            .form
                            .choice(FieldId::Category)
                            .and_then(|c| c.parse::<Category>().ok()),
                        scope: f.form.choice(FieldId::Scope).and_then(|s| s.parse::<Scope>().ok()),
                        description: Some(description),
                        revealable: None,
                    };
                    self.issue(out, Command::Patch { key, patch });
                    f.step = Step::Saving;
                })
            }
            Purpose::Delete(key) => {
                if f.form.text(FieldId::ConfirmName) == key.name {
                    self.issue(out, Command::Delete(key));
                    f.step = Step::Saving;
                    Ok(())
                } else {
                    Err(format!("Type {} exactly to delete it", key.name))
                }
            }
        };
        f.error = result.err();
        self.dialog = Some(Dialog::Form(f));
    }

    fn submit_new(&mut self, form: &Form, out: &mut Vec<Command>) -> Result<(), String> {
        let name = form.text(FieldId::Name).trim().to_owned();
        validate::secret_name(&name)?;
        let value = form.secret().ok_or("no value field")?;
        validate::secret_value(value.expose())?;
        let description = form.text(FieldId::Description).trim().to_owned();
        validate::description(&description)?;
        let org = form.choice(FieldId::Shared) == Some("org-shared");
        let key = SecretKey {
            name: name.clone(),
            org,
        };
        // POST /v1/secrets would rotate an existing secret: refuse here so "new" never overwrites.
        if self.list.find(&key).is_some() {
            return Err(format!(
                "{name} already exists ({}); rotate it with r instead",
                key.namespace()
            ));
        }
        let mut req = UpsertSecret::new(name, value.to_secret());
        req.category = form.choice(FieldId::Category).and_then(|c| c.parse().ok());
        req.scope = form.choice(FieldId::Scope).and_then(|s| s.parse().ok());
        req.description = (!description.is_empty()).then_some(description);
        req.org_wide = org.then_some(true);
        req.revealable = (form.choice(FieldId::WriteOnly) == Some("yes")).then_some(false);
        self.issue(
            out,
            Command::Write {
                op: WriteOp::Create(key),
                req,
            },
        );
        Ok(())
    }

    /// `y` on the review: write with `expectedVersion` so a concurrent rotation is not overwritten.
    pub(super) fn write_rotation(&mut self, f: &mut FormDialog, out: &mut Vec<Command>) {
        let (Purpose::Rotate(t), Some(value)) = (&f.purpose, f.form.secret()) else {
            return;
        };
        let mut req = UpsertSecret::new(t.key.name.clone(), value.to_secret());
        req.org_wide = t.key.org.then_some(true);
        req.expected_version = Some(t.version);
        self.issue(
            out,
            Command::Write {
                op: WriteOp::Rotate(t.key.clone()),
                req,
            },
        );
        f.step = Step::Saving;
    }

    /// `y` on a conflict: review the same value against the version now stored.
    pub(super) fn reload_after_conflict(&mut self, c: Conflict) {
        let Some(meta) = c.current.clone() else {
            self.say(Tone::Info, format!("Still loading the current {}…", c.key.name));
            self.dialog = Some(Dialog::Conflict(c));
            return;
        };
        let mut form = Form::rotate();
        if let Some(super::FieldKind::Secret(s)) = form.fields.first_mut().map(|f| &mut f.kind) {
            s.set(&c.value);
        }
        let target = RotateTarget {
            key: c.key,
            version: meta.version,
            old_preview: meta.preview.into(),
        };
        self.dialog = Some(Dialog::Form(FormDialog {
            purpose: Purpose::Rotate(target),
            form,
            step: Step::Review,
            error: None,
        }));
    }

    fn back_to_editing(&mut self, e: &CallError) {
        if let Some(Dialog::Form(f)) = &mut self.dialog {
            f.step = Step::Editing;
            f.error = Some(e.message.clone());
        }
        self.say(Tone::Error, e.message.clone());
    }

    pub(super) fn on_written(&mut self, op: WriteOp, result: Result<SecretMeta, CallError>, out: &mut Vec<Command>) {
        self.settle();
        match (op, result) {
            (WriteOp::Create(_), Ok(meta)) => {
                self.say(Tone::Success, format!("Created {} (v{})", meta.name, meta.version));
                self.list.upsert(meta, true);
                self.dialog = None;
                self.after_move(out);
            }
            (WriteOp::Edit(_), Ok(meta)) => {
                self.say(Tone::Success, format!("Saved {}", meta.name));
                self.list.upsert(meta, true);
                self.dialog = None;
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
                let value = self.typed_value();
                self.dialog = value.map(|value| Dialog::OfferCopy(OfferCopy { key, version, value }));
                self.want_versions(out);
            }
            (WriteOp::Rotate(key), Err(e)) if matches!(e.kind, ErrorKind::Conflict { .. }) => {
                let expected = match &self.dialog {
                    Some(Dialog::Form(FormDialog {
                        purpose: Purpose::Rotate(t),
                        ..
                    })) => t.version,
                    _ => 0,
                };
                if let Some(value) = self.typed_value() {
                    self.dialog = Some(Dialog::Conflict(Conflict {
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

    /// The value typed into the open rotate form.
    fn typed_value(&self) -> Option<secrecy::SecretString> {
        match &self.dialog {
            Some(Dialog::Form(f)) => f.form.secret().map(super::SecretInput::to_secret),
            _ => None,
        }
    }

    pub(super) fn on_deleted(&mut self, key: SecretKey, result: Result<(), CallError>, out: &mut Vec<Command>) {
        self.settle();
        match result {
            Ok(()) => {
                self.list.remove(&key);
                self.dialog = None;
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
                if let Some(Dialog::Conflict(c)) = &mut self.dialog
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
