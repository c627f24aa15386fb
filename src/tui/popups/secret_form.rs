//! The secret form: rotate (a new value, typed, pasted or generated), new, and edit. Its state,
//! its action table (keys and hints), and what submitting does. The fields are in `fields`, the
//! drawing in `draw`. A rotation's write is not done here: submitting a rotation hands the form
//! to the confirm popup as a [`PendingAction::WriteRotation`].

mod draw;
mod fields;
mod secret_input;

pub use fields::{ALPHABETS, Choice, Field, FieldId, FieldKind, Form};
pub use secret_input::SecretInput;

use crate::api::{Category, PatchSecret, SecretMeta, UpsertSecret, validate};
use crate::tui::app::{ActionTable, App, CategoryTab, Command, PendingAction, SecretKey, Show, TextKey, WriteOp};
use crate::tui::keymap::{Action, Context};

use super::{ConfirmPopup, Popup};

#[derive(Debug)]
pub struct SecretForm {
    pub purpose: Purpose,
    pub form: Form,
    pub step: Step,
    pub error: Option<String>,
    /// The ticket of the Ctrl-G value this form waits for: a value asked for by a form since
    /// closed, or by an earlier Ctrl-G, never lands here.
    pub awaiting: Option<u64>,
}

/// Tickets for Ctrl-G requests, unique for the life of the process.
static NEXT_TICKET: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    Rotate(RotateTarget),
    New,
    Edit(SecretKey),
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
    /// New or edit: the write is in flight.
    Saving,
}

impl SecretForm {
    fn open(purpose: Purpose, form: Form) -> SecretForm {
        SecretForm {
            purpose,
            form,
            step: Step::Editing,
            error: None,
            awaiting: None,
        }
    }

    pub fn rotate(meta: &SecretMeta) -> SecretForm {
        let target = RotateTarget {
            key: SecretKey::of(meta),
            version: meta.version,
            old_preview: meta.preview.to_string(),
        };
        SecretForm::open(Purpose::Rotate(target), Form::rotate())
    }

    pub fn title(&self, app: &App) -> String {
        match &self.purpose {
            Purpose::Rotate(t) => {
                let batch = app
                    .batch
                    .as_ref()
                    .map(|b| format!(" · {} of {}", b.position(), b.total))
                    .unwrap_or_default();
                format!(" Rotate {} ({}, v{}){batch} ", t.key.name, t.key.namespace(), t.version)
            }
            Purpose::New => " New secret ".to_owned(),
            Purpose::Edit(k) => format!(" Edit {} ({}) ", k.name, k.namespace()),
        }
    }

    pub fn table(&self, app: &App) -> ActionTable {
        let t = ActionTable::new(Context::Editor);
        if self.step == Step::Saving {
            return t.row(Action::Quit, Show::Bar, |app, _, out| app.quit(out));
        }
        let rotate = matches!(self.purpose, Purpose::Rotate(_));
        let value = self.form.secret().is_some();
        let batch = rotate && app.batch.is_some();
        let submit = if rotate { "review" } else { "save" };
        t.labelled(Action::Submit, submit, Show::Inline, submit_form)
            .row_if(value, Action::Generate, Show::Inline, generate)
            .row_if(value, Action::ToggleShow, Show::Inline, |app, _, _| {
                with_form(app, |f| f.form.toggle_shown());
            })
            .row(Action::NextField, Show::Bar, |app, _, _| {
                with_form(app, |f| f.form.move_focus(true));
            })
            .row(Action::PrevField, Show::Hidden, |app, _, _| {
                with_form(app, |f| f.form.move_focus(false));
            })
            .row(Action::NextChoice, Show::Bar, |app, _, _| {
                with_form(app, |f| f.form.shift_choice(true));
            })
            .row(Action::PrevChoice, Show::Hidden, |app, _, _| {
                with_form(app, |f| f.form.shift_choice(false));
            })
            .row(Action::ClearField, Show::Hidden, |app, _, _| {
                with_form(app, |f| f.form.clear_focused());
            })
            .row_if(batch, Action::Skip, Show::Inline, |app, _, out| app.skip_in_batch(out))
            .labelled(
                Action::Cancel,
                if batch { "stop" } else { "cancel" },
                Show::Inline,
                cancel,
            )
            .typing(type_key)
    }
}

fn with_form(app: &mut App, edit: impl FnOnce(&mut SecretForm)) {
    if let Some(Popup::Form(f)) = &mut app.popup {
        edit(f);
    }
}

fn type_key(app: &mut App, key: TextKey, _: &mut Vec<Command>) {
    with_form(app, |f| {
        match key {
            TextKey::Char(c) => f.form.type_char(c),
            TextKey::Backspace => f.form.backspace(),
        }
        f.error = None;
    });
}

fn cancel(app: &mut App, _: Action, _: &mut Vec<Command>) {
    let rotating = matches!(&app.popup, Some(Popup::Form(f)) if matches!(f.purpose, Purpose::Rotate(_)));
    app.popup = None;
    if rotating {
        app.stop_batch();
    }
}

