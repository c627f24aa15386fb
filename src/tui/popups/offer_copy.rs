//! After a rotation: copy the value just written to the clipboard? In a batch, either answer goes
//! on to the next secret.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use secrecy::SecretString;

use super::{Popup, boxed, keyline};
use crate::tui::app::{ActionTable, App, Command, SecretKey, Show};
use crate::tui::components::Theme;
use crate::tui::keymap::{Action, Context};

#[derive(Debug)]
pub struct OfferCopyPopup {
    pub key: SecretKey,
    pub version: i64,
    pub value: SecretString,
}

pub fn table() -> ActionTable {
    ActionTable::new(Context::Confirm)
        .labelled(Action::Yes, "copy", Show::Inline, copy)
        .labelled(Action::No, "no thanks", Show::Inline, |app, _, out| {
            app.next_in_batch(out);
        })
}

fn copy(app: &mut App, _: Action, out: &mut Vec<Command>) {
    if let Some(Popup::OfferCopy(o)) = app.popup.take() {
        app.issue(
            out,
            Command::Copy {
                label: o.key.name,
                value: o.value,
            },
        );
    }
    app.next_in_batch(out);
}

impl OfferCopyPopup {
    pub fn render(&self, frame: &mut Frame, area: Rect, app: &App, theme: &Theme, table: &ActionTable) {
        let secs = app.config.tui.clipboard_clear_seconds;
        let mut body = vec![Line::raw(format!(
            "{} is now v{}. Copy the new value to the clipboard? It is cleared after {secs} s if unchanged.",
            self.key.name, self.version
        ))];
        if let Some(b) = app.batch.as_ref().filter(|b| !b.pending.is_empty()) {
            body.push(Line::from(Span::styled(
                format!("Then the next secret ({} of {}).", b.position() + 1, b.total),
                theme.muted(),
            )));
        }
        body.push(Line::raw(""));
        body.push(keyline(app, theme, table));
        let width = area.width.saturating_sub(4).min(72);
        boxed(frame, area, theme, " Rotated ".to_owned(), body, width, true);
    }
}
