//! Accounts from the command line, as a team would use them: the `vaultty` binary against a real
//! server on 127.0.0.1. An admin adds a member with `user add`, the member enrols with
//! `login --enroll`; admins disable, enable, change roles and revoke; everyone manages their own
//! tokens with `token`; `logout --revoke` revokes on the server. Each rule is checked both ways,
//! and no token or enrolment code ever reaches vaultty's standard error.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestVault;
use common::shell::{Out, Shell, StderrLog, assert_never_on_stderr};

use secrecy::ExposeSecret;
use serde_json::Value;
use vaultty::client::ClientError;

/// `vaultty user add NAME` as `admin`: the code alone on stdout.
async fn add_user(admin: &Shell, name: &str, extra: &[&str]) -> (Out, String) {
    let mut args = vec!["user", "add", name];
    args.extend_from_slice(extra);
    let out = admin.run(&args).await.ok();
    let code = out.line();
    assert!(code.starts_with("ve_"), "{out:?}");
    (out, code)
}

/// A new shell that enrols with `code` through `login --enroll` (code on stdin).
async fn enrolled_shell(server: &TestVault, code: &str, log: &StderrLog) -> Shell {
    let sh = Shell::sharing(log);
    sh.stdin(&["login", "--url", &server.url(), "--enroll"], &format!("{code}\n"))
        .await
        .ok();
    sh
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_adds_a_member_who_enrols_once() {
    let server = TestVault::start().await;
    let log = StderrLog::default();
    let admin = Shell::with_token(&server, server.admin_token.expose_secret(), &log);
    let url = server.url();

    let (out, code) = add_user(&admin, "bob", &[]).await;
    for needle in [
        "bob",
        "member",
        "expires",
        "in 23h",
        &format!("vaultty login --url {url} --enroll"),
    ] {
        assert!(out.stderr.contains(needle), "{needle:?} missing: {out:?}");
    }

    // The member enrols with the code on standard input; the profile works.
    let bob = Shell::sharing(&log);
    let out = bob
        .stdin(&["login", "--url", &url, "--enroll"], &format!("{code}\n"))
        .await
        .ok();
    assert!(
        out.stdout.contains("Enrolled as bob") && out.stdout.contains("acme"),
        "{out:?}"
    );
    assert!(out.stdout.contains("\"default\""), "{out:?}");
    assert!(bob.token_file("default").is_file());
    let me = bob.run(&["--json", "whoami"]).await.ok().json();
    assert_eq!(
        (me["user"].as_str(), me["role"].as_str()),
        (Some("bob"), Some("member"))
    );

    // The same code a second time is refused, and nothing is saved.
    let again = Shell::sharing(&log);
    again
        .stdin(&["login", "--url", &url, "--enroll", "--profile", "x"], &code)
        .await
        .code(4)
        .one_line_error("refused the enrolment code");
    assert!(!again.token_file("x").exists());
    // An empty code and a token pasted instead of a code are caught before anything is sent.
    again
        .stdin(&["login", "--url", &url, "--enroll"], "\n")
        .await
        .code(6)
        .one_line_error("no enrolment code");
    again
        .stdin(
            &["login", "--url", &url, "--enroll"],
            server.admin_token.expose_secret(),
        )
        .await
        .code(6)
        .one_line_error("that is a token");

    // JSON: a code for an admin, and the JSON of the enrolment.
    let carol = admin
        .run(&["--json", "user", "add", "carol", "--admin", "--expires", "1h"])
        .await
        .ok()
        .json();
    assert_eq!(
        (carol["user"].as_str(), carol["role"].as_str()),
        (Some("carol"), Some("admin"))
    );
    let carol_code = carol["code"].as_str().unwrap().to_owned();
    // A new code for a user who has not enrolled: the old one stops working.
    let out = admin.run(&["user", "enrol", "carol", "--expires", "2h"]).await.ok();
    let carol_code2 = out.line();
    assert!(out.stderr.contains("carol") && out.stderr.contains("in 1h"), "{out:?}");
    Shell::sharing(&log)
        .stdin(&["login", "--url", &url, "--enroll"], &carol_code)
        .await
        .code(4);
    let carol_sh = enrolled_shell(&server, &carol_code2, &log).await;
    let me = carol_sh.run(&["--json", "whoami"]).await.ok().json();
    assert_eq!(me["role"], "admin");
    // Someone who enrolled already gets no new code: it would let an admin take the account over.
    admin.run(&["user", "enrol", "bob"]).await.code(5);
    // Taken names, unknown users.
    admin.run(&["user", "add", "bob"]).await.code(5);
    admin.run(&["user", "enrol", "nobody"]).await.code(3);

    let users = admin.run(&["--json", "user", "list"]).await.ok().json();
    let names: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    let list = admin.run(&["user", "list"]).await.ok().stdout;
    assert!(
        list.contains("NAME") && list.contains("LAST SEEN") && list.contains("active"),
        "{list}"
    );
    admin.run(&["user", "add", "dave"]).await.ok();
    let list = admin.run(&["user", "list"]).await.ok().stdout;
    let dave = list.lines().find(|l| l.starts_with("dave")).unwrap();
    assert!(dave.contains("pending enrolment"), "{list}");

    assert_never_on_stderr(
        &log,
        &[
            code,
            carol_code,
            carol_code2,
            server.admin_token.expose_secret().to_owned(),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_vault_says_its_code_is_of_no_use_elsewhere() {
    let log = StderrLog::default();
    let sh = Shell::sharing(&log);
    let (out, code) = add_user(&sh, "bob", &[]).await;
    assert!(
        out.stderr.contains("local vault") && out.stderr.contains("others can reach"),
        "{out:?}"
    );
    assert!(!out.stderr.contains("--enroll"), "{out:?}");
    assert_never_on_stderr(&log, &[code]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_manage_members_and_members_cannot() {
    let server = TestVault::start().await;
    let log = StderrLog::default();
    let admin = Shell::with_token(&server, server.admin_token.expose_secret(), &log);
    let (_, code) = add_user(&admin, "bob", &[]).await;
    let bob = enrolled_shell(&server, &code, &log).await;

    // A member is refused every admin command, and the admin sees the attempt in the audit log.
    bob.run(&["user", "list"]).await.code(4).one_line_error("forbidden");
    bob.run(&["user", "add", "mallory"]).await.code(4);
    bob.run(&["user", "disable", "alice"]).await.code(4);
    bob.run(&["user", "revoke", "alice", "--all"]).await.code(4);
    admin.run(&["user", "list"]).await.ok();
    let audit = admin.run(&["--json", "audit"]).await.ok().json();
    let events = audit["events"].as_array().unwrap();
    let denied = |action: &str, actor: &str| {
        events
            .iter()
            .any(|e| e["action"] == action && e["actor"] == actor && e["outcome"] == "denied")
    };
    assert!(denied("user_list", "bob"), "{audit:#}");
    assert!(denied("user_disable", "bob"), "{audit:#}");
    assert!(!denied("user_list", "alice"), "{audit:#}");
    let table = admin.run(&["audit"]).await.ok().stdout;
    let row = table
        .lines()
        .find(|l| l.contains("user_list") && l.contains("bob"))
        .unwrap();
    assert!(row.contains("DENIED"), "{table}");
    // A member's own audit view stays their own; the admin command it ran is not a way in.
    bob.run(&["audit"]).await.ok();

    // Disabling refuses the member's very next command; enabling restores the same token.
    bob.run(&["whoami"]).await.ok();
    let out = admin.run(&["--json", "user", "disable", "bob"]).await.ok().json();
    assert_eq!(out["disabled"], true);
    bob.run(&["whoami"]).await.code(4).one_line_error("disabled");
    let out = admin.run(&["user", "enable", "bob"]).await.ok();
    assert!(out.stdout.contains("Enabled bob"), "{out:?}");
    bob.run(&["whoami"]).await.ok();
    admin.run(&["user", "disable", "nobody"]).await.code(3);

    // Roles: bob becomes an admin and can list users; back to member; the last admin stays one.
    let out = admin.run(&["--json", "user", "role", "bob", "admin"]).await.ok().json();
    assert_eq!(out["role"], "admin");
    bob.run(&["user", "list"]).await.ok();
    admin.run(&["user", "role", "bob", "member"]).await.ok();
    bob.run(&["user", "list"]).await.code(4);
    admin
        .run(&["user", "role", "alice", "member"])
        .await
        .code(5)
        .one_line_error("last active admin");
    admin
        .run(&["user", "disable", "alice"])
        .await
        .code(5)
        .one_line_error("last active admin");
    admin.run(&["user", "list"]).await.ok();
    admin.run(&["user", "role", "bob", "owner"]).await.code(2);

    // Tokens of a user: listed (never the token), revoked one by one or all at once.
    let second = bob.run(&["--json", "token", "create", "laptop"]).await.ok().json();
    let second_token = second["token"].as_str().unwrap().to_owned();
    let second_id = second["id"].as_str().unwrap().to_owned();
    let tokens = admin.run(&["--json", "user", "tokens", "bob"]).await.ok().json();
    assert_eq!(tokens["tokens"].as_array().unwrap().len(), 2, "{tokens:#}");
    let table = admin.run(&["user", "tokens", "bob"]).await.ok().stdout;
    assert!(
        table.contains(&second_id) && table.contains("laptop") && !table.contains(&second_token),
        "{table}"
    );
    let laptop = Shell::with_token(&server, &second_token, &log);
    laptop.run(&["whoami"]).await.ok();
    admin.run(&["user", "revoke", "bob", &second_id]).await.ok();
    laptop.run(&["whoami"]).await.code(4);
    bob.run(&["whoami"]).await.ok();
    admin.run(&["user", "revoke", "bob", &second_id]).await.code(3);
    let out = admin
        .run(&["--json", "user", "revoke", "bob", "--all"])
        .await
        .ok()
        .json();
    assert_eq!(out["revoked"], 1);
    bob.run(&["whoami"]).await.code(4);

    assert_never_on_stderr(
        &log,
        &[code, second_token, server.admin_token.expose_secret().to_owned()],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_capped_by_their_parent_and_revocation_cascades() {
    let server = TestVault::start().await;
    let log = StderrLog::default();
    let admin = Shell::with_token(&server, server.admin_token.expose_secret(), &log);

    // The admin token never expires: nothing to cap.
    let out = admin.run(&["token", "create", "ci", "--expires", "1h"]).await.ok();
    let ci = out.line();
    assert!(ci.starts_with("vt_") && out.stderr.contains("in 59m"), "{out:?}");
    assert!(!out.stderr.contains("CAPPED"), "{out:?}");
    // A token from the one-hour token, asking for 30 days, is capped, and says so.
    let ci_sh = Shell::with_token(&server, &ci, &log);
    let out = ci_sh.run(&["token", "create", "child", "--expires", "30d"]).await.ok();
    let child = out.line();
    assert!(
        out.stderr.contains("CAPPED") && !out.stderr.contains("in 29d"),
        "{out:?}"
    );
    let json = ci_sh
        .run(&["--json", "token", "create", "child2", "--expires", "30d"])
        .await
        .ok()
        .json();
    assert_eq!(json["capped"], true);
    let child2 = json["token"].as_str().unwrap().to_owned();
    // Asking for less than the parent has left is not capped.
    let json = ci_sh
        .run(&["--json", "token", "create", "short", "--expires", "10m"])
        .await
        .ok()
        .json();
    assert_eq!(json["capped"], false);
    let short = json["token"].as_str().unwrap().to_owned();

    // The list marks the token in use, and never shows a token.
    let list = ci_sh.run(&["--json", "token", "list"]).await.ok().json();
    let tokens = list["tokens"].as_array().unwrap();
    let current: Vec<&Value> = tokens.iter().filter(|t| t["current"] == true).collect();
    assert_eq!(current.len(), 1, "{list:#}");
    let ci_id = current[0]["id"].as_str().unwrap().to_owned();
    let table = ci_sh.run(&["token", "list"]).await.ok().stdout;
    let marked = table.lines().find(|l| l.starts_with('*')).unwrap();
    assert!(marked.contains(&ci_id) && marked.contains("ci"), "{table}");
    assert_eq!(table.lines().filter(|l| l.starts_with('*')).count(), 1, "{table}");
    for t in [&ci, &child, &child2, &short] {
        assert!(!table.contains(t.as_str()), "{table}");
    }

    // Revoking the one-hour token (from the admin's session) revokes the tokens it created.
    let child_sh = Shell::with_token(&server, &child, &log);
    child_sh.run(&["whoami"]).await.ok();
    let out = admin.run(&["token", "revoke", &ci_id]).await.ok();
    assert!(out.stdout.contains("token(s) it created"), "{out:?}");
    assert!(!out.stdout.contains("this session"), "{out:?}");
    for t in [&ci, &child, &child2, &short] {
        Shell::with_token(&server, t, &log).run(&["whoami"]).await.code(4);
    }
    admin.run(&["whoami"]).await.ok();
    admin.run(&["token", "revoke", &ci_id]).await.code(3);

    // Revoking one's own token: allowed, and said plainly.
    let own = admin.run(&["--json", "token", "create", "own"]).await.ok().json();
    let own_token = own["token"].as_str().unwrap().to_owned();
    let own_sh = Shell::with_token(&server, &own_token, &log);
    let grandchild = own_sh.run(&["token", "create", "gc"]).await.ok().line();
    let out = own_sh.run(&["token", "revoke", own["id"].as_str().unwrap()]).await.ok();
    assert!(out.stdout.contains("this session's own token"), "{out:?}");
    own_sh.run(&["whoami"]).await.code(4);
    Shell::with_token(&server, &grandchild, &log)
        .run(&["whoami"])
        .await
        .code(4);
    admin.run(&["token", "create", "x", "--expires", "0"]).await.code(2);

    assert_never_on_stderr(
        &log,
        &[
            ci,
            child,
            child2,
            short,
            own_token,
            grandchild,
            server.admin_token.expose_secret().to_owned(),
        ],
    );
}

/// Logs in `sh` (profile `default`) with a fresh token of the admin's, returned with its id.
async fn login_with_new_token(server: &TestVault, admin: &Shell, sh: &Shell, name: &str) -> (String, String) {
    let created = admin.run(&["--json", "token", "create", name]).await.ok().json();
    let token = created["token"].as_str().unwrap().to_owned();
    sh.stdin(&["login", "--url", &server.url()], &token).await.ok();
    (token, created["id"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_revoke_revokes_on_the_server_first() {
    let server = TestVault::start().await;
    let log = StderrLog::default();
    let admin = Shell::with_token(&server, server.admin_token.expose_secret(), &log);
    let sh = Shell::sharing(&log);

    // Plain logout forgets locally only: the token still works.
    let (kept, _) = login_with_new_token(&server, &admin, &sh, "kept").await;
    sh.run(&["logout"]).await.ok();
    assert!(!sh.token_file("default").exists());
    server.client(&common::secret(&kept)).me().await.unwrap();

    // --revoke: the server refuses the token afterwards, and it is forgotten.
    let (token, id) = login_with_new_token(&server, &admin, &sh, "laptop").await;
    let out = sh.run(&["logout", "--revoke"]).await.ok();
    assert!(out.stdout.contains(&id) && out.stdout.contains("Removed"), "{out:?}");
    // Nothing stored any more: nothing to revoke, nothing to do.
    let out = sh.run(&["logout", "--revoke"]).await.ok();
    assert!(out.stdout.contains("nothing to do"), "{out:?}");
    assert!(!sh.token_file("default").exists());
    let e = server.client(&common::secret(&token)).me().await.unwrap_err();
    assert!(matches!(e, ClientError::Unauthorized(_)), "{e:?}");

    // Already revoked on the server: still forgotten, and said so.
    let (token2, id2) = login_with_new_token(&server, &admin, &sh, "laptop2").await;
    admin.run(&["token", "revoke", &id2]).await.ok();
    let out = sh.run(&["--json", "logout", "--revoke"]).await.ok().json();
    assert_eq!(
        (out["already_refused"].as_bool(), out["removed"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(!sh.token_file("default").exists());

    // VAULTTY_TOKEN is not what --revoke revokes: the stored token is.
    let (token3, _) = login_with_new_token(&server, &admin, &sh, "laptop3").await;
    sh.run_with(
        &["logout", "--revoke"],
        None,
        &[("VAULTTY_TOKEN", server.admin_token.expose_secret())],
    )
    .await
    .ok();
    server.admin().me().await.unwrap();
    assert!(server.client(&common::secret(&token3)).me().await.is_err());

    // The server is down: nothing is revoked and nothing forgotten; exit 7.
    let other = TestVault::start().await;
    let sh2 = Shell::sharing(&log);
    let (token4, _) = login_with_new_token(
        &other,
        &Shell::with_token(&other, other.admin_token.expose_secret(), &log),
        &sh2,
        "gone",
    )
    .await;
    other.server.shutdown().await;
    sh2.run(&["logout", "--revoke"])
        .await
        .code(7)
        .one_line_error("nothing was revoked");
    assert!(sh2.token_file("default").is_file());
    sh2.run(&["logout"]).await.ok();
    assert!(!sh2.token_file("default").exists());

    assert_never_on_stderr(
        &log,
        &[
            kept,
            token,
            token2,
            token3,
            token4,
            server.admin_token.expose_secret().to_owned(),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_or_unknown_code_is_refused_in_one_line() {
    let clock = vaultty::vault::ManualClock::starting_now();
    let server = TestVault::start_with(common::Options {
        clock: clock.clone().into(),
        ..Default::default()
    })
    .await;
    let log = StderrLog::default();
    let admin = Shell::with_token(&server, server.admin_token.expose_secret(), &log);
    let url = server.url();

    let (_, expired) = add_user(&admin, "bob", &["--expires", "1h"]).await;
    let (_, fresh) = add_user(&admin, "carol", &["--expires", "3h"]).await;
    clock.advance(std::time::Duration::from_secs(2 * 3600));
    let sh = Shell::sharing(&log);
    sh.stdin(&["login", "--url", &url, "--enroll"], &expired)
        .await
        .code(4)
        .one_line_error("refused the enrolment code");
    sh.stdin(
        &["login", "--url", &url, "--enroll"],
        "ve_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .await
    .code(4)
    .one_line_error("refused the enrolment code");
    assert!(!sh.token_file("default").exists());
    // The code that has not expired yet still works.
    let out = sh
        .stdin(&["--json", "login", "--url", &url, "--enroll"], &fresh)
        .await
        .ok()
        .json();
    assert_eq!(
        (out["user"].as_str(), out["profile"].as_str()),
        (Some("carol"), Some("default"))
    );
    sh.run(&["whoami"]).await.ok();

    // Invalid input to the server is exit 6, with the server's reason.
    admin.run(&["user", "add", "Not A Name"]).await.code(6);
    admin.run(&["user", "add", "dave", "--expires", "31d"]).await.code(6);
    admin.run(&["user", "add", "dave", "--expires", "soon"]).await.code(2);

    assert_never_on_stderr(&log, &[expired, fresh, server.admin_token.expose_secret().to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_token_from_the_cli_delivers_and_does_nothing_else() {
    let server = TestVault::start().await;
    let log = StderrLog::default();
    let admin = Shell::with_token(&server, server.admin_token.expose_secret(), &log);
    admin
        .stdin(
            &["secret", "set", "AGENT_KEY", "--org-wide", "--scope", "agents"],
            "agent-value\n",
        )
        .await
        .ok();
    admin
        .stdin(
            &["secret", "set", "TOOL_KEY", "--org-wide", "--scope", "tools"],
            "tool-value\n",
        )
        .await
        .ok();

    // The issue's own command line, with the default name.
    let out = admin
        .run(&[
            "token",
            "create",
            "--runner",
            "--scope",
            "agents",
            "--org",
            "--expires",
            "30d",
        ])
        .await
        .ok();
    let token = out.line();
    assert!(token.starts_with("vr_"), "{out:?}");
    assert!(
        out.stderr.contains("runner token") && out.stderr.contains("org's"),
        "{out:?}"
    );
    let list = admin.run(&["token", "list"]).await.ok().stdout;
    let row = list
        .lines()
        .find(|l| l.contains("org-runner-agents"))
        .unwrap_or_default();
    assert!(row.contains("org agents"), "{list}");
    // A runner needs a scope; a user token needs a name; --org without --runner is a usage error.
    admin.run(&["token", "create", "--runner"]).await.code(2);
    admin.run(&["token", "create"]).await.code(2);
    admin.run(&["token", "create", "x", "--org"]).await.code(2);

    // The runner gets its bundle through `vaultty run`, and is refused anything else, clearly.
    let runner = Shell::with_token(&server, &token, &log);
    let out = runner
        .run(&[
            "run",
            "--",
            "sh",
            "-c",
            "echo \"agent=${AGENT_KEY:-none} tool=${TOOL_KEY:-none}\"",
        ])
        .await
        .ok();
    assert!(out.stdout.contains("agent=agent-value tool=none"), "{out:?}");
    let out = runner.run(&["secret", "list"]).await;
    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("runner token"), "{out:?}");
    // The attempt is on the record, naming the runner and the operation refused.
    let audit = admin.run(&["audit"]).await.ok().stdout;
    let row = audit.lines().find(|l| l.contains("runner_refused")).unwrap_or_default();
    assert!(
        row.contains(" GET /v1/secrets ") && row.contains("org-runner-agents") && !row.contains("user GET"),
        "{audit}"
    );
    assert_never_on_stderr(&log, &[token, server.admin_token.expose_secret().to_owned()]);
}