/// Ctrl-G: asks `tasks` for a value of the chosen length and alphabet; it arrives as a reply.
fn generate(app: &mut App, _: Action, out: &mut Vec<Command>) {
    let Some(Popup::Form(f)) = &mut app.popup else { return };
    f.error = None;
    let (len, alphabet) = f.form.generator();
    let ticket = NEXT_TICKET.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    f.awaiting = Some(ticket);
    app.issue(out, Command::Generate { len, alphabet, ticket });
}

/// Enter: a rotation goes to review; new and edit are sent.
fn submit_form(app: &mut App, _: Action, out: &mut Vec<Command>) {
    let Some(Popup::Form(mut f)) = app.popup.take() else {
        return;
    };
    let result = match f.purpose.clone() {
        Purpose::Rotate(target) => match f.form.secret().map(|s| validate::secret_value(s.expose())) {
            Some(Err(e)) => Err(e),
            _ => {
                f.error = None;
                let action = PendingAction::WriteRotation {
                    target,
                    form: Box::new(f),
                };
                app.popup = Some(Popup::Confirm(ConfirmPopup::new(action, app.now)));
                return;
            }
        },
        Purpose::New => submit_new(app, &f.form, out),
        Purpose::Edit(key) => {
            let description = f.form.text(FieldId::Description).trim().to_owned();
            let provider = f.form.provider();
            validate::description(&description)
                .and_then(|()| valid_provider(&provider))
                .map(|()| {
                    let patch = PatchSecret {
                        category: f.form.category(),
                        scope: f.form.scope(),
                        description: Some(description),
                        revealable: None,
                        // Empty clears it.
                        provider: Some(provider),
                    };
                    app.issue(out, Command::Patch { key, patch });
                })
        }
    };
    match result {
        Ok(()) => f.step = Step::Saving,
        Err(e) => f.error = Some(e),
    }
    app.popup = Some(Popup::Form(f));
}

/// An empty provider (none) or one the server takes: checked here so the form says what is wrong
/// before anything is sent.
fn valid_provider(provider: &str) -> Result<(), String> {
    if provider.is_empty() {
        Ok(())
    } else {
        validate::provider(provider)
    }
}

fn submit_new(app: &mut App, form: &Form, out: &mut Vec<Command>) -> Result<(), String> {
    let name = form.text(FieldId::Name).trim().to_owned();
    validate::secret_name(&name)?;
    let value = form.secret().ok_or("no value field")?;
    validate::secret_value(value.expose())?;
    let description = form.text(FieldId::Description).trim().to_owned();
    validate::description(&description)?;
    let provider = form.provider();
    valid_provider(&provider)?;
    let org = form.org_shared();
    let key = SecretKey {
        name: name.clone(),
        org,
    };
    // POST /v1/secrets would rotate an existing secret: refuse here so "new" never overwrites.
    if app.list.find(&key).is_some() {
        return Err(format!(
            "{name} already exists ({}); rotate it with r instead",
            key.namespace()
        ));
    }
    let mut req = UpsertSecret::new(name, value.to_secret());
    req.category = form.category();
    req.scope = form.scope();
    req.description = (!description.is_empty()).then_some(description);
    req.provider = (!provider.is_empty()).then_some(provider);
    req.org_wide = org.then_some(true);
    req.revealable = form.write_only().then_some(false);
    app.issue(
        out,
        Command::Write {
            op: WriteOp::Create(key),
            req,
        },
    );
    Ok(())
}

impl App {
    /// r: the selected secret's rotate form.
    pub(crate) fn start_rotate(&mut self) {
        let Some(meta) = self.list.selected().cloned() else {
            return;
        };
        if self.may_change(&SecretKey::of(&meta), "rotate") {
            self.popup = Some(Popup::Form(SecretForm::rotate(&meta)));
        }
    }

    /// n: a new secret, in the category of the tab shown.
    pub(crate) fn start_new(&mut self) {
        let category = match self.list.tabs().category {
            CategoryTab::Provider => Category::Provider,
            CategoryTab::Tool => Category::Tool,
            CategoryTab::All | CategoryTab::Custom => Category::Custom,
        };
        let form = Form::new_secret(category, self.is_admin());
        self.popup = Some(Popup::Form(SecretForm::open(Purpose::New, form)));
    }

    /// e: description, category and scope of the selected secret.
    pub(crate) fn start_edit(&mut self) {
        let Some(meta) = self.list.selected().cloned() else {
            return;
        };
        let key = SecretKey::of(&meta);
        if self.may_change(&key, "edit") {
            self.popup = Some(Popup::Form(SecretForm::open(Purpose::Edit(key), Form::edit(&meta))));
        }
    }

    /// Ctrl-G's value arrived: into the open form if that form asked for it (and still has a
    /// value field); otherwise dropped, and zeroized with the reply.
    pub(crate) fn on_generated(&mut self, ticket: u64, value: &secrecy::SecretString) {
        with_form(self, |f| {
            if f.awaiting == Some(ticket) {
                f.awaiting = None;
                f.form.set_value(value);
            }
        });
    }
}
