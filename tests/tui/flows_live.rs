//! Live updates, message by message with a fixed clock: what the subscription's events do to
//! the list (a row read again and replaced in place, a deleted one removed, a resync re-listed),
//! bursts folded into one read, and what the status line says with the stream up and down.

use crossterm::event::KeyCode;
use time::Duration;
use vaultty::api::{AuditAction, SecretEvent, SecretMeta, Visibility};
use vaultty::tui::app::{CallError, FailureClass, LiveEvent, LiveState, Popup, QUIET_WINDOW, SecretKey};
use vaultty::tui::{App, Command, Reply};

use crate::fixtures::*;

fn event(name: &str, org: bool, action: AuditAction, version: Option<i64>) -> Reply {
    Reply::Live(LiveEvent::Secret(SecretEvent {
        name: name.into(),
        visibility: if org { Visibility::Org } else { Visibility::User },
        version,
        action,
        at: T0,
    }))
}

/// The row as the server reads it after a change: `version`, rotated at T0 by bob.
fn fresh_row(name: &str, version: i64) -> SecretMeta {
    rotated(name, version, "bob", T0)
}

/// An app with the list loaded and the subscription up.
fn live() -> App {
    let mut app = loaded();
    let cmds = send(&mut app, Reply::Live(LiveEvent::Up));
    // Changes before subscribing were not heard: the list is read again.
    assert!(matches!(&cmds[..], [Command::LoadSecrets]), "{cmds:?}");
    send(&mut app, Reply::Secrets(Ok(secrets())));
    app
}

fn refetches(cmds: &[Command]) -> Vec<SecretKey> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Refetch(k) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

/// The quiet window's end, as the loop's wake-up would deliver it.
fn after_window(app: &mut App) -> Vec<Command> {
    let at = app.next_wakeup().unwrap();
    assert!(at <= app.now + QUIET_WINDOW, "the loop wakes for the read");
    let t = app.now + QUIET_WINDOW;
    tick(app, t)
}

#[test]
fn subscribing_is_one_of_the_first_commands() {
    let mut app = fresh();
    let cmds = app.start();
    assert!(cmds.iter().any(|c| matches!(c, Command::Subscribe)), "{cmds:?}");
    assert!(
        !Command::Subscribe.is_call(),
        "the open stream does not spin the spinner"
    );
}

#[test]
fn a_rotation_elsewhere_reads_the_row_again_and_replaces_it_in_place() {
    let mut app = live();
    select(&mut app, "DATABASE_URL");
    ch(&mut app, '/');
    typed(&mut app, "_");
    press(&mut app, KeyCode::Enter);
    let filtered = visible_names(&app);
    assert!(filtered.contains(&"GITHUB_TOKEN".to_owned()), "{filtered:?}");

    let cmds = send(&mut app, event("GITHUB_TOKEN", false, AuditAction::Rotate, Some(4)));
    assert!(refetches(&cmds).is_empty(), "gathered for a moment first: {cmds:?}");
    let cmds = after_window(&mut app);
    assert_eq!(refetches(&cmds), [key("GITHUB_TOKEN", false)]);

    let cmds = send(
        &mut app,
        Reply::Refetched {
            key: key("GITHUB_TOKEN", false),
            result: Ok(fresh_row("GITHUB_TOKEN", 4)),
        },
    );
    assert!(cmds.is_empty(), "nothing more to read: {cmds:?}");
    let row = app.list.find(&key("GITHUB_TOKEN", false)).unwrap();
    assert_eq!((row.version, row.rotated_at), (4, Some(T0)));
    assert_eq!(
        app.list.selected().map(|m| m.name.as_str()),
        Some("DATABASE_URL"),
        "the selection stays"
    );
    assert_eq!(visible_names(&app), filtered, "the filter and the order stay");
    assert_eq!(app.list.query().raw(), "_");
    let s = screen(&app, 140, 40);
    assert!(s.contains("new0****0new"), "the new preview is on screen:\n{s}");
    assert!(s.contains("v4"), "{s}");
}

#[test]
fn an_open_popup_stays_open_while_a_row_changes_under_it() {
    let mut app = live();
    select(&mut app, "ANTHROPIC_API_KEY");
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.popup, Some(Popup::Confirm(_))));
    send(&mut app, event("GITHUB_TOKEN", false, AuditAction::Update, Some(3)));
    after_window(&mut app);
    send(
        &mut app,
        Reply::Refetched {
            key: key("GITHUB_TOKEN", false),
            result: Ok(fresh_row("GITHUB_TOKEN", 3)),
        },
    );
    assert!(
        matches!(app.popup, Some(Popup::Confirm(_))),
        "the question is still asked"
    );
}

