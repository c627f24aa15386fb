//! The `vaultty` binary run as a user would: against a real server on 127.0.0.1 (port 0, SQLite
//! in a temporary directory) and against the embedded local vault in a temporary data directory.
//! Each story checks what a user sees: output, `--json`, exit codes, and that no value ever
//! reaches vaultty's standard error.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/tamper.rs"]
mod tamper;

use common::TestVault;
use common::shell::{Out, Shell};

use std::path::Path;
use std::process::Stdio;

use secrecy::ExposeSecret;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use vaultty::api::Role;
use vaultty::client::{ClientOptions, VaultClient};

async fn server() -> TestVault {
    TestVault::start().await
}

const OPENAI: &str = "sk-live-0123456789abcdefXYZ";
const GITHUB: &str = "ghp_rotated_value_987654321";
const TRICKY: &str = "it's \"quoted\" $HOME \\ back\nsecond line\ttab";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_story_against_a_server() {
    let server = server().await;
    let sh = Shell::remote(&server);

    let out = sh.run(&["whoami"]).await.ok();
    assert!(
        out.stdout.contains("alice") && out.stdout.contains("admin") && out.stdout.contains("acme"),
        "{out:?}"
    );
    let me = sh.run(&["--json", "whoami"]).await.ok().json();
    assert_eq!(
        (me["user"].as_str(), me["role"].as_str()),
        (Some("alice"), Some("admin"))
    );
    assert_eq!(me["vault"]["kind"], "remote");

    // Values come on standard input, never in argv.
    let out = sh
        .stdin(
            &[
                "secret",
                "set",
                "OPENAI_API_KEY",
                "--category",
                "provider",
                "--description",
                "staging",
            ],
            &format!("{OPENAI}\n"),
        )
        .await
        .ok();
    assert!(
        out.stdout.starts_with("Created OPENAI_API_KEY") && !out.stdout.contains(OPENAI),
        "{out:?}"
    );
    let created = sh
        .stdin(
            &["--json", "secret", "set", "GITHUB_TOKEN", "-", "--scope", "tools"],
            "ghp_first_value_123456789",
        )
        .await
        .ok()
        .json();
    assert_eq!(created["action"], "created");
    assert_eq!(created["secret"]["scope"], "tools");
    let rotated = sh
        .stdin(&["--json", "secret", "set", "GITHUB_TOKEN"], GITHUB)
        .await
        .ok()
        .json();
    assert_eq!(
        (rotated["action"].as_str(), rotated["secret"]["version"].as_i64()),
        (Some("rotated"), Some(2))
    );
    sh.stdin(&["secret", "set", "TRICKY", "--write-only"], &format!("{TRICKY}\n"))
        .await
        .ok();

    // The list: a table with relative times, fitted to the width; filters; JSON.
    let out = sh.run(&["secret", "list"]).await.ok();
    for needle in [
        "NAME",
        "OPENAI_API_KEY",
        "GITHUB_TOKEN",
        "provider",
        "never",
        "just now",
        "staging",
    ] {
        assert!(out.stdout.contains(needle), "{needle} missing: {out:?}");
    }
    let out = sh.run_with(&["secret", "list"], None, &[("COLUMNS", "70")]).await.ok();
    assert!(out.stdout.lines().all(|l| l.chars().count() <= 70), "{out:?}");
    assert!(out.stdout.contains("OPENAI_API_KEY"), "{out:?}");
    let list = sh
        .run(&["--json", "secret", "list", "--category", "provider"])
        .await
        .ok()
        .json();
    let names: Vec<&str> = list["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["OPENAI_API_KEY"]);
    let list = sh.run(&["--json", "secret", "list", "--org-only"]).await.ok().json();
    assert_eq!(list["secrets"].as_array().unwrap().len(), 0);
    let list = sh.run(&["--json", "secret", "list", "--stale", "1"]).await.ok().json();
    assert_eq!(list["secrets"].as_array().unwrap().len(), 0, "nothing is a day old yet");
    sh.run(&["secret", "list", "--user-only", "--org-only"]).await.code(2);

    // get: details without the value; --reveal prints exactly the value when piped.
    let out = sh.run(&["secret", "get", "OPENAI_API_KEY"]).await.ok();
    assert!(
        out.stdout.contains("provider") && out.stdout.contains("sk-l****fXYZ") && !out.stdout.contains(OPENAI),
        "{out:?}"
    );
    assert_eq!(
        sh.run(&["--json", "secret", "get", "OPENAI_API_KEY"]).await.ok().json()["version"],
        1
    );
    assert_eq!(
        sh.run(&["secret", "get", "OPENAI_API_KEY", "--reveal"])
            .await
            .ok()
            .stdout,
        OPENAI
    );
    let revealed = sh
        .run(&["--json", "secret", "get", "GITHUB_TOKEN", "--reveal"])
        .await
        .ok()
        .json();
    assert_eq!(
        (revealed["value"].as_str(), revealed["version"].as_i64()),
        (Some(GITHUB), Some(2))
    );
    sh.run(&["secret", "get", "TRICKY", "--reveal"]).await.code(4);
    sh.run(&["secret", "get", "OPENAI_API_KEY", "--clear-after", "5"])
        .await
        .code(2);

    // rotate: from stdin, generated, and the failures.
    let out = sh
        .stdin(&["secret", "rotate", "OPENAI_API_KEY"], "sk-live-rotated-000000000")
        .await
        .ok();
    assert!(out.stdout.contains("version 2"), "{out:?}");
    let gen_out = sh
        .run(&["--json", "secret", "rotate", "OPENAI_API_KEY", "--generate", "40"])
        .await
        .ok()
        .json();
    assert_eq!(gen_out["secret"]["version"], 3);
    let generated = sh
        .run(&["secret", "get", "OPENAI_API_KEY", "--reveal"])
        .await
        .ok()
        .stdout;
    assert_eq!(generated.len(), 40);
    assert!(generated.chars().all(|c| c.is_ascii_alphanumeric()));
    sh.run(&["secret", "rotate", "NO_SUCH_SECRET", "--generate"])
        .await
        .code(3)
        .one_line_error("NO_SUCH_SECRET");
    sh.run(&["secret", "rotate", "OPENAI_API_KEY", "--generate", "3"])
        .await
        .code(2);

    // history, newest first, previews only.
    let history = sh
        .run(&["--json", "secret", "history", "OPENAI_API_KEY"])
        .await
        .ok()
        .json();
    let versions: Vec<i64> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [3, 2, 1]);
    let out = sh.run(&["secret", "history", "OPENAI_API_KEY"]).await.ok();
    assert!(
        out.stdout.contains("VERSION") && !out.stdout.contains(OPENAI),
        "{out:?}"
    );

    // Input mistakes are refused before anything is sent.
    sh.stdin(&["secret", "set", "9LIVES"], "x")
        .await
        .code(6)
        .one_line_error("secret name");
    sh.stdin(&["secret", "set", "EMPTY"], "\n")
        .await
        .code(6)
        .one_line_error("empty");
    sh.run(&["secret", "get", "NOPE"]).await.code(3).one_line_error("NOPE");
    sh.run(&["secret", "frobnicate"]).await.code(2);

    // Another user: a member may not write org-shared secrets, and a bad token is refused.
    let admin = VaultClient::new(
        &server.server.url(),
        Some(server.admin_token.clone()),
        ClientOptions::default(),
    )
    .unwrap();
    let bob_token = common::enroll_user(&admin, &server.server.url(), "bob", Role::Member).await;
    let bob_sh = {
        let mut s = Shell::remote(&server);
        s.set("VAULTTY_TOKEN", bob_token.expose_secret());
        s
    };
    bob_sh
        .stdin(&["secret", "set", "SHARED", "--org-wide"], "value-of-bob-123")
        .await
        .code(4)
        .one_line_error("forbidden");
    let mut bad = Shell::remote(&server);
    bad.set("VAULTTY_TOKEN", "vt_not-a-real-token");
    bad.run(&["secret", "list"])
        .await
        .code(4)
        .one_line_error("unauthorized");

    // audit: who did what, with the CLI's user agent.
    let audit = sh
        .run(&["--json", "audit", "--secret", "OPENAI_API_KEY", "--limit", "2"])
        .await
        .ok()
        .json();
    let events = audit["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e["secret"] == "OPENAI_API_KEY"));
    assert!(
        events[0]["client"].as_str().unwrap().starts_with("vaultty-cli/"),
        "{audit}"
    );
    let out = sh.run(&["audit", "--actor", "alice"]).await.ok();
    assert!(
        out.stdout.contains("reveal") && out.stdout.contains("create"),
        "{out:?}"
    );
    // An account action names whom it acted on.
    assert!(
        out.stdout
            .lines()
            .any(|l| l.contains("user_create") && l.contains("user bob")),
        "{out:?}"
    );

    // delete: refused without confirmation when not on a terminal, then done with --yes.
    sh.run(&["secret", "delete", "GITHUB_TOKEN"])
        .await
        .code(2)
        .one_line_error("--yes");
    let out = sh
        .run(&["--json", "secret", "delete", "GITHUB_TOKEN", "--yes"])
        .await
        .ok()
        .json();
    assert_eq!(out["deleted"], "GITHUB_TOKEN");
    sh.run(&["secret", "get", "GITHUB_TOKEN"]).await.code(3);

    sh.assert_no_value_on_stderr(&[OPENAI, GITHUB, "second line", &generated, "value-of-bob"]);
}

/// `secret get --copy` on an X display: the value is on the clipboard while vaultty stays in the
/// foreground, and gone once it has exited, whether its time ran out or a signal stopped it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an X display and xclip; CI runs it with --include-ignored"]
async fn copy_holds_the_value_then_clears_it() {
    let xclip_out = || {
        std::process::Command::new("xclip")
            .args(["-o", "-selection", "clipboard"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    assert!(
        std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty()),
        "DISPLAY is not set: run this test under `xvfb-run -a`"
    );
    assert!(
        xclip_out().is_ok(),
        "xclip is missing: install xclip to read the clipboard from outside"
    );
    let server = server().await;
    let sh = Shell::remote(&server);
    sh.stdin(&["secret", "set", "GITHUB_TOKEN"], GITHUB).await.ok();
    let mut cmd = sh.command(&["secret", "get", "GITHUB_TOKEN", "--copy", "--clear-after", "1"], &[]);
    cmd.env_remove("SSH_TTY").env_remove("SSH_CONNECTION");
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = stderr.next_line().await.unwrap().unwrap();
    assert!(
        first.starts_with("Copied GITHUB_TOKEN") && first.contains("system clipboard"),
        "{first}"
    );
    assert_eq!(xclip_out().unwrap(), GITHUB);
    let status = child.wait().await.unwrap();
    assert!(status.success());
    let rest = stderr.next_line().await.unwrap().unwrap_or_default();
    assert!(rest.contains("cleared") && !rest.contains(GITHUB), "{rest}");
    assert_ne!(xclip_out().unwrap(), GITHUB);

    // Told to stop by SIGTERM (a supervisor's `kill`) or SIGHUP (a closed terminal), as by Ctrl-C,
    // it clears first and exits normally: the value is not left behind. (Here, in the same test
    // as above: tests running at once would share the one X clipboard.)
    for signal in [
        rustix::process::Signal::TERM,
        rustix::process::Signal::HUP,
        rustix::process::Signal::INT,
    ] {
        let mut cmd = sh.command(
            &["secret", "get", "GITHUB_TOKEN", "--copy", "--clear-after", "600"],
            &[],
        );
        cmd.env_remove("SSH_TTY").env_remove("SSH_CONNECTION");
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = stderr.next_line().await.unwrap().unwrap();
        assert!(first.starts_with("Copied GITHUB_TOKEN"), "{first}");
        assert_eq!(xclip_out().unwrap(), GITHUB);
        let pid = rustix::process::Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap()).unwrap();
        rustix::process::kill_process(pid, signal).unwrap();
        let status = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait())
            .await
            .unwrap_or_else(|_| panic!("{signal:?}: vaultty did not end"))
            .unwrap();
        assert!(status.success(), "{signal:?}: {status:?}");
        let rest = stderr.next_line().await.unwrap().unwrap_or_default();
        assert!(rest.contains("cleared") && !rest.contains(GITHUB), "{signal:?}: {rest}");
        assert_ne!(xclip_out().unwrap(), GITHUB, "{signal:?}");
    }
    sh.assert_no_value_on_stderr(&[GITHUB]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_passes_variables_exit_codes_and_signals() {
    let server = server().await;
    let sh = Shell::remote(&server);
    sh.stdin(&["secret", "set", "FOO"], "bar").await.ok();
    sh.stdin(
        &["secret", "set", "AGENT_KEY", "--scope", "agents"],
        "agent-secret-value",
    )
    .await
    .ok();

    sh.run(&["run", "--", "sh", "-c", r#"test "$FOO" = bar; exit 7"#])
        .await
        .code(7);
    // Scopes: without --scope every secret is delivered; with one, that scope's and `all`'s.
    sh.run(&["run", "--", "sh", "-c", r#"test "$AGENT_KEY" = agent-secret-value"#])
        .await
        .ok();
    sh.run(&[
        "run",
        "--scope",
        "agents",
        "--",
        "sh",
        "-c",
        r#"test "$FOO" = bar && test "$AGENT_KEY" = agent-secret-value"#,
    ])
    .await
    .ok();
    sh.run(&[
        "run",
        "--scope",
        "tools",
        "--",
        "sh",
        "-c",
        r#"test -z "$AGENT_KEY" && test "$FOO" = bar"#,
    ])
    .await
    .ok();
    // --only narrows, and names a missing secret as an error.
    sh.run(&[
        "run",
        "--scope",
        "agents",
        "--only",
        "FOO",
        "--",
        "sh",
        "-c",
        r#"test -z "$AGENT_KEY" && test "$FOO" = bar"#,
    ])
    .await
    .ok();
    sh.run(&["run", "--only", "FOO,MISSING", "--", "true"])
        .await
        .code(3)
        .one_line_error("MISSING");
    // The vault wins over the inherited environment, unless --preserve-env.
    let outer = [("FOO", "outer")];
    sh.run_with(&["run", "--", "sh", "-c", r#"test "$FOO" = bar"#], None, &outer)
        .await
        .ok();
    sh.run_with(
        &["run", "--preserve-env", "--", "sh", "-c", r#"test "$FOO" = outer"#],
        None,
        &outer,
    )
    .await
    .ok();
    // The command's output is its own; vaultty adds nothing.
    let out = sh.run(&["run", "--", "sh", "-c", r#"printf '%s' "$FOO""#]).await.ok();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("bar", ""));
    // Killed by a signal: 128 + the signal's number, as a shell says.
    sh.run(&["run", "--", "sh", "-c", "kill -KILL $$"]).await.code(137);
    sh.run(&["run", "--", "vaultty-no-such-command-x"])
        .await
        .code(127)
        .one_line_error("not found");

    // SIGTERM to vaultty reaches the command, whose exit code vaultty then reports.
    let mut cmd = sh.command(
        &[
            "run",
            "--",
            "sh",
            "-c",
            r"trap 'exit 42' TERM; echo ready; while :; do sleep 1; done",
        ],
        &[],
    );
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("ready"));
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(42));

    sh.assert_no_value_on_stderr(&["agent-secret-value"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_logout_and_profiles() {
    let server = server().await;
    let mut sh = Shell::new();
    let url = server.server.url();

    // A wrong token is refused and nothing is saved.
    sh.stdin(&["login", "--url", &url], "vt_wrong")
        .await
        .code(4)
        .one_line_error("refused");
    sh.run(&["whoami", "--profile", "default"])
        .await
        .code(3)
        .one_line_error("vaultty login");

    let token = server.admin_token.expose_secret();
    let out = sh
        .stdin(&["--json", "login", "--url", &url], &format!("{token}\n"))
        .await
        .ok()
        .json();
    assert_eq!(
        (out["user"].as_str(), out["profile"].as_str()),
        (Some("alice"), Some("default"))
    );
    let token_file = Path::new(&sh.path("config")).join("tokens").join("default");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let out = sh.run(&["whoami"]).await.ok();
    assert!(out.stdout.contains("alice") && out.stdout.contains(&url), "{out:?}");

    // A second profile, picked with --profile or VAULTTY_PROFILE.
    sh.stdin(&["login", "--profile", "work", "--url", &url], token)
        .await
        .ok();
    sh.run(&["whoami", "--profile", "work"]).await.ok();
    sh.set("VAULTTY_PROFILE", "work");
    assert_eq!(
        sh.run(&["--json", "whoami"]).await.ok().json()["vault"]["profile"],
        "work"
    );
    sh.unset("VAULTTY_PROFILE");
    sh.run(&["whoami", "--profile", "nope"])
        .await
        .code(3)
        .one_line_error("nope");

    let out = sh.run(&["--json", "logout"]).await.ok().json();
    assert_eq!(out["removed"], true);
    assert!(!token_file.exists());
    // Without its token the profile's server refuses us.
    sh.run(&["secret", "list"]).await.code(4);
    sh.run(&["secret", "list", "--profile", "work"]).await.ok();

    sh.assert_no_value_on_stderr(&[token]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_vault_story_with_import_export_round_trip() {
    let sh = Shell::new();
    let out = sh.run(&["whoami"]).await.ok();
    assert!(out.stdout.contains("local vault"), "{out:?}");

    let env_file = sh.path("in.env");
    std::fs::write(
        &env_file,
        format!(
            "# my project\nexport OPENAI_API_KEY={OPENAI}\nGITHUB_TOKEN='{GITHUB}' # inline\nTRICKY=\"{}\"\nEMPTY=\n",
            TRICKY
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('$', "\\$")
                .replace('\n', "\\n")
                .replace('\t', "\\t")
        ),
    )
    .unwrap();
    let out = sh.run(&["import", &env_file, "--category", "tool"]).await.ok();
    assert!(
        out.stdout.contains("created OPENAI_API_KEY") && out.stdout.contains("created TRICKY"),
        "{out:?}"
    );
    assert!(out.stderr.contains("skipped EMPTY"), "{out:?}");
    let again = sh.run(&["--json", "import", &env_file]).await.ok().json();
    let actions: Vec<&str> = again["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["rotated", "rotated", "rotated"]);
    assert_eq!(
        sh.run(&["secret", "get", "TRICKY", "--reveal"]).await.ok().stdout,
        TRICKY
    );
    let list = sh.run(&["--json", "secret", "list"]).await.ok().json();
    assert!(
        list["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["category"] == "tool"),
        "{list}"
    );

    // Each export format carries the values back exactly.
    let dotenv = sh.run(&["export"]).await.ok().stdout;
    let json = sh.run(&["export", "--format", "json"]).await.ok().json();
    assert_eq!(json["TRICKY"], TRICKY);
    assert_eq!(json, sh.run(&["--json", "export"]).await.ok().json());
    let shell = sh.run(&["export", "--format", "shell"]).await.ok().stdout;
    let check = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{shell}\nprintf '%s' \"$TRICKY\""))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(check.stdout).unwrap(), TRICKY);

    // Round trip: the export imported into a fresh vault exports the same.
    let exported = sh.path("out.env");
    std::fs::write(&exported, &dotenv).unwrap();
    let other = Shell::new();
    other.run(&["import", &exported]).await.ok();
    assert_eq!(other.run(&["export"]).await.ok().stdout, dotenv);
    // Standard input works as the file too.
    let third = Shell::new();
    third.stdin(&["import", "-"], &dotenv).await.ok();
    assert_eq!(third.run(&["export", "--format", "json"]).await.ok().json(), json);

    // A bad file names the line, never the value; a missing one is "not found".
    let bad = sh.path("bad.env");
    std::fs::write(&bad, "GOOD=1\nBAD=\"unterminated s3cr3t\n").unwrap();
    sh.run(&["import", &bad]).await.code(6).one_line_error("line 2");
    sh.run(&["import", &sh.path("missing.env")]).await.code(3);

    sh.run_with(
        &["run", "--", "sh", "-c", r#"test "$GITHUB_TOKEN" = "$EXPECTED""#],
        None,
        &[("EXPECTED", GITHUB)],
    )
    .await
    .ok();

    for s in [&sh, &other, &third] {
        s.assert_no_value_on_stderr(&[OPENAI, GITHUB, "second line", "s3cr3t"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_one_line_with_their_exit_codes() {
    let mut sh = Shell::new();
    // Plain HTTP to another host: refused before any network traffic.
    sh.set("VAULTTY_URL", "http://example.invalid:8200");
    sh.set("VAULTTY_TOKEN", "vt_some-token-value");
    sh.run(&["secret", "list"])
        .await
        .code(2)
        .one_line_error("--allow-insecure-http");

    // A dead server: one line, no backtrace even when backtraces are asked for.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    sh.set("VAULTTY_URL", &format!("http://127.0.0.1:{port}"));
    let traces = [("RUST_BACKTRACE", "1"), ("RUST_LIB_BACKTRACE", "1")];
    let out = sh.run_with(&["secret", "list"], None, &traces).await.code(7);
    out.one_line_error("cannot reach");
    sh.stdin(&["secret", "set", "X"], "value-for-dead-server").await.code(7);

    // Usage errors, and the help that documents the exit codes.
    sh.run(&["secret", "list", "--bogus"]).await.code(2);
    let help = sh.run(&["--help"]).await.ok().stdout;
    assert!(
        help.contains("Exit codes") && help.contains("7  vault unreachable"),
        "{help}"
    );
    // No subcommand opens the TUI, which needs a terminal.
    sh.run(&[]).await.code(2).one_line_error("terminal");

    for shell in ["bash", "zsh", "fish"] {
        let out = sh.run(&["completions", shell]).await.ok();
        assert!(
            out.stdout.contains("vaultty") && out.stdout.contains("secret"),
            "{shell}: {out:?}"
        );
    }
    sh.assert_no_value_on_stderr(&["vt_some-token-value", "value-for-dead-server"]);
}

/// Stores an org secret as a server from before the reserved names (docs/API.md) would have: the
/// row goes into the test's database through the store, sealed with the server's key.
async fn store_as_an_older_server(server: &TestVault, name: &str, value: &str) {
    use vaultty::store::{AuditAction, NewAudit, Outcome, Owner, SecretWrite};
    let store = vaultty::vault::open_store(&server.db_url, &common::keyring(&server.keys))
        .await
        .unwrap();
    let identity = vaultty::crypto::new_identity();
    let sealed = common::keyring(&server.keys).seal(
        &vaultty::crypto::Binding {
            namespace: "org",
            name,
            identity: &identity,
            version: 1,
        },
        &common::secret(value),
    );
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .try_into()
        .unwrap();
    let write = SecretWrite {
        owner: Owner::Org,
        name: name.to_owned(),
        expected: None,
        new_version: 1,
        identity,
        sealed,
        preview: "****".into(),
        category: None,
        scope: None,
        description: None,
        provider: None,
        revealable: None,
        at,
        by: "alice".into(),
        max_versions: 10,
    };
    store
        .write_secret(write, NewAudit::new(at, AuditAction::Create, Outcome::Ok))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_never_sets_reserved_names_and_names_what_it_overrode_or_kept() {
    let server = server().await;
    let sh = Shell::remote(&server);
    let evil_path = "/nonexistent-evil-bin";
    store_as_an_older_server(&server, "PATH", evil_path).await;
    store_as_an_older_server(&server, "LD_PRELOAD", "/nonexistent-evil.so").await;
    sh.stdin(&["secret", "set", "FOO"], "vault-foo-value").await.ok();

    // The caller's PATH stays: `sh` is found, and sees the PATH vaultty was started with. The
    // server no longer delivers such rows (run drops them again for an older server that does:
    // the unit tests of src/cli/run.rs), so nothing about them reaches stderr either.
    let caller_path = std::env::var("PATH").unwrap();
    let out = sh
        .run(&[
            "run",
            "--",
            "sh",
            "-c",
            r#"printf '%s|%s' "$PATH" "${LD_PRELOAD-unset}""#,
        ])
        .await
        .ok();
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        (format!("{caller_path}|unset").as_str(), ""),
        "{out:?}"
    );
    let delivered = server.admin().env(None).await.unwrap();
    assert_eq!(delivered.keys().collect::<Vec<_>>(), ["FOO"]);

    // The vault's value wins over a different local one, and stderr names it; --preserve-env keeps
    // the local one, and stderr names that.
    let outer = [("FOO", "local-foo-value")];
    let out = sh
        .run_with(
            &["run", "--", "sh", "-c", r#"test "$FOO" = vault-foo-value"#],
            None,
            &outer,
        )
        .await
        .ok();
    assert!(
        out.stderr
            .contains("overridden by the vault's value: FOO (--preserve-env keeps yours)"),
        "{out:?}"
    );
    let out = sh
        .run_with(
            &[
                "run",
                "--preserve-env",
                "--",
                "sh",
                "-c",
                r#"test "$FOO" = local-foo-value"#,
            ],
            None,
            &outer,
        )
        .await
        .ok();
    assert!(
        out.stderr.contains("kept from your environment (--preserve-env): FOO"),
        "{out:?}"
    );
    sh.run(&["run", "--only", "PATH", "--", "true"])
        .await
        .code(6)
        .one_line_error("Reserved names");

    // Refused on the way in, by the CLI as by the server; a stored one stays readable and deletable.
    sh.stdin(&["secret", "set", "NODE_OPTIONS", "--org-wide"], "--require /tmp/x.js")
        .await
        .one_line_error("changes how programs start or load code");
    let out = sh.run(&["secret", "get", "PATH", "--org-wide", "--reveal"]).await.ok();
    assert!(out.stdout.contains(evil_path), "{out:?}");
    sh.run(&["secret", "delete", "PATH", "--org-wide", "--yes"]).await.ok();

    // import keeps its all-or-nothing rule: the reserved line is named, and nothing is imported.
    let file = sh.path("reserved.env");
    std::fs::write(&file, "GOOD_NAME=good-value\nPATH=/tmp/evil\n").unwrap();
    sh.run(&["import", &file]).await.one_line_error("line 2");
    let out = sh.run(&["--json", "secret", "list"]).await.ok();
    assert!(!out.stdout.contains("GOOD_NAME"), "{out:?}");

    sh.assert_no_value_on_stderr(&[evil_path, "nonexistent-evil.so", "vault-foo-value", "local-foo-value"]);
}

// ---- leaks (issue 9, item 5): no input echoed in errors, no terminal control from a server ----

/// The bytes that make terminal text act: ESC (ANSI and OSC sequences), BEL (ends OSC 52, which
/// writes the clipboard) and the C1 CSI.
const TERMINAL_CONTROLS: [char; 3] = ['\u{1b}', '\u{7}', '\u{9b}'];

fn assert_inert(out: &Out) {
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains(TERMINAL_CONTROLS),
            "a control character reached the terminal: {out:?}"
        );
    }
}

/// An org-shared secret whose description carries OSC 52, and a client whose User-Agent carries
/// ESC: what a member's CLI prints holds none of their control characters, and `--json` keeps
/// the text, escaped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_text_reaches_the_terminal_inert() {
    let v = server().await;
    let admin = Shell::remote(&v);
    let osc52 = "team key \u{1b}]52;c;cHduZWQ=\u{7} end \u{9b}31m red";
    admin
        .stdin(
            &["secret", "set", "SHARED_KEY", "--org-wide", "--description", osc52],
            "shared-value-0001",
        )
        .await
        .ok();
    let (_, token) = v.user("bob", Role::Member).await;
    let mut member = Shell::remote(&v);
    member.set("VAULTTY_TOKEN", token.expose_secret());

    // A User-Agent with ESC and BEL, sent byte for byte (typed clients refuse to send it).
    let mut raw = tokio::net::TcpStream::connect(v.server.url().trim_start_matches("http://"))
        .await
        .unwrap();
    let request = format!(
        "GET /v1/me HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         User-Agent: evil \u{1b}]52;c;cHduZWQ=\u{7}\r\nConnection: close\r\n\r\n",
        token.expose_secret()
    );
    raw.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut raw, &mut answer)
        .await
        .unwrap();
    // hyper refuses the header outright, so no audit row can carry it; the audit table below is
    // printed through the same sanitizing in case another path ever stores one.
    assert!(
        answer.starts_with(b"HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    let list = member.run(&["secret", "list"]).await.ok();
    assert!(
        list.stdout.contains("team key") && list.stdout.contains("end"),
        "{list:?}"
    );
    assert_inert(&list);
    let get = member.run(&["secret", "get", "SHARED_KEY"]).await.ok();
    assert!(get.stdout.contains("team key"), "{get:?}");
    assert_inert(&get);
    assert_inert(&admin.run(&["audit"]).await.ok());
    assert_inert(&member.run(&["whoami"]).await.ok());

    // JSON escapes control characters (`\u001b`), and keeps the text as it was stored.
    let json = member.run(&["--json", "secret", "get", "SHARED_KEY"]).await.ok();
    assert_inert(&json);
    assert_eq!(json.json()["description"], osc52);
}

/// A bad `.env` line and a value typed where a name belongs: the error says the line and what is
/// wrong, never the text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_errors_never_echo_the_input() {
    let v = server().await;
    let sh = Shell::remote(&v);
    let canary = "sk-live-canary-4242";
    for (text, line) in [
        (format!("GOOD=1\n{canary}=oops\n"), "line 2"),
        (format!("GOOD=1\n\n{canary}\n"), "line 3"),
        (format!("export {canary}=x\n"), "line 1"),
    ] {
        let file = sh.path("bad-line.env");
        std::fs::write(&file, text).unwrap();
        let out = sh.run(&["import", &file]).await.code(6);
        out.one_line_error(line);
    }
    let out = sh.stdin(&["secret", "set", canary], "some-value").await;
    assert_ne!(out.code, 0, "{out:?}");
    out.one_line_error("secret name");
    sh.assert_no_value_on_stderr(&[canary, "canary"]);
}

/// Write-only values are delivered by `run` and never printed by `export`; a value that does not
/// open is left out by both, named on stderr, and the rest still arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_leaves_out_write_only_and_both_report_skipped_rows() {
    let server = server().await;
    let sh = Shell::remote(&server);
    sh.stdin(&["secret", "set", "PLAIN"], "plain-value-0001").await.ok();
    sh.stdin(&["secret", "set", "HIDDEN", "--write-only"], "hidden-value-0002")
        .await
        .ok();
    sh.stdin(&["secret", "set", "BROKEN"], "broken-value-0003").await.ok();
    tamper::move_ciphertext(&server.db_path(), "PLAIN", "BROKEN", false);

    for format in ["dotenv", "json", "shell"] {
        let out = sh.run(&["export", "--format", format]).await.ok();
        assert!(out.stdout.contains("plain-value-0001"), "{out:?}");
        assert!(
            !out.stdout.contains("HIDDEN") && !out.stdout.contains("hidden-value"),
            "{out:?}"
        );
        assert!(!out.stdout.contains("BROKEN"), "{out:?}");
        assert!(out.stderr.contains("left out, write-only: HIDDEN"), "{out:?}");
        assert!(out.stderr.contains("not delivered: BROKEN (user)"), "{out:?}");
    }

    let out = sh
        .run(&[
            "run",
            "--",
            "sh",
            "-c",
            r#"printf '%s|%s|%s' "$PLAIN" "$HIDDEN" "${BROKEN-unset}""#,
        ])
        .await
        .ok();
    assert_eq!(out.stdout, "plain-value-0001|hidden-value-0002|unset", "{out:?}");
    assert!(out.stderr.contains("not delivered: BROKEN (user)"), "{out:?}");
    assert!(!out.stderr.contains("HIDDEN"), "{out:?}");
    // Asked for by name, a value that does not open stops the command from starting.
    let out = sh.run(&["run", "--only", "BROKEN", "--", "true"]).await;
    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("could not deliver"), "{out:?}");

    sh.assert_no_value_on_stderr(&["plain-value", "hidden-value", "broken-value"]);
}
