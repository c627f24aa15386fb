//! Key dispatch: the keymap names the action, the focused context's action table runs it. A key
//! that no row takes is typing, where the context accepts text. Paste goes to the same place.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action_table::{TextKey, global};
use super::{App, Command, Popup};

pub(super) fn on_key(app: &mut App, key: KeyEvent, out: &mut Vec<Command>) {
    let table = app.action_table();
    if let Some(action) = app.keymap.action(table.ctx, &key) {
        let row = table.find(action).copied().or_else(|| global().find(action).copied());
        if let Some(row) = row {
            return (row.run)(app, action, out);
        }
    }
    let Some(text) = table.text else { return };
    let plain = !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match key.code {
        KeyCode::Char(c) if plain => text(app, TextKey::Char(c), out),
        KeyCode::Backspace => text(app, TextKey::Backspace, out),
        _ => {}
    }
}

pub(super) fn on_paste(app: &mut App, text: &str) {
    match (&mut app.popup, app.view.filtering) {
        (Some(Popup::Form(f)), _) => f.form.paste(text),
        (Some(Popup::Confirm(c)), _) if c.action.keys().typed_name => {
            c.typed.extend(text.chars().filter(|c| !c.is_control()));
        }
        (None, true) => {
            let mut q = app.list.query().raw().to_owned();
            q.extend(text.chars().filter(|c| !c.is_control()));
            app.list.set_query(&q);
        }
        _ => {}
    }
}
