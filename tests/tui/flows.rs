//! `update` flows, message by message, with a fixed clock.

use crossterm::event::KeyCode;
use secrecy::ExposeSecret;
use vaultty::api::Role;
use vaultty::tui::app::{
    CallError, ClearResult, CopyInfo, ErrorKind, PendingAction, Popup, Purpose, RevealPurpose, SortKey, Step, Tone,
    WriteOp,
};
use vaultty::tui::{Command, Reply};

use crate::fixtures::*;

fn status(app: &vaultty::tui::App) -> String {
    app.status.as_ref().map(|s| s.text.clone()).unwrap_or_default()
}

fn confirm_text(app: &vaultty::tui::App) -> String {
    match &app.popup {
        Some(Popup::Confirm(c)) => c.action.text(app, c.asked_at).join("\n"),
        other => panic!("expected a confirmation, got {other:?}"),
    }
}

/// Whether the rotation's write is waiting for a yes.
fn reviewing(app: &vaultty::tui::App) -> bool {
    matches!(&app.popup, Some(Popup::Confirm(c)) if matches!(c.action, PendingAction::WriteRotation { .. }))
}

#[test]
fn reveal_asks_then_shows_then_masks_again_at_the_deadline() {
    let mut app = loaded();
    select(&mut app, "ANTHROPIC_API_KEY");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(
        confirm_text(&app),
        "Revealing ANTHROPIC_API_KEY (org-shared, v4) is recorded in the audit log as alice at 14:02 UTC."
    );
    // Enter again does not confirm: only y does.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(app.popup.is_some());
    let cmds = ch(&mut app, 'y');
    assert!(
        matches!(&cmds[..], [Command::Reveal { key, purpose: RevealPurpose::Show }] if *key == key_of("ANTHROPIC_API_KEY", true))
    );
    assert!(app.popup.is_none());
    assert_eq!(
        app.session.in_flight, 1,
        "the spinner turns while the reveal is in flight"
    );

    let cmds = answer_reveal(&mut app, RevealPurpose::Show, revealed("ANTHROPIC_API_KEY", 4), at(0));
    // The reveal set "last used": the row is fetched again.
    assert!(matches!(&cmds[..], [Command::LoadSecret(k)] if k.name == "ANTHROPIC_API_KEY"));
    assert!(screen(&app, 140, 40).contains(value_of("ANTHROPIC_API_KEY")));
    assert!(screen(&app, 140, 40).contains("masked again in 20s"));

    tick(&mut app, at(11));
    assert!(screen(&app, 140, 40).contains("masked again in 9s"));
    tick(&mut app, at(19));
    assert!(app.shown.is_some());
    tick(&mut app, at(20));
    assert!(app.shown.is_none(), "masked again after 20 s");
    assert!(!screen(&app, 140, 40).contains(value_of("ANTHROPIC_API_KEY")));
    assert_eq!(status(&app), "ANTHROPIC_API_KEY is masked again");
}

fn key_of(name: &str, org: bool) -> vaultty::tui::app::SecretKey {
    key(name, org)
}

#[test]
fn n_or_esc_cancel_a_reveal_and_moving_away_hides_the_value() {
    let mut app = loaded();
    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, 'v');
    assert!(ch(&mut app, 'n').is_empty());
    assert!(app.popup.is_none());
    ch(&mut app, 'v');
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert!(app.popup.is_none());

    reveal(&mut app, at(0));
    assert!(app.shown.is_some());
    ch(&mut app, 'j');
    assert!(app.shown.is_none(), "the value goes when the selection moves");

    select(&mut app, "GITHUB_TOKEN");
    reveal(&mut app, at(0));
    press(&mut app, KeyCode::Esc);
    assert!(app.shown.is_none(), "Esc hides it at once");
}

#[test]
fn write_only_secrets_say_so_instead_of_asking() {
    let mut app = loaded();
    select(&mut app, "STRIPE_SECRET");
    assert!(ch(&mut app, 'v').is_empty());
    assert!(app.popup.is_none());
    assert!(status(&app).contains("write-only"), "{}", status(&app));
    assert!(ch(&mut app, 'c').is_empty());
    assert!(app.popup.is_none());
    assert!(screen(&app, 140, 40).contains("write-only, never revealed"));
}

