//! Screens rendered into `TestBackend` at 80x24 and 140x40 and kept as `insta` snapshots. Every
//! render goes through `fixtures::screen`, which fails if an unrevealed value is on screen.

use crossterm::event::KeyCode;
use vaultty::api::{AuditAction, AuditEvent, Outcome, Role, Visibility};
use vaultty::tui::App;
use vaultty::tui::Reply;
use vaultty::tui::app::{CallError, FailureClass, RevealPurpose, WriteOp};

use crate::fixtures::*;

/// Snapshots `app` at both sizes.
fn snap(name: &str, app: &App) {
    let mut settings = insta::Settings::clone_current();
    // Relative to this file: tests/snapshots/.
    settings.set_snapshot_path("../snapshots");
    settings.bind(|| {
        for (w, h) in [(80, 24), (140, 40)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(app, w, h));
        }
    });
}

#[test]
fn main_screen() {
    let mut app = loaded();
    select(&mut app, "ANTHROPIC_API_KEY");
    snap("main", &app);
}

#[test]
fn main_screen_with_marks_filter_and_sort() {
    let mut app = loaded();
    select(&mut app, "DATABASE_URL");
    ch(&mut app, ' ');
    ch(&mut app, 's');
    ch(&mut app, '/');
    typed(&mut app, "a");
    snap("filtered", &app);
}

#[test]
fn filter_without_matches() {
    let mut app = loaded();
    ch(&mut app, '/');
    typed(&mut app, "zzz");
    press(&mut app, KeyCode::Enter);
    snap("no_match", &app);
}

#[test]
fn reveal_confirmation() {
    let mut app = loaded();
    select(&mut app, "ANTHROPIC_API_KEY");
    press(&mut app, KeyCode::Enter);
    snap("reveal_confirm", &app);
}

#[test]
fn revealed_value_with_countdown() {
    let mut app = loaded();
    select(&mut app, "ANTHROPIC_API_KEY");
    reveal(&mut app, at(0));
    tick(&mut app, at(3));
    snap("revealed", &app);
}

#[test]
fn copy_confirmation_and_countdown() {
    let mut app = loaded();
    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, 'c');
    snap("copy_confirm", &app);
    ch(&mut app, 'y');
    answer_reveal(&mut app, RevealPurpose::Copy, revealed("GITHUB_TOKEN", 3), at(0));
    copied(&mut app, "GITHUB_TOKEN", at(0));
    tick(&mut app, at(4));
    snap("copied", &app);
}

#[test]
fn write_only_detail() {
    let mut app = loaded();
    select(&mut app, "STRIPE_SECRET");
    versions_for_selected(&mut app);
    snap("write_only", &app);
}

#[test]
fn rotate_dialog_masked_then_review() {
    let mut app = loaded();
    select(&mut app, "ANTHROPIC_API_KEY");
    ch(&mut app, 'r');
    typed(&mut app, "sk-NEWVALUE-typed-by-alice");
    snap("rotate_input", &app);
    press(&mut app, KeyCode::Enter);
    snap("rotate_review", &app);
}

#[test]
fn rotation_conflict() {
    let mut app = loaded();
    select(&mut app, "ANTHROPIC_API_KEY");
    ch(&mut app, 'r');
    typed(&mut app, "another-new-value-0000");
    press(&mut app, KeyCode::Enter);
    ch(&mut app, 'y');
    let conflict = CallError::new(
        FailureClass::Conflict {
            current_version: Some(5),
        },
        "expected version 4, found 5",
    );
    send(
        &mut app,
        Reply::Written {
            op: WriteOp::Rotate(key("ANTHROPIC_API_KEY", true)),
            result: Err(conflict),
        },
    );
    send(
        &mut app,
        Reply::Secret {
            key: key("ANTHROPIC_API_KEY", true),
            result: Ok(rotated("ANTHROPIC_API_KEY", 5, "carol", at(-60))),
        },
    );
    snap("conflict", &app);
}

#[test]
fn batch_rotation_and_offer_to_copy() {
    let mut app = loaded();
    ch(&mut app, 'R');
    snap("batch_rotate", &app);
    generate(&mut app);
    press(&mut app, KeyCode::Enter);
    ch(&mut app, 'y');
    send(
        &mut app,
        Reply::Written {
            op: WriteOp::Rotate(key("DATABASE_URL", false)),
            result: Ok(rotated("DATABASE_URL", 8, "alice", at(2))),
        },
    );
    snap("offer_copy", &app);
}

#[test]
fn new_secret_form_with_a_bad_name() {
    let mut app = loaded();
    ch(&mut app, 'n');
    typed(&mut app, "MY-KEY");
    snap("new_secret", &app);
}

#[test]
fn delete_dialog() {
    let mut app = loaded();
    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, 'd');
    typed(&mut app, "GITHUB");
    press(&mut app, KeyCode::Enter);
    snap("delete", &app);
}

#[test]
fn help_screen() {
    let mut app = loaded();
    ch(&mut app, '?');
    snap("help", &app);
}

