//! The account views without a server: the Tokens view (everyone), the Users view and a user's
//! tokens (admins), every change through the confirm popup, what a member is not offered, and
//! the banner once the vault refuses the session's token (401) with nothing refreshed after it.
//! Screens at 80x24 and 140x40 as `insta` snapshots.

use crossterm::event::KeyCode;
use time::Duration;
use vaultty::api::{AuditAction, AuditEvent, Outcome, Role, TokenInfo, TokenKind, UserInfo};
use vaultty::tui::App;
use vaultty::tui::Reply;
use vaultty::tui::app::{AccountOp, AccountOutcome, CallError, FailureClass, Pane, PendingAction, Popup, UserChange};

use crate::fixtures::*;

fn snap(name: &str, app: &App) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.bind(|| {
        for (w, h) in [(80, 24), (140, 40)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(app, w, h));
        }
    });
}

fn token(id: &str, name: &str, parent: Option<&str>, current: bool) -> TokenInfo {
    TokenInfo {
        id: id.into(),
        name: name.into(),
        kind: TokenKind::User,
        created_at: at(-86_400 * 12),
        expires_at: parent.map(|_| at(86_400 * 29)),
        last_used_at: current.then(|| at(-30)).or(Some(at(-3 * 3_600))),
        parent: parent.map(Into::into),
        current,
        scope: None,
        org_wide: false,
    }
}

/// alice's own tokens: the session's, a CI token it made, and a child of that one.
fn own_tokens() -> Vec<TokenInfo> {
    vec![
        token("tok_a1a1a1a1a1a1", "enrolment", None, true),
        token("tok_c1c1c1c1c1c1", "ci", Some("tok_a1a1a1a1a1a1"), false),
        token("tok_d2d2d2d2d2d2", "ci-deploy", Some("tok_c1c1c1c1c1c1"), false),
    ]
}

fn user(name: &str, role: Role, disabled: bool, enrolled: bool, tokens: u32, seen: Option<i64>) -> UserInfo {
    UserInfo {
        name: name.into(),
        role,
        disabled,
        enrolled,
        created_at: at(-86_400 * 40),
        last_seen_at: seen.map(at),
        tokens,
    }
}

fn users() -> Vec<UserInfo> {
    vec![
        user("alice", Role::Admin, false, true, 3, Some(-30)),
        user("bob", Role::Member, false, true, 3, Some(-2 * 3_600)),
        user("carol", Role::Member, true, true, 1, Some(-5 * 86_400)),
        user("dave", Role::Member, false, false, 0, None),
    ]
}

fn bobs_tokens() -> Vec<TokenInfo> {
    vec![
        token("tok_b0b0b0b0b0b0", "enrolment", None, false),
        token("tok_b1b1b1b1b1b1", "laptop", Some("tok_b0b0b0b0b0b0"), false),
        token("tok_b2b2b2b2b2b2", "ci", Some("tok_b0b0b0b0b0b0"), false),
    ]
}

fn as_member() -> App {
    let mut app = fresh();
    app.start();
    send(&mut app, Reply::Me(Ok(me(Role::Member))));
    send(&mut app, Reply::Secrets(Ok(secrets())));
    app
}

/// The Users view with the list loaded, bob selected.
fn users_view() -> App {
    let mut app = loaded();
    let cmds = ch(&mut app, 'u');
    assert!(
        cmds.iter().any(|c| matches!(c, vaultty::tui::Command::LoadUsers)),
        "{cmds:?}"
    );
    send(&mut app, Reply::Users(Ok(users())));
    press(&mut app, KeyCode::Down);
    app
}

fn bob_opened() -> App {
    let mut app = users_view();
    let cmds = press(&mut app, KeyCode::Enter);
    assert!(
        cmds.iter()
            .any(|c| matches!(c, vaultty::tui::Command::LoadUserTokens(u) if u == "bob")),
        "{cmds:?}"
    );
    send(
        &mut app,
        Reply::UserTokens {
            user: "bob".into(),
            result: Ok(bobs_tokens()),
        },
    );
    app
}

fn confirm_text(app: &App) -> String {
    match &app.popup {
        Some(Popup::Confirm(c)) => format!("{}\n{}", c.action.title(app), c.action.text(app, c.asked_at).join("\n")),
        other => panic!("no confirmation open: {other:?}"),
    }
}