#[test]
fn a_denied_reveal_shows_the_servers_reason() {
    let mut app = loaded();
    select(&mut app, "ANTHROPIC_API_KEY");
    ask_and_confirm(&mut app, 'v');
    let reason = "members may not reveal org-shared secrets in this org";
    answer_reveal(
        &mut app,
        RevealPurpose::Show,
        Err(CallError::new(ErrorKind::Forbidden, reason)),
        at(1),
    );
    assert!(app.shown.is_none());
    assert_eq!(status(&app), format!("Reveal of ANTHROPIC_API_KEY denied: {reason}"));
    assert_eq!(app.status.as_ref().map(|s| s.tone), Some(Tone::Error));
    assert!(screen(&app, 80, 24).contains("Reveal of ANTHROPIC_API_KEY denied"));
}

#[test]
fn copy_clears_only_when_unchanged_and_recopy_restarts_the_timer() {
    let mut app = loaded();
    select(&mut app, "GITHUB_TOKEN");
    assert!(ch(&mut app, 'c').is_empty());
    assert!(confirm_text(&app).starts_with(
        "Copying GITHUB_TOKEN (private, v3) reveals it, which is recorded in the audit log as alice at 14:02 UTC."
    ));
    let cmds = ch(&mut app, 'y');
    assert!(matches!(
        &cmds[..],
        [Command::Reveal {
            purpose: RevealPurpose::Copy,
            ..
        }]
    ));
    // The revealed value goes straight to the clipboard; it is not kept.
    let cmds = answer_reveal(&mut app, RevealPurpose::Copy, revealed("GITHUB_TOKEN", 3), at(0));
    match &cmds[..] {
        [Command::LoadSecret(_), Command::Copy { label, value }] => {
            assert_eq!(label, "GITHUB_TOKEN");
            assert_eq!(value.expose_secret(), value_of("GITHUB_TOKEN"));
        }
        other => panic!("{other:?}"),
    }
    assert!(app.shown.is_none());
    copied(&mut app, "GITHUB_TOKEN", at(0));
    assert!(screen(&app, 80, 24).contains("clipboard clears in 30s (system clipboard)"));
    assert!(screen(&app, 140, 40).contains("clipboard: GITHUB_TOKEN clears in 30s (system clipboard)"));

    assert!(tick(&mut app, at(10)).is_empty());
    copied(&mut app, "GITHUB_TOKEN", at(10)); // copied again: the 30 s start over
    assert!(
        tick(&mut app, at(31)).is_empty(),
        "the first deadline no longer applies"
    );
    assert!(screen(&app, 80, 24).contains("clears in 9s"));
    let cmds = tick(&mut app, at(40));
    assert!(matches!(&cmds[..], [Command::ClearClipboard]));
    assert!(tick(&mut app, at(41)).is_empty(), "one clear per copy");

    send(&mut app, Reply::Cleared(Ok(ClearResult::ChangedSinceCopy)));
    assert_eq!(
        status(&app),
        "The clipboard changed since the copy, so it was left alone"
    );
    assert!(app.clip.pending.is_none());
}

#[test]
fn osc52_copies_say_clearing_cannot_be_verified() {
    let mut app = loaded();
    send(
        &mut app,
        Reply::Copied {
            label: "GITHUB_TOKEN".into(),
            result: Ok(CopyInfo {
                method: "OSC 52 (terminal)".into(),
                verifiable: false,
            }),
            at: at(0),
        },
    );
    let s = screen(&app, 140, 40);
    assert!(
        s.contains("OSC 52 (terminal); OSC 52 clearing cannot be verified"),
        "{s}"
    );
    tick(&mut app, at(30));
    send(&mut app, Reply::Cleared(Ok(ClearResult::Unverifiable)));
    assert_eq!(
        status(&app),
        "Clipboard cleared with OSC 52; the terminal cannot confirm it"
    );
}

