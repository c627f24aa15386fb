//! The action tables of the main screen: the secrets table, the audit pane, and the filter
//! being typed, with their handlers. Rows are in hint order, most useful first.

use super::action_table::{ActionTable, Show, TextKey};
use super::{App, CategoryTab, Command, HelpPopup, Pane, Popup, RevealPurpose, Tone};
use crate::tui::keymap::{Action, Context};

/// Moving, tabs and scopes: the same on the table and on the audit pane, never hinted there.
fn navigation(t: ActionTable) -> ActionTable {
    let t = [
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
    ]
    .into_iter()
    .fold(t, |t, a| t.row(a, Show::Hidden, move_cursor));
    [Action::NextTab, Action::PrevTab]
        .into_iter()
        .fold(t, |t, a| t.row(a, Show::Hidden, cycle_tabs))
        .row(Action::TabAll, Show::Hidden, category_tab)
        .row(Action::TabProvider, Show::Hidden, category_tab)
        .row(Action::TabTool, Show::Hidden, category_tab)
        .row(Action::TabCustom, Show::Hidden, category_tab)
        .row(Action::PrevScope, Show::Hidden, shift_scope)
        .row(Action::NextScope, Show::Hidden, shift_scope)
        .row(Action::Visibility, Show::Hidden, |app, _, out| {
            app.list.cycle_visibility();
            app.after_move(out);
        })
        .row(Action::Audit, Show::Hidden, |app, _, out| {
            let pane = if app.view.pane == Pane::Audit {
                Pane::Secrets
            } else {
                Pane::Audit
            };
            set_pane(app, pane, out);
        })
        .row(Action::Help, Show::Bar, |app, _, _| {
            app.popup = Some(Popup::Help(HelpPopup::default()));
        })
        .row(Action::Quit, Show::Bar, |app, _, out| app.quit(out))
}

/// Actions on the selected secret, in hint order.
const ON_SECRET: [Action; 10] = [
    Action::Reveal,
    Action::Copy,
    Action::Rotate,
    Action::Mark,
    Action::BatchRotate,
    Action::Filter,
    Action::Sort,
    Action::New,
    Action::Edit,
    Action::Delete,
];

pub(super) fn list_table(app: &App) -> ActionTable {
    let t = ActionTable::new(Context::Main);
    let t = if app.list.selected().is_some() {
        let back = if app.shown.is_some() { Show::Bar } else { Show::Hidden };
        ON_SECRET.into_iter().fold(t.row(Action::Back, back, back_key), |t, a| {
            t.row(a, Show::Bar, on_secret)
        })
    } else {
        // Nothing selected: what gets somewhere first; the rest still works, unhinted.
        let back = if app.list.query().is_empty() {
            Show::Hidden
        } else {
            Show::Bar
        };
        let t = t
            .row(Action::New, Show::Bar, on_secret)
            .row(Action::Back, back, back_key)
            .row(Action::Filter, Show::Bar, on_secret)
            .row(Action::Refresh, Show::Bar, |app, _, out| app.refresh(out));
        ON_SECRET.into_iter().fold(t, |t, a| t.row(a, Show::Hidden, on_secret))
    };
    navigation(t)
}

pub(super) fn audit_table() -> ActionTable {
    let t = ActionTable::new(Context::Main)
        .row(Action::Up, Show::Bar, move_cursor)
        .row(Action::Down, Show::Bar, move_cursor)
        .row(Action::Audit, Show::Bar, |app, _, out| {
            set_pane(app, Pane::Secrets, out);
        })
        .row(Action::NextTab, Show::Bar, cycle_tabs)
        .row(Action::Refresh, Show::Bar, |app, _, out| app.refresh(out))
        .row(Action::Back, Show::Hidden, back_key);
    // Said rather than silently ignored: these act on the table the audit pane hides.
    let t = ON_SECRET.into_iter().fold(t, |t, a| {
        t.row(a, Show::Hidden, |app, action, _| {
            let audit = app.keymap.hint(Context::Main, Action::Audit);
            let text = format!(
                "{} works on the secrets table; {audit} leaves the audit pane",
                action.label()
            );
            app.say(Tone::Info, text);
        })
    });
    navigation(t)
}

pub(super) fn filter_table() -> ActionTable {
    ActionTable::new(Context::Filter)
        .row(Action::Accept, Show::Bar, |app, _, out| {
            app.view.filtering = false;
            app.after_move(out);
        })
        .row(Action::Clear, Show::Bar, |app, _, out| {
            app.view.filtering = false;
            app.list.set_query("");
            app.after_move(out);
        })
        .row(Action::Up, Show::Bar, |app, _, out| {
            app.list.move_by(-1);
            app.after_move(out);
        })
        .row(Action::Down, Show::Bar, |app, _, out| {
            app.list.move_by(1);
            app.after_move(out);
        })
        .typing(filter_text)
}

