//! A profile's `allow_insecure_http` holds for the profile's own host only (issue 10, item 6).
//!
//! The profile names a plain-http host that is not this machine, `vault.team.example`. The real
//! binary reaches the real test server there through `HTTP_PROXY` (the server answers the proxy
//! form of a request like any other), so a command the rule lets through really works, and one it
//! refuses would have worked too: the refusal is the rule, not a dead address.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestVault;

use std::process::Stdio;

use secrecy::{ExposeSecret, SecretString};
use tokio::io::AsyncWriteExt;
use vaultty::config::{self, Paths, Profile};

const BIN: &str = env!("CARGO_BIN_EXE_vaultty");
const PROFILE_URL: &str = "http://vault.team.example:8200";
const OTHER_URL: &str = "http://other.team.example:8200";

/// A user with one stored profile that allows plain http to `PROFILE_URL`, and the proxy that
/// carries that host's traffic to the test server.
struct User {
    dir: tempfile::TempDir,
    proxy: String,
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\nstdout: {}\nstderr: {}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl User {
    fn new(server: &TestVault) -> User {
        let dir = tempfile::tempdir().unwrap();
        let user = User {
            dir,
            proxy: server.url(),
        };
        config::save_profile(
            &user.paths(),
            &Profile {
                name: config::DEFAULT_PROFILE.into(),
                url: PROFILE_URL.into(),
                token: Some(server.admin_token.clone()),
                allow_insecure_http: true,
                ca_cert: None,
            },
        )
        .unwrap();
        user
    }

    fn paths(&self) -> Paths {
        Paths {
            config_dir: self.dir.path().join("config"),
            data_dir: self.dir.path().join("data"),
        }
    }

    async fn run(&self, args: &[&str], env: &[(&str, &str)], input: Option<&str>) -> Out {
        let paths = self.paths();
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.args(args);
        for var in [
            "VAULTTY_URL",
            "VAULTTY_TOKEN",
            "VAULTTY_PROFILE",
            "VAULTTY_LOG",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
            "REQUEST_METHOD",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("VAULTTY_CONFIG_DIR", &paths.config_dir)
            .env("VAULTTY_DATA_DIR", &paths.data_dir)
            .env("HTTP_PROXY", &self.proxy)
            .envs(env.iter().copied())
            .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = input {
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(input.as_bytes()).await.unwrap();
        }
        let out = child.wait_with_output().await.unwrap();
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }
}

/// The plain-http refusal: exit 2, one line that says how to allow it, no token.
fn assert_refused(out: &Out, token: &SecretString) {
    assert_eq!(out.code, 2, "{out:?}");
    let stderr = out.stderr.trim_end();
    assert_eq!(stderr.lines().count(), 1, "{out:?}");
    assert!(
        stderr.starts_with("error: refusing to send a token over plain http://")
            && stderr.contains("other.team.example")
            && stderr.contains("--allow-insecure-http"),
        "{out:?}"
    );
    assert!(!stderr.contains(token.expose_secret()), "{out:?}");
}

fn assert_alice(out: &Out) {
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("alice"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stored_allowance_holds_for_its_own_host_only() {
    let server = TestVault::start().await;
    let user = User::new(&server);
    let token = server.admin_token.clone();
    let with_token = ("VAULTTY_TOKEN", token.expose_secret());

    // Its own host, however spelled: the profile's allowance holds and the command works.
    assert_alice(&user.run(&["whoami"], &[], None).await);
    let respelled = "http://VAULT.team.example:8200/";
    assert_alice(&user.run(&["--url", respelled, "whoami"], &[], None).await);
    assert_alice(&user.run(&["whoami"], &[("VAULTTY_URL", respelled)], None).await);

    // Another host, by --url or by VAULTTY_URL: the allowance stays behind.
    assert_refused(
        &user.run(&["--url", OTHER_URL, "whoami"], &[with_token], None).await,
        &token,
    );
    let env_url = ("VAULTTY_URL", OTHER_URL);
    assert_refused(&user.run(&["whoami"], &[env_url, with_token], None).await, &token);
    // So does `login`, which would otherwise store it for the new host.
    let login = user
        .run(&["login", "--url", OTHER_URL], &[], Some(token.expose_secret()))
        .await;
    assert_refused(&login, &token);
    let saved = config::list_profiles(&user.paths()).unwrap();
    assert_eq!(saved.len(), 1, "nothing was saved: {saved:?}");
    assert_eq!(saved[0].url, PROFILE_URL);

    // The flag given for this one command still goes wherever it is pointed.
    let flagged = ["--allow-insecure-http", "--url", OTHER_URL, "whoami"];
    assert_alice(&user.run(&flagged, &[with_token], None).await);
}
