//! Dialogs drawn over the screen: questions, the forms, the rotation conflict, the offer to copy.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{Theme, centered, fmt, help};
use crate::api::validate;
use crate::crypto::preview;
use crate::tui::app::{App, Dialog, FieldId, FieldKind, Form, FormDialog, Purpose, Question, Step};
use crate::tui::keymap::{Action, Context};

pub fn hints(app: &App) -> Vec<Action> {
    match &app.dialog {
        Some(Dialog::Form(f)) if f.step == Step::Editing => {
            let mut v = vec![Action::Submit];
            match f.purpose {
                Purpose::Rotate(_) => {
                    v.extend([
                        Action::Generate,
                        Action::ToggleShow,
                        Action::NextField,
                        Action::NextChoice,
                    ]);
                    if app.batch.is_some() {
                        v.push(Action::Skip);
                    }
                }
                Purpose::New => v.extend([
                    Action::NextField,
                    Action::Generate,
                    Action::ToggleShow,
                    Action::NextChoice,
                ]),
                Purpose::Edit(_) => v.extend([Action::NextField, Action::NextChoice]),
                Purpose::Delete(_) => {}
            }
            v.push(Action::Cancel);
            v
        }
        Some(Dialog::Form(f)) if f.step == Step::Saving => vec![Action::Quit],
        _ => vec![Action::Yes, Action::No],
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.dialog {
        None => {}
        Some(Dialog::Help { scroll }) => help::render(frame, area, app, theme, *scroll),
        Some(Dialog::Confirm(c)) => {
            let (yes, no) = match c.question {
                Question::Reveal(_) => ("reveal", "cancel"),
                Question::Copy(_) => ("copy", "cancel"),
            };
            let name = match &c.question {
                Question::Reveal(k) | Question::Copy(k) => k.name.as_str(),
            };
            let body = vec![Line::raw(c.text.as_str())];
            question(
                frame,
                area,
                app,
                theme,
                &format!(" {} {name}? ", c.title),
                body,
                yes,
                no,
            );
        }
        Some(Dialog::Conflict(c)) => {
            let mut body = Vec::new();
            match &c.current {
                Some(m) => {
                    let who = m.rotated_by.as_deref().map(|w| format!(" by {w}")).unwrap_or_default();
                    let when = m
                        .rotated_at
                        .map(|t| format!(" at {}", fmt::absolute(t)))
                        .unwrap_or_default();
                    body.push(Line::raw(format!(
                        "{} was rotated to v{}{who}{when} after you opened it at v{}. Your value was not written.",
                        c.key.name, m.version, c.expected
                    )));
                    body.push(Line::raw(""));
                    body.push(Line::raw(format!(
                        "Reload it and review your value against v{}?",
                        m.version
                    )));
                }
                None => {
                    body.push(Line::raw(format!(
                        "{} changed after you opened it at v{}. Your value was not written.",
                        c.key.name, c.expected
                    )));
                    body.push(Line::from(Span::styled(
                        format!("{} loading who changed it…", fmt::spinner(app.now)),
                        theme.muted(),
                    )));
                }
            }
            body.push(Line::from(Span::styled(
                format!("Server: {}", c.message),
                theme.muted(),
            )));
            question(
                frame,
                area,
                app,
                theme,
                " Rotation refused ",
                body,
                "reload and review",
                "skip",
            );
        }
        Some(Dialog::OfferCopy(o)) => {
            let secs = app.config.tui.clipboard_clear_seconds;
            let mut body = vec![Line::raw(format!(
                "{} is now v{}. Copy the new value to the clipboard? It is cleared after {secs} s if unchanged.",
                o.key.name, o.version
            ))];
            if let Some(b) = app.batch.as_ref().filter(|b| !b.pending.is_empty()) {
                body.push(Line::from(Span::styled(
                    format!("Then the next secret ({} of {}).", b.position() + 1, b.total),
                    theme.muted(),
                )));
            }
            question(frame, area, app, theme, " Rotated ", body, "copy", "no thanks");
        }
        Some(Dialog::Form(f)) => form(frame, area, app, theme, f),
    }
}

fn keyline<'a>(app: &App, theme: &Theme, ctx: Context, pairs: &[(Action, &str)]) -> Line<'a> {
    let mut spans = Vec::new();
    for (i, (a, label)) in pairs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.muted()));
        }
        spans.push(Span::styled(app.keymap.hint(ctx, *a), theme.key()));
        spans.push(Span::raw(format!(" {label}")));
    }
    Line::from(spans)
}

/// Rows a paragraph of `lines` needs at `width` when wrapped at spaces.
fn height_of(lines: &[Line], width: u16) -> u16 {
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

#[allow(clippy::too_many_arguments)]
fn question(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: &Theme,
    title: &str,
    mut body: Vec<Line>,
    yes: &str,
    no: &str,
) {
    let width = area.width.saturating_sub(4).min(72);
    body.push(Line::raw(""));
    body.push(keyline(
        app,
        theme,
        Context::Confirm,
        &[(Action::Yes, yes), (Action::No, no)],
    ));
    let height = height_of(&body, width.saturating_sub(4)) + 2;
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(Span::styled(title.to_owned(), theme.bold()))
        .border_style(theme.border_focus());
    frame.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: true })
            .block(block.padding(ratatui::widgets::Padding::horizontal(1))),
        rect,
    );
}