fn account_commands(cmds: &[vaultty::tui::Command]) -> Vec<AccountOp> {
    cmds.iter()
        .filter_map(|c| match c {
            vaultty::tui::Command::Account(op) => Some(op.clone()),
            _ => None,
        })
        .collect()
}

fn refused() -> Result<Vec<vaultty::api::SecretMeta>, CallError> {
    Err(CallError::new(
        FailureClass::Unauthorized,
        "this account is disabled; ask an admin to enable it",
    ))
}

#[test]
fn tokens_view() {
    let mut app = loaded();
    let cmds = ch(&mut app, 't');
    assert!(cmds.iter().any(|c| matches!(c, vaultty::tui::Command::LoadTokens)));
    assert_eq!(app.view.pane, Pane::Tokens);
    send(&mut app, Reply::Tokens(Ok(own_tokens())));
    snap("tokens", &app);
    let s = screen(&app, 140, 40);
    assert!(s.contains("● tok_a1a1a1a1a1a1 enrolment (this session)"), "{s}");
    let s = screen(&app, 80, 24);
    assert!(s.contains("● tok_a1a1a1a1a1a1") && s.contains("● this session"), "{s}");
}

/// A runner token: delivery only, bound to `scope` in the org's namespace or alice's own.
fn runner(id: &str, name: &str, scope: vaultty::api::Scope, org_wide: bool) -> TokenInfo {
    TokenInfo {
        kind: TokenKind::Runner,
        scope: Some(scope),
        org_wide,
        ..token(id, name, Some("tok_a1a1a1a1a1a1"), false)
    }
}

#[test]
fn runner_tokens_show_their_scope() {
    use vaultty::api::Scope;
    let mut app = loaded();
    ch(&mut app, 't');
    let mut tokens = own_tokens();
    tokens.push(runner("tok_r1r1r1r1r1r1", "agents-ci", Scope::Agents, true));
    tokens.push(runner("tok_r2r2r2r2r2r2", "devbox", Scope::Tools, false));
    send(&mut app, Reply::Tokens(Ok(tokens)));
    snap("runner_tokens", &app);
    for (w, h) in [(80, 24), (140, 40)] {
        let s = screen(&app, w, h);
        // The CLI's words (`vaultty token list`, RUNNER column).
        let row = |name: &str| s.lines().find(|l| l.contains(name)).unwrap_or("").to_owned();
        assert!(row("agents-ci").contains("org agents"), "{s}");
        assert!(row("devbox").contains("own tools"), "{s}");
        assert!(
            !row("ci-deploy").contains("org") && !row("ci-deploy").contains("own"),
            "{s}"
        );
        assert!(
            s.contains("runner: delivery only"),
            "the legend says what a runner token is: {s}"
        );
        // Narrow, the Runner column takes the Parent column's room.
        assert_eq!(s.contains("Parent"), w >= 100, "{s}");
    }
    // Revoking one says what it stops.
    for _ in 0..3 {
        press(&mut app, KeyCode::Down);
    }
    ch(&mut app, 'x');
    let text = confirm_text(&app);
    assert!(
        text.contains("agents-ci (tok_r1r1r1r1r1r1) stops working at once"),
        "{text}"
    );
    assert!(text.contains("It is a runner token (org agents)"), "{text}");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Up);
    ch(&mut app, 'x');
    let text = confirm_text(&app);
    assert!(!text.contains("runner"), "a user token's question: {text}");
}

#[test]
fn without_runner_tokens_there_is_no_runner_column() {
    let mut app = loaded();
    ch(&mut app, 't');
    send(&mut app, Reply::Tokens(Ok(own_tokens())));
    let s = screen(&app, 80, 24);
    assert!(
        !s.contains("Runner") && !s.contains("runner:") && s.contains("Parent"),
        "{s}"
    );
}

#[test]
fn users_view_snapshot() {
    let app = users_view();
    snap("users", &app);
    let s = screen(&app, 80, 24);
    for word in ["alice (you)", "disabled", "pending enrolment", "2h ago", "never"] {
        assert!(s.contains(word), "{word}: {s}");
    }
}

#[test]
fn a_users_tokens() {
    let app = bob_opened();
    snap("user_tokens", &app);
}

