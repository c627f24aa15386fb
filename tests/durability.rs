//! Whatever the server answers as done survives `kill -9` of the server at that moment: every
//! acknowledged rotation is stored, and every answered reveal has its audit record.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};
use vaultty::api::{AuditAction, AuditQuery, UpsertSecret};
use vaultty::client::{ClientOptions, VaultClient};

const BIN: &str = env!("CARGO_BIN_EXE_vaultty");
const KEY: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
/// Rounds (a rotation and a reveal) answered across the workers before the server is killed.
const ROUNDS_BEFORE_KILL: usize = 60;

fn vaultty(db_url: &str) -> Command {
    let mut c = Command::new(BIN);
    c.env("VAULTTY_MASTER_KEY", KEY)
        .env("VAULTTY_DATABASE_URL", db_url)
        .env_remove("VAULTTY_LOG");
    c
}

/// Starts `vaultty serve` on a kernel-chosen port and returns it with its URL.
fn serve(db_url: &str) -> (Child, String) {
    let mut child = vaultty(db_url)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--max-versions",
            "1000",
            "--reveal-rate-limit",
            "0",
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines.next().expect("the server exited before it listened").unwrap();
        if let Some(rest) = line.split("serving on ").nth(1) {
            break rest.trim().to_owned();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_writes_and_reveal_audits_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("vault.db").display());
    let out = vaultty(&db_url)
        .args(["admin", "init", "--org", "acme", "--admin", "alice"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = SecretString::from(String::from_utf8(out.stdout).unwrap().trim().to_owned());

    let (mut server, url) = serve(&db_url);
    let client = VaultClient::new(&url, Some(token.clone()), ClientOptions::default()).unwrap();
    for i in 0..4 {
        client
            .upsert_secret(&UpsertSecret::new(format!("KEY_{i}"), value(i, 0)))
            .await
            .unwrap();
    }
    let rotations = Arc::new(Mutex::new(Vec::<(usize, i64)>::new()));
    let reveals = Arc::new(Mutex::new(Vec::<(usize, i64)>::new()));
    // One message per round answered (a rotation and a reveal), so the kill waits for load
    // rather than for time: on a slow machine it comes later, never with too little done.
    let (rounds_tx, mut rounds_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut workers = Vec::new();
    for i in 0..4 {
        let (client, rotations, reveals) = (client.clone(), rotations.clone(), reveals.clone());
        let rounds_tx = rounds_tx.clone();
        workers.push(tokio::spawn(async move {
            for round in 1.. {
                match client
                    .upsert_secret(&UpsertSecret::new(format!("KEY_{i}"), value(i, round)))
                    .await
                {
                    Ok((meta, _)) => rotations.lock().unwrap().push((i, meta.version)),
                    Err(_) => break,
                }
                match client.reveal(&format!("KEY_{i}"), false, None).await {
                    Ok(r) => reveals.lock().unwrap().push((i, r.version)),
                    Err(_) => break,
                }
                let _ = rounds_tx.send(());
            }
        }));
    }
    drop(rounds_tx);
    for answered in 0..ROUNDS_BEFORE_KILL {
        if rounds_rx.recv().await.is_none() {
            panic!("the workers stopped after {answered} rounds, before the kill");
        }
    }
    server.kill().unwrap(); // SIGKILL mid-load: no shutdown, no flush
    server.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let rotations = rotations.lock().unwrap().clone();
    let reveals = reveals.lock().unwrap().clone();
    assert!(
        rotations.len() > 20 && reveals.len() > 20,
        "too little load to mean anything: {}",
        rotations.len()
    );

    let (mut server, url) = serve(&db_url);
    let client = VaultClient::new(&url, Some(token), ClientOptions::default()).unwrap();
    for (i, version) in &rotations {
        let got = client.reveal(&format!("KEY_{i}"), false, Some(*version)).await.unwrap();
        assert_eq!(
            got.value.expose_secret(),
            value(*i, (*version - 1) as usize).expose_secret()
        );
    }
    for i in 0..4 {
        let events = client
            .audit(&AuditQuery {
                secret: Some(format!("KEY_{i}")),
                action: Some(AuditAction::Reveal),
                limit: Some(1000),
                ..Default::default()
            })
            .await
            .unwrap();
        for (_, version) in reveals.iter().filter(|(n, _)| *n == i) {
            assert!(
                events.iter().any(|e| e.version == Some(*version)),
                "the reveal of KEY_{i} v{version} was answered but its audit record is gone"
            );
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

fn value(i: usize, round: usize) -> SecretString {
    SecretString::from(format!("value-{i}-round-{round:06}"))
}
