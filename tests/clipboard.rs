//! The clipboard against real parts: an X server (CI runs this file under `xvfb-run -a`) read back
//! with `xclip`, and private tmux servers that receive the OSC 52 copy as a paste buffer.
//!
//! Every test here needs a tool, so each is `#[ignore]`d with what it needs, and fails (never
//! passes quietly) when run without it: `xvfb-run -a cargo test --test clipboard -- --include-ignored`.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use vaultty::clipboard::{ClearOutcome, Clipboard, ClipboardMode, Method, hold_then_clear, scrub_tmux_buffers};

/// How long to wait for another process (xclip, a tmux pane) to do its part before giving up.
const PATIENCE: Duration = Duration::from_secs(20);

fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(start.elapsed() < PATIENCE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn on_path(program: &str, version_arg: &str) -> bool {
    Command::new(program)
        .arg(version_arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

// ---------------------------------------------------------------- X11

/// What any other X client sees on the CLIPBOARD selection (None: nothing there).
fn xclip_read(target: Option<&str>) -> Option<String> {
    let mut cmd = Command::new("xclip");
    cmd.args(["-o", "-selection", "clipboard"]);
    if let Some(t) = target {
        cmd.args(["-t", t]);
    }
    let out = cmd.stderr(Stdio::null()).output().unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Another application taking the clipboard: xclip in the foreground, serving `text`.
fn xclip_own(text: &str) -> Child {
    use std::io::Write;
    let mut child = Command::new("xclip")
        .args(["-quiet", "-i", "-selection", "clipboard"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    child
}

#[test]
#[ignore = "needs an X display and xclip; CI runs it with --include-ignored"]
fn system_clipboard_copies_clears_and_leaves_the_users_text_alone() {
    assert!(
        std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty()),
        "DISPLAY is not set: run this test under `xvfb-run -a`"
    );
    assert!(
        on_path("xclip", "-version"),
        "xclip is missing: install xclip to check the clipboard from outside"
    );
    let pid = std::process::id();
    let mut clip = Clipboard::new(ClipboardMode::System).unwrap();
    assert_eq!(clip.method(), Method::System);

    // Copy: every other application sees the value, marked for clipboard managers to skip.
    let value = format!("vaultty-x11-{pid}-s3cr3t");
    let receipt = clip.copy(&SecretString::from(value.clone())).unwrap();
    assert_eq!(receipt.method(), Method::System);
    assert_eq!(xclip_read(None).as_deref(), Some(value.as_str()));
    let targets = xclip_read(Some("TARGETS")).unwrap_or_default();
    assert!(
        targets.contains("x-kde-passwordManagerHint"),
        "no clipboard-manager exclusion hint among the targets: {targets}"
    );

    // Still ours: clearing empties it.
    assert_eq!(clip.clear_if_unchanged(&receipt).unwrap(), ClearOutcome::Cleared);
    let after = xclip_read(None);
    assert!(
        after.as_deref().is_none_or(str::is_empty),
        "clipboard still holds {after:?}"
    );

    // Copied again, then the user copies something else: their text stays.
    let receipt = clip.copy(&SecretString::from(value.clone())).unwrap();
    assert_eq!(xclip_read(None).as_deref(), Some(value.as_str()));
    let users_text = format!("the user's own text {pid}");
    let mut other_app = xclip_own(&users_text);
    wait_for("xclip to own the clipboard", || {
        (xclip_read(None).as_deref() == Some(users_text.as_str())).then_some(())
    });
    assert_eq!(
        clip.clear_if_unchanged(&receipt).unwrap(),
        ClearOutcome::ChangedSinceCopy
    );
    assert_eq!(xclip_read(None).as_deref(), Some(users_text.as_str()));
    other_app.kill().unwrap();
    other_app.wait().unwrap();

    // The CLI's path: hold, then clear if unchanged.
    let receipt = clip.copy(&SecretString::from(value.clone())).unwrap();
    assert_eq!(xclip_read(None).as_deref(), Some(value.as_str()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let outcome = rt
        .block_on(hold_then_clear(&mut clip, &receipt, Duration::from_millis(100)))
        .unwrap();
    assert_eq!(outcome, ClearOutcome::Cleared);
    assert!(xclip_read(None).as_deref().is_none_or(str::is_empty));
}

// ---------------------------------------------------------------- tmux

/// A tmux server on a private socket, killed when the test ends (even by a panic).
struct TmuxServer {
    socket: String,
}

impl TmuxServer {
    fn start(tag: &str) -> TmuxServer {
        assert!(on_path("tmux", "-V"), "tmux is missing: install tmux to run this test");
        let server = TmuxServer {
            socket: format!("vaultty-test-{}-{tag}", std::process::id()),
        };
        let started = server.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "80",
            "-y",
            "24",
            "sleep 600",
        ]);
        assert!(started.status.success(), "tmux did not start: {started:?}");
        assert!(
            server
                .run(&["set-option", "-s", "set-clipboard", "on"])
                .status
                .success()
        );
        server
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap()
    }

    /// Runs `command` in a new window, as a user's program would run in a pane.
    fn run_in_pane(&self, command: &str) {
        let out = self.run(&["new-window", "-d", command]);
        assert!(out.status.success(), "new-window failed: {out:?}");
    }

    fn buffer(&self, name: Option<&str>) -> Option<String> {
        let mut args = vec!["show-buffer"];
        if let Some(n) = name {
            args.extend(["-b", n]);
        }
        let out = self.run(&args);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn buffer_count(&self) -> usize {
        let out = self.run(&["list-buffers", "-F", "#{buffer_name}"]);
        String::from_utf8_lossy(&out.stdout).lines().count()
    }
}

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

#[test]
#[ignore = "needs tmux; CI runs it with --include-ignored"]
fn tmux_turns_the_osc52_copy_into_a_paste_buffer_and_clearing_deletes_it() {
    let tmux = TmuxServer::start("cat");
    let dir = tempfile::tempdir().unwrap();
    let bytes = dir.path().join("osc52.bin");
    let value = "vaultty-tmux-s3cr3t";

    // The exact bytes vaultty sends the terminal under tmux, shown in a pane.
    let sink = std::fs::File::create(&bytes).unwrap();
    let mut clip = Clipboard::with_osc52_writer(Box::new(sink), true);
    assert_eq!(clip.method(), Method::Osc52 { tmux: true });
    let receipt = clip.copy(&SecretString::from(value)).unwrap();
    tmux.run_in_pane(&format!("cat {}; sleep 600", quoted(&bytes)));
    let stored = wait_for("tmux to store the copy", || tmux.buffer(None));
    assert_eq!(stored, value);

    // A buffer of the user's with the same length is not ours and must survive the scrub.
    let users = "the-users-own-text!";
    assert_eq!(users.len(), value.len());
    assert!(tmux.run(&["set-buffer", "-b", "mine", users]).status.success());
    assert_eq!(scrub_tmux_buffers(Some(&tmux.socket), &receipt).unwrap(), 1);
    assert_eq!(tmux.buffer_count(), 1);
    assert_eq!(tmux.buffer(Some("mine")).as_deref(), Some(users));
}

/// Names the directory the pane's side of the test talks through; set only inside the pane.
const PANE_DIR: &str = "VAULTTY_TEST_PANE_DIR";

/// `vaultty` in a tmux pane: `Auto` mode with no display writes OSC 52 to the pane's /dev/tty and
/// clears through `$TMUX`. The test runs its own binary again inside the pane for that side.
#[test]
#[ignore = "needs tmux; CI runs it with --include-ignored"]
fn tmux_pane_copy_through_auto_mode() {
    match std::env::var_os(PANE_DIR) {
        Some(dir) => copy_inside_the_pane(&PathBuf::from(dir)),
        None => drive_the_pane(),
    }
}

/// The pane's side, as `vaultty` itself would run there.
fn copy_inside_the_pane(dir: &Path) {
    let value = std::fs::read_to_string(dir.join("value")).unwrap();
    let mut clip = Clipboard::new(ClipboardMode::Auto).unwrap();
    std::fs::write(dir.join("method"), clip.method().to_string()).unwrap();
    let receipt = clip.copy(&SecretString::from(value)).unwrap();
    wait_for("the test to ask for the clear", || {
        dir.join("clear").exists().then_some(())
    });
    let outcome = clip.clear_if_unchanged(&receipt).unwrap();
    std::fs::write(dir.join("outcome"), format!("{outcome:?}")).unwrap();
}

fn drive_the_pane() {
    let tmux = TmuxServer::start("pane");
    let dir = tempfile::tempdir().unwrap();
    let value = "vaultty-pane-s3cr3t";
    std::fs::write(dir.path().join("value"), value).unwrap();
    let exe = std::env::current_exe().unwrap();
    tmux.run_in_pane(&format!(
        "env -u DISPLAY -u WAYLAND_DISPLAY -u SSH_TTY -u SSH_CONNECTION {PANE_DIR}={} \
         {} --exact tmux_pane_copy_through_auto_mode --ignored --nocapture; sleep 600",
        quoted(dir.path()),
        quoted(&exe),
    ));

    let stored = wait_for("the pane's copy to reach tmux", || tmux.buffer(None));
    assert_eq!(stored, value);
    let method = std::fs::read_to_string(dir.path().join("method")).unwrap();
    assert_eq!(method, "OSC 52 via the terminal (tmux)");

    std::fs::write(dir.path().join("clear"), "").unwrap();
    let outcome = wait_for("the pane to clear", || {
        std::fs::read_to_string(dir.path().join("outcome"))
            .ok()
            .filter(|s| !s.is_empty())
    });
    assert_eq!(outcome, "Unverifiable");
    assert_eq!(tmux.buffer_count(), 0, "the copied value is still a tmux buffer");
}