#[test]
fn disabling_asks_first_naming_the_user_and_the_consequence() {
    let mut app = users_view();
    assert!(ch(&mut app, 'D').is_empty(), "nothing is sent before the yes");
    let text = confirm_text(&app);
    assert!(text.contains("Disable bob?"), "{text}");
    assert!(
        text.contains("Their 3 tokens stop working at once; their secrets stay."),
        "{text}"
    );
    snap("disable_confirm", &app);
    assert!(ch(&mut app, 'n').is_empty());
    assert!(app.popup.is_none(), "n cancels without a call");

    ch(&mut app, 'D');
    let cmds = ch(&mut app, 'y');
    assert_eq!(
        account_commands(&cmds),
        [AccountOp::Patch {
            user: "bob".into(),
            patch: UserChange::Disable
        }]
    );
    let mut bob = users()[1].clone();
    bob.disabled = true;
    send(
        &mut app,
        Reply::AccountDone {
            op: account_commands(&cmds).remove(0),
            result: Ok(AccountOutcome::User(bob)),
        },
    );
    assert!(app.popup.is_none());
    assert!(status(&app).contains("Disabled bob"), "{}", status(&app));
    assert!(screen(&app, 80, 24).contains("disabled"));
}

#[test]
fn the_last_admin_refusal_shows_in_the_dialog_and_the_status_line() {
    let mut app = users_view();
    press(&mut app, KeyCode::Home); // alice, the only admin
    ch(&mut app, 'p');
    let text = confirm_text(&app);
    assert!(
        text.contains("Make alice a member?") && text.contains("This is you"),
        "{text}"
    );
    let cmds = ch(&mut app, 'y');
    let op = account_commands(&cmds).remove(0);
    let message = "alice is the last active admin: make another user admin first";
    send(
        &mut app,
        Reply::AccountDone {
            op,
            result: Err(CallError::new(
                FailureClass::Conflict { current_version: None },
                message,
            )),
        },
    );
    assert_eq!(status(&app), message);
    assert!(matches!(&app.popup, Some(Popup::Confirm(c)) if c.error.as_deref() == Some(message)));
    assert!(app.is_admin(), "nothing changed");
}

#[test]
fn revoking_a_users_token_and_all_of_them_asks_first() {
    let mut app = bob_opened();
    press(&mut app, KeyCode::Down); // laptop
    assert!(ch(&mut app, 'x').is_empty());
    let text = confirm_text(&app);
    assert!(text.contains("Revoke bob's token laptop?"), "{text}");
    assert!(text.contains("tok_b1b1b1b1b1b1"), "{text}");
    snap("revoke_user_token", &app);
    let cmds = ch(&mut app, 'y');
    assert_eq!(
        account_commands(&cmds),
        [AccountOp::RevokeUserToken {
            user: "bob".into(),
            id: "tok_b1b1b1b1b1b1".into(),
            name: "laptop".into()
        }]
    );

    let mut app = bob_opened();
    assert!(ch(&mut app, 'X').is_empty());
    let text = confirm_text(&app);
    assert!(text.contains("3 of bob's tokens stop working at once"), "{text}");
    let cmds = ch(&mut app, 'y');
    assert_eq!(account_commands(&cmds), [AccountOp::RevokeAll { user: "bob".into() }]);
    let cmds = send(
        &mut app,
        Reply::AccountDone {
            op: AccountOp::RevokeAll { user: "bob".into() },
            result: Ok(AccountOutcome::RevokedAll(3)),
        },
    );
    assert_eq!(status(&app), "Revoked 3 of bob's tokens");
    assert!(
        cmds.iter()
            .any(|c| matches!(c, vaultty::tui::Command::LoadUserTokens(u) if u == "bob")),
        "the list is asked for again: {cmds:?}"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.view.pane, Pane::Users);
    assert!(app.accounts.opened.is_none(), "Esc goes back to all users");
}

