//! `update` flows of writes, message by message, with a fixed clock: rotate (with a conflict, in a
//! batch), new, edit, delete, and who may change what.

use crossterm::event::KeyCode;
use secrecy::ExposeSecret;
use vaultty::api::Role;
use vaultty::tui::app::{CallError, FailureClass, PendingAction, Popup, Purpose, Step, WriteOp};
use vaultty::tui::{Command, Reply};

use crate::fixtures::*;

/// Whether the rotation's write is waiting for a yes.
fn reviewing(app: &vaultty::tui::App) -> bool {
    matches!(&app.popup, Some(Popup::Confirm(c)) if matches!(c.action, PendingAction::WriteRotation { .. }))
}

#[test]
fn rotate_with_a_conflict_reloads_and_writes_against_the_new_version() {
    let mut app = loaded();
    select(&mut app, "ANTHROPIC_API_KEY");
    ch(&mut app, 'r');
    let new_value = "sk-NEWVALUE-typed-by-alice";
    typed(&mut app, new_value);
    assert!(!screen(&app, 80, 24).contains("NEWVALUE"), "the typed value is masked");
    ctrl(&mut app, 't');
    assert!(screen(&app, 80, 24).contains("NEWVALUE"), "and shown when asked");
    ctrl(&mut app, 't');
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(reviewing(&app));
    assert!(
        screen(&app, 80, 24).contains("sk-N****lice"),
        "the new preview is shown beside the old"
    );

    let cmds = ch(&mut app, 'y');
    match &cmds[..] {
        [
            Command::Write {
                op: WriteOp::Rotate(k),
                req,
            },
        ] => {
            assert_eq!(k, &key("ANTHROPIC_API_KEY", true));
            assert_eq!(req.expected_version, Some(4));
            assert_eq!(req.org_wide, Some(true));
            assert_eq!(req.value.expose_secret(), new_value);
        }
        other => panic!("{other:?}"),
    }

    let conflict = CallError::new(
        FailureClass::Conflict {
            current_version: Some(5),
        },
        "expected version 4, found 5",
    );
    let cmds = send(
        &mut app,
        Reply::Written {
            op: WriteOp::Rotate(key("ANTHROPIC_API_KEY", true)),
            result: Err(conflict),
        },
    );
    assert!(matches!(&cmds[..], [Command::LoadSecret(k)] if k.name == "ANTHROPIC_API_KEY"));
    assert!(matches!(app.popup, Some(Popup::Conflict(_))));
    send(
        &mut app,
        Reply::Secret {
            key: key("ANTHROPIC_API_KEY", true),
            result: Ok(rotated("ANTHROPIC_API_KEY", 5, "carol", at(-60))),
        },
    );
    let s = screen(&app, 80, 24);
    assert!(s.contains("rotated to v5 by carol"), "{s}");

    ch(&mut app, 'y'); // reload and review
    assert!(reviewing(&app));
    let cmds = ch(&mut app, 'y');
    assert!(matches!(&cmds[..], [Command::Write { req, .. }] if req.expected_version == Some(5)));
    send(
        &mut app,
        Reply::Written {
            op: WriteOp::Rotate(key("ANTHROPIC_API_KEY", true)),
            result: Ok(rotated("ANTHROPIC_API_KEY", 6, "alice", at(5))),
        },
    );
    assert!(matches!(&app.popup, Some(Popup::OfferCopy(o)) if o.version == 6));
    assert_eq!(status(&app), "Rotated ANTHROPIC_API_KEY to v6");

    let cmds = ch(&mut app, 'y');
    assert!(matches!(&cmds[..], [Command::Copy { value, .. }] if value.expose_secret() == new_value));
    assert!(app.popup.is_none());
    assert_eq!(app.list.selected().map(|m| m.version), Some(6));
}