#[test]
fn a_burst_for_one_secret_is_one_read_and_a_change_during_it_one_more() {
    let mut app = live();
    for v in 4..=9 {
        send(&mut app, event("GITHUB_TOKEN", false, AuditAction::Rotate, Some(v)));
        let t = app.now + Duration::milliseconds(10);
        tick(&mut app, t);
    }
    send(&mut app, event("SENTRY_DSN", true, AuditAction::Update, Some(1)));
    let cmds = after_window(&mut app);
    let mut keys = refetches(&cmds);
    keys.sort();
    assert_eq!(keys, [key("GITHUB_TOKEN", false), key("SENTRY_DSN", true)]);
    // Another change while the read is in flight: it may have been answered before it.
    send(&mut app, event("GITHUB_TOKEN", false, AuditAction::Rotate, Some(10)));
    assert!(refetches(&after_window(&mut app)).is_empty(), "one read at a time");
    let cmds = send(
        &mut app,
        Reply::Refetched {
            key: key("GITHUB_TOKEN", false),
            result: Ok(fresh_row("GITHUB_TOKEN", 9)),
        },
    );
    assert_eq!(refetches(&cmds), [key("GITHUB_TOKEN", false)], "one more, after it");
    let cmds = send(
        &mut app,
        Reply::Refetched {
            key: key("GITHUB_TOKEN", false),
            result: Ok(fresh_row("GITHUB_TOKEN", 10)),
        },
    );
    assert!(refetches(&cmds).is_empty());
    assert_eq!(app.list.find(&key("GITHUB_TOKEN", false)).unwrap().version, 10);
}

#[test]
fn a_created_secret_appears_without_moving_the_selection() {
    let mut app = live();
    select(&mut app, "GITHUB_TOKEN");
    send(&mut app, event("AAA_NEW", true, AuditAction::Create, Some(1)));
    let cmds = after_window(&mut app);
    assert_eq!(refetches(&cmds), [key("AAA_NEW", true)]);
    let mut meta = fresh_row("SENTRY_DSN", 1);
    meta.name = "AAA_NEW".into();
    send(
        &mut app,
        Reply::Refetched {
            key: key("AAA_NEW", true),
            result: Ok(meta),
        },
    );
    assert_eq!(visible_names(&app).first().map(String::as_str), Some("AAA_NEW"));
    assert_eq!(app.list.selected().map(|m| m.name.as_str()), Some("GITHUB_TOKEN"));
}

#[test]
fn the_first_secret_of_an_empty_list_arrives_with_its_history() {
    let mut app = fresh();
    app.start();
    send(&mut app, Reply::Secrets(Ok(Vec::new())));
    send(&mut app, Reply::Live(LiveEvent::Up));
    send(&mut app, Reply::Secrets(Ok(Vec::new())));
    send(&mut app, event("AAA_NEW", true, AuditAction::Create, Some(1)));
    after_window(&mut app);
    let mut meta = fresh_row("SENTRY_DSN", 1);
    meta.name = "AAA_NEW".into();
    let cmds = send(
        &mut app,
        Reply::Refetched {
            key: key("AAA_NEW", true),
            result: Ok(meta),
        },
    );
    assert_eq!(app.list.selected().map(|m| m.name.as_str()), Some("AAA_NEW"));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::LoadVersions(k) if *k == key("AAA_NEW", true))),
        "the history pane asks for the selected row's versions, not \"loading…\" for ever: {cmds:?}"
    );
}

#[test]
fn a_delete_removes_the_row_and_the_next_one_takes_its_place() {
    let mut app = live();
    select(&mut app, "OPENAI_API_KEY");
    versions_for_selected(&mut app);
    let cmds = send(&mut app, event("SLACK_WEBHOOK", false, AuditAction::Delete, None));
    assert!(refetches(&cmds).is_empty(), "nothing to read for a delete");
    assert!(app.list.find(&key("SLACK_WEBHOOK", false)).is_none());
    assert_eq!(app.list.selected().map(|m| m.name.as_str()), Some("OPENAI_API_KEY"));

    let cmds = send(&mut app, event("OPENAI_API_KEY", false, AuditAction::Delete, None));
    assert!(app.list.find(&key("OPENAI_API_KEY", false)).is_none());
    assert_eq!(
        app.list.selected().map(|m| m.name.as_str()),
        Some("SENTRY_DSN"),
        "the next row is selected, and its history asked for"
    );
    assert!(cmds.iter().any(|c| matches!(c, Command::LoadVersions(_))), "{cmds:?}");
    assert!(screen(&app, 80, 24).contains("OPENAI_API_KEY was deleted"));

    // A delete for a secret of the other namespace touches nothing here.
    send(&mut app, event("GITHUB_TOKEN", true, AuditAction::Delete, None));
    assert!(app.list.find(&key("GITHUB_TOKEN", false)).is_some());
}

