//! The real binary in tmux against a real server on loopback: keys are sent with `send-keys`, the
//! screen is read with `capture-pane`, and afterwards the API is asked whether the reveal was
//! audited and the rotation stored. Needs tmux: ignored by default, run by CI (and by hand) with
//! `cargo test --test tui -- --include-ignored`; it fails, saying so, if tmux is missing then.
//!
//! `VAULTTY_WRITE_SCREENS=1` also writes the captured main views to `assets/tui-*.txt`.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use vaultty::api::{AuditAction, AuditQuery, Category, Outcome, Scope, UpsertSecret};

use crate::common::TestVault;

const BIN: &str = env!("CARGO_BIN_EXE_vaultty");
const ANTHROPIC: &str = "sk-ant-api03-e2e-Q7wXr9TzL2mN8vB4-wxyz";
const GITHUB: &str = "ghp_e2e_0123456789abcdef0123456789ab";
const GITHUB_V2: &str = "ghp_e2e_rotated_elsewhere_0000v2v2";
const NEW_VALUE: &str = "sk-ant-api03-rotated-in-tmux-0000";

/// A tmux server of its own, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// The TUI at 80x24 in a detached session of its own tmux server (`socket`), on `url` with
    /// `token`, its config and data in the given directories. The pane is kept after the app
    /// exits, to read how it ended.
    fn start(socket: &str, url: &str, token: &str, config: &Path, data: &Path) -> Tmux {
        let tmux = Tmux {
            socket: socket.to_owned(),
        };
        let env = |k: &str, v: &str| format!("{k}={v}");
        let started = tmux.cmd(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "80",
            "-y",
            "24",
            "-e",
            &env("VAULTTY_URL", url),
            "-e",
            &env("VAULTTY_TOKEN", token),
            "-e",
            &env("VAULTTY_CONFIG_DIR", &config.display().to_string()),
            "-e",
            &env("VAULTTY_DATA_DIR", &data.display().to_string()),
            "-e",
            "NO_COLOR=1",
            &format!("{BIN}; echo vaultty exited with $?; sleep 60"),
        ]);
        assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
        tmux
    }

    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status.success());
    }

    fn text(&self, text: &str) {
        assert!(self.cmd(&["send-keys", "-t", "e2e", "-l", text]).status.success());
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    /// Waits until the screen shows `what` (the app works in the background); fails with the
    /// last screen after a generous while.
    async fn wait_for(&self, what: &str) -> String {
        self.wait_until(what, |s| s.contains(what) || flat(s).contains(what))
            .await
    }

    /// Waits until `ok` holds for the screen (`what` says what that is, for the failure).
    async fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "never saw {what}; the screen:\n{s}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

/// The screen's words in reading order without borders, so a sentence wrapped inside a dialog
/// still reads as one.
fn flat(screen: &str) -> String {
    let words: Vec<&str> = screen
        .split(|c: char| c.is_whitespace() || "│┌┐└┘─".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    words.join(" ")
}

fn save(name: &str, screen: &str) {
    if std::env::var_os("VAULTTY_WRITE_SCREENS").is_some() {
        let path = format!("{}/assets/tui-{name}.txt", env!("CARGO_MANIFEST_DIR"));
        let trimmed: Vec<&str> = screen.lines().map(str::trim_end).collect();
        std::fs::write(path, trimmed.join("\n") + "\n").unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs tmux; CI runs it with --include-ignored"]
async fn the_binary_in_tmux_reveals_with_an_audit_record_and_rotates() {
    let tmux = Command::new("tmux").arg("-V").output();
    assert!(
        tmux.as_ref().is_ok_and(|o| o.status.success()),
        "this test drives the binary in tmux, and tmux cannot be run ({}): install tmux, or run \
         without --include-ignored / --ignored to leave this test out",
        match &tmux {
            Ok(o) => format!("tmux -V exited with {}", o.status),
            Err(e) => e.to_string(),
        }
    );
    let vault = TestVault::start().await;
    let admin = vault.admin();
    let mut a = UpsertSecret::new("ANTHROPIC_API_KEY", SecretString::from(ANTHROPIC));
    a.category = Some(Category::Provider);
    a.scope = Some(Scope::Agents);
    a.org_wide = Some(true);
    a.description = Some("Claude for the agent runners".into());
    admin.upsert_secret(&a).await.unwrap();
    let mut g = UpsertSecret::new("GITHUB_TOKEN", SecretString::from(GITHUB));
    g.category = Some(Category::Tool);
    g.description = Some("CI pushes tags".into());
    admin.upsert_secret(&g).await.unwrap();

    let dirs = tempfile::tempdir().unwrap();
    let config = dirs.path().join("config");
    let data = dirs.path().join("data");
    let tmux = Tmux::start(
        &format!("vaultty-e2e-{}", std::process::id()),
        &vault.url(),
        vault.admin_token.expose_secret(),
        &config,
        &data,
    );

    // The list, with the first secret's details.
    let main = tmux.wait_for("GITHUB_TOKEN").await;
    assert!(main.contains("alice @ acme (admin)"), "{main}");
    tmux.wait_for("History     v1").await;
    // Subscribed to changes: the status line (above the keys) says so.
    let status_says = |s: &str, what: &str| s.lines().rev().nth(1).is_some_and(|l| l.trim_end().ends_with(what));
    tmux.wait_until("the status line say live", |s| status_says(s, " live"))
        .await;
    save("main", &tmux.screen());

    // A rotation through the API shows on screen without a key press: the new version, the
    // new preview, and when.
    let mut g2 = UpsertSecret::new("GITHUB_TOKEN", SecretString::from(GITHUB_V2));
    g2.expected_version = Some(1);
    admin.upsert_secret(&g2).await.unwrap();
    let row = |s: &str| s.lines().find(|l| l.contains("GITHUB_TOKEN")).map(str::to_owned);
    let live = tmux
        .wait_until("GITHUB_TOKEN's row at v2", |s| {
            row(s).is_some_and(|r| r.contains(" v2 "))
        })
        .await;
    let r = row(&live).unwrap();
    assert!(r.contains("ghp_****v2v2") && r.contains("just now"), "{live}");
    assert!(
        live.contains(">   ANTHROPIC_API_KEY"),
        "the selection stayed on the first row:\n{live}"
    );

    // Navigate and filter.
    tmux.keys(&["j"]);
    tmux.wait_for("GITHUB_TOKEN  private").await;
    tmux.keys(&["/"]);
    tmux.text("anth");
    let filtered = tmux.wait_for("Secrets 1 of 2").await;
    assert!(!filtered.contains("GITHUB_TOKEN"), "{filtered}");
    tmux.keys(&["Enter"]);

    // Reveal: a confirmation first, then the value, and nothing on screen before.
    tmux.keys(&["Enter"]);
    let confirm = tmux.wait_for("is recorded in the audit log as alice").await;
    assert!(
        confirm.contains("Revealing ANTHROPIC_API_KEY (org-shared, v1)"),
        "{confirm}"
    );
    assert!(!confirm.contains(ANTHROPIC));
    save("reveal-confirm", &confirm);
    tmux.keys(&["y"]);
    let shown = tmux.wait_for(ANTHROPIC).await;
    assert!(shown.contains("masked again in"), "{shown}");
    tmux.keys(&["Escape"]);
    let hidden = tmux.wait_for("ANTHROPIC_API_KEY is masked again").await;
    assert!(!hidden.contains(ANTHROPIC));

    // Rotate: type the value, review old and new previews, write.
    tmux.keys(&["r"]);
    tmux.wait_for("Rotate ANTHROPIC_API_KEY (org-shared, v1)").await;
    tmux.text(NEW_VALUE);
    let typed = tmux.wait_for("33 chars").await;
    assert!(!typed.contains(NEW_VALUE), "typed values are masked:\n{typed}");
    save("rotate", &typed);
    tmux.keys(&["Enter"]);
    let review = tmux.wait_for("New (v2)").await;
    assert!(review.contains("sk-a****0000"), "{review}");
    tmux.keys(&["y"]);
    tmux.wait_for("Rotated ANTHROPIC_API_KEY to v2").await;
    tmux.keys(&["n"]);

    // The audit pane shows the reveal.
    tmux.keys(&["a"]);
    let audit = tmux.wait_for("alice reveal ANTHROPIC_API_KEY").await;
    save("audit", &audit);
    tmux.keys(&["q"]);
    tmux.wait_for("vaultty exited with 0").await;

    // Through the API: the reveal was audited as alice from the TUI, the rotation stored.
    let events = admin
        .audit(&AuditQuery {
            secret: Some("ANTHROPIC_API_KEY".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let reveal = events
        .iter()
        .find(|e| e.action == AuditAction::Reveal)
        .expect("a reveal event");
    assert_eq!(reveal.actor.as_deref(), Some("alice"));
    assert_eq!(reveal.outcome, Outcome::Ok);
    assert!(
        reveal.client.as_deref().is_some_and(|c| c.starts_with("vaultty-tui/")),
        "the TUI's reveal is told apart from a script's: {:?}",
        reveal.client
    );
    assert!(
        events
            .iter()
            .any(|e| e.action == AuditAction::Rotate && e.version == Some(2))
    );
    let now = admin.reveal("ANTHROPIC_API_KEY", true, None).await.unwrap();
    assert_eq!((now.value.expose_secret(), now.version), (NEW_VALUE, 2));
}

/// A member's TUI against the real server; an admin disables the member through the API in the
/// middle of the session. The periodic refresh (every second here) meets the 401: the banner
/// says so with the server's words, the TUI stays responsive, and q quits with 0. Before that,
/// the member sees their tokens with this session's marked, and no Users view.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs tmux; CI runs it with --include-ignored"]
async fn a_member_disabled_mid_session_sees_the_banner_and_q_quits() {
    assert!(
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success()),
        "this test drives the binary in tmux, and tmux cannot be run: install tmux, or run without \
         --include-ignored / --ignored to leave this test out"
    );
    let vault = TestVault::start().await;
    let admin = vault.admin();
    let (bob, bob_token) = vault.user("bob", vaultty::api::Role::Member).await;
    bob.upsert_secret(&UpsertSecret::new("BOB_NOTE", SecretString::from(GITHUB)))
        .await
        .unwrap();

    let dirs = tempfile::tempdir().unwrap();
    let config = dirs.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "[tui]\nrefresh_seconds = 1\n").unwrap();
    let data = dirs.path().join("data");
    let tmux = Tmux::start(
        &format!("vaultty-e2e-revoked-{}", std::process::id()),
        &vault.url(),
        bob_token.expose_secret(),
        &config,
        &data,
    );

    let main = tmux.wait_for("bob @ acme (member)").await;
    tmux.wait_for("BOB_NOTE").await;
    assert!(!main.contains("Users"), "a member has no Users tab:\n{main}");
    tmux.keys(&["u"]);
    tmux.keys(&["t"]);
    let tokens = tmux.wait_for("Your tokens · 1 live").await;
    assert!(tokens.contains("● tok_"), "this session's token is marked:\n{tokens}");
    assert!(!tokens.contains("Users"), "u did nothing:\n{tokens}");
    save("tokens", &tokens);

    admin
        .patch_user(
            "bob",
            &vaultty::api::PatchUser {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let banner = tmux
        .wait_for("This token no longer works: this account is disabled")
        .await;
    assert!(banner.contains("Access revoked · press q to quit"), "{banner}");
    assert!(banner.contains("q quit"), "{banner}");
    assert!(!banner.contains(GITHUB));
    save("revoked", &banner);
    tmux.keys(&["q"]);
    tmux.wait_for("vaultty exited with 0").await;
}