#[test]
fn copy_of_a_revealed_value_needs_no_second_confirmation_and_quit_clears_at_once() {
    let mut app = loaded();
    select(&mut app, "GITHUB_TOKEN");
    reveal(&mut app, at(0));
    let cmds = ch(&mut app, 'c');
    assert!(matches!(&cmds[..], [Command::Copy { .. }]), "{cmds:?}");
    assert!(app.popup.is_none());
    copied(&mut app, "GITHUB_TOKEN", at(1));

    let cmds = ch(&mut app, 'q');
    assert!(
        matches!(&cmds[..], [Command::ClearClipboard]),
        "quitting clears the clipboard first"
    );
    assert!(app.view.quit);
    assert!(app.shown.is_none());
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
        ErrorKind::Conflict {
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
            result: Err(CallError::new(ErrorKind::Other, "the server failed (500): disk full")),
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
fn filter_as_you_type_then_keep_or_clear() {
    let mut app = loaded();
    ch(&mut app, '/');
    typed(&mut app, "api");
    // Fuzzy: "api" is also in "dAtabase ... Postgres for stagIng".
    assert_eq!(
        visible_names(&app),
        ["ANTHROPIC_API_KEY", "DATABASE_URL", "OPENAI_API_KEY"]
    );
    // Keys go to the filter while typing: q is a letter here, not quit.
    ch(&mut app, 'q');
    assert!(!app.view.quit);
    assert!(visible_names(&app).is_empty());
    press(&mut app, KeyCode::Backspace);
    typed(&mut app, " agent");
    assert_eq!(
        visible_names(&app),
        ["ANTHROPIC_API_KEY"],
        "words match name or description"
    );
    press(&mut app, KeyCode::Enter);
    assert!(!app.view.filtering);
    assert_eq!(app.list.query().raw(), "api agent");
    ch(&mut app, 'j'); // back in the table
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.list.visible_len(), 7, "Esc clears the filter");

    ch(&mut app, '/');
    typed(&mut app, "staging");
    assert_eq!(
        visible_names(&app),
        ["DATABASE_URL"],
        "description: Postgres for staging"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.list.query().raw(), "");
}

#[test]
fn tabs_filter_by_category_scope_and_visibility_with_counts() {
    let mut app = loaded();
    assert_eq!(app.list.counts().category, [7, 3, 2, 2]);
    ch(&mut app, '2');
    assert_eq!(
        visible_names(&app),
        ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "STRIPE_SECRET"]
    );
    ch(&mut app, ']'); // scope: agents
    assert_eq!(visible_names(&app), ["ANTHROPIC_API_KEY"]);
    assert_eq!(
        app.list.counts().category,
        [2, 1, 1, 0],
        "category counts follow the scope"
    );
    ch(&mut app, '[');
    ch(&mut app, 'o'); // mine
    assert_eq!(visible_names(&app), ["OPENAI_API_KEY"]);
    ch(&mut app, 'o'); // org
    assert_eq!(visible_names(&app), ["ANTHROPIC_API_KEY", "STRIPE_SECRET"]);
    press(&mut app, KeyCode::Tab); // Tool
    press(&mut app, KeyCode::Tab); // Custom
    let cmds = press(&mut app, KeyCode::Tab); // Audit
    assert!(cmds.iter().any(|c| matches!(c, Command::LoadAudit)));
    assert_eq!(app.view.pane, vaultty::tui::app::Pane::Audit);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.list.tabs().category, vaultty::tui::app::CategoryTab::All);
}

#[test]
fn sort_cycles_name_rotated_last_used() {
    let mut app = loaded();
    assert_eq!(app.list.sort(), SortKey::Name);
    ch(&mut app, 's');
    assert_eq!(app.list.sort(), SortKey::Rotated);
    assert_eq!(
        visible_names(&app)[..3],
        ["SLACK_WEBHOOK", "OPENAI_API_KEY", "DATABASE_URL"],
        "oldest change first"
    );
    ch(&mut app, 's');
    assert_eq!(app.list.sort(), SortKey::LastUsed);
    assert_eq!(
        visible_names(&app)[..2],
        ["ANTHROPIC_API_KEY", "GITHUB_TOKEN"],
        "most recently used first"
    );
    assert_eq!(
        visible_names(&app).last().map(String::as_str),
        Some("STRIPE_SECRET"),
        "never used last"
    );
    ch(&mut app, 's');
    assert_eq!(app.list.sort(), SortKey::Name);
}