#[test]
fn a_read_that_finds_the_secret_gone_removes_the_row_and_a_delete_drops_a_late_answer() {
    let mut app = live();
    send(&mut app, event("SENTRY_DSN", true, AuditAction::Rotate, Some(2)));
    after_window(&mut app);
    send(
        &mut app,
        Reply::Refetched {
            key: key("SENTRY_DSN", true),
            result: Err(CallError::new(FailureClass::NotFound, "no such secret")),
        },
    );
    assert!(app.list.find(&key("SENTRY_DSN", true)).is_none());

    // Read, then deleted while the read was on its way: the late answer does not bring it back.
    send(&mut app, event("GITHUB_TOKEN", false, AuditAction::Rotate, Some(4)));
    after_window(&mut app);
    send(&mut app, event("GITHUB_TOKEN", false, AuditAction::Delete, None));
    send(
        &mut app,
        Reply::Refetched {
            key: key("GITHUB_TOKEN", false),
            result: Ok(fresh_row("GITHUB_TOKEN", 4)),
        },
    );
    assert!(app.list.find(&key("GITHUB_TOKEN", false)).is_none());
    assert!(!app.live.is_pending(&key("GITHUB_TOKEN", false)));
}

#[test]
fn a_resync_re_lists() {
    let mut app = live();
    let cmds = send(&mut app, Reply::Live(LiveEvent::Resync));
    assert!(matches!(&cmds[..], [Command::LoadSecrets]), "{cmds:?}");
}

#[test]
fn a_value_shown_of_an_older_version_is_masked_when_the_secret_rotates() {
    let mut app = live();
    select(&mut app, "GITHUB_TOKEN");
    let t = app.now;
    reveal(&mut app, t);
    assert!(app.shown.is_some());
    send(&mut app, event("GITHUB_TOKEN", false, AuditAction::Rotate, Some(4)));
    after_window(&mut app);
    send(
        &mut app,
        Reply::Refetched {
            key: key("GITHUB_TOKEN", false),
            result: Ok(fresh_row("GITHUB_TOKEN", 4)),
        },
    );
    assert!(app.shown.is_none());
    assert!(screen(&app, 80, 24).contains("GITHUB_TOKEN is now v4 (changed elsewhere)"));
}

#[test]
fn the_status_line_says_live_and_falls_back_to_the_refresh_when_the_stream_is_down() {
    let mut app = live();
    assert_eq!(app.live.state, LiveState::On);
    let s = screen(&app, 80, 24);
    assert!(status_line(&s).ends_with("live"), "{s}");

    let cmds = send(&mut app, stream_down("connection refused"));
    // The task reconnects by itself; the list is read at once (is the server there at all?).
    assert!(matches!(&cmds[..], [Command::LoadSecrets]), "{cmds:?}");
    send(&mut app, Reply::Secrets(Ok(secrets())));
    assert!(matches!(app.live.state, LiveState::Off { .. }));
    let s = screen(&app, 80, 24);
    let line = status_line(&s);
    assert!(line.contains("No live updates: connection refused"), "said once: {s}");
    assert!(line.ends_with("live updates off · refreshing every 60s"), "{s}");
    assert!(line.chars().count() <= 80);
    // The periodic refresh still runs.
    let next = app.session.next_refresh.unwrap();
    let cmds = tick(&mut app, next);
    assert!(cmds.iter().any(|c| matches!(c, Command::LoadSecrets)), "{cmds:?}");
    send(&mut app, Reply::Secrets(Ok(secrets())));

    // Reconnected: live again, and the list read again for what was missed.
    tick(&mut app, next + Duration::seconds(30));
    let cmds = send(&mut app, stream_down("connection refused"));
    assert!(app.status.is_none(), "a failed reconnection is not said again");
    assert!(cmds.is_empty(), "nor the list read again: {cmds:?}");
    let cmds = send(&mut app, Reply::Live(LiveEvent::Up));
    assert!(cmds.iter().any(|c| matches!(c, Command::LoadSecrets)), "{cmds:?}");
    assert!(status_line(&screen(&app, 80, 24)).ends_with("live"));
}

