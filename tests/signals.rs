//! Signals sent to `vaultty run` from outside, against a real server: the real binary in the
//! foreground of a real terminal (a pty made by util-linux `script`), as when it is PID 1 of a
//! `docker run -it` container that `docker stop` stops with StopSignal SIGINT.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

#[path = "common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::TestVault;
use secrecy::ExposeSecret;

const BIN: &str = env!("CARGO_BIN_EXE_vaultty");
/// Generous: the machine may be busy building.
const PATIENCE: Duration = Duration::from_secs(60);

async fn wait_for_file(path: &Path) -> String {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text;
        }
        assert!(start.elapsed() < PATIENCE, "gave up waiting for {}", path.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A SIGINT sent to vaultty alone (not to its process group, so the command does not get it from
/// the terminal) reaches the command, and vaultty exits with the command's code. vaultty is the
/// session leader and foreground process group of a pty: Ctrl-C there would signal the command
/// too, and an outside `kill -INT` must still be passed on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_forwards_a_sigint_sent_from_outside_in_the_terminals_foreground() {
    let v = TestVault::start().await;
    v.admin()
        .upsert_secret(&vaultty::api::UpsertSecret::new("FOO", common::secret("bar")))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).display().to_string();
    let child = file("child.sh");
    std::fs::write(
        &child,
        format!(
            "[ -t 0 ] && echo tty > {tty}\n\
             trap 'echo \"got-int $FOO\" > {got}; exit 3' INT\n\
             echo $PPID > {pid}\n\
             while :; do sleep 0.1; done\n",
            tty = file("tty"),
            got = file("got"),
            pid = file("pid"),
        ),
    )
    .unwrap();
    assert!(
        std::process::Command::new("script").arg("--version").output().is_ok(),
        "util-linux `script` is missing: it makes the terminal this test runs vaultty in"
    );
    // `script` runs the command in a new session on a pty, as that terminal's foreground group;
    // `exec` makes vaultty that session's leader.
    let mut cmd = tokio::process::Command::new("script");
    cmd.args(["-q", "-e", "-c", &format!("exec {BIN} run -- sh {child}"), "/dev/null"])
        .env("SHELL", "/bin/sh")
        .env("VAULTTY_URL", v.url())
        .env("VAULTTY_TOKEN", v.admin_token.expose_secret())
        .env("VAULTTY_CONFIG_DIR", dir.path().join("config"))
        .env("VAULTTY_DATA_DIR", dir.path().join("data"))
        .env_remove("VAULTTY_PROFILE")
        .env_remove("VAULTTY_LOG")
        // Held open and never written: `script` passes its input to the pty, and an end of input
        // would reach the command as one.
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut script = cmd.spawn().unwrap();
    let pid: i32 = wait_for_file(Path::new(&file("pid"))).await.trim().parse().unwrap();
    assert_eq!(
        wait_for_file(Path::new(&file("tty"))).await,
        "tty\n",
        "vaultty's command should see a terminal"
    );
    let vaultty = rustix::process::Pid::from_raw(pid).unwrap();
    rustix::process::kill_process(vaultty, rustix::process::Signal::INT).unwrap();
    let status = tokio::time::timeout(PATIENCE, script.wait())
        .await
        .expect("vaultty did not end after SIGINT: the command never got it")
        .unwrap();
    assert_eq!(std::fs::read_to_string(file("got")).unwrap(), "got-int bar\n");
    assert_eq!(status.code(), Some(3), "vaultty exits with the command's code");
    drop(script.stdin.take());
}
