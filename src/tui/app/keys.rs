//! Keys on the main screen (table and audit pane) and while typing a filter. Dialog keys are in
//! `dialog_keys`; which of the two runs depends on [`App::context`].

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, CategoryTab, Command, Dialog, Pane, RevealPurpose, Tone, dialog_keys};
use crate::tui::keymap::{Action, Context};

pub(super) fn on_key(app: &mut App, key: KeyEvent, out: &mut Vec<Command>) {
    let ctx = app.context();
    let action = app.keymap.action(ctx, &key);
    match action {
        Some(Action::Quit) => return app.quit(out),
        Some(Action::Refresh) => return refresh(app, out),
        _ => {}
    }
    match ctx {
        Context::Main => main_key(app, action, out),
        Context::Filter => filter_key(app, action, &key, out),
        Context::Confirm | Context::Editor | Context::Help | Context::Global => {
            dialog_keys::on_key(app, ctx, action, &key, out)
        }
    }
}

pub(super) fn on_paste(app: &mut App, text: &str) {
    match (&mut app.dialog, app.view.filtering) {
        (Some(Dialog::Form(f)), _) => f.form.paste(text),
        (None, true) => {
            let mut q = app.list.query().raw().to_owned();
            q.extend(text.chars().filter(|c| !c.is_control()));
            app.list.set_query(&q);
        }
        _ => {}
    }
}

fn refresh(app: &mut App, out: &mut Vec<Command>) {
    if let Some(o) = &mut app.session.offline {
        o.retry_at = app.now;
    }
    if app.session.me.is_none() {
        app.issue(out, Command::LoadMe);
    }
    app.load_secrets(out);
    if app.view.pane == Pane::Audit {
        load_audit(app, out);
    }
    app.versions.key = None;
    app.say(Tone::Info, "Refreshing…");
}

fn load_audit(app: &mut App, out: &mut Vec<Command>) {
    if !app.audit.loading {
        app.audit.loading = true;
        app.issue(out, Command::LoadAudit);
    }
}

fn set_pane(app: &mut App, pane: Pane, out: &mut Vec<Command>) {
    app.view.pane = pane;
    if pane == Pane::Audit {
        app.shown = None;
        load_audit(app, out);
    }
}

fn main_key(app: &mut App, action: Option<Action>, out: &mut Vec<Command>) {
    let Some(action) = action else { return };
    let audit = app.view.pane == Pane::Audit;
    match action {
        Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
            move_cursor(app, action, out)
        }
        Action::NextTab | Action::PrevTab => cycle_tabs(app, action == Action::NextTab, out),
        Action::TabAll | Action::TabProvider | Action::TabTool | Action::TabCustom => {
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
        Action::PrevScope | Action::NextScope => {
            app.list.shift_scope(action == Action::NextScope);
            app.after_move(out);
        }
        Action::Visibility => {
            app.list.cycle_visibility();
            app.after_move(out);
        }
        Action::Audit => set_pane(app, if audit { Pane::Secrets } else { Pane::Audit }, out),
        Action::Help => app.dialog = Some(Dialog::Help { scroll: 0 }),
        Action::Back => back(app, out),
        _ if audit => {
            let a = app.keymap.hint(Context::Main, Action::Audit);
            app.say(
                Tone::Info,
                format!(
                    "{} works on the secrets table; {a} leaves the audit pane",
                    action.label()
                ),
            );
        }
        Action::Filter => app.view.filtering = true,
        Action::Sort => {
            app.list.cycle_sort();
            app.say(Tone::Info, format!("Sorted by {}", app.list.sort().label()));
            app.after_move(out);
        }
        Action::Reveal => app.ask_reveal(RevealPurpose::Show, out),
        Action::Copy => app.ask_reveal(RevealPurpose::Copy, out),
        Action::Mark if app.list.toggle_mark().is_some() => {
            app.list.move_by(1);
            app.after_move(out);
        }
        Action::Rotate => app.start_rotate(),
        Action::BatchRotate => app.start_batch(out),
        Action::New => app.start_new(),
        Action::Edit => app.start_edit(),
        Action::Delete => app.start_delete(),
        _ => {}
    }
}

fn move_cursor(app: &mut App, action: Action, out: &mut Vec<Command>) {
    let page = app.list.page_size() as isize;
    let delta: isize = match action {
        Action::Up => -1,
        Action::Down => 1,
        Action::PageUp => -page,
        Action::PageDown => page,
        Action::Top => isize::MIN / 2,
        _ => isize::MAX / 2,
    };
    if app.view.pane == Pane::Audit {
        let n = app.audit.events.len();
        app.audit.cursor = app.audit.cursor.saturating_add_signed(delta).min(n.saturating_sub(1));
    } else {
        app.list.move_by(delta);
        app.after_move(out);
    }
}

fn cycle_tabs(app: &mut App, forward: bool, out: &mut Vec<Command>) {
    // All → Provider → Tool → Custom → Audit → All.
    let tabs = CategoryTab::ALL;
    let pos = match app.view.pane {
        Pane::Audit => tabs.len(),
        Pane::Secrets => tabs.iter().position(|t| *t == app.list.tabs().category).unwrap_or(0),
    };
    let n = tabs.len() + 1;
    let next = if forward { (pos + 1) % n } else { (pos + n - 1) % n };
    match tabs.get(next) {
        Some(&tab) => {
            set_pane(app, Pane::Secrets, out);
            app.list.set_category(tab);
            app.after_move(out);
        }
        None => set_pane(app, Pane::Audit, out),
    }
}

/// Esc: undo the most recent thing on screen, one at a time.
fn back(app: &mut App, out: &mut Vec<Command>) {
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

fn filter_key(app: &mut App, action: Option<Action>, key: &KeyEvent, out: &mut Vec<Command>) {
    match action {
        Some(Action::Accept) => app.view.filtering = false,
        Some(Action::Clear) => {
            app.view.filtering = false;
            app.list.set_query("");
        }
        Some(Action::Up) => app.list.move_by(-1),
        Some(Action::Down) => app.list.move_by(1),
        _ => {
            let plain = !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
            let mut q = app.list.query().raw().to_owned();
            match key.code {
                KeyCode::Char(c) if plain => q.push(c),
                KeyCode::Backspace => {
                    q.pop();
                }
                _ => return,
            }
            app.list.set_query(&q);
        }
    }
    app.after_move(out);
}