#[test]
fn revoking_the_sessions_own_token_warns_and_then_shows_the_banner() {
    let mut app = loaded();
    ch(&mut app, 't');
    send(&mut app, Reply::Tokens(Ok(own_tokens())));
    ch(&mut app, 'x');
    let text = confirm_text(&app);
    assert!(text.contains("the TUI loses access"), "{text}");
    assert!(text.contains("the 2 tokens it created"), "{text}");
    assert!(
        text.contains("It is your last token"),
        "nothing is left to sign in with: {text}"
    );
    snap("revoke_own_current", &app);
    let cmds = ch(&mut app, 'y');
    let op = account_commands(&cmds).remove(0);
    assert!(matches!(&op, AccountOp::RevokeOwn { current: true, .. }));
    let cmds = send(
        &mut app,
        Reply::AccountDone {
            op,
            result: Ok(AccountOutcome::Revoked),
        },
    );
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(app.session.revoked.is_some());
    assert!(screen(&app, 80, 24).contains("Access revoked"));
}

#[test]
fn a_member_has_no_users_view_nor_its_keys() {
    let mut app = as_member();
    assert!(ch(&mut app, 'u').is_empty(), "u does nothing for a member");
    assert_eq!(app.view.pane, Pane::Secrets);
    for k in ['D', 'p', 'X'] {
        assert!(ch(&mut app, k).is_empty());
        assert!(app.popup.is_none());
    }
    let main = screen(&app, 140, 40);
    assert!(!main.contains("Users"), "{main}");
    assert!(main.contains("t tokens"), "{main}");
    // Tab cycles past the tokens back to the secrets.
    ch(&mut app, 'a');
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.view.pane, Pane::Tokens);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.view.pane, Pane::Secrets);
    press(&mut app, KeyCode::Esc);

    ch(&mut app, '?');
    let mut help = String::new();
    for _ in 0..80 {
        help.push_str(&screen(&app, 140, 40));
        press(&mut app, KeyCode::Down);
    }
    assert!(help.contains("open or close your tokens"), "{help}");
    for admin_only in [
        "open or close the users",
        "revoke every token",
        "disable or enable",
        "admin or member",
    ] {
        assert!(!help.contains(admin_only), "{admin_only}: {help}");
    }
    press(&mut app, KeyCode::Esc);
    ch(&mut app, '?');
    snap("member_help", &app);
}

#[test]
fn a_member_sees_the_tokens_view_without_admin_hints() {
    let mut app = as_member();
    ch(&mut app, 't');
    send(&mut app, Reply::Tokens(Ok(own_tokens())));
    snap("member_tokens", &app);
    let s = screen(&app, 140, 40);
    assert!(s.contains("x revoke"), "{s}");
    assert!(!s.contains("revoke all") && !s.contains("Users"), "{s}");
}

#[test]
fn a_401_mid_session_shows_the_banner_and_stops_refreshing() {
    let mut app = loaded();
    select(&mut app, "ANTHROPIC_API_KEY");
    versions_for_selected(&mut app);
    reveal(&mut app, at(0));
    assert!(app.shown.is_some());
    // The periodic refresh comes due and is refused.
    let cmds = tick(&mut app, at(61));
    assert!(
        cmds.iter().any(|c| matches!(c, vaultty::tui::Command::LoadSecrets)),
        "{cmds:?}"
    );
    let cmds = send(&mut app, Reply::Secrets(refused()));
    assert!(cmds.is_empty(), "{cmds:?}");
    let r = app.session.revoked.clone().expect("the banner is up");
    assert!(r.had_access);
    assert!(app.shown.is_none(), "the revealed value is hidden");
    snap("revoked", &app);
    let s = screen(&app, 80, 24);
    assert!(
        s.contains(" Access revoked · press q to quit · `vaultty login` signs in again"),
        "{s}"
    );
    assert!(
        s.contains("This token no longer works: this account is disabled"),
        "{s}"
    );

    // Nothing is asked of the vault on its own any more: not in an hour, not after keys.
    for secs in [62, 120, 600, 3_600, 86_400] {
        assert!(tick(&mut app, at(secs)).is_empty(), "at {secs}s");
    }
    for k in ['v', 'c', 'r', 'a', 't', 'u', 'j', 'n', 'x'] {
        assert!(ch(&mut app, k).is_empty(), "{k}");
        assert!(app.popup.is_none(), "{k}");
    }
    assert!(app.next_wakeup().is_some_and(|t| t - app.now <= Duration::seconds(60)));
    // q still quits.
    ch(&mut app, 'q');
    assert!(app.view.quit);
}

