//! The action tables of the main screen: the secrets table, the audit pane, one's tokens, the
//! users (admins), the filter being typed, and the screen once access is lost, with their
//! handlers. Rows are in hint order, most useful first.

use super::action_table::{ActionTable, Show, TextKey};
use super::{App, CategoryTab, Command, HelpPopup, Pane, Popup, RevealPurpose, Tone};
use crate::tui::keymap::{Action, Context};

/// Moving, tabs and scopes: the same on every pane, never hinted there. The Users view is there
/// for admins only: for a member its key is no key at all.
fn navigation(t: ActionTable, admin: bool) -> ActionTable {
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
        .row(Action::Tokens, Show::Hidden, |app, _, out| {
            toggle_pane(app, Pane::Tokens, out);
        })
        .row_if(admin, Action::Users, Show::Hidden, |app, _, out| {
            toggle_pane(app, Pane::Users, out);
        })
        // Said rather than silently ignored where no token or user is listed.
        .row(Action::Revoke, Show::Hidden, account_elsewhere)
        .row_if(admin, Action::RevokeAll, Show::Hidden, account_elsewhere)
        .row_if(admin, Action::Disable, Show::Hidden, account_elsewhere)
        .row_if(admin, Action::Role, Show::Hidden, account_elsewhere)
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
        ON_SECRET
            .into_iter()
            .fold(t.row(Action::Back, back, back_key), |t, a| {
                t.row(a, Show::Bar, on_secret)
            })
            .row(Action::Tokens, Show::Bar, |app, _, out| {
                toggle_pane(app, Pane::Tokens, out);
            })
            .row_if(app.is_admin(), Action::Users, Show::Bar, |app, _, out| {
                toggle_pane(app, Pane::Users, out);
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
            .row(Action::Refresh, Show::Bar, |app, _, out| app.refresh(out))
            .row(Action::Tokens, Show::Bar, |app, _, out| {
                toggle_pane(app, Pane::Tokens, out);
            })
            .row_if(app.is_admin(), Action::Users, Show::Bar, |app, _, out| {
                toggle_pane(app, Pane::Users, out);
            });
        ON_SECRET.into_iter().fold(t, |t, a| t.row(a, Show::Hidden, on_secret))
    };
    navigation(t, app.is_admin())
}

fn account_elsewhere(app: &mut App, action: Action, _: &mut Vec<Command>) {
    let (view, key) = if action == Action::Revoke {
        ("your tokens or a user's", Action::Tokens)
    } else {
        ("the users", Action::Users)
    };
    let key = app.keymap.hint(Context::Main, key);
    app.say(
        Tone::Info,
        format!("{} works on {view} ({key} opens them)", action.label()),
    );
}

/// Said rather than silently ignored: the secret actions act on the table another pane hides.
fn not_here(t: ActionTable) -> ActionTable {
    ON_SECRET.into_iter().fold(t, |t, a| {
        t.row(a, Show::Hidden, |app, action, _| {
            let back = app.keymap.hint(Context::Main, Action::Back);
            let text = format!("{} works on the secrets table; {back} goes back to it", action.label());
            app.say(Tone::Info, text);
        })
    })
}

pub(super) fn audit_table(app: &App) -> ActionTable {
    let t = ActionTable::new(Context::Main)
        .row(Action::Up, Show::Bar, move_cursor)
        .row(Action::Down, Show::Bar, move_cursor)
        .row(Action::Audit, Show::Bar, |app, _, out| {
            set_pane(app, Pane::Secrets, out);
        })
        .row(Action::NextTab, Show::Bar, cycle_tabs)
        .row(Action::Refresh, Show::Bar, |app, _, out| app.refresh(out))
        .row(Action::Back, Show::Hidden, back_key);
    navigation(not_here(t), app.is_admin())
}

/// One's own tokens.
pub(super) fn tokens_table(app: &App) -> ActionTable {
    let t = ActionTable::new(Context::Main)
        .row(Action::Revoke, Show::Bar, |app, _, _| app.ask_revoke())
        .row(Action::Up, Show::Bar, move_cursor)
        .row(Action::Down, Show::Bar, move_cursor)
        .labelled(Action::Back, "secrets", Show::Bar, back_key)
        .row(Action::NextTab, Show::Bar, cycle_tabs)
        .row(Action::Refresh, Show::Bar, |app, _, out| app.refresh(out));
    navigation(not_here(t), app.is_admin())
}

/// The users (admins), or the tokens of the user opened with Enter.
pub(super) fn users_table(app: &App) -> ActionTable {
    let t = ActionTable::new(Context::Main);
    let disable = if app.accounts.user().is_some_and(|u| u.disabled) {
        "enable"
    } else {
        "disable"
    };
    let role = if app.accounts.user().is_some_and(|u| u.role == crate::api::Role::Admin) {
        "make member"
    } else {
        "make admin"
    };
    let ask_disable: super::Handler = |app, _, _| app.ask_user_change(false);
    let ask_role: super::Handler = |app, _, _| app.ask_user_change(true);
    let t = if app.accounts.opened.is_some() {
        t.row(Action::Revoke, Show::Bar, |app, _, _| app.ask_revoke())
            .row(Action::RevokeAll, Show::Bar, |app, _, _| app.ask_revoke_all())
            .labelled(Action::Back, "all users", Show::Bar, back_key)
            .labelled(Action::Disable, disable, Show::Hidden, ask_disable)
            .labelled(Action::Role, role, Show::Hidden, ask_role)
    } else {
        t.labelled(Action::Reveal, "tokens", Show::Bar, |app, _, out| app.open_user(out))
            .labelled(Action::Disable, disable, Show::Bar, ask_disable)
            .labelled(Action::Role, role, Show::Bar, ask_role)
            .row(Action::RevokeAll, Show::Bar, |app, _, _| app.ask_revoke_all())
            .row(Action::Revoke, Show::Hidden, |app, _, _| app.ask_revoke())
            .labelled(Action::Back, "secrets", Show::Bar, back_key)
    };
    let t = t
        .row(Action::Up, Show::Hidden, move_cursor)
        .row(Action::Down, Show::Hidden, move_cursor)
        .row(Action::NextTab, Show::Bar, cycle_tabs)
        .row(Action::Refresh, Show::Bar, |app, _, out| app.refresh(out));
    navigation(not_here(t), app.is_admin())
}

/// The token no longer works: quitting, help, and asking again are all there is.
pub(super) fn revoked_table() -> ActionTable {
    ActionTable::new(Context::Main)
        .labelled(Action::Refresh, "try again", Show::Bar, |app, _, out| app.refresh(out))
        .row(Action::Help, Show::Bar, |app, _, _| {
            app.popup = Some(Popup::Help(HelpPopup::default()));
        })
        .row(Action::Quit, Show::Bar, |app, _, out| app.quit(out))
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
    let pane = app.view.pane;
    let page = match app.areas() {
        Some(a) if pane != Pane::Secrets => a.audit_rows(),
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
    match pane {
        Pane::Audit => {
            let n = app.audit.events.len();
            app.audit.cursor = app.audit.cursor.saturating_add_signed(delta).min(n.saturating_sub(1));
        }
        Pane::Tokens => app.accounts.tokens.move_by(delta),
        Pane::Users if app.accounts.opened.is_some() => app.accounts.user_tokens.move_by(delta),
        Pane::Users => app.accounts.users.move_by(delta),
        Pane::Secrets => {
            app.list.move_by(delta);
            app.after_move(out);
        }
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

/// All → Provider → Tool → Custom → Audit → Tokens → Users (admins) → All.
fn cycle_tabs(app: &mut App, action: Action, out: &mut Vec<Command>) {
    let tabs = CategoryTab::ALL;
    let mut panes = vec![Pane::Audit, Pane::Tokens];
    if app.is_admin() {
        panes.push(Pane::Users);
    }
    let pos = match app.view.pane {
        Pane::Secrets => tabs.iter().position(|t| *t == app.list.tabs().category).unwrap_or(0),
        other => tabs.len() + panes.iter().position(|p| *p == other).unwrap_or(0),
    };
    let n = tabs.len() + panes.len();
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
        None => set_pane(app, panes[next - tabs.len()], out),
    }
}

/// `pane`, or back to the secrets when it is open already.
fn toggle_pane(app: &mut App, pane: Pane, out: &mut Vec<Command>) {
    let to = if app.view.pane == pane { Pane::Secrets } else { pane };
    set_pane(app, to, out);
}

fn set_pane(app: &mut App, pane: Pane, out: &mut Vec<Command>) {
    app.view.pane = pane;
    if pane != Pane::Secrets {
        // A value stays on screen only beside its secret.
        app.shown = None;
    }
    match pane {
        Pane::Audit => load_audit(app, out),
        Pane::Tokens => app.load_tokens(out),
        Pane::Users => app.load_users(out),
        Pane::Secrets => {}
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
    if app.view.pane == Pane::Users && app.accounts.opened.take().is_some() {
        return;
    }
    if app.view.pane != Pane::Secrets {
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
        if self.session.revoked.is_some() {
            // One question, asked only when the user asks: does this token work again?
            self.issue(out, Command::LoadMe);
            self.say(Tone::Info, "Asking the vault whether this token works again…");
            return;
        }
        if let Some(o) = &mut self.session.offline {
            o.retry_at = self.now;
        }
        if self.session.me.is_none() {
            self.issue(out, Command::LoadMe);
        }
        self.load_secrets(out);
        match self.view.pane {
            Pane::Audit => load_audit(self, out),
            Pane::Tokens => self.load_tokens(out),
            Pane::Users => self.load_users(out),
            Pane::Secrets => {}
        }
        self.versions.key = None;
        self.say(Tone::Info, "Refreshing…");
    }
}
