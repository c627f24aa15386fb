//! The `vaultty` binary as a user runs it: a shell with private config and data directories (the
//! real home is never touched), what each run printed and how it exited, and every standard error
//! kept so that a test can check at the end that no value, token or code ever reached it.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use secrecy::ExposeSecret;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::TestVault;

pub const BIN: &str = env!("CARGO_BIN_EXE_vaultty");

/// What one invocation did; `args` names it in failure messages.
#[derive(Debug)]
pub struct Out {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn ok(self) -> Out {
        self.code(0)
    }

    pub fn code(self, code: i32) -> Out {
        assert_eq!(
            self.code,
            code,
            "`vaultty {}` should exit {code}: {self:?}",
            self.args.join(" ")
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// An expected failure: exactly one line, `error: ...` with `needle`, and no backtrace.
    pub fn one_line_error(self, needle: &str) -> Out {
        let stderr = self.stderr.trim_end();
        assert_eq!(stderr.lines().count(), 1, "one line expected: {self:?}");
        assert!(stderr.starts_with("error: "), "{self:?}");
        assert!(stderr.contains(needle), "expected {needle:?} in {self:?}");
        for bad in ["backtrace", "Backtrace", "panicked", "Location:", "stack backtrace"] {
            assert!(!stderr.contains(bad), "{self:?}");
        }
        self
    }

    /// The one line on standard output (a token or a code printed for a pipe).
    pub fn line(&self) -> String {
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "one line on stdout expected: {self:?}");
        lines[0].to_owned()
    }
}

/// Every standard error the shells sharing it saw.
pub type StderrLog = Arc<Mutex<Vec<String>>>;

/// A user's shell: environment variables and a private config and data directory.
pub struct Shell {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    stderrs: StderrLog,
}

impl Shell {
    pub fn new() -> Shell {
        Shell::sharing(&StderrLog::default())
    }

    /// A shell whose standard errors go to `log` (several users' shells, one check at the end).
    pub fn sharing(log: &StderrLog) -> Shell {
        let dir = tempfile::tempdir().unwrap();
        let env = vec![
            (
                "VAULTTY_CONFIG_DIR".into(),
                dir.path().join("config").display().to_string(),
            ),
            ("VAULTTY_DATA_DIR".into(), dir.path().join("data").display().to_string()),
        ];
        Shell {
            dir,
            env,
            stderrs: log.clone(),
        }
    }

    /// The admin's shell on `server`, through the environment.
    pub fn remote(server: &TestVault) -> Shell {
        Shell::with_token(server, server.admin_token.expose_secret(), &StderrLog::default())
    }

    /// A shell that talks to `server` with `token` through the environment.
    pub fn with_token(server: &TestVault, token: &str, log: &StderrLog) -> Shell {
        let mut sh = Shell::sharing(log);
        sh.set("VAULTTY_URL", &server.url());
        sh.set("VAULTTY_TOKEN", token);
        sh
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    pub fn unset(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
    }

    pub fn command(&self, args: &[&str], extra_env: &[(&str, &str)]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.args(args);
        for var in [
            "VAULTTY_URL",
            "VAULTTY_TOKEN",
            "VAULTTY_PROFILE",
            "VAULTTY_LOG",
            "COLUMNS",
            "RUST_BACKTRACE",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd.envs(extra_env.iter().copied());
        cmd.kill_on_drop(true);
        cmd
    }

    pub async fn run(&self, args: &[&str]) -> Out {
        self.run_with(args, None, &[]).await
    }

    pub async fn stdin(&self, args: &[&str], input: &str) -> Out {
        self.run_with(args, Some(input), &[]).await
    }

    pub async fn run_with(&self, args: &[&str], input: Option<&str>, extra_env: &[(&str, &str)]) -> Out {
        let mut cmd = self.command(args, extra_env);
        cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = input {
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(input.as_bytes()).await.unwrap();
        }
        let out = child.wait_with_output().await.unwrap();
        let out = Out {
            args: args.iter().map(ToString::to_string).collect(),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        };
        self.stderrs.lock().unwrap().push(out.stderr.clone());
        out
    }

    /// No run of this shell (or of those sharing its log) printed any of `values` on stderr.
    pub fn assert_no_value_on_stderr(&self, values: &[&str]) {
        assert_never_on_stderr(&self.stderrs, values);
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Where `login` keeps a profile's token.
    pub fn token_file(&self, profile: &str) -> PathBuf {
        self.dir.path().join("config").join("tokens").join(profile)
    }
}

/// No run of the shells sharing `log` printed any of `values` (values, tokens, codes) on stderr.
pub fn assert_never_on_stderr<S: AsRef<str>>(log: &StderrLog, values: &[S]) {
    let all = log.lock().unwrap();
    assert!(!all.is_empty(), "nothing ran");
    for stderr in all.iter() {
        for v in values {
            assert!(
                !stderr.contains(v.as_ref()),
                "a value, token or code reached stderr: {stderr:?}"
            );
        }
    }
}
