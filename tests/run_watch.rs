//! `vaultty run --watch` as a real process against a real server, with a real child: a shell
//! script that writes its pid and the secret's value to a file, then sleeps. Rotations go through
//! the API, and the test watches the file (never the clock: every wait has a generous deadline and
//! asserts what happened, not how fast). Also plain `run` and `--watch` with a runner token.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

#[path = "common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::shell::Shell;
use common::{TestVault, secret};
use rustix::process::{Pid, Signal};
use secrecy::{ExposeSecret, SecretString};
use tokio::io::AsyncBufReadExt;
use vaultty::api::{AuditAction, AuditQuery, CreateToken, Scope, TokenKind, UpsertSecret};
use vaultty::client::VaultClient;

const BIN: &str = env!("CARGO_BIN_EXE_vaultty");
/// Generous: the machine may be busy building.
const PATIENCE: Duration = Duration::from_secs(60);

/// The child: records each start (`$$ $FOO`, one line) and the current one, then sleeps. `traps`
/// go first.
fn script(dir: &Path, traps: &str) -> String {
    let d = dir.display();
    format!(
        "{traps}\n\
         echo \"$$ ${{FOO-unset}}\" >> {d}/starts\n\
         echo \"$$ ${{FOO-unset}}\" > {d}/state.tmp && mv {d}/state.tmp {d}/state\n\
         while :; do sleep 0.1; done\n"
    )
}

/// A running `vaultty run`, its standard error read as it comes. Dropping it kills vaultty and
/// the child's group.
struct Run {
    proc: tokio::process::Child,
    stderr: Arc<Mutex<String>>,
    dir: tempfile::TempDir,
}

impl Run {
    /// `vaultty run ARGS -- sh child.sh` against `v` with `token`, where child.sh is `body` (see
    /// [`script`]).
    fn start(v: &TestVault, token: &SecretString, args: &[&str], body: impl Fn(&Path) -> String) -> Run {
        Run::start_logging(v, token, args, body, None)
    }

