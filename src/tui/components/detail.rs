//! The selected secret: full metadata with absolute times, its version history, and the value
//! while it is revealed (the only place a value is ever drawn).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use secrecy::ExposeSecret;

use super::{Theme, fmt};
use crate::api::SecretMeta;
use crate::tui::app::{App, SecretKey, is_stale};
use crate::tui::keymap::{Action, Context};

const LABEL: usize = 12;

fn row<'a>(label: &str, value: impl Into<Span<'a>>, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL$}"), theme.muted()),
        value.into(),
    ])
}

fn by(who: Option<&str>) -> String {
    who.map(|w| format!(" by {w}")).unwrap_or_default()
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, wide: bool) {
    let block = Block::bordered()
        .title(Span::styled(" Details ", theme.bold()))
        .border_style(theme.border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(meta) = app.list.selected() else {
        let p = Paragraph::new(Span::styled("Nothing selected.", theme.muted()));
        frame.render_widget(p, inner);
        return;
    };
    let lines = if wide {
        full(app, meta, theme)
    } else {
        compact(app, meta, theme)
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The value line(s): revealed value with its countdown, write-only notice, or the preview and
/// how to reveal.
fn value_lines<'a>(app: &'a App, meta: &'a SecretMeta, theme: &Theme, wide: bool) -> Vec<Line<'a>> {
    let key = SecretKey::of(meta);
    if let Some(s) = app.shown.as_ref().filter(|s| s.key == key) {
        let left = fmt::secs_left(app.now, s.until);
        let back = app.keymap.hint(Context::Main, Action::Back);
        return vec![
            row("Value", Span::styled(s.value.expose_secret(), theme.value()), theme),
            row(
                "",
                Span::styled(
                    format!("v{} · masked again in {left}s · {back} hides it now", s.version),
                    theme.key(),
                ),
                theme,
            ),
        ];
    }
    if !meta.revealable {
        return vec![
            row(
                "Value",
                Span::styled("write-only, never revealed", theme.stale()),
                theme,
            ),
            row(
                "",
                Span::styled("programs get it through `vaultty run`", theme.muted()),
                theme,
            ),
        ];
    }
    let reveal = app.keymap.hint(Context::Main, Action::Reveal);
    let copy = app.keymap.hint(Context::Main, Action::Copy);
    let hint = Span::styled(format!("{reveal} reveal · {copy} copy"), theme.muted());
    let value = Span::styled(format!("{:<LABEL$}", "Value"), theme.muted());
    if wide {
        // The side pane is narrow: the keys go on a line of their own.
        vec![
            Line::from(vec![value, Span::raw(meta.preview.as_str())]),
            row("", hint, theme),
        ]
    } else {
        vec![Line::from(vec![
            value,
            Span::raw(meta.preview.as_str()),
            Span::raw("  "),
            hint,
        ])]
    }
}

fn age_line<'a>(app: &App, meta: &SecretMeta, theme: &Theme) -> Line<'a> {
    let days = fmt::days_since(app.now, meta.changed_at());
    let max = app.config.tui.max_age_days;
    let text = match days {
        0 => "changed today".to_owned(),
        1 => "changed 1 day ago".to_owned(),
        d => format!("changed {d} days ago"),
    };
    if is_stale(meta, app.now, max) {
        row(
            "Age",
            Span::styled(format!("{text} · stale (>{max}d)"), theme.stale()),
            theme,
        )
    } else {
        row("Age", Span::raw(text), theme)
    }
}

/// The category, with the provider when one is named: "provider anthropic" for a provider key,
/// "tool · provider github" for a tool's.
fn kind(meta: &SecretMeta) -> String {
    match meta.provider.as_deref().filter(|p| !p.is_empty()) {
        None => meta.category.to_string(),
        Some(p) if meta.category == crate::api::Category::Provider => format!("provider {p}"),
        Some(p) => format!("{} · provider {p}", meta.category),
    }
}

fn full<'a>(app: &'a App, meta: &'a SecretMeta, theme: &Theme) -> Vec<Line<'a>> {
    let ns = SecretKey::namespace_of(meta);
    let mut lines = vec![
        Line::from(Span::styled(meta.name.as_str(), theme.bold())),
        Line::from(Span::styled(
            format!("{ns} · {} · scope {}", kind(meta), meta.scope),
            theme.muted(),
        )),
        Line::raw(""),
    ];
    lines.extend(value_lines(app, meta, theme, true));
    lines.push(row("Version", Span::raw(format!("v{}", meta.version)), theme));
    lines.push(row(
        "Created",
        Span::raw(format!(
            "{}{}",
            fmt::absolute(meta.created_at),
            by(meta.created_by.as_deref())
        )),
        theme,
    ));
    let rotated = match meta.rotated_at {
        Some(t) => format!("{}{}", fmt::absolute(t), by(meta.rotated_by.as_deref())),
        None => "never".into(),
    };
    lines.push(row("Rotated", Span::raw(rotated), theme));
    lines.push(row(
        "Last used",
        Span::raw(meta.last_used_at.map_or("never".into(), fmt::absolute)),
        theme,
    ));
    if let Some(owner) = &meta.owner {
        lines.push(row("Owner", Span::raw(owner.as_str()), theme));
    }
    lines.push(age_line(app, meta, theme));
    if let Some(d) = meta.description.as_deref().filter(|d| !d.is_empty()) {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("Description", theme.muted())));
        lines.push(Line::raw(d));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled("History", theme.muted())));
    lines.extend(history(app, meta, theme, usize::MAX));
    lines
}

