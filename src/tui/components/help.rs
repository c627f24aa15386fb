//! The help screen, generated from the keymap so it always shows the keys actually bound.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{Theme, centered};
use crate::tui::app::App;
use crate::tui::keymap::{Action, Context};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, scroll: usize) {
    let mut lines = Vec::new();
    for (ctx, rows) in app.keymap.help() {
        if rows.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::from(Span::styled(ctx.title(), theme.title())));
        for (keys, action) in rows {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<15}"), theme.key()),
                Span::raw(action.help()),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled("Settings", theme.title())));
    for text in [
        "config.toml in the config directory, section [tui]: max_age_days (90),",
        "reveal_seconds (20), clipboard_clear_seconds (30), refresh_seconds (60),",
        "clipboard = \"auto\" | \"system\" | \"osc52\" | \"off\".",
        "Keys: [tui.keys.main], [tui.keys.editor], … with action = \"key\" or [\"key\", …].",
    ] {
        lines.push(Line::from(Span::styled(format!("  {text}"), theme.muted())));
    }
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(96),
        area.height.saturating_sub(2),
    );
    let visible = usize::from(rect.height.saturating_sub(2));
    let max = lines.len().saturating_sub(visible);
    app.view.help_max_scroll.set(max);
    let scroll = scroll.min(max);
    let close = app.keymap.hint(Context::Help, Action::Close);
    let title = format!(
        " Keys · {close} closes · ↑/↓ scroll · {}/{} ",
        (scroll + visible).min(lines.len()),
        lines.len()
    );
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(Span::styled(title, theme.bold()))
        .border_style(theme.border_focus());
    let p = Paragraph::new(lines)
        .block(block)
        .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0));
    frame.render_widget(p, rect);
}
