//! A rotation refused because someone else wrote first. The typed value is kept, so that the
//! user can review it against the version now stored, or skip this secret.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use secrecy::SecretString;

use super::{Popup, SecretForm, boxed, keyline};
use crate::api::SecretMeta;
use crate::tui::app::{ActionTable, App, Command, PendingAction, SecretKey, Show, Tone};
use crate::tui::components::{Theme, fmt};
use crate::tui::keymap::{Action, Context};

#[derive(Debug)]
pub struct ConflictPopup {
    pub key: SecretKey,
    pub value: SecretString,
    pub expected: i64,
    /// The secret as it is now, once reloaded: who rotated it and to which version.
    pub current: Option<SecretMeta>,
    pub message: String,
}

pub fn table() -> ActionTable {
    ActionTable::new(Context::Confirm)
        .labelled(Action::Yes, "reload and review", Show::Inline, reload)
        .labelled(Action::No, "skip", Show::Inline, |app, _, out| app.skip_in_batch(out))
}

/// `y`: the same value, reviewed against the version now stored.
fn reload(app: &mut App, _: Action, _: &mut Vec<Command>) {
    let Some(Popup::Conflict(c)) = app.popup.take() else {
        return;
    };
    let Some(meta) = c.current.clone() else {
        app.say(Tone::Info, format!("Still loading the current {}…", c.key.name));
        app.popup = Some(Popup::Conflict(c));
        return;
    };
    let mut form = SecretForm::rotate(&meta);
    form.form.set_value(&c.value);
    let super::Purpose::Rotate(target) = form.purpose.clone() else {
        return;
    };
    app.ask(PendingAction::WriteRotation {
        target,
        form: Box::new(form),
    });
}

impl ConflictPopup {
    pub fn render(&self, frame: &mut Frame, area: Rect, app: &App, theme: &Theme, table: &ActionTable) {
        let mut body = Vec::new();
        match &self.current {
            Some(m) => {
                let who = m.rotated_by.as_deref().map(|w| format!(" by {w}")).unwrap_or_default();
                let when = m
                    .rotated_at
                    .map(|t| format!(" at {}", fmt::absolute(t)))
                    .unwrap_or_default();
                body.push(Line::raw(format!(
                    "{} was rotated to v{}{who}{when} after you opened it at v{}. Your value was not written.",
                    self.key.name, m.version, self.expected
                )));
                body.push(Line::raw(""));
                body.push(Line::raw(format!(
                    "Reload it and review your value against v{}?",
                    m.version
                )));
            }
            None => {
                body.push(Line::raw(format!(
                    "{} changed after you opened it at v{}. Your value was not written.",
                    self.key.name, self.expected
                )));
                body.push(Line::from(Span::styled(
                    format!("{} loading who changed it…", fmt::spinner(app.now)),
                    theme.muted(),
                )));
            }
        }
        body.push(Line::from(Span::styled(
            format!("Server: {}", self.message),
            theme.muted(),
        )));
        body.push(Line::raw(""));
        body.push(keyline(app, theme, table));
        let width = area.width.saturating_sub(4).min(72);
        boxed(frame, area, theme, " Rotation refused ".to_owned(), body, width, true);
    }
}