#[test]
fn a_failed_rotation_keeps_the_dialog_with_the_servers_message() {
    let mut app = loaded();
    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, 'r');
    press(&mut app, KeyCode::Enter);
    assert!(matches!(&app.popup, Some(Popup::Form(f)) if f.error.as_deref() == Some("a secret value cannot be empty")));
    typed(&mut app, "x");
    press(&mut app, KeyCode::Enter);
    ch(&mut app, 'y');
    send(
        &mut app,
        Reply::Written {
            op: WriteOp::Rotate(key("GITHUB_TOKEN", false)),
            result: Err(CallError::new(
                FailureClass::Server,
                "the server failed (500): disk full",
            )),
        },
    );
    assert!(
        matches!(&app.popup, Some(Popup::Form(f)) if f.step == Step::Editing && f.error.as_deref() == Some("the server failed (500): disk full"))
    );
    assert_eq!(status(&app), "the server failed (500): disk full");
}

#[test]
fn marked_secrets_rotate_one_after_another() {
    let mut app = loaded();
    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, ' ');
    select(&mut app, "DATABASE_URL");
    ch(&mut app, ' ');
    assert_eq!(app.list.mark_count(), 2);

    ch(&mut app, 'R');
    // The table's order: DATABASE_URL before GITHUB_TOKEN.
    let target = |app: &vaultty::tui::App| match &app.popup {
        Some(Popup::Form(f)) => match &f.purpose {
            Purpose::Rotate(t) => t.key.name.clone(),
            p => panic!("{p:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert_eq!(target(&app), "DATABASE_URL");
    assert!(screen(&app, 80, 24).contains("Rotate DATABASE_URL (private, v7) · 1 of 2"));
    generate(&mut app);
    press(&mut app, KeyCode::Enter);
    let cmds = ch(&mut app, 'y');
    let generated = match &cmds[..] {
        [Command::Write { req, .. }] => req.value.expose_secret().to_owned(),
        other => panic!("{other:?}"),
    };
    assert_eq!(generated.len(), 32);
    assert!(generated.chars().all(|c| c.is_ascii_alphanumeric()));
    send(
        &mut app,
        Reply::Written {
            op: WriteOp::Rotate(key("DATABASE_URL", false)),
            result: Ok(rotated("DATABASE_URL", 8, "alice", at(3))),
        },
    );
    assert!(matches!(app.popup, Some(Popup::OfferCopy(_))));
    ch(&mut app, 'n'); // no copy: on to the next
    assert_eq!(target(&app), "GITHUB_TOKEN");
    assert_eq!(app.list.selected().map(|m| m.name.as_str()), Some("GITHUB_TOKEN"));
    ctrl(&mut app, 'n'); // skip it
    assert!(app.popup.is_none());
    assert!(app.batch.is_none());
    assert_eq!(status(&app), "Batch rotation done: 1 rotated, 1 skipped");
    assert_eq!(
        app.list.mark_count(),
        1,
        "the rotated one is unmarked, the skipped one stays marked"
    );
}

#[test]
fn batch_without_marks_takes_every_stale_secret_and_esc_stops_it() {
    let mut app = loaded();
    ch(&mut app, 'R');
    assert_eq!(
        app.batch.as_ref().map(|b| b.total),
        Some(3),
        "OPENAI_API_KEY, DATABASE_URL, SLACK_WEBHOOK are stale"
    );
    press(&mut app, KeyCode::Esc);
    assert!(app.popup.is_none());
    assert!(app.batch.is_none());
    assert_eq!(status(&app), "Batch rotation stopped: 0 of 3 rotated");
}

#[test]
fn failed_calls_become_status_messages() {
    let mut app = loaded();
    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, 'd');
    typed(&mut app, "GITHUB");
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "the name must be typed back in full"
    );
    typed(&mut app, "_TOKEN");
    let cmds = press(&mut app, KeyCode::Enter);
    assert!(matches!(&cmds[..], [Command::Delete(k)] if k.name == "GITHUB_TOKEN"));
    send(
        &mut app,
        Reply::Deleted {
            key: key("GITHUB_TOKEN", false),
            result: Err(CallError::new(FailureClass::Forbidden, "not allowed")),
        },
    );
    assert_eq!(status(&app), "not allowed");
    press(&mut app, KeyCode::Enter);
    send(
        &mut app,
        Reply::Deleted {
            key: key("GITHUB_TOKEN", false),
            result: Ok(()),
        },
    );
    assert!(!visible_names(&app).contains(&"GITHUB_TOKEN".to_owned()));
    assert_eq!(status(&app), "Deleted GITHUB_TOKEN (private)");
}