#[test]
fn unreachable_server_shows_a_banner_and_retries_with_backoff() {
    let mut app = fresh();
    let cmds = app.start();
    assert!(matches!(&cmds[..], [Command::LoadMe, Command::LoadSecrets]));
    send(&mut app, Reply::Me(down()));
    send(&mut app, Reply::Secrets(down()));
    assert_eq!(app.session.offline.as_ref().map(|o| o.attempt), Some(1));
    let s = screen(&app, 80, 24);
    assert!(
        s.contains("Cannot reach http://127.0.0.1:4000 · retrying in 1s (attempt 1)"),
        "{s}"
    );
    assert!(s.contains("Cannot reach the vault: connection refused."), "{s}");
    assert!(tick(&mut app, at(0)).is_empty());
    let cmds = tick(&mut app, at(1));
    assert!(matches!(&cmds[..], [Command::LoadMe, Command::LoadSecrets]), "{cmds:?}");
    send(&mut app, Reply::Secrets(down()));
    assert_eq!(
        app.session.offline.as_ref().map(|o| o.retry_at),
        Some(at(3)),
        "then 2 s"
    );
    assert!(tick(&mut app, at(2)).is_empty());
    // Ctrl-R retries at once.
    let cmds = ctrl(&mut app, 'r');
    assert!(cmds.iter().any(|c| matches!(c, Command::LoadSecrets)));
    send(&mut app, Reply::Me(Ok(me(Role::Member))));
    send(&mut app, Reply::Secrets(Ok(secrets())));
    assert!(app.session.offline.is_none());
    assert_eq!(status(&app), "Connected again");
}

#[test]
fn the_list_refreshes_itself_and_ctrl_r_does_not_stack_requests() {
    let mut app = loaded();
    let every = i64::from(app.config.tui.refresh_seconds);
    assert!(
        tick(&mut app, at(every - 1))
            .iter()
            .all(|c| !matches!(c, Command::LoadSecrets))
    );
    let cmds = tick(&mut app, at(every));
    assert!(cmds.iter().any(|c| matches!(c, Command::LoadSecrets)));
    // While that load is in flight, Ctrl-R queues one more instead of a second request.
    assert!(!ctrl(&mut app, 'r').iter().any(|c| matches!(c, Command::LoadSecrets)));
    let cmds = send(&mut app, Reply::Secrets(Ok(secrets())));
    assert!(
        cmds.iter().any(|c| matches!(c, Command::LoadSecrets)),
        "the queued refresh goes now"
    );
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
            result: Err(CallError::new(ErrorKind::Forbidden, "not allowed")),
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
        Some(Popup::Form(f)) => assert_eq!(f.form.secret().map(|s| s.expose()), Some("pasted-value-1234")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn without_a_clipboard_copy_says_so_before_revealing_anything() {
    let mut app = fresh();
    app.config.no_clipboard = Some("the clipboard is off".into());
    app.start();
    send(&mut app, Reply::Me(Ok(me(Role::Admin))));
    send(&mut app, Reply::Secrets(Ok(secrets())));
    select(&mut app, "GITHUB_TOKEN");
    assert!(ch(&mut app, 'c').is_empty());
    assert!(app.popup.is_none());
    assert_eq!(status(&app), "Cannot copy: the clipboard is off");
}

#[test]
fn typing_and_deleting_in_the_filter_always_matches_a_fresh_search() {
    let mut app = fresh();
    app.start();
    send(&mut app, Reply::Secrets(Ok(many(3_000))));
    let edits = "api k9\x08\x08\x08x\x08ey 1\x08\x08\x08\x08\x08\x08sand\x08\x08\x08\x08stag d";
    ch(&mut app, '/');
    let mut typed = String::new();
    for c in edits.chars() {
        if c == '\x08' {
            typed.pop();
            press(&mut app, KeyCode::Backspace);
        } else {
            typed.push(c);
            ch(&mut app, c);
        }
        let mut scratch = fresh();
        send(&mut scratch, Reply::Secrets(Ok(many(3_000))));
        scratch.list.set_query(&typed);
        assert_eq!(visible_names(&app), visible_names(&scratch), "after typing {typed:?}");
        assert_eq!(app.list.counts(), scratch.list.counts(), "counts after {typed:?}");
    }
    assert!(app.list.visible_len() > 0 && app.list.visible_len() < 3_000);
}
