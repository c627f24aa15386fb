//! The audit pane: recent events, newest first. Its keys are in `app::main_keys`.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};

use super::{Theme, fmt};
use crate::api::Outcome;
use crate::tui::app::App;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let log = &app.audit;
    let block = Block::bordered()
        .title(Span::styled(
            format!(" Audit · {} events ", log.events.len()),
            theme.bold(),
        ))
        .border_style(theme.border_focus());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if log.events.is_empty() {
        let text = match (&log.error, log.loaded) {
            (Some(e), _) => format!("Could not load the audit log: {e}"),
            (None, false) => format!("{} Loading the audit log…", fmt::spinner(app.now)),
            (None, true) => "No audit events yet.".to_owned(),
        };
        let style = if log.error.is_some() {
            theme.error()
        } else {
            theme.muted()
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, style)).alignment(Alignment::Center),
            inner,
        );
        return;
    }
    let height = usize::from(inner.height.saturating_sub(1)).max(1);
    let scroll = (log.cursor + 1).saturating_sub(height);
    let wide = inner.width >= 110;
    let rows = log.events.iter().skip(scroll).take(height).map(|e| {
        let outcome = match e.outcome {
            Outcome::Ok => Span::raw("ok"),
            Outcome::Denied => Span::styled("denied", theme.error()),
        };
        let mut cells = vec![
            fmt::minute(e.at).into(),
            e.actor.clone().unwrap_or_else(|| "-".into()).into(),
            e.action.as_str().into(),
            // Account actions name the user or token they acted on instead of a secret.
            e.secret
                .clone()
                .or_else(|| e.target.clone())
                .unwrap_or_else(|| "-".into())
                .into(),
            e.version.map(|v| format!("v{v}")).unwrap_or_default().into(),
            outcome.into(),
        ];
        if wide {
            cells.push(e.client.clone().unwrap_or_default().into());
        }
        Row::new::<Vec<ratatui::widgets::Cell>>(cells)
    });
    let mut widths = vec![
        Constraint::Length(16),
        Constraint::Length(12),
        Constraint::Length(14),
        Constraint::Fill(2),
        Constraint::Length(4),
        Constraint::Length(6),
    ];
    let mut header = vec!["When (UTC)", "Actor", "Action", "Secret or target", "Ver", "Result"];
    if wide {
        widths.push(Constraint::Fill(1));
        header.push("Client");
    }
    let table = Table::new(rows, widths)
        .header(ratatui::widgets::Row::new(header).style(theme.header()))
        .column_spacing(1)
        .row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected(Some(log.cursor - scroll));
    frame.render_stateful_widget(table, inner, &mut state);
}