#[test]
fn without_a_periodic_refresh_the_fallback_names_the_refresh_key() {
    let mut cfg = config();
    cfg.tui.refresh_seconds = 0;
    let mut app = App::new(cfg, vaultty::tui::keymap::Keymap::defaults().unwrap(), T0);
    app.start();
    send(&mut app, Reply::Secrets(Ok(secrets())));
    send(&mut app, stream_down("not found"));
    let s = screen(&app, 80, 24);
    assert!(status_line(&s).ends_with("live updates off · Ctrl-R refreshes"), "{s}");
}

#[test]
fn a_401_from_the_stream_raises_the_banner_and_subscribing_waits_for_access() {
    let mut app = live();
    send(&mut app, event("GITHUB_TOKEN", false, AuditAction::Rotate, Some(4)));
    let cmds = send(
        &mut app,
        Reply::Live(LiveEvent::Down {
            error: CallError::new(FailureClass::Unauthorized, "the token was revoked"),
            retry_in: None,
        }),
    );
    assert!(cmds.is_empty(), "{cmds:?}");
    let r = app.session.revoked.clone().expect("the banner is up");
    assert_eq!(r.reason, "the token was revoked");
    assert!(screen(&app, 80, 24).contains("Access revoked"));
    let t = app.now + Duration::seconds(1);
    assert!(refetches(&tick(&mut app, t)).is_empty(), "no read after a 401");
    assert!(!status_line(&screen(&app, 80, 24)).contains("live"));

    // Ctrl-R asks whether the token works again; when it does, the subscription starts again.
    ctrl(&mut app, 'r');
    let cmds = send(&mut app, Reply::Me(Ok(me(vaultty::api::Role::Admin))));
    assert!(cmds.iter().any(|c| matches!(c, Command::Subscribe)), "{cmds:?}");
}

fn stream_down(why: &str) -> Reply {
    Reply::Live(LiveEvent::Down {
        error: CallError::new(FailureClass::Unreachable, why),
        retry_in: Some(std::time::Duration::from_secs(2)),
    })
}

/// The status line: the one above the key hints at the bottom.
fn status_line(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    lines[lines.len() - 2].trim_matches('"').trim_end().to_owned()
}

#[test]
fn the_local_vault_does_not_subscribe_and_says_it_refreshes() {
    // Its server lives in this process: another process's writes would never be heard.
    let mut cfg = config();
    cfg.live_updates = false;
    let mut app = App::new(cfg, vaultty::tui::keymap::Keymap::defaults().unwrap(), T0);
    let cmds = app.start();
    assert!(!cmds.iter().any(|c| matches!(c, Command::Subscribe)), "{cmds:?}");
    send(&mut app, Reply::Me(Ok(me(vaultty::api::Role::Admin))));
    send(&mut app, Reply::Secrets(Ok(secrets())));
    assert_eq!(app.live.state, LiveState::NotOffered);
    let s = screen(&app, 80, 24);
    assert!(status_line(&s).ends_with("   refreshing every 60s"), "{s}");
    assert!(!s.contains("live"), "{s}");
}

#[test]
fn many_secrets_changed_at_once_are_re_listed_in_one_call() {
    let mut app = live();
    for i in 0..=vaultty::tui::app::MAX_READS {
        send(&mut app, event(&format!("GEN_{i}"), true, AuditAction::Create, Some(1)));
    }
    let cmds = after_window(&mut app);
    assert!(refetches(&cmds).is_empty(), "{cmds:?}");
    assert!(matches!(&cmds[..], [Command::LoadSecrets]), "{cmds:?}");
    assert!(!app.live.is_pending(&key("GEN_0", true)));
}

#[test]
fn a_rotation_being_typed_is_told_that_the_secret_moved_on() {
    let mut app = live();
    select(&mut app, "GITHUB_TOKEN");
    ch(&mut app, 'r');
    assert!(matches!(app.popup, Some(Popup::Form(_))));
    send(&mut app, event("GITHUB_TOKEN", false, AuditAction::Rotate, Some(4)));
    after_window(&mut app);
    send(
        &mut app,
        Reply::Refetched {
            key: key("GITHUB_TOKEN", false),
            result: Ok(fresh_row("GITHUB_TOKEN", 4)),
        },
    );
    let Some(Popup::Form(f)) = &app.popup else {
        panic!("the form stays open")
    };
    assert_eq!(
        f.error.as_deref(),
        Some("Changed elsewhere, now v4: writing will ask you to review against it")
    );
    let s = screen(&app, 80, 24);
    assert!(flat_text(&s).contains("Changed elsewhere, now v4"), "{s}");
}

fn flat_text(screen: &str) -> String {
    screen
        .split(|c: char| c.is_whitespace() || "│┌┐└┘─\"".contains(c))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