fn compact<'a>(app: &'a App, meta: &'a SecretMeta, theme: &Theme) -> Vec<Line<'a>> {
    let ns = SecretKey::namespace_of(meta);
    let mut lines = vec![Line::from(vec![
        Span::styled(meta.name.as_str(), theme.bold()),
        Span::styled(
            format!("  {ns} · {} · scope {} · v{}", kind(meta), meta.scope, meta.version),
            theme.muted(),
        ),
    ])];
    lines.extend(value_lines(app, meta, theme, false));
    // Short lines under the table at 80x24: times to the minute.
    let days = fmt::days_since(app.now, meta.changed_at());
    let max = app.config.tui.max_age_days;
    let since = match (meta.rotated_at.is_some(), days) {
        (true, 0) => " · today".to_owned(),
        (true, d) => format!(" · {d} days ago"),
        (false, 0) => " · created today".to_owned(),
        (false, d) => format!(" · created {d} days ago"),
    };
    let age = if is_stale(meta, app.now, max) {
        Span::styled(format!("{since}: stale (max {max} days)"), theme.stale())
    } else {
        Span::styled(since, theme.muted())
    };
    let rotated = match meta.rotated_at {
        Some(t) => format!("{} UTC{}", fmt::minute(t), by(meta.rotated_by.as_deref())),
        None => "never".into(),
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{:<LABEL$}", "Rotated"), theme.muted()),
        Span::raw(rotated),
        age,
    ]));
    let used = meta
        .last_used_at
        .map_or("never".into(), |t| format!("{} UTC", fmt::minute(t)));
    lines.push(row(
        "Created",
        Span::raw(format!(
            "{} UTC{} · last used {used}",
            fmt::minute(meta.created_at),
            by(meta.created_by.as_deref())
        )),
        theme,
    ));
    let mut hist = vec![Span::styled(format!("{:<LABEL$}", "History"), theme.muted())];
    for (i, l) in history(app, meta, theme, 3).into_iter().enumerate() {
        if i > 0 {
            hist.push(Span::styled(" · ", theme.muted()));
        }
        hist.extend(l.spans);
    }
    lines.push(Line::from(hist));
    if let Some(d) = meta.description.as_deref().filter(|d| !d.is_empty()) {
        lines.push(row("Description", Span::raw(d), theme));
    }
    lines
}

fn history<'a>(app: &'a App, meta: &SecretMeta, theme: &Theme, max: usize) -> Vec<Line<'a>> {
    let v = &app.versions;
    if v.key.as_ref().is_none_or(|k| !k.is(meta)) {
        return vec![Line::from(Span::styled("loading…", theme.muted()))];
    }
    if let Some(e) = &v.error {
        return vec![Line::from(Span::styled(e.as_str(), theme.error()))];
    }
    let compact = max != usize::MAX;
    v.list
        .iter()
        .take(max)
        .map(|ver| {
            if compact {
                Line::raw(format!("v{} {}", ver.version, fmt::date(ver.created_at)))
            } else {
                Line::from(vec![
                    Span::styled(format!("v{:<3}", ver.version), theme.bold()),
                    Span::raw(format!(
                        " {} {:<8} {}",
                        fmt::minute(ver.created_at),
                        ver.created_by.as_deref().unwrap_or("-"),
                        ver.preview
                    )),
                ])
            }
        })
        .collect()
}