    /// [`Run::start`] with `VAULTTY_LOG=log`.
    fn start_logging(
        v: &TestVault,
        token: &SecretString,
        args: &[&str],
        body: impl Fn(&Path) -> String,
        log: Option<&str>,
    ) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.arg("run")
            .args(args)
            .arg("--")
            .arg("sh")
            .arg(child_script(dir.path(), body))
            .env("VAULTTY_URL", v.url())
            .env("VAULTTY_TOKEN", token.expose_secret())
            .env("VAULTTY_CONFIG_DIR", dir.path().join("config"))
            .env("VAULTTY_DATA_DIR", dir.path().join("data"))
            .env_remove("VAULTTY_PROFILE")
            .env_remove("VAULTTY_LOG");
        if let Some(log) = log {
            cmd.env("VAULTTY_LOG", log);
        }
        Run::spawn(cmd, dir)
    }

    /// Runs `cmd` (a `vaultty run`), whose child writes into `dir`.
    fn spawn(mut cmd: tokio::process::Command, dir: tempfile::TempDir) -> Run {
        cmd.env_remove("FOO")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut proc = cmd.spawn().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut lines = tokio::io::BufReader::new(proc.stderr.take().unwrap()).lines();
        let sink = Arc::clone(&stderr);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let mut all = sink.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        Run { proc, stderr, dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Every start of the child so far: (pid, value).
    fn starts(&self) -> Vec<(i32, String)> {
        std::fs::read_to_string(self.path("starts"))
            .unwrap_or_default()
            .lines()
            .map(parse_state)
            .collect()
    }

    /// Waits until the child now running was given `value`; its pid.
    async fn running_with(&self, value: &str) -> i32 {
        let start = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(self.path("state")) {
                let (pid, got) = parse_state(text.trim_end());
                if got == value {
                    return pid;
                }
            }
            assert!(
                start.elapsed() < PATIENCE,
                "no child with {value:?}; starts {:?}; stderr:\n{}",
                self.starts(),
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until standard error holds `needle` `times` times.
    async fn said(&self, needle: &str, times: usize) {
        let start = Instant::now();
        while self.stderr().matches(needle).count() < times {
            assert!(
                start.elapsed() < PATIENCE,
                "stderr never said {needle:?} {times} times:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for `file` to hold `line`.
    async fn file_has(&self, file: &str, line: &str) {
        let start = Instant::now();
        loop {
            if std::fs::read_to_string(self.path(file)).is_ok_and(|t| t.lines().any(|l| l == line)) {
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "{file} never held {line:?}; stderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn exits(&mut self) -> ExitStatus {
        tokio::time::timeout(PATIENCE, self.proc.wait())
            .await
            .unwrap_or_else(|_| panic!("vaultty did not exit; stderr:\n{}", self.stderr()))
            .unwrap()
    }

    fn signal_vaultty(&self, sig: Signal) {
        let pid = Pid::from_raw(i32::try_from(self.proc.id().unwrap()).unwrap()).unwrap();
        rustix::process::kill_process(pid, sig).unwrap();
    }
}

impl Drop for Run {
    /// The children's groups outlive a killed vaultty: killed here, so that no test leaves a
    /// sleeping shell behind.
    fn drop(&mut self) {
        for (pid, _) in self.starts() {
            if let Some(pid) = Pid::from_raw(pid) {
                let _ = rustix::process::kill_process_group(pid, Signal::KILL);
            }
        }
    }
}

/// Writes child.sh into `dir`; its path.
fn child_script(dir: &Path, body: impl Fn(&Path) -> String) -> PathBuf {
    let child = dir.join("child.sh");
    std::fs::write(&child, body(dir)).unwrap();
    child
}

fn parse_state(line: &str) -> (i32, String) {
    let (pid, value) = line.split_once(' ').unwrap_or((line, ""));
    (pid.parse().unwrap_or(0), value.to_owned())
}

fn alive(pid: i32) -> bool {
    Pid::from_raw(pid).is_some_and(|p| rustix::process::test_kill_process(p).is_ok())
}

/// FOO, for the org and every scope: what a runner of any scope is delivered.
async fn set_foo(admin: &VaultClient, value: &str) {
    let req = UpsertSecret {
        org_wide: Some(true),
        ..UpsertSecret::new("FOO", secret(value))
    };
    admin.upsert_secret(&req).await.unwrap();
}

/// A runner token for the org's `agents` secrets.
async fn runner_token(admin: &VaultClient) -> SecretString {
    let created = admin
        .create_token(&CreateToken {
            kind: Some(TokenKind::Runner),
            scope: Some(Scope::Agents),
            org_wide: Some(true),
            ..CreateToken::user("ci", None)
        })
        .await
        .unwrap();
    assert!(created.token.expose_secret().starts_with("vr_"));
    created.token
}

/// Nothing `run` did was refused to the runner: it called only what a runner may.
async fn no_runner_refused(admin: &VaultClient) {
    let refused = admin
        .audit(&AuditQuery {
            action: Some(AuditAction::RunnerRefused),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(refused.is_empty(), "{refused:?}");
}

const WATCH: [&str; 3] = ["--watch", "--interval", "1s"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_restarts_the_child_with_the_new_value() {
    let v = TestVault::start().await;
    let admin = v.admin();
    set_foo(&admin, "one").await;
    let run = Run::start_logging(
        &v,
        &v.admin_token,
        &["--watch"],
        |d| script(d, ""),
        Some("vaultty::cli::run=debug"),
    );
    let first = run.running_with("one").await;
    // Subscribed, then fetched with the first bundle's tag: a 304. The rotation is then heard
    // on the stream.
    run.said("the bundle is unchanged (304)", 1).await;
    set_foo(&admin, "two").await;
    let second = run.running_with("two").await;
    assert_ne!(first, second);
    run.said("restarting sh (TERM, then KILL after 10s)", 1).await;
    assert!(!alive(first), "the first child's group was stopped");
    assert_eq!(run.starts().len(), 2, "{:?}", run.starts());
    assert!(!run.stderr().contains("two"), "a value on stderr:\n{}", run.stderr());
    assert!(!run.stderr().contains("cannot fetch"), "{}", run.stderr());
}

/// The token is revoked, then FOO rotated: every fetch fails from then on. The child keeps
/// running with the old value, and stderr says why, again at each retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_fetch_never_restarts_the_child() {
    let v = TestVault::start().await;
    let admin = v.admin();
    set_foo(&admin, "one").await;
    let created = admin.create_token(&CreateToken::user("watcher", None)).await.unwrap();
    let run = Run::start(&v, &created.token, &WATCH, |d| script(d, ""));
    let pid = run.running_with("one").await;
    admin.revoke_token(&created.id).await.unwrap();
    set_foo(&admin, "two").await;
    run.said("cannot fetch the secrets again", 2).await;
    run.said("sh keeps running with the values it has", 2).await;
    assert_eq!(run.starts(), [(pid, "one".to_owned())]);
    assert!(alive(pid));
    assert!(!run.stderr().contains("two"), "a value on stderr:\n{}", run.stderr());
}

/// A child that survives TERM is killed after --kill-timeout, and started again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_ignores_term_is_killed_and_restarted() {
    let v = TestVault::start().await;
    let admin = v.admin();
    set_foo(&admin, "one").await;
    let run = Run::start(&v, &v.admin_token, &["--watch", "--kill-timeout", "1s"], |d| {
        script(d, &format!("trap 'echo term >> {}/terms' TERM", d.display()))
    });
    let first = run.running_with("one").await;
    set_foo(&admin, "two").await;
    let second = run.running_with("two").await;
    assert_ne!(first, second);
    // The trap ran (TERM arrived and did not end it), so the KILL is what did.
    run.file_has("terms", "term").await;
    run.said("restarting sh (TERM, then KILL after 1s)", 1).await;
    assert!(!alive(first));
}

/// A child that leaves an orphan behind (its shell's background job, ended by the same TERM) is
/// restarted as soon as the child is gone: the orphan is a zombie until whoever adopted it reaps
/// it, and has nothing left to stop. This test process adopts orphans (a child subreaper, for the
/// rest of its life: harmless to the other tests) and never reaps them, so without that rule the
/// restart would wait out the whole --kill-timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orphan_zombie_left_by_the_child_does_not_hold_the_restart() {
    rustix::process::set_child_subreaper(Some(rustix::process::getpid())).unwrap();
    let v = TestVault::start().await;
    let admin = v.admin();
    set_foo(&admin, "one").await;
    let run = Run::start(&v, &v.admin_token, &["--watch", "--kill-timeout", "600s"], |d| {
        format!("sleep 600 &\n{}", script(d, ""))
    });
    let first = run.running_with("one").await;
    set_foo(&admin, "two").await;
    // Within PATIENCE, far less than the 600 s after which KILL would end the wait.
    let second = run.running_with("two").await;
    assert_ne!(first, second);
    assert!(run.stderr().contains("restarting sh"), "{}", run.stderr());
}

/// --signal HUP: the group gets SIGHUP, and the child is not restarted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hup_mode_reloads_in_place() {
    let v = TestVault::start().await;
    let admin = v.admin();
    set_foo(&admin, "one").await;
    let run = Run::start(&v, &v.admin_token, &["--watch", "--signal", "HUP"], |d| {
        script(d, &format!("trap 'echo hup >> {}/hups' HUP", d.display()))
    });
    let pid = run.running_with("one").await;
    set_foo(&admin, "two").await;
    run.file_has("hups", "hup").await;
    run.said("sent HUP to sh", 1).await;
    assert_eq!(run.starts(), [(pid, "one".to_owned())]);
    assert!(alive(pid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_exits_by_itself_ends_vaultty_with_its_code() {
    let v = TestVault::start().await;
    set_foo(&v.admin(), "one").await;
    let mut run = Run::start(&v, &v.admin_token, &WATCH, |d| {
        format!("echo \"$$ $FOO\" > {}/state\nexit 3\n", d.display())
    });
    assert_eq!(run.exits().await.code(), Some(3), "stderr:\n{}", run.stderr());
}

/// A TERM sent to vaultty reaches the child's group (which the terminal's signals do not), and
/// vaultty exits with the child's code instead of restarting it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_sent_to_vaultty_reaches_the_child() {
    let v = TestVault::start().await;
    set_foo(&v.admin(), "one").await;
    let mut run = Run::start(&v, &v.admin_token, &WATCH, |d| {
        script(
            d,
            &format!("trap 'echo \"term $FOO\" >> {}/terms; exit 5' TERM", d.display()),
        )
    });
    run.running_with("one").await;
    run.signal_vaultty(Signal::TERM);
    assert_eq!(run.exits().await.code(), Some(5), "stderr:\n{}", run.stderr());
    run.file_has("terms", "term one").await;
    assert_eq!(run.starts().len(), 1);
}

/// VAULTTY_URL and a runner token are all plain `run` needs: it calls nothing a runner may not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_run_works_with_a_runner_token() {
    let v = TestVault::start().await;
    let admin = v.admin();
    set_foo(&admin, "one").await;
    let token = runner_token(&admin).await;
    let mut run = Run::start(&v, &token, &["--only", "FOO"], |d| {
        format!("echo \"$$ $FOO\" > {}/state\nexit 0\n", d.display())
    });
    assert_eq!(run.exits().await.code(), Some(0), "stderr:\n{}", run.stderr());
    assert_eq!(
        parse_state(std::fs::read_to_string(run.path("state")).unwrap().trim_end()).1,
        "one"
    );
    no_runner_refused(&admin).await;
}

/// A runner hears of its own secrets' changes on the event stream, and fetches them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_works_with_a_runner_token() {
    let v = TestVault::start().await;
    let admin = v.admin();
    set_foo(&admin, "one").await;
    let token = runner_token(&admin).await;
    let run = Run::start(&v, &token, &["--watch", "--scope", "agents"], |d| script(d, ""));
    let first = run.running_with("one").await;
    set_foo(&admin, "two").await;
    assert_ne!(run.running_with("two").await, first);
    // Without --interval the next poll is 15 minutes away: the restart came from the stream.
    no_runner_refused(&admin).await;
}

/// A change to a secret --only leaves out costs a fetch, not a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_child_does_not_get_does_not_restart_it() {
    let v = TestVault::start().await;
    let admin = v.admin();
    set_foo(&admin, "one").await;
    admin
        .upsert_secret(&UpsertSecret::new("OTHER", secret("x")))
        .await
        .unwrap();
    let run = Run::start(&v, &v.admin_token, &["--watch", "--only", "FOO"], |d| script(d, ""));
    let pid = run.running_with("one").await;
    let deliveries_of_other = async || {
        let q = AuditQuery {
            action: Some(AuditAction::Env),
            secret: Some("OTHER".into()),
            ..AuditQuery::default()
        };
        admin.audit(&q).await.unwrap().len()
    };
    assert_eq!(deliveries_of_other().await, 1, "the first fetch");
    admin
        .upsert_secret(&UpsertSecret::new("OTHER", secret("y")))
        .await
        .unwrap();
    // The new bundle was fetched (a delivery is audited; a 304 is not)...
    let start = Instant::now();
    while deliveries_of_other().await < 2 {
        assert!(start.elapsed() < PATIENCE, "no refetch; stderr:\n{}", run.stderr());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // ...and did not restart the child.
    assert_eq!(run.starts(), [(pid, "one".to_owned())]);
    // Then FOO: the child restarts once, for FOO, never for OTHER.
    set_foo(&admin, "two").await;
    let second = run.running_with("two").await;
    assert_eq!(run.starts(), [(pid, "one".to_owned()), (second, "two".to_owned())]);
}

/// The local vault has no event stream, and `run` does not hold it open while the child runs: it
/// opens it at each --interval to ask, and `vaultty secret set` meanwhile is heard there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_vault_is_polled() {
    let sh = Shell::new();
    sh.stdin(&["secret", "set", "FOO"], "one").await.ok();
    let dir = tempfile::tempdir().unwrap();
    let child = child_script(dir.path(), |d| script(d, ""));
    let child = child.to_str().unwrap();
    let cmd = sh.command(&["run", "--watch", "--interval", "1s", "--", "sh", child], &[]);
    let run = Run::spawn(cmd, dir);
    let first = run.running_with("one").await;
    run.said("watching the local vault: checking for changes every 1s", 1)
        .await;
    sh.stdin(&["secret", "set", "FOO"], "two").await.ok();
    assert_ne!(run.running_with("two").await, first);
}

/// What `--watch` fetches with: a bundle and its tag; the same tag back is a 304 that delivers
/// nothing (and audits nothing); a rotation is a new bundle under a new tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_if_changed_answers_unchanged_for_the_current_tag() {
    use vaultty::api::EnvRequest;
    use vaultty::client::EnvFetch;
    let v = TestVault::start().await;
    let admin = v.admin();
    set_foo(&admin, "one").await;
    let req = EnvRequest::default();
    let changed = |fetch: EnvFetch| match fetch {
        EnvFetch::Changed { answer, etag } => (answer, etag.expect("the server sends an ETag")),
        EnvFetch::Unchanged => panic!("a first fetch, or one after a rotation, delivers"),
    };
    let (answer, tag) = changed(admin.env_if_changed(&req, None).await.unwrap());
    assert_eq!(answer.env["FOO"].expose_secret(), "one");
    assert!(matches!(
        admin.env_if_changed(&req, Some(&tag)).await.unwrap(),
        EnvFetch::Unchanged
    ));
    let deliveries = async || {
        let q = AuditQuery {
            action: Some(AuditAction::Env),
            ..AuditQuery::default()
        };
        admin.audit(&q).await.unwrap().len()
    };
    assert_eq!(deliveries().await, 1, "a 304 is not a delivery");
    set_foo(&admin, "two").await;
    let (answer, new_tag) = changed(admin.env_if_changed(&req, Some(&tag)).await.unwrap());
    assert_eq!(answer.env["FOO"].expose_secret(), "two");
    assert_ne!(tag, new_tag);
}

/// The stream drops (bob is disabled: the server ends it at the next change and turns reconnects
/// away); bob is enabled again: vaultty reopens it, says so, and the fetch that follows a
/// reconnect brings the change made meanwhile. The next poll is 15 minutes away: only the
/// reopened stream can have brought it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_stream_is_reopened_and_what_changed_meanwhile_is_fetched() {
    use vaultty::api::{PatchUser, Role};
    let v = TestVault::start().await;
    let admin = v.admin();
    set_foo(&admin, "one").await;
    // An admin: a member is delivered the org's values only when the org lets members reveal.
    let (_, token) = v.user("bob", Role::Admin).await;
    let run = Run::start_logging(
        &v,
        &token,
        &["--watch"],
        |d| script(d, ""),
        Some("vaultty::cli::run=debug"),
    );
    let pid = run.running_with("one").await;
    run.said("the bundle is unchanged (304)", 1).await;
    let disabled = |disabled| PatchUser {
        role: None,
        disabled: Some(disabled),
    };
    admin.patch_user("bob", &disabled(true)).await.unwrap();
    set_foo(&admin, "two").await;
    run.said("the change stream is down", 1).await;
    assert_eq!(run.starts(), [(pid, "one".to_owned())]);
    admin.patch_user("bob", &disabled(false)).await.unwrap();
    run.said("the change stream is back", 1).await;
    assert_ne!(run.running_with("two").await, pid);
    assert!(!run.stderr().contains("cannot fetch"), "{}", run.stderr());
}
