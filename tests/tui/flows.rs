//! `update` flows of values, message by message, with a fixed clock: reveal, copy, the clipboard.

use crossterm::event::KeyCode;
use secrecy::ExposeSecret;
use vaultty::api::Role;
use vaultty::tui::app::{CallError, ClearResult, CopyInfo, FailureClass, Popup, RevealPurpose, Tone};
use vaultty::tui::{Command, Reply};

use crate::fixtures::*;

fn confirm_text(app: &vaultty::tui::App) -> String {
    match &app.popup {
        Some(Popup::Confirm(c)) => c.action.text(app, c.asked_at).join("\n"),
        other => panic!("expected a confirmation, got {other:?}"),
    }
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
        Err(CallError::new(FailureClass::Forbidden, reason)),
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
