//! Popups: what opens over the screen and takes the keys while it is open. Each popup is one
//! module holding its state, its action table (keys and hints) and its drawing:
//! - `confirm`: the one yes/no for every [`PendingAction`](crate::tui::app::PendingAction)
//!   (reveal, copy, delete, a rotation's write);
//! - `secret_form`: rotate, new and edit, with their fields;
//! - `conflict`: a rotation refused because someone wrote first;
//! - `offer_copy`: copy the value just written?
//! - `help`: every key, from the keymap.
//!
//! This module holds the [`Popup`] enum, the dispatch to each, and the frame they share.

pub mod confirm;
pub mod conflict;
pub mod help;
pub mod offer_copy;
pub mod secret_form;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph, Wrap};

pub use confirm::ConfirmPopup;
pub use conflict::ConflictPopup;
pub use help::HelpPopup;
pub use offer_copy::OfferCopyPopup;
pub use secret_form::{Field, FieldId, FieldKind, Form, Purpose, RotateTarget, SecretForm, SecretInput, Step};

use crate::tui::app::{ActionTable, App};
use crate::tui::components::Theme;

#[derive(Debug)]
pub enum Popup {
    Confirm(ConfirmPopup),
    Form(SecretForm),
    Conflict(ConflictPopup),
    OfferCopy(OfferCopyPopup),
    Help(HelpPopup),
}

impl Popup {
    /// The open popup's actions: its keys and its hints.
    pub fn table(&self, app: &App) -> ActionTable {
        match self {
            Popup::Confirm(p) => p.table(),
            Popup::Form(p) => p.table(app),
            Popup::Conflict(_) => conflict::table(),
            Popup::OfferCopy(_) => offer_copy::table(),
            Popup::Help(_) => help::table(),
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        let table = self.table(app);
        match self {
            Popup::Confirm(p) => p.render(frame, area, app, theme, &table),
            Popup::Form(p) => p.render(frame, area, app, theme, &table),
            Popup::Conflict(p) => p.render(frame, area, app, theme, &table),
            Popup::OfferCopy(p) => p.render(frame, area, app, theme, &table),
            Popup::Help(p) => p.render(frame, area, app, theme),
        }
    }
}

/// The popup's own key line: `y reveal · n/Esc cancel`, from the rows of its table shown inline.
pub fn keyline<'a>(app: &App, theme: &Theme, table: &ActionTable) -> Line<'a> {
    let mut spans = Vec::new();
    for (i, row) in table.inline().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.muted()));
        }
        spans.push(Span::styled(app.keymap.hint(table.ctx, row.action), theme.key()));
        spans.push(Span::raw(format!(" {}", row.label)));
    }
    Line::from(spans)
}

/// Rows a paragraph of `lines` needs at `width` when wrapped at spaces.
pub fn height_of(lines: &[Line], width: u16) -> u16 {
    let w = usize::from(width.max(1));
    let rows: usize = lines
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            let (mut rows, mut col) = (1, 0);
            for word in text.split(' ') {
                let n = word.chars().count();
                let need = if col == 0 { n } else { col + 1 + n };
                if need <= w {
                    col = need;
                } else {
                    rows += 1 + n / w;
                    col = n % w;
                }
            }
            rows
        })
        .sum();
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// A rectangle of `width` x `height` centred in `area` (shrunk to fit).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(h);
    v
}

/// The bordered box every popup but help is drawn in, as high as `body` needs at `width`.
pub fn boxed(frame: &mut Frame, area: Rect, theme: &Theme, title: String, body: Vec<Line>, width: u16, trim: bool) {
    let height = height_of(&body, width.saturating_sub(4)) + 2;
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(Span::styled(title, theme.bold()))
        .border_style(theme.border_focus())
        .padding(Padding::horizontal(1));
    frame.render_widget(Paragraph::new(body).wrap(Wrap { trim }).block(block), rect);
}