fn filter_text(app: &mut App, key: TextKey, out: &mut Vec<Command>) {
    let mut q = app.list.query().raw().to_owned();
    match key {
        TextKey::Char(c) => q.push(c),
        TextKey::Backspace => {
            q.pop();
        }
    }
    app.list.set_query(&q);
    app.after_move(out);
}

fn on_secret(app: &mut App, action: Action, out: &mut Vec<Command>) {
    match action {
        Action::Reveal => app.ask_reveal(RevealPurpose::Show, out),
        Action::Copy => app.ask_reveal(RevealPurpose::Copy, out),
        Action::Rotate => app.start_rotate(),
        Action::Mark if app.list.toggle_mark().is_some() => {
            app.list.move_by(1);
            app.after_move(out);
        }
        Action::BatchRotate => app.start_batch(out),
        Action::Filter => app.view.filtering = true,
        Action::Sort => {
            app.list.cycle_sort();
            app.say(Tone::Info, format!("Sorted by {}", app.list.sort().label()));
            app.after_move(out);
        }
        Action::New => app.start_new(),
        Action::Edit => app.start_edit(),
        Action::Delete => app.start_delete(),
        _ => {}
    }
}

fn move_cursor(app: &mut App, action: Action, out: &mut Vec<Command>) {
    let audit = app.view.pane == Pane::Audit;
    let page = match app.areas() {
        Some(a) if audit => a.audit_rows(),
        _ => app.list.page_size(),
    };
    let page = isize::try_from(page).unwrap_or(isize::MAX);
    let delta: isize = match action {
        Action::Up => -1,
        Action::Down => 1,
        Action::PageUp => -page,
        Action::PageDown => page,
        Action::Top => isize::MIN / 2,
        _ => isize::MAX / 2,
    };
    if audit {
        let n = app.audit.events.len();
        app.audit.cursor = app.audit.cursor.saturating_add_signed(delta).min(n.saturating_sub(1));
    } else {
        app.list.move_by(delta);
        app.after_move(out);
    }
}

fn category_tab(app: &mut App, action: Action, out: &mut Vec<Command>) {
    let tab = match action {
        Action::TabProvider => CategoryTab::Provider,
        Action::TabTool => CategoryTab::Tool,
        Action::TabCustom => CategoryTab::Custom,
        _ => CategoryTab::All,
    };
    set_pane(app, Pane::Secrets, out);
    app.list.set_category(tab);
    app.after_move(out);
}

fn shift_scope(app: &mut App, action: Action, out: &mut Vec<Command>) {
    app.list.shift_scope(action == Action::NextScope);
    app.after_move(out);
}

/// All → Provider → Tool → Custom → Audit → All.
fn cycle_tabs(app: &mut App, action: Action, out: &mut Vec<Command>) {
    let tabs = CategoryTab::ALL;
    let pos = match app.view.pane {
        Pane::Audit => tabs.len(),
        Pane::Secrets => tabs.iter().position(|t| *t == app.list.tabs().category).unwrap_or(0),
    };
    let n = tabs.len() + 1;
    let next = if action == Action::NextTab {
        (pos + 1) % n
    } else {
        (pos + n - 1) % n
    };
    match tabs.get(next) {
        Some(&tab) => {
            set_pane(app, Pane::Secrets, out);
            app.list.set_category(tab);
            app.after_move(out);
        }
        None => set_pane(app, Pane::Audit, out),
    }
}

fn set_pane(app: &mut App, pane: Pane, out: &mut Vec<Command>) {
    app.view.pane = pane;
    if pane == Pane::Audit {
        app.shown = None;
        load_audit(app, out);
    }
}

fn load_audit(app: &mut App, out: &mut Vec<Command>) {
    if !app.audit.loading {
        app.audit.loading = true;
        app.issue(out, Command::LoadAudit);
    }
}

/// Esc: undo the most recent thing on screen, one at a time.
fn back_key(app: &mut App, _: Action, out: &mut Vec<Command>) {
    if app.hide() {
        return;
    }
    if app.view.pane == Pane::Audit {
        return set_pane(app, Pane::Secrets, out);
    }
    if !app.list.query().raw().is_empty() {
        app.list.set_query("");
        app.after_move(out);
        return;
    }
    if app.list.mark_count() > 0 {
        app.list.clear_marks();
        app.say(Tone::Info, "Marks cleared");
    }
}

impl App {
    /// Ctrl-R: reload now (and retry at once when offline).
    pub(crate) fn refresh(&mut self, out: &mut Vec<Command>) {
        if let Some(o) = &mut self.session.offline {
            o.retry_at = self.now;
        }
        if self.session.me.is_none() {
            self.issue(out, Command::LoadMe);
        }
        self.load_secrets(out);
        if self.view.pane == Pane::Audit {
            load_audit(self, out);
        }
        self.versions.key = None;
        self.say(Tone::Info, "Refreshing…");
    }
}
