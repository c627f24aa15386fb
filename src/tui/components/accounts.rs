//! The account views: one's own tokens, the users (admins), a user's tokens, and the panel that
//! replaces the main area once the vault refuses this session's token. Their keys are in
//! `app::main_keys`.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Wrap};
use time::OffsetDateTime;

use super::{Theme, fmt};
use crate::api::{TokenInfo, TokenKind, UserInfo};
use crate::tui::app::{App, Loaded};
use crate::tui::keymap::{Action, Context};

/// The caller's own tokens, this session's marked.
pub fn own_tokens(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let list = &app.accounts.tokens;
    let title = format!(" Your tokens · {} live ", list.items.len());
    let mut legend = vec![
        Span::styled(" ● ", theme.key()),
        Span::styled("this session ", theme.muted()),
    ];
    if has_runners(list) {
        legend.push(Span::styled(
            "· runner: delivery only, to `vaultty run` ",
            theme.muted(),
        ));
    }
    let legend = Line::from(legend);
    let Some(inner) = frame_list(frame, area, app, theme, list, title, legend, "You have no live tokens.") else {
        return;
    };
    tokens_table(frame, inner, app, theme, list);
}

/// The users, or the tokens of the user opened with Enter.
pub fn users(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some(user) = &app.accounts.opened {
        let list = &app.accounts.user_tokens;
        let title = format!(" {user}'s tokens · {} live ", list.items.len());
        let back = app.keymap.hint(Context::Main, Action::Back);
        let legend = Line::from(Span::styled(format!(" {back} back to all users "), theme.muted()));
        let empty = format!("{user} has no live tokens.");
        if let Some(inner) = frame_list(frame, area, app, theme, list, title, legend, &empty) {
            tokens_table(frame, inner, app, theme, list);
        }
        return;
    }
    let list = &app.accounts.users;
    let title = format!(" Users · {} ", list.items.len());
    let open = app.keymap.hint(Context::Main, Action::Reveal);
    let legend = Line::from(Span::styled(format!(" {open} lists a user's tokens "), theme.muted()));
    let Some(inner) = frame_list(frame, area, app, theme, list, title, legend, "No users.") else {
        return;
    };
    let me = app.user_label();
    let wide = inner.width >= 100;
    let rows = window(list, inner).map(|u: &UserInfo| {
        let name = if u.name == me {
            format!("{} (you)", u.name)
        } else {
            u.name.clone()
        };
        let (status, style) = status(u, theme);
        let mut cells = vec![
            Cell::from(name),
            Cell::from(u.role.as_str()),
            Cell::from(Span::styled(status, style)),
            Cell::from(fmt::relative(app.now, u.last_seen_at)),
            Cell::from(u.tokens.to_string()),
        ];
        if wide {
            cells.push(Cell::from(fmt::minute(u.created_at)));
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Fill(1),
        Constraint::Length(6),
        Constraint::Length(17),
        Constraint::Length(9),
        Constraint::Length(6),
    ];
    let mut header = vec!["Name", "Role", "Status", "Last seen", "Tokens"];
    if wide {
        widths.push(Constraint::Length(16));
        header.push("Created (UTC)");
    }
    draw_table(frame, inner, theme, list, rows, widths, header);
}

/// "active", "disabled", or "pending enrolment" (created, code not yet exchanged).
fn status(u: &UserInfo, theme: &Theme) -> (&'static str, ratatui::style::Style) {
    if u.disabled {
        ("disabled", theme.error())
    } else if !u.enrolled {
        ("pending enrolment", theme.stale())
    } else {
        ("active", theme.plain())
    }
}

fn has_runners(list: &Loaded<TokenInfo>) -> bool {
    list.items.iter().any(|t| t.kind == TokenKind::Runner)
}

fn tokens_table(frame: &mut Frame, inner: Rect, app: &App, theme: &Theme, list: &Loaded<TokenInfo>) {
    let now = app.now;
    // Narrow, the marker and the legend under the table say it; wide, the name says it too.
    let say_current = inner.width >= 100;
    // The Runner column only when there is a runner token; narrow, it takes the Parent column's
    // room (the revoke dialog still names the tokens a revocation takes along).
    let runners = has_runners(list);
    let parent = !runners || inner.width >= 100;
    let rows = window(list, inner).map(|t: &TokenInfo| {
        let name = if t.current && say_current {
            format!("{} (this session)", t.name)
        } else {
            t.name.clone()
        };
        let mark = if t.current {
            Span::styled("●", theme.key())
        } else {
            Span::raw(" ")
        };
        let mut cells = vec![
            Cell::from(mark),
            Cell::from(t.id.clone()),
            Cell::from(name),
            Cell::from(fmt::relative(now, Some(t.created_at))),
            Cell::from(expires(now, t.expires_at)),
            Cell::from(fmt::relative(now, t.last_used_at)),
        ];
        if runners {
            cells.push(Cell::from(Span::styled(t.runner_binding(), theme.key())));
        }
        if parent {
            cells.push(Cell::from(t.parent.clone().unwrap_or_else(|| "-".into())));
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(16),
        Constraint::Fill(1),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(9),
    ];
    let mut header = vec!["", "ID", "Name", "Created", "Expires", "Last used"];
    if runners {
        // "own sandboxes", the longest.
        widths.push(Constraint::Length(13));
        header.push("Runner");
    }
    if parent {
        widths.push(Constraint::Length(16));
        header.push("Parent");
    }
    draw_table(frame, inner, theme, list, rows, widths, header);
}

/// "in 5m", "in 3h", "in 29d", "never"; "expired" once past.
pub fn expires(now: OffsetDateTime, t: Option<OffsetDateTime>) -> String {
    let Some(t) = t else { return "never".into() };
    let secs = (t - now).whole_seconds();
    match secs {
        s if s <= 0 => "expired".into(),
        s if s < 3_600 => format!("in {}m", (s / 60).max(1)),
        s if s < 86_400 => format!("in {}h", s / 3_600),
        s if s < 730 * 86_400 => format!("in {}d", s / 86_400),
        s => format!("in {}y", s / (365 * 86_400)),
    }
}

/// The block with its title, and the loading / error / empty line when there is nothing to
/// list; the area for the table otherwise.
#[allow(clippy::too_many_arguments)]
fn frame_list<T>(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: &Theme,
    list: &Loaded<T>,
    title: String,
    legend: Line<'static>,
    empty: &str,
) -> Option<Rect> {
    let block = Block::bordered()
        .title(Span::styled(title, theme.bold()))
        .title_bottom(legend)
        .border_style(if app.popup.is_none() {
            theme.border_focus()
        } else {
            theme.border()
        });
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if !list.items.is_empty() {
        return Some(inner);
    }
    let (text, style) = match (&list.error, list.loaded) {
        (Some(e), _) => (format!("Could not load: {e}"), theme.error()),
        (None, false) => (format!("{} Loading…", fmt::spinner(app.now)), theme.muted()),
        (None, true) => (empty.to_owned(), theme.muted()),
    };
    frame.render_widget(
        Paragraph::new(Span::styled(text, style))
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        inner,
    );
    None
}

/// The rows that fit under the header, scrolled to show the cursor.
fn window<T>(list: &Loaded<T>, inner: Rect) -> impl Iterator<Item = &T> {
    let height = usize::from(inner.height.saturating_sub(1)).max(1);
    let scroll = (list.cursor + 1).saturating_sub(height);
    list.items.iter().skip(scroll).take(height)
}

fn draw_table<'a, T>(
    frame: &mut Frame,
    inner: Rect,
    theme: &Theme,
    list: &Loaded<T>,
    rows: impl Iterator<Item = Row<'a>>,
    widths: Vec<Constraint>,
    header: Vec<&'a str>,
) {
    let height = usize::from(inner.height.saturating_sub(1)).max(1);
    let scroll = (list.cursor + 1).saturating_sub(height);
    super::table::render_rows(frame, inner, theme, rows, widths, header, list.cursor - scroll);
}

/// What replaces the main area once the vault refuses this session's token.
pub fn revoked(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(r) = &app.session.revoked else { return };
    let quit = app.keymap.hint(Context::Main, Action::Quit);
    let retry = app.keymap.hint(Context::Global, Action::Refresh);
    let (title, first) = if r.had_access {
        (" Access revoked ", "This token no longer works")
    } else {
        (" Not signed in ", "The vault does not accept this token")
    };
    let block = Block::bordered()
        .title(Span::styled(title, theme.error()))
        .border_style(theme.error());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = vec![
        Line::raw(""),
        Line::from(Span::styled(format!("{first}: {}.", r.reason), theme.bold())),
        Line::raw(""),
        Line::raw(format!(
            "Press {quit} to quit, then run `vaultty login` to sign in again."
        )),
        Line::raw(""),
        Line::from(Span::styled(
            format!(
                "If an admin restores your access, {retry} tries this token again. Nothing is refreshed until then."
            ),
            theme.muted(),
        )),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        inner,
    );
}

/// The one-line banner across the screen while access is lost.
pub fn banner_text(app: &App) -> Option<String> {
    let r = app.session.revoked.as_ref()?;
    let quit = app.keymap.hint(Context::Main, Action::Quit);
    let head = if r.had_access {
        "Access revoked"
    } else {
        "Not signed in"
    };
    // What to do first; the reason last, where a narrow terminal may cut it (the panel below
    // says it in full).
    Some(format!(
        " {head} · press {quit} to quit · `vaultty login` signs in again · {}",
        r.reason
    ))
}
