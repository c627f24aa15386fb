//! The banner (unreachable, or access revoked), the status line (message, spinner, clipboard
//! countdown, whether live updates are on) and the bottom bar of keys for the focused component.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, fmt};
use crate::tui::app::{ActionTable, App, LiveState, Tone};
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
    // The clipboard's countdown first (it guards a value); live updates in what room is left.
    let used = clip.as_ref().map_or(0, |c| c.chars().count() + 3);
    // A message says something now, the live label something lasting: shorten the label rather
    // than cut the message.
    let message = app.status.as_ref().map_or(0, |s| s.text.chars().count() + 6);
    let live_room = room
        .min(usize::from(area.width).saturating_sub(message))
        .saturating_sub(used);
    let live = live_label(app, live_room);
    let live_style = if app.live.is_on() {
        theme.success()
    } else {
        theme.muted()
    };
    let mut right_spans = Vec::new();
    if let Some(c) = &clip {
        right_spans.push(Span::styled(format!("  {c}"), theme.key()));
    }
    if let Some(l) = &live {
        let sep = if clip.is_some() { "· " } else { "  " };
        right_spans.push(Span::styled(format!("{sep}{l} "), live_style));
    }
    let right_w = right_spans.iter().map(|s| s.content.chars().count()).sum::<usize>();
    let right_w = u16::try_from(right_w).unwrap_or(u16::MAX).min(area.width);
    let [left, right_area] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_w)]).areas(area);
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
    if !right_spans.is_empty() {
        frame.render_widget(Paragraph::new(Line::from(right_spans)), right_area);
    }
}

/// "live" while changes arrive as they happen; otherwise that they do not and what keeps the
/// list current instead, in the longest wording that fits `room`. Nothing while subscribing, or
/// when the banner already says the token no longer works. The local vault, which has no
/// stream worth having, says only how often it refreshes.
fn live_label(app: &App, room: usize) -> Option<String> {
    if app.session.revoked.is_some() {
        return None;
    }
    let every = app.config.tui.refresh_seconds;
    let wordings = match &app.live.state {
        LiveState::On => vec!["live".to_owned()],
        LiveState::Off { .. } if every > 0 => vec![
            format!("live updates off · refreshing every {every}s"),
            format!("live off · refresh {every}s"),
            "live off".to_owned(),
        ],
        LiveState::Off { .. } => {
            let key = app.keymap.hint(Context::Global, Action::Refresh);
            vec![format!("live updates off · {key} refreshes"), "live off".to_owned()]
        }
        // The local vault: nothing is off, there is simply no stream to have.
        LiveState::NotOffered if every > 0 => vec![format!("refreshing every {every}s"), format!("refresh {every}s")],
        // Subscribing (nothing to say yet), or the local vault without a periodic refresh.
        LiveState::Connecting | LiveState::NotOffered => return None,
    };
    wordings.into_iter().find(|t| t.chars().count() <= room)
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