fn form(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, f: &FormDialog) {
    let width = area.width.saturating_sub(4).min(76);
    let inner_w = width.saturating_sub(4);
    let title = match &f.purpose {
        Purpose::Rotate(t) => {
            let batch = app
                .batch
                .as_ref()
                .map(|b| format!(" · {} of {}", b.position(), b.total))
                .unwrap_or_default();
            format!(" Rotate {} ({}, v{}){batch} ", t.key.name, t.key.namespace(), t.version)
        }
        Purpose::New => " New secret ".to_owned(),
        Purpose::Edit(k) => format!(" Edit {} ({}) ", k.name, k.namespace()),
        Purpose::Delete(k) => format!(" Delete {} ({}) ", k.name, k.namespace()),
    };
    let mut body: Vec<Line> = Vec::new();
    match &f.purpose {
        Purpose::Rotate(t) if f.step != Step::Editing => {
            let new = f
                .form
                .secret()
                .map_or_else(|| "****".to_owned(), |s| preview(s.expose()));
            return review(
                frame,
                area,
                app,
                theme,
                &title,
                width,
                &t.old_preview,
                t.version,
                &new,
                f.step,
            );
        }
        Purpose::Rotate(t) => {
            body.push(Line::from(vec![
                Span::styled("Current value ", theme.muted()),
                Span::raw(format!("{} (v{})", t.old_preview, t.version)),
            ]));
            body.push(Line::raw(""));
        }
        Purpose::Delete(k) => {
            body.push(Line::raw(format!(
                "Deleting {} removes every version; it cannot be undone. Type its name to confirm.",
                k.name
            )));
            body.push(Line::raw(""));
        }
        _ => {}
    }
    fields(&mut body, app, theme, f, inner_w);
    if let Some(e) = &f.error {
        body.push(Line::raw(""));
        body.push(Line::from(Span::styled(e.as_str(), theme.error())));
    }
    if f.step == Step::Saving {
        body.push(Line::raw(""));
        body.push(Line::from(Span::styled(
            format!("{} saving…", fmt::spinner(app.now)),
            theme.key(),
        )));
    } else {
        body.push(Line::raw(""));
        let submit = match f.purpose {
            Purpose::Rotate(_) => "review",
            Purpose::Delete(_) => "delete",
            _ => "save",
        };
        let mut pairs = vec![(Action::Submit, submit)];
        if matches!(f.purpose, Purpose::Rotate(_) | Purpose::New) {
            pairs.push((Action::Generate, "generate"));
            pairs.push((Action::ToggleShow, "show"));
        }
        let cancel = if app.batch.is_some() { "stop" } else { "cancel" };
        pairs.push((Action::Cancel, cancel));
        if app.batch.is_some() && matches!(f.purpose, Purpose::Rotate(_)) {
            pairs.push((Action::Skip, "skip"));
        }
        body.push(keyline(app, theme, Context::Editor, &pairs));
    }
    let height = height_of(&body, inner_w) + 2;
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(Span::styled(title, theme.bold()))
        .border_style(theme.border_focus());
    frame.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .block(block.padding(ratatui::widgets::Padding::horizontal(1))),
        rect,
    );
}

fn fields<'a>(body: &mut Vec<Line<'a>>, app: &App, theme: &Theme, f: &'a FormDialog, width: u16) {
    let form: &Form = &f.form;
    let editing = f.step == Step::Editing;
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
            FieldKind::Number { value, .. } => vec![Span::raw(value.to_string()), Span::styled("  ←/→", theme.muted())],
            FieldKind::Choice { options, index } => {
                let o = options.get(*index).copied().unwrap_or("");
                vec![
                    Span::styled("‹ ", theme.muted()),
                    Span::raw(o),
                    Span::styled(" ›", theme.muted()),
                ]
            }
        };
        let mut spans = vec![marker, label];
        spans.extend(value);
        body.push(Line::from(spans));
        if field.id == FieldId::Name && matches!(f.purpose, Purpose::New) {
            let name = form.text(FieldId::Name);
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
            body.push(Line::from(vec![Span::raw(" ".repeat(indent)), check]));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn review(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: &Theme,
    title: &str,
    width: u16,
    old: &str,
    version: i64,
    new: &str,
    step: Step,
) {
    let height = 9;
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(Span::styled(title.to_owned(), theme.bold()))
        .border_style(theme.border_focus())
        .padding(ratatui::widgets::Padding::horizontal(1));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [cols, note, _, keys] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(2),
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
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!("The write only succeeds if the stored version is still v{version}."),
            theme.muted(),
        ))
        .wrap(Wrap { trim: true }),
        note,
    );
    let line = if step == Step::Saving {
        Line::from(Span::styled(format!("{} writing…", fmt::spinner(app.now)), theme.key()))
    } else {
        keyline(
            app,
            theme,
            Context::Confirm,
            &[(Action::Yes, "write"), (Action::No, "back to editing")],
        )
    };
    frame.render_widget(Paragraph::new(line), keys);
}
