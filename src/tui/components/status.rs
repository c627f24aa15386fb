//! The banner (unreachable, or access revoked), the status line (message, spinner, clipboard countdown) and the
//! bottom bar of keys for the focused component.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, fmt};
use crate::tui::app::{ActionTable, App, Tone};
use crate::tui::keymap::{Action, Context};

pub fn banner(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some(text) = super::accounts::banner_text(app) {
        return frame.render_widget(
            Paragraph::new(Span::styled(fmt::fit(&text, area.width.into()), theme.banner())).style(theme.banner()),
            area,
        );
    }
    let Some(o) = &app.session.offline else { return };
    let left = fmt::secs_left(app.now, o.retry_at);
    let retry = app.keymap.hint(Context::Global, Action::Refresh);
    let when = if app.session.in_flight > 0 && left == 0 {
        "retrying now".to_owned()
    } else {
        format!("retrying in {left}s")
    };
    // What to expect first; the reason last, where a narrow terminal may cut it.
    let text = format!(
        " Cannot reach {} · {when} (attempt {}) · {retry} retries now · {}",
        app.config.server, o.attempt, o.reason
    );
    frame.render_widget(
        Paragraph::new(Span::styled(fmt::fit(&text, area.width.into()), theme.banner())).style(theme.banner()),
        area,
    );
}

pub fn status_line(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // The longest wording that leaves the left half for messages.
    let room = usize::from(area.width)
        .saturating_sub(36)
        .max(usize::from(area.width) / 2);
    let clip = app.clip.pending.as_ref().map(|c| {
        let left = fmt::secs_left(app.now, c.clear_at);
        let (note, short) = if c.verifiable {
            ("", "")
        } else {
            ("; OSC 52 clearing cannot be verified", ", unverifiable")
        };
        [
            format!("clipboard: {} clears in {left}s ({}{note}) ", c.label, c.method),
            format!("clipboard clears in {left}s ({}{short}) ", c.method),
            format!("clipboard clears in {left}s{short} "),
        ]
        .into_iter()
        .find(|t| t.chars().count() <= room)
        .unwrap_or_else(|| format!("clipboard: {left}s "))
    });
    let clip = clip.or_else(|| app.clip.clearing.then(|| "clearing the clipboard… ".to_owned()));
    let right_w = clip
        .as_ref()
        .map_or(0, |c| u16::try_from(c.chars().count() + 2).unwrap_or(u16::MAX))
        .min(area.width);
    let [left, right] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_w)]).areas(area);
    let mut spans = Vec::new();
    if app.session.in_flight > 0 {
        spans.push(Span::styled(format!(" {}", fmt::spinner(app.now)), theme.key()));
    }
    if let Some(s) = &app.status {
        let style = match s.tone {
            Tone::Info => theme.plain(),
            Tone::Success => theme.success(),
            Tone::Error => theme.error(),
        };
        spans.push(Span::styled(
            format!(" {}", fmt::fit(&s.text, left.width.saturating_sub(3).into())),
            style,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), left);
    if let Some(c) = clip {
        frame.render_widget(Paragraph::new(Span::styled(format!("  {c}"), theme.key())), right);
    }
}

/// `Enter/v reveal  c copy …` from the focused context's action table, dropping hints from the
/// end (but keeping help and quit) until it fits the width.
pub fn hints(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, table: &ActionTable) {
    let items: Vec<(String, &'static str, Action)> = table
        .bar()
        .filter_map(|row| {
            let keys = app.keymap.hint(table.ctx, row.action);
            (!keys.is_empty()).then_some((keys, row.label, row.action))
        })
        .collect();
    let width = |v: &[&(String, &str, Action)]| {
        v.iter()
            .map(|(k, l, _)| k.chars().count() + l.chars().count() + 3)
            .sum::<usize>()
    };
    let mut keep: Vec<&(String, &str, Action)> = items.iter().collect();
    while width(&keep) + 1 > usize::from(area.width) && keep.len() > 1 {
        let drop = keep
            .iter()
            .rposition(|(_, _, a)| !matches!(a, Action::Help | Action::Quit))
            .unwrap_or(keep.len() - 1);
        keep.remove(drop);
    }
    let mut spans = vec![Span::raw(" ")];
    for (k, l, _) in keep {
        spans.push(Span::styled(k.clone(), theme.key()));
        spans.push(Span::styled(format!(" {l}  "), theme.muted()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
