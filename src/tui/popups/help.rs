//! The help popup: every key, generated from the keymap so it always shows the keys actually
//! bound, and the settings. Scrolls; how far is computed from the terminal's size in `update`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{Popup, centered};
use crate::tui::app::{ActionTable, App, Show};
use crate::tui::components::Theme;
use crate::tui::keymap::{Action, Context};

#[derive(Debug, Default)]
pub struct HelpPopup {
    pub scroll: usize,
}

pub fn table() -> ActionTable {
    ActionTable::new(Context::Help)
        .row(Action::Up, Show::Bar, |app, _, _| {
            if let Some(Popup::Help(h)) = &mut app.popup {
                h.scroll = h.scroll.saturating_sub(1);
            }
        })
        .row(Action::Down, Show::Bar, |app, _, _| {
            let max = max_scroll(app, app.view.size.map(|(_, h)| h));
            if let Some(Popup::Help(h)) = &mut app.popup {
                h.scroll = (h.scroll + 1).min(max);
            }
        })
        .row(Action::Close, Show::Bar, |app, _, _| app.popup = None)
}

/// The popup's rectangle in a terminal of `area`.
fn rect(area: Rect) -> Rect {
    centered(
        area,
        area.width.saturating_sub(4).min(96),
        area.height.saturating_sub(2),
    )
}

/// How far the help scrolls in a terminal `height` rows high (unknown: to its last line).
pub fn max_scroll(app: &App, height: Option<u16>) -> usize {
    let n = lines(app, &Theme::new(true)).len();
    match height {
        Some(h) => n.saturating_sub(usize::from(rect(Rect::new(0, 0, 1, h)).height.saturating_sub(2))),
        None => n.saturating_sub(1),
    }
}

fn lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let admin = app.is_admin();
    for (ctx, rows) in app.keymap.help() {
        // A member is not offered the admin actions, here or in the bottom bar.
        let rows: Vec<_> = rows.into_iter().filter(|(_, a)| admin || !a.admin_only()).collect();
        if rows.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        let title = match ctx {
            Context::Main if admin => "Secrets, audit, tokens and users",
            _ => ctx.title(),
        };
        lines.push(Line::from(Span::styled(title, theme.title())));
        for (keys, action) in rows {
            let text = match action {
                Action::Reveal if ctx == Context::Main && admin => {
                    format!("{}; on a user: their tokens", action.help())
                }
                _ => action.help().to_owned(),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<15}"), theme.key()),
                Span::raw(text),
            ]));
        }
    }
    let filter = app.keymap.hint(Context::Main, Action::Filter);
    let sort = app.keymap.hint(Context::Main, Action::Sort);
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled("Filter", theme.title())));
    for text in [
        format!("{filter} then words: each matches names and descriptions, fuzzily."),
        "provider:NAME or p:NAME keeps the secrets whose provider starts with".to_owned(),
        "NAME (p:- those naming none); several keep any of them.".to_owned(),
        format!("{sort} cycles the sort; by provider, one provider's secrets sit together."),
    ] {
        lines.push(Line::from(Span::styled(format!("  {text}"), theme.muted())));
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
    lines
}

impl HelpPopup {
    pub fn render(&self, frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        let lines = lines(app, theme);
        let rect = rect(area);
        let visible = usize::from(rect.height.saturating_sub(2));
        let scroll = self.scroll.min(lines.len().saturating_sub(visible));
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
}
