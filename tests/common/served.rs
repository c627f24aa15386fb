//! `vaultty serve` as a process of its own, for what only the binary does (signals, flags, what it
//! says on standard error, a replica killed with SIGKILL): by default on a fresh initialised
//! database in a temporary directory, and its standard error read line by line. Killed when
//! dropped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::shell::BIN;

/// The master key the served vault runs with, and its base64 form for `VAULTTY_MASTER_KEY`.
pub const KEY: [u8; 32] = [1; 32];
pub const KEY_B64: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

/// `vaultty serve` running, its address, and its standard error line by line.
pub struct Served {
    pub child: Child,
    pub addr: SocketAddr,
    pub url: String,
    pub lines: mpsc::Receiver<String>,
    /// The temporary directory of the database `start` made, kept as long as the server runs.
    keep_dir: Option<tempfile::TempDir>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// `serve --database <fresh> EXTRA...`, once it says where it serves.
    pub async fn start(extra: &[&str]) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let db_url = format!("sqlite://{}", dir.path().join("vault.db").display());
        vaultty::vault::admin_init(&db_url, &super::keyring(&[KEY]), "acme", "alice")
            .await
            .unwrap();
        let mut served = Served::start_on(&db_url, extra);
        served.keep_dir = Some(dir);
        served
    }

    /// `serve --database DB_URL EXTRA...` on a database initialised already (under `KEY`), once
    /// it says where it serves.
    pub fn start_on(db_url: &str, extra: &[&str]) -> Served {
        let mut child = Command::new(BIN)
            .args(["serve", "--database", db_url])
            .args(extra)
            .env("VAULTTY_MASTER_KEY", KEY_B64)
            .env_remove("VAULTTY_LOG")
            .env_remove("VAULTTY_LOG_FORMAT")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (send, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        let mut served = Served {
            child,
            addr: "127.0.0.1:1".parse().unwrap(),
            url: String::new(),
            lines,
            keep_dir: None,
        };
        let line = served.wait_for_line("serving on ");
        let url = line.split("serving on ").nth(1).unwrap().trim().to_owned();
        served.addr = url.split("://").nth(1).unwrap().parse().unwrap();
        served.url = url;
        served
    }

    /// The next line of standard error containing `needle` (the lines before it are skipped).
    pub fn wait_for_line(&self, needle: &str) -> String {
        loop {
            // Only a bound against a hung test, never a timing assertion.
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(e) => panic!("the server never said {needle:?}: {e}"),
            }
        }
    }

    pub fn hangup(&self) {
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}