#[test]
fn audit_pane() {
    let mut app = loaded();
    ch(&mut app, 'a');
    let ev = |id: i64, secs: i64, actor: &str, action: AuditAction, secret: &str, outcome: Outcome| AuditEvent {
        id,
        at: at(-secs),
        actor: Some(actor.into()),
        action,
        secret: Some(secret.into()),
        visibility: Some(Visibility::Org),
        version: Some(4),
        outcome,
        client: Some("vaultty-tui/0.1.0".into()),
        ip: Some("127.0.0.1".into()),
        target: None,
        count: None,
    };
    send(
        &mut app,
        Reply::Audit(Ok(vec![
            ev(5, 30, "alice", AuditAction::Reveal, "ANTHROPIC_API_KEY", Outcome::Ok),
            ev(4, 600, "bob", AuditAction::Reveal, "ANTHROPIC_API_KEY", Outcome::Denied),
            ev(3, 3_600, "bob", AuditAction::Rotate, "ANTHROPIC_API_KEY", Outcome::Ok),
            ev(2, 86_400, "alice", AuditAction::Create, "GITHUB_TOKEN", Outcome::Ok),
        ])),
    );
    snap("audit", &app);
}

#[test]
fn empty_vault() {
    let mut app = fresh();
    app.start();
    send(&mut app, Reply::Me(Ok(me(Role::Admin))));
    send(&mut app, Reply::Secrets(Ok(vec![])));
    snap("empty", &app);
}

#[test]
fn loading() {
    let mut app = fresh();
    app.start();
    snap("loading", &app);
}

#[test]
fn unreachable_server() {
    let mut app = fresh();
    app.start();
    send(&mut app, Reply::Me(down()));
    send(&mut app, Reply::Secrets(down()));
    tick(&mut app, at(0));
    snap("unreachable", &app);
}

#[test]
fn a_failed_call_in_the_status_bar() {
    let mut app = loaded();
    select(&mut app, "ANTHROPIC_API_KEY");
    ask_and_confirm(&mut app, 'v');
    answer_reveal(
        &mut app,
        RevealPurpose::Show,
        Err(CallError::new(
            FailureClass::Forbidden,
            "members may not reveal org-shared secrets",
        )),
        at(0),
    );
    snap("denied", &app);
}

#[test]
fn a_refused_token() {
    let mut app = fresh();
    app.start();
    let refused = || CallError::new(FailureClass::Unauthorized, "the token is not valid");
    send(&mut app, Reply::Me(Err(refused())));
    send(&mut app, Reply::Secrets(Err(refused())));
    snap("unauthorized", &app);
}

#[test]
fn tiny_terminals_do_not_break_anything() {
    let mut app = loaded();
    select(&mut app, "ANTHROPIC_API_KEY");
    let screens: [&dyn Fn(&mut App); 5] = [
        &|_| {},
        &|a| drop(ch(a, 'v')),
        &|a| drop(ch(a, 'r')),
        &|a| drop(ch(a, 'n')),
        &|a| drop(ch(a, '?')),
    ];
    for open in screens {
        let mut app = loaded();
        open(&mut app);
        for (w, h) in [(1, 1), (20, 5), (40, 12), (60, 16)] {
            screen(&app, w, h);
        }
    }
    screen(&app, 80, 24);
}

#[test]
fn help_and_the_bottom_bar_follow_the_users_bindings() {
    let text = "[tui.keys.main]\nreveal = [\"z\"]\nhelp = \"f1\"\n";
    let (tui, keymap) = vaultty::tui::config::parse(text, std::path::Path::new("config.toml")).unwrap();
    let mut app = App::new(vaultty::tui::AppConfig { tui, ..config() }, keymap, T0);
    app.start();
    send(&mut app, Reply::Me(Ok(me(Role::Admin))));
    send(&mut app, Reply::Secrets(Ok(secrets())));
    let main = screen(&app, 80, 24);
    assert!(main.contains(" z reveal  c copy"), "{main}");
    assert!(main.contains("F1 help"), "{main}");
    assert!(ch(&mut app, '?').is_empty());
    assert!(app.popup.is_none(), "? is no longer help");
    vaultty::tui::update(
        &mut app,
        vaultty::tui::Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::F(1),
            crossterm::event::KeyModifiers::NONE,
        )),
    );
    let help = screen(&app, 80, 24);
    assert!(help.contains("  z              reveal the value"), "{help}");
}

/// The status line with live updates on, then off (said once, then only the fallback), then off
/// beside the clipboard's countdown.
#[test]
fn live_updates_on_and_off() {
    use vaultty::tui::app::LiveEvent;
    let mut app = loaded();
    send(&mut app, Reply::Live(LiveEvent::Up));
    send(&mut app, Reply::Secrets(Ok(secrets())));
    snap("live_on", &app);
    send(
        &mut app,
        Reply::Live(LiveEvent::Down {
            error: CallError::new(FailureClass::Unreachable, "Cannot reach the vault: connection refused."),
            retry_in: Some(std::time::Duration::from_secs(2)),
        }),
    );
    // The list is read at once when the stream goes down.
    send(&mut app, Reply::Secrets(Ok(secrets())));
    snap("live_down", &app);
    tick(&mut app, at(30));
    snap("live_off", &app);
    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, 'c');
    ch(&mut app, 'y');
    answer_reveal(&mut app, RevealPurpose::Copy, revealed("GITHUB_TOKEN", 3), at(30));
    copied(&mut app, "GITHUB_TOKEN", at(30));
    tick(&mut app, at(34));
    snap("live_off_copied", &app);
}