#[test]
fn members_are_told_before_editing_org_secrets() {
    let mut app = fresh();
    app.start();
    send(&mut app, Reply::Me(Ok(me(Role::Member))));
    send(&mut app, Reply::Secrets(Ok(secrets())));
    select(&mut app, "ANTHROPIC_API_KEY");
    ch(&mut app, 'r');
    assert!(app.popup.is_none());
    assert_eq!(
        status(&app),
        "Only admins rotate org-shared secrets like ANTHROPIC_API_KEY"
    );
}

#[test]
fn new_secret_validates_the_name_as_you_type_and_never_overwrites() {
    let mut app = loaded();
    ch(&mut app, 'n');
    typed(&mut app, "9LIVES");
    assert!(screen(&app, 80, 24).contains("✗ a secret name starts with a letter or an underscore"));
    for _ in 0..6 {
        press(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "GITHUB_TOKEN");
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "v");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(
        matches!(&app.popup, Some(Popup::Form(f)) if f.error.as_deref() == Some("GITHUB_TOKEN already exists (private); rotate it with r instead"))
    );
    press(&mut app, KeyCode::BackTab);
    typed(&mut app, "_2");
    assert!(screen(&app, 80, 24).contains("✓ valid name"));
    let cmds = press(&mut app, KeyCode::Enter);
    match &cmds[..] {
        [
            Command::Write {
                op: WriteOp::Create(k),
                req,
            },
        ] => {
            assert_eq!(k.name, "GITHUB_TOKEN_2");
            assert_eq!(req.expected_version, None);
            assert_eq!(req.value.expose_secret(), "v");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn edit_sends_only_metadata() {
    let mut app = loaded();
    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, 'e');
    ctrl(&mut app, 'u');
    typed(&mut app, "Deploy keys");
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Right); // scope: tools → sandboxes
    let cmds = press(&mut app, KeyCode::Enter);
    match &cmds[..] {
        [Command::Patch { key, patch }] => {
            assert_eq!(key.name, "GITHUB_TOKEN");
            assert_eq!(patch.description.as_deref(), Some("Deploy keys"));
            assert_eq!(patch.scope, Some(vaultty::api::Scope::Sandboxes));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pasting_fills_the_value_and_history_follows_the_selection() {
    let mut app = loaded();
    // Moving asks for the history of the newly selected secret, one request at a time.
    let cmds = press(&mut app, KeyCode::Down);
    assert!(matches!(&cmds[..], [Command::LoadVersions(k)] if k.name == "DATABASE_URL"));
    assert!(
        press(&mut app, KeyCode::Down).is_empty(),
        "one history request at a time"
    );
    let cmds = send(
        &mut app,
        Reply::Versions {
            key: key("DATABASE_URL", false),
            result: Ok(vec![]),
        },
    );
    assert!(
        matches!(&cmds[..], [Command::LoadVersions(k)] if k.name == "GITHUB_TOKEN"),
        "then the newest selection"
    );
    ch(&mut app, 'r');
    vaultty::tui::update(
        &mut app,
        vaultty::tui::Msg::Paste(vaultty::tui::app::Pasted::new("pasted-value-1234\n".into())),
    );
    match &app.popup {
        Some(Popup::Form(f)) => assert_eq!(
            f.form.secret().map(vaultty::tui::app::SecretInput::expose),
            Some("pasted-value-1234")
        ),
        other => panic!("{other:?}"),
    }
}