#[test]
fn ctrl_r_asks_once_and_an_answer_restores_access() {
    let mut app = loaded();
    send(&mut app, Reply::Secrets(refused()));
    let cmds = ctrl(&mut app, 'r');
    assert!(matches!(&cmds[..], [vaultty::tui::Command::LoadMe]), "{cmds:?}");
    // Still refused: the banner stays, nothing else is tried.
    let cmds = send(
        &mut app,
        Reply::Me(Err(CallError::new(
            FailureClass::Unauthorized,
            "the token is not valid",
        ))),
    );
    assert!(cmds.is_empty());
    assert!(app.session.revoked.is_some());
    // Re-enabled: the list loads again.
    ctrl(&mut app, 'r');
    let cmds = send(&mut app, Reply::Me(Ok(me(Role::Admin))));
    assert!(app.session.revoked.is_none());
    assert!(
        cmds.iter().any(|c| matches!(c, vaultty::tui::Command::LoadSecrets)),
        "{cmds:?}"
    );
}

#[test]
fn a_dialog_waiting_for_the_vault_closes_on_a_401() {
    let mut app = users_view();
    ch(&mut app, 'D');
    let cmds = ch(&mut app, 'y');
    let op = account_commands(&cmds).remove(0);
    send(
        &mut app,
        Reply::AccountDone {
            op,
            result: Err(CallError::new(FailureClass::Unauthorized, "the token has expired")),
        },
    );
    assert!(app.popup.is_none());
    assert!(screen(&app, 140, 40).contains("This token no longer works: the token has expired."));
}

#[test]
fn the_audit_pane_shows_the_target() {
    let mut app = loaded();
    ch(&mut app, 'a');
    let ev = |id: i64, action: AuditAction, target: &str| AuditEvent {
        id,
        at: at(-60 * id),
        actor: Some("alice".into()),
        action,
        secret: None,
        visibility: None,
        version: None,
        outcome: Outcome::Ok,
        client: Some("vaultty-tui/0.1.0".into()),
        ip: Some("127.0.0.1".into()),
        target: Some(target.into()),
        count: None,
    };
    send(
        &mut app,
        Reply::Audit(Ok(vec![
            ev(1, AuditAction::UserDisable, "bob"),
            ev(2, AuditAction::TokenRevoke, "tok_b1b1b1b1b1b1"),
            ev(3, AuditAction::UserEnrolment, "dave"),
        ])),
    );
    for (w, h) in [(80, 24), (140, 40)] {
        let s = screen(&app, w, h);
        for line in [
            "user_disable   bob",
            "token_revoke   tok_b1b1b1b1b1b1",
            "user_enrolment dave",
        ] {
            assert!(s.contains(line), "{line} at {w}x{h}:\n{s}");
        }
    }
}

#[test]
fn revoke_goes_through_the_confirm_popup_only() {
    let mut app = loaded();
    ch(&mut app, 't');
    send(&mut app, Reply::Tokens(Ok(own_tokens())));
    press(&mut app, KeyCode::Down);
    assert!(ch(&mut app, 'x').is_empty());
    assert!(matches!(&app.popup, Some(Popup::Confirm(c)) if matches!(c.action, PendingAction::Account(_))));
    assert!(!confirm_text(&app).contains("last token"), "the session's token stays");
    // Enter does not confirm; only y does.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let cmds = ch(&mut app, 'y');
    assert_eq!(
        account_commands(&cmds),
        [AccountOp::RevokeOwn {
            id: "tok_c1c1c1c1c1c1".into(),
            name: "ci".into(),
            current: false
        }]
    );
}

/// An admin opening their own user in the Users view gets the same warnings as in the Tokens
/// view: revoking the session's token, or all of theirs, ends this session.
#[test]
fn an_admin_revoking_their_own_session_from_the_users_view_is_warned() {
    let mut app = users_view();
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Enter);
    send(
        &mut app,
        Reply::UserTokens {
            user: "alice".into(),
            result: Ok(own_tokens()),
        },
    );
    ch(&mut app, 'x');
    let text = confirm_text(&app);
    assert!(text.contains("the TUI loses access at once"), "{text}");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Down);
    ch(&mut app, 'x');
    let text = confirm_text(&app);
    assert!(!text.contains("loses access"), "not the session's token: {text}");
    press(&mut app, KeyCode::Esc);
    ch(&mut app, 'X');
    let text = confirm_text(&app);
    assert!(
        text.contains("This is you: this session stops working at once."),
        "{text}"
    );
}
