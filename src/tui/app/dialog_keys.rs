//! Keys inside dialogs: yes/no questions, forms, and help.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Command, Dialog, Purpose, Question, RevealPurpose, Step};
use crate::tui::keymap::{Action, Context};

pub(super) fn on_key(app: &mut App, ctx: Context, action: Option<Action>, key: &KeyEvent, out: &mut Vec<Command>) {
    match ctx {
        Context::Help => help_key(app, action),
        Context::Confirm => match action {
            Some(Action::Yes) => yes(app, out),
            Some(Action::No) => no(app, out),
            _ => {}
        },
        Context::Editor => editor_key(app, action, key, out),
        _ => {}
    }
}

fn help_key(app: &mut App, action: Option<Action>) {
    let Some(Dialog::Help { scroll }) = &mut app.dialog else {
        return;
    };
    match action {
        Some(Action::Close) => app.dialog = None,
        Some(Action::Up) => *scroll = scroll.saturating_sub(1),
        Some(Action::Down) => *scroll = (*scroll + 1).min(app.view.help_max_scroll.get()),
        _ => {}
    }
}

fn yes(app: &mut App, out: &mut Vec<Command>) {
    match app.dialog.take() {
        Some(Dialog::Confirm(c)) => {
            let (key, purpose) = match c.question {
                Question::Reveal(k) => (k, RevealPurpose::Show),
                Question::Copy(k) => (k, RevealPurpose::Copy),
            };
            app.issue(out, Command::Reveal { key, purpose });
        }
        Some(Dialog::Form(mut f)) if f.step == Step::Review => {
            app.write_rotation(&mut f, out);
            app.dialog = Some(Dialog::Form(f));
        }
        Some(Dialog::Conflict(c)) => app.reload_after_conflict(c),
        Some(Dialog::OfferCopy(o)) => {
            app.issue(
                out,
                Command::Copy {
                    label: o.key.name,
                    value: o.value,
                },
            );
            app.next_in_batch(out);
        }
        other => app.dialog = other,
    }
}

fn no(app: &mut App, out: &mut Vec<Command>) {
    match app.dialog.take() {
        Some(Dialog::Form(mut f)) if f.step == Step::Review => {
            f.step = Step::Editing;
            app.dialog = Some(Dialog::Form(f));
        }
        Some(Dialog::Conflict(_)) => app.skip_in_batch(out),
        Some(Dialog::OfferCopy(_)) => app.next_in_batch(out),
        // Dropping the dialog drops any value it held.
        _ => {}
    }
}

fn editor_key(app: &mut App, action: Option<Action>, key: &KeyEvent, out: &mut Vec<Command>) {
    let Some(Dialog::Form(f)) = &mut app.dialog else { return };
    if f.step == Step::Saving {
        return;
    }
    match action {
        Some(Action::Cancel) => {
            let rotating = matches!(f.purpose, Purpose::Rotate(_));
            app.dialog = None;
            if rotating {
                app.stop_batch();
            }
        }
        Some(Action::Skip) if app.batch.is_some() => app.skip_in_batch(out),
        Some(Action::Submit) => app.submit_form(out),
        Some(Action::NextField) => f.form.move_focus(true),
        Some(Action::PrevField) => f.form.move_focus(false),
        Some(Action::NextChoice) => f.form.shift_choice(true),
        Some(Action::PrevChoice) => f.form.shift_choice(false),
        Some(Action::ToggleShow) => f.form.toggle_shown(),
        Some(Action::Generate) => {
            f.form.generate();
            f.error = None;
        }
        Some(Action::ClearField) => f.form.clear_focused(),
        _ => {
            let plain = !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
            match key.code {
                KeyCode::Char(c) if plain => f.form.type_char(c),
                KeyCode::Backspace => f.form.backspace(),
                _ => return,
            }
            f.error = None;
        }
    }
}
