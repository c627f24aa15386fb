//! `update` flows of the list, message by message, with a fixed clock: filter, tabs, sort, the
//! periodic refresh, and the unreachable server.

use crossterm::event::KeyCode;
use vaultty::api::Role;
use vaultty::tui::app::SortKey;
use vaultty::tui::{Command, Reply};

use crate::fixtures::*;

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
    let cmds = press(&mut app, KeyCode::Tab);
    assert_eq!(app.view.pane, vaultty::tui::app::Pane::Tokens);
    assert!(cmds.iter().any(|c| matches!(c, Command::LoadTokens)));
    let cmds = press(&mut app, KeyCode::Tab);
    assert_eq!(app.view.pane, vaultty::tui::app::Pane::Users, "alice is an admin");
    assert!(cmds.iter().any(|c| matches!(c, Command::LoadUsers)));
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.view.pane, vaultty::tui::app::Pane::Secrets);
    assert_eq!(app.list.tabs().category, vaultty::tui::app::CategoryTab::All);
}

#[test]
fn sort_cycles_name_rotated_last_used_provider() {
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
    assert_eq!(app.list.sort(), SortKey::Provider, "see tests/tui/providers.rs");
    ch(&mut app, 's');
    assert_eq!(app.list.sort(), SortKey::Name);
}

#[test]
fn unreachable_server_shows_a_banner_and_retries_with_backoff() {
    let mut app = fresh();
    let cmds = app.start();
    assert!(matches!(
        &cmds[..],
        [Command::LoadMe, Command::LoadSecrets, Command::Subscribe]
    ));
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
