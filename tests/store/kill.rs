//! Chapter: what the store acknowledged survives SIGKILL of its process (no destructor, no
//! checkpoint, no clean close). The test runs its own binary again as the writer to kill: the
//! same test, told by `CRASH_DB` to write until killed instead of driving.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use vaultty::store::{AuditAction, Owner};

use crate::backends::Db;
use crate::fixtures::{T0, audit, create, token, verify_chain};

/// Names the database the child writes to; set only in the child.
const CRASH_DB: &str = "VAULTTY_TEST_CRASH_DB";
/// Writes acknowledged before the kill.
const ACKED_BEFORE_KILL: usize = 500;

/// `test_name` is the full name of the calling test (run again as the child); `fresh` makes the
/// database, in the parent only.
pub async fn chapter(test_name: &str, fresh: fn() -> Db) {
    match std::env::var(CRASH_DB) {
        Ok(url) => write_until_killed(&url).await,
        Err(_) => kill_a_writer(test_name, &fresh()).await,
    }
}

/// The child: 8 writers, each printing `acked NAME` once its write and use are acknowledged.
async fn write_until_killed(url: &str) {
    let s = crate::backends::open_url(url).await.unwrap();
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                for i in 0.. {
                    let name = format!("W{w}_{i}");
                    let row = create(&*s, &name).await;
                    let use_audit = audit(AuditAction::Reveal, "alice", Some(&name));
                    s.record_use(&[row.id], T0, vec![use_audit]).await.unwrap();
                    println!("acked {name}");
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
}

async fn kill_a_writer(test_name: &str, db: &Db) {
    db.open()
        .await
        .init("acme", "alice", token("tok-alice", 1, 0), T0)
        .await
        .unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            test_name,
            "--nocapture",
            "--test-threads=1",
            "--include-ignored",
        ])
        .env(CRASH_DB, &db.url)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acked.len() < ACKED_BEFORE_KILL {
        let line = lines.next().expect("the child stopped early").unwrap();
        if let Some(name) = line.strip_prefix("acked ") {
            acked.push(name.to_owned());
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no checkpoint, no clean close
    child.wait().unwrap();
    // Acknowledgements already in the pipe count too.
    acked.extend(
        lines
            .map_while(Result::ok)
            .filter_map(|l| l.strip_prefix("acked ").map(str::to_owned)),
    );

    let s = db.open().await;
    for name in &acked {
        let row = s.get_secret(Owner::Org, name).await.unwrap();
        assert!(
            row.is_some_and(|r| r.last_used_at == Some(T0)),
            "{name} was acknowledged, then lost"
        );
    }
    let events = verify_chain(&*s).await;
    assert!(
        events >= 2 * acked.len(),
        "{events} audit events for {} acknowledged writes",
        acked.len()
    );
}
