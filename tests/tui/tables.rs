//! The action tables against the keymap and the screen: every key bound in a section does
//! something in that context, every hint has a key, and the hint bar shows the table's words.
//! Also the parts of `update` that used to happen elsewhere: Ctrl-G's value arriving as a reply,
//! and the page size arriving as a resize.

use crossterm::event::KeyCode;
use secrecy::SecretString;
use vaultty::tui::app::{ActionTable, PendingAction, Popup, Show};
use vaultty::tui::keymap::{Action, Context};
use vaultty::tui::{App, Msg, Reply, update};

use crate::fixtures::*;

/// Every action the keymap binds in `ctx` has a row in `table`, and every hinted row has a key.
fn agrees(app: &App, ctx: Context, table: &ActionTable, what: &str) {
    assert_eq!(table.ctx, ctx, "{what}");
    let (_, bound) = app.keymap.help().into_iter().find(|(c, _)| *c == ctx).unwrap();
    for (keys, action) in bound {
        assert!(
            table.find(action).is_some(),
            "{what}: {keys} is bound to {action:?} in [{ctx}], but nothing handles it"
        );
    }
    for row in table.bar() {
        assert!(
            !app.keymap.hint(table.ctx, row.action).is_empty(),
            "{what}: {:?} is hinted without a key",
            row.action
        );
    }
}

#[test]
fn every_bound_key_has_a_row_and_every_hint_a_key() {
    let mut app = loaded();
    agrees(&app, Context::Main, &app.action_table(), "the secrets table");
    ch(&mut app, 'a');
    agrees(&app, Context::Main, &app.action_table(), "the audit pane");
    ch(&mut app, 't');
    agrees(&app, Context::Main, &app.action_table(), "the tokens view");
    ch(&mut app, 'u');
    agrees(&app, Context::Main, &app.action_table(), "the users view");
    send(
        &mut app,
        Reply::Users(Ok(vec![vaultty::api::UserInfo {
            name: "bob".into(),
            role: vaultty::api::Role::Member,
            disabled: false,
            enrolled: true,
            created_at: T0,
            last_seen_at: None,
            tokens: 1,
        }])),
    );
    press(&mut app, KeyCode::Enter);
    agrees(&app, Context::Main, &app.action_table(), "a user's tokens");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    ch(&mut app, 'a');
    ch(&mut app, 'a');
    ch(&mut app, '/');
    agrees(&app, Context::Filter, &app.action_table(), "the filter");
    press(&mut app, KeyCode::Esc);
    ch(&mut app, '?');
    agrees(&app, Context::Help, &app.action_table(), "help");
    press(&mut app, KeyCode::Esc);

    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, ' ');
    ch(&mut app, 'R'); // a batch: the form has every editor action, skip included
    agrees(&app, Context::Editor, &app.action_table(), "the rotate form in a batch");
    typed(&mut app, "x");
    press(&mut app, KeyCode::Enter);
    agrees(&app, Context::Confirm, &app.action_table(), "the rotation's review");
}

#[test]
fn the_hint_bar_shows_the_tables_words() {
    let mut app = loaded();
    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, 'c');
    let table = app.action_table();
    let inline: Vec<_> = table.inline().map(|r| (r.action, r.label)).collect();
    assert_eq!(inline, [(Action::Yes, "copy"), (Action::No, "cancel")]);
    assert!(table.rows.iter().all(|r| r.show == Show::Inline));
    let s = screen(&app, 80, 24);
    assert!(s.contains(" y copy  n/Esc cancel "), "{s}");
    assert!(s.contains("y copy · n/Esc cancel"), "{s}");
}

#[test]
fn no_on_the_review_goes_back_to_the_form_with_the_value() {
    let mut app = loaded();
    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, 'r');
    typed(&mut app, "kept-value");
    press(&mut app, KeyCode::Enter);
    assert!(matches!(&app.popup, Some(Popup::Confirm(c)) if matches!(c.action, PendingAction::WriteRotation { .. })));
    assert!(ch(&mut app, 'n').is_empty());
    match &app.popup {
        Some(Popup::Form(f)) => assert_eq!(
            f.form.secret().map(vaultty::tui::app::SecretInput::expose),
            Some("kept-value")
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ctrl_g_asks_tasks_and_the_value_arrives_as_a_reply() {
    let mut app = loaded();
    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, 'r');
    let cmds = ctrl(&mut app, 'g');
    let [vaultty::tui::Command::Generate { len: 32, ticket, .. }] = &cmds[..] else {
        panic!("{cmds:?}");
    };
    let ticket = *ticket;
    let value = |app: &App| match &app.popup {
        Some(Popup::Form(f)) => f.form.secret().map(|s| s.expose().to_owned()),
        _ => None,
    };
    assert_eq!(value(&app).as_deref(), Some(""), "update itself draws no random value");
    let generated = |text: &str| Reply::Generated {
        ticket,
        value: SecretString::from(text.to_owned()),
    };
    send(&mut app, generated("generated-by-tasks"));
    assert_eq!(value(&app).as_deref(), Some("generated-by-tasks"));

    // A value asked for by a form since closed never lands in the next one.
    let cmds = ctrl(&mut app, 'g');
    let [vaultty::tui::Command::Generate { ticket: closed, .. }] = &cmds[..] else {
        panic!("{cmds:?}");
    };
    let closed = *closed;
    press(&mut app, KeyCode::Esc);
    ch(&mut app, 'r');
    send(
        &mut app,
        Reply::Generated {
            ticket: closed,
            value: SecretString::from("for-the-closed-form"),
        },
    );
    assert_eq!(
        value(&app).as_deref(),
        Some(""),
        "the new form did not ask for that value"
    );
}

#[test]
fn the_page_size_comes_from_the_resize() {
    let mut app = fresh();
    app.start();
    send(&mut app, Reply::Secrets(Ok(many(200))));
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.list.cursor(), 10, "before any size is known, a page is 10 rows");
    update(&mut app, Msg::Resize { width: 80, height: 24 });
    // 24 rows: title, two tab bars, status and hints leave 19; the details take 8, the table's
    // border and header 3.
    assert_eq!(app.list.page_size(), 8);
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.list.cursor(), 18);
    update(&mut app, Msg::Resize { width: 140, height: 40 });
    assert_eq!(app.list.page_size(), 32);
    // The renderer reads the scroll; the selected row is on screen.
    let s = screen(&app, 140, 40);
    let name = app.list.selected().unwrap().name.to_string();
    assert!(s.contains(&name), "{s}");
}
