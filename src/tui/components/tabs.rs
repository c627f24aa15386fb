//! The title line, the category and scope tab bars with their counts, and the filter line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, fmt};
use crate::tui::app::{App, CategoryTab, Pane, ScopeTab};
use crate::tui::keymap::{Action, Context};

pub fn title(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = vec![Span::styled(" vaultty ", theme.title())];
    match &app.session.me {
        Some(me) => spans.push(Span::styled(
            format!(" {} @ {} ({}) ", me.user, me.org, me.role),
            theme.plain(),
        )),
        None => spans.push(Span::styled(" connecting… ", theme.muted())),
    }
    spans.push(Span::styled(format!("· {}", app.config.server), theme.muted()));
    if app.session.in_flight > 0 {
        spans.push(Span::styled(
            format!("  {} working", fmt::spinner(app.now)),
            theme.key(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn tab<'a>(label: &str, count: Option<usize>, active: bool, theme: &Theme) -> Span<'a> {
    let text = match count {
        Some(n) => format!(" {label} {n} "),
        None => format!(" {label} "),
    };
    Span::styled(text, if active { theme.tab_active() } else { theme.plain() })
}

pub fn categories(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let counts = app.list.counts();
    let secrets = app.view.pane == Pane::Secrets;
    let mut spans = Vec::new();
    for (i, t) in CategoryTab::ALL.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("│", theme.muted()));
        }
        let active = secrets && app.list.tabs().category == t;
        let count = app.list.is_loaded().then_some(counts.category[i]);
        spans.push(tab(t.label(), count, active, theme));
    }
    spans.push(Span::styled("│", theme.muted()));
    let audit_count = app.audit.loaded.then_some(app.audit.events.len());
    spans.push(tab("Audit", audit_count, app.view.pane == Pane::Audit, theme));
    spans.push(Span::styled("│", theme.muted()));
    let a = &app.accounts;
    let tokens = a.tokens.loaded.then_some(a.tokens.items.len());
    spans.push(tab("Tokens", tokens, app.view.pane == Pane::Tokens, theme));
    // Members have no Users view: no tab either.
    if app.is_admin() {
        spans.push(Span::styled("│", theme.muted()));
        let users = a.users.loaded.then_some(a.users.items.len());
        spans.push(tab("Users", users, app.view.pane == Pane::Users, theme));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn scopes(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if app.session.revoked.is_some() {
        return;
    }
    let text = match app.view.pane {
        Pane::Audit if app.is_admin() => Some(" Audit log of the whole org, newest first".to_owned()),
        Pane::Audit => Some(" Your audit events, newest first".to_owned()),
        Pane::Tokens => Some(" Your live tokens. Revoking one also revokes the tokens it created.".to_owned()),
        Pane::Users => Some(match app.accounts.user() {
            Some(u) if app.accounts.opened.is_some() => format!(
                " {} · {} · {}{}",
                u.name,
                u.role,
                if u.disabled { "disabled" } else { "enabled" },
                if u.enrolled { "" } else { " · pending enrolment" }
            ),
            _ => match &app.session.me {
                Some(me) => format!(" Users of {}", me.org),
                None => " Users".to_owned(),
            },
        }),
        Pane::Secrets => None,
    };
    if let Some(text) = text {
        frame.render_widget(Paragraph::new(Span::styled(text, theme.muted())), area);
        return;
    }
    let counts = app.list.counts();
    let tabs = app.list.tabs();
    let mut spans = vec![Span::styled(" scope", theme.muted())];
    for (i, s) in ScopeTab::ALL.into_iter().enumerate() {
        spans.push(Span::raw(" "));
        let label = if app.list.is_loaded() {
            format!("{} {}", s.label(), counts.scope[i])
        } else {
            s.label().to_owned()
        };
        let style = if tabs.scope == s {
            theme.tab_active()
        } else {
            theme.plain()
        };
        spans.push(Span::styled(label, style));
    }
    let vis_key = app.keymap.hint(Context::Main, Action::Visibility);
    spans.push(Span::styled("   showing ", theme.muted()));
    spans.push(Span::styled(tabs.visibility.label(), theme.bold()));
    if !vis_key.is_empty() {
        spans.push(Span::styled(format!(" ({vis_key})"), theme.muted()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn filter(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let q = app.list.query().raw();
    let mut spans = vec![
        Span::styled(" filter ", theme.key()),
        Span::styled(q.to_owned(), theme.bold()),
    ];
    if app.view.filtering {
        spans.push(Span::styled("▏", theme.key()));
        let keep = app.keymap.hint(Context::Filter, Action::Accept);
        let clear = app.keymap.hint(Context::Filter, Action::Clear);
        // The provider word is offered until one is typed; it is not guessable otherwise.
        let provider = if app.list.query().providers().is_empty() {
            " · p:NAME by provider"
        } else {
            ""
        };
        spans.push(Span::styled(
            format!("   {keep} keeps it · {clear} clears it{provider}"),
            theme.muted(),
        ));
    } else {
        let clear = app.keymap.hint(Context::Main, Action::Back);
        spans.push(Span::styled(format!("   {clear} clears it"), theme.muted()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
