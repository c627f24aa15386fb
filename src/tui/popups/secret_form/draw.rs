//! Drawing the secret form: the current value of a rotation, the fields (the value masked unless
//! asked), the name check as you type, the error, and the key line from the form's table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{FieldId, FieldKind, Purpose, SecretForm, Step};
use crate::api::validate;
use crate::tui::app::{ActionTable, App};
use crate::tui::components::{Theme, fmt};
use crate::tui::keymap::{Action, Context};
use crate::tui::popups::{boxed, keyline};

impl SecretForm {
    pub fn render(&self, frame: &mut Frame, area: Rect, app: &App, theme: &Theme, table: &ActionTable) {
        let width = area.width.saturating_sub(4).min(76);
        let inner_w = width.saturating_sub(4);
        let mut body: Vec<Line> = Vec::new();
        if let Purpose::Rotate(t) = &self.purpose {
            body.push(Line::from(vec![
                Span::styled("Current value ", theme.muted()),
                Span::raw(format!("{} (v{})", t.old_preview, t.version)),
            ]));
            body.push(Line::raw(""));
        }
        self.fields(&mut body, app, theme, inner_w);
        if let Some(e) = &self.error {
            body.push(Line::raw(""));
            body.push(Line::from(Span::styled(e.as_str(), theme.error())));
        }
        body.push(Line::raw(""));
        if self.step == Step::Saving {
            body.push(Line::from(Span::styled(
                format!("{} saving…", fmt::spinner(app.now)),
                theme.key(),
            )));
        } else {
            body.push(keyline(app, theme, table));
        }
        boxed(frame, area, theme, self.title(app), body, width, false);
    }

    fn fields<'a>(&'a self, body: &mut Vec<Line<'a>>, app: &App, theme: &Theme, width: u16) {
        let form = &self.form;
        let editing = self.step == Step::Editing;
        for (i, field) in form.fields.iter().enumerate() {
            let focus = editing && i == form.focus;
            let marker = if focus {
                Span::styled("▸ ", theme.key())
            } else {
                Span::raw("  ")
            };
            let label = Span::styled(
                format!("{:<12}", field.id.label()),
                if focus { theme.bold() } else { theme.muted() },
            );
            let room = usize::from(width).saturating_sub(16);
            let value: Vec<Span> = match &field.kind {
                FieldKind::Text(t) => {
                    let mut v = vec![Span::raw(fmt::fit(t, room.saturating_sub(1)))];
                    if focus {
                        v.push(Span::styled("▏", theme.key()));
                    }
                    v
                }
                FieldKind::Secret(s) => {
                    let mut v = if s.is_empty() {
                        let generate = app.keymap.hint(Context::Editor, Action::Generate);
                        vec![Span::styled(
                            format!("type or paste; {generate} generates"),
                            theme.muted(),
                        )]
                    } else if s.shown {
                        vec![Span::styled(
                            fmt::fit(s.expose(), room.saturating_sub(1)),
                            theme.value(),
                        )]
                    } else {
                        let dots = s.len().min(room.saturating_sub(12));
                        vec![
                            Span::raw("•".repeat(dots)),
                            Span::styled(format!(" {} chars", s.len()), theme.muted()),
                        ]
                    };
                    if focus {
                        v.insert(usize::from(!s.is_empty()).min(v.len()), Span::styled("▏", theme.key()));
                    }
                    v
                }
                FieldKind::Number { value, .. } => {
                    vec![Span::raw(value.to_string()), Span::styled("  ←/→", theme.muted())]
                }
                FieldKind::Choice(c) => vec![
                    Span::styled("‹ ", theme.muted()),
                    Span::raw(c.label()),
                    Span::styled(" ›", theme.muted()),
                ],
            };
            let mut spans = vec![marker, label];
            spans.extend(value);
            body.push(Line::from(spans));
            if field.id == FieldId::Name && matches!(self.purpose, Purpose::New) {
                body.push(name_check(form.text(FieldId::Name), theme, width));
            }
        }
    }
}

/// Under the name of a new secret: whether it is a valid name, as it is typed.
fn name_check<'a>(name: &str, theme: &Theme, width: u16) -> Line<'a> {
    let check = if name.is_empty() {
        Span::styled("letters, digits and _, not starting with a digit", theme.muted())
    } else {
        match validate::secret_name(name) {
            Ok(()) => Span::styled("✓ valid name", theme.success()),
            Err(e) => Span::styled(format!("✗ {e}"), theme.error()),
        }
    };
    let indent = if check.width() + 16 <= usize::from(width) {
        14
    } else {
        2
    };
    Line::from(vec![Span::raw(" ".repeat(indent)), check])
}
