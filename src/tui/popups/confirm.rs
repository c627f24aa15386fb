//! The confirm popup: the one way every [`PendingAction`] is confirmed. It shows what the action
//! says about itself (title, text, audit sentence), takes the keys it names (only its yes
//! confirms), runs the commands it yields, and waits for the reply of a write or a delete.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph, Wrap};
use time::OffsetDateTime;

use super::{Popup, boxed, centered, keyline};
use crate::crypto::preview;
use crate::tui::app::{ActionTable, App, Command, PendingAction, Show, TextKey};
use crate::tui::components::{Theme, fmt};
use crate::tui::keymap::Action;

#[derive(Debug)]
pub struct ConfirmPopup {
    pub action: PendingAction,
    /// When it was asked: the time its audit sentence names.
    pub asked_at: OffsetDateTime,
    /// The name typed back, for actions that ask for it.
    pub typed: String,
    pub error: Option<String>,
    /// Confirmed; the popup waits for the reply.
    pub working: bool,
}

impl ConfirmPopup {
    pub fn new(action: PendingAction, now: OffsetDateTime) -> ConfirmPopup {
        ConfirmPopup {
            action,
            asked_at: now,
            typed: String::new(),
            error: None,
            working: false,
        }
    }

    pub fn table(&self) -> ActionTable {
        let keys = self.action.keys();
        let t = ActionTable::new(keys.ctx);
        if self.working {
            return t.row(Action::Quit, Show::Bar, |app, _, out| app.quit(out));
        }
        let t = t.labelled(keys.yes.0, keys.yes.1, Show::Inline, confirm).labelled(
            keys.no.0,
            keys.no.1,
            Show::Inline,
            cancel,
        );
        if keys.typed_name { t.typing(type_name) } else { t }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, app: &App, theme: &Theme, table: &ActionTable) {
        if let PendingAction::WriteRotation { target, form } = &self.action {
            let new = form
                .form
                .secret()
                .map_or_else(|| "****".to_owned(), |s| preview(s.expose()));
            return self.review(
                frame,
                area,
                app,
                theme,
                table,
                (&target.old_preview, target.version, &new),
            );
        }
        let width = area.width.saturating_sub(4).min(72);
        let mut body: Vec<Line> = self
            .action
            .text(app, self.asked_at)
            .into_iter()
            .map(Line::raw)
            .collect();
        let keys = self.action.keys();
        if keys.typed_name {
            body.push(Line::raw(""));
            body.push(Line::from(vec![
                Span::styled("▸ ", theme.key()),
                Span::styled(format!("{:<12}", "Name"), theme.bold()),
                Span::raw(fmt::fit(&self.typed, usize::from(width).saturating_sub(21))),
                Span::styled("▏", theme.key()),
            ]));
        }
        if let Some(e) = &self.error {
            body.push(Line::raw(""));
            body.push(Line::from(Span::styled(e.clone(), theme.error())));
        }
        body.push(Line::raw(""));
        body.push(self.keys_or_spinner(app, theme, table));
        boxed(
            frame,
            area,
            theme,
            self.action.title(app),
            body,
            width,
            !keys.typed_name,
        );
    }

    fn keys_or_spinner<'a>(&self, app: &App, theme: &Theme, table: &ActionTable) -> Line<'a> {
        if self.working {
            let doing = if matches!(self.action, PendingAction::Account(_)) {
                "asking the vault…"
            } else {
                "saving…"
            };
            Line::from(Span::styled(format!("{} {doing}", fmt::spinner(app.now)), theme.key()))
        } else {
            keyline(app, theme, table)
        }
    }

    /// A rotation's write: the old and new previews side by side.
    fn review(
        &self,
        frame: &mut Frame,
        area: Rect,
        app: &App,
        theme: &Theme,
        table: &ActionTable,
        (old, version, new): (&str, i64, &str),
    ) {
        let width = area.width.saturating_sub(4).min(76);
        let text: Vec<Line> = self
            .action
            .text(app, self.asked_at)
            .into_iter()
            .map(|t| Line::from(Span::styled(t, theme.muted())))
            .collect();
        let note_h = super::height_of(&text, width.saturating_sub(4));
        let rect = centered(area, width, 7 + note_h);
        frame.render_widget(Clear, rect);
        let block = Block::bordered()
            .title(Span::styled(self.action.title(app), theme.bold()))
            .border_style(theme.border_focus())
            .padding(Padding::horizontal(1));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let [cols, note, _, keys] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(note_h),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(cols);
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled(format!("Old (v{version})"), theme.muted())),
                Line::raw(old.to_owned()),
            ]),
            l,
        );
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled(format!("New (v{})", version + 1), theme.muted())),
                Line::from(Span::styled(new.to_owned(), theme.bold())),
            ]),
            r,
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), note);
        let line = if self.working {
            Line::from(Span::styled(format!("{} writing…", fmt::spinner(app.now)), theme.key()))
        } else {
            keyline(app, theme, table)
        };
        frame.render_widget(Paragraph::new(line), keys);
    }
}

/// The yes: run what the action yields; keep the popup if the action waits for its reply.
fn confirm(app: &mut App, _: Action, out: &mut Vec<Command>) {
    let Some(Popup::Confirm(mut c)) = app.popup.take() else {
        return;
    };
    let keys = c.action.keys();
    if keys.typed_name && c.typed != c.action.name_to_type() {
        c.error = Some(format!("Type {} exactly to {} it", c.action.name_to_type(), keys.yes.1));
        app.popup = Some(Popup::Confirm(c));
        return;
    }
    for cmd in c.action.commands() {
        app.issue(out, cmd);
    }
    if c.action.waits_for_reply() {
        c.working = true;
        c.error = None;
        app.popup = Some(Popup::Confirm(c));
    }
}

fn cancel(app: &mut App, _: Action, _: &mut Vec<Command>) {
    if let Some(Popup::Confirm(c)) = app.popup.take() {
        app.popup = c.action.cancelled();
    }
}

fn type_name(app: &mut App, key: TextKey, _: &mut Vec<Command>) {
    let Some(Popup::Confirm(c)) = &mut app.popup else {
        return;
    };
    match key {
        TextKey::Char(ch) if c.typed.chars().count() < 256 => c.typed.push(ch),
        TextKey::Char(_) => {}
        TextKey::Backspace => {
            c.typed.pop();
        }
    }
    c.error = None;
}

impl App {
    /// Opens the confirm popup for `action`.
    pub(crate) fn ask(&mut self, action: PendingAction) {
        self.popup = Some(Popup::Confirm(ConfirmPopup::new(action, self.now)));
    }

    /// A write or delete the confirm popup waits for failed: the same popup (or, for a rotation,
    /// its form) again, with the server's words.
    pub(crate) fn confirm_failed(&mut self, message: &str) {
        match self.popup.take() {
            Some(Popup::Confirm(c)) if matches!(c.action, PendingAction::WriteRotation { .. }) => {
                if let Some(Popup::Form(mut f)) = c.action.cancelled() {
                    f.error = Some(message.to_owned());
                    self.popup = Some(Popup::Form(f));
                }
            }
            Some(Popup::Confirm(mut c)) => {
                c.working = false;
                c.error = Some(message.to_owned());
                self.popup = Some(Popup::Confirm(c));
            }
            other => self.popup = other,
        }
    }
}
