//! Two `vaultty serve` replicas on one PostgreSQL database (and, for account changes, two servers
//! on one SQLite file), under concurrent rotations and reveals through both, one of them killed
//! with SIGKILL in the middle of the load. Afterwards
//! every acknowledged rotation and every answered reveal has its audit row, each secret's
//! versions run from 1 to its current one with no gap, every acknowledged version opens to the
//! value written, and `admin audit-verify` passes over the one chain both replicas appended to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::postgres::PgDatabase;
use common::served::{KEY, KEY_B64, Served};
use common::shell::BIN;
use common::{keyring, secret};
use secrecy::{ExposeSecret, SecretString};
use vaultty::api::{AuditAction, AuditQuery, UpsertSecret};
use vaultty::client::{ClientOptions, VaultClient};

const NAMES: [&str; 3] = ["HOT_A", "HOT_B", "HOT_C"];
/// Rotations acknowledged before the kill, and after it (through the replica left).
const BEFORE_KILL: usize = 150;
const AFTER_KILL: usize = 100;

#[derive(Default)]
struct Seen {
    /// (name, version) → the value that rotation wrote.
    rotations: Mutex<BTreeMap<(String, i64), String>>,
    /// (name, version) → how many reveals were answered with it.
    reveals: Mutex<BTreeMap<(String, i64), usize>>,
    acked: AtomicUsize,
}

fn org_write(name: &str, value: &str) -> UpsertSecret {
    let mut u = UpsertSecret::new(name, secret(value));
    u.org_wide = Some(true);
    u
}

/// Rotates and reveals through one replica until `stop`, or until the replica stops answering
/// (it was killed: `may_die`). Another failure fails the test.
async fn load(
    client: VaultClient,
    replica: &'static str,
    worker: usize,
    seen: Arc<Seen>,
    stop: Arc<AtomicBool>,
    may_die: bool,
) {
    for i in 0.. {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let name = NAMES[(worker + i) % NAMES.len()];
        if i % 3 == 2 {
            match client.reveal(name, true, None).await {
                Ok(r) => {
                    *seen
                        .reveals
                        .lock()
                        .unwrap()
                        .entry((name.to_owned(), r.version))
                        .or_default() += 1;
                }
                Err(_) if may_die => return,
                Err(e) => panic!("a reveal through replica {replica} failed: {e}"),
            }
        } else {
            let value = format!("{name}-{replica}-{worker}-{i}");
            match client.upsert_secret(&org_write(name, &value)).await {
                Ok((meta, _)) => {
                    let before = seen
                        .rotations
                        .lock()
                        .unwrap()
                        .insert((name.to_owned(), meta.version), value);
                    assert!(
                        before.is_none(),
                        "two acknowledged rotations of {name} got version {}",
                        meta.version
                    );
                    seen.acked.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) if may_die => return,
                Err(e) => panic!("a rotation through replica {replica} failed: {e}"),
            }
        }
    }
}

async fn wait_for(seen: &Seen, acked: usize) {
    // Only a bound against a hung test, never a timing assertion.
    for _ in 0..6000 {
        if seen.acked.load(Ordering::Relaxed) >= acked {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the load never reached {acked} acknowledged rotations");
}

/// Every audit event, newest first, page by page.
async fn all_events(client: &VaultClient) -> Vec<vaultty::api::AuditEvent> {
    let mut events = Vec::new();
    let mut before = None;
    loop {
        let page = client
            .audit(&AuditQuery {
                limit: Some(1000),
                before,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { return events };
        before = Some(last.id);
        events.extend(page);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: export VAULTTY_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)"]
async fn two_replicas_lose_nothing_acknowledged_when_one_is_killed() {
    let db = PgDatabase::create();
    let token: SecretString = vaultty::vault::admin_init(&db.url, &keyring(&[KEY]), "acme", "alice")
        .await
        .unwrap();
    let flags = [
        "--listen",
        "127.0.0.1:0",
        "--max-versions",
        "100000",
        "--reveal-rate-limit",
        "0",
    ];
    let mut a = Served::start_on(&db.url, &flags);
    let b = Served::start_on(&db.url, &flags);
    let client = |url: &str| VaultClient::new(url, Some(token.clone()), ClientOptions::default()).unwrap();
    for name in NAMES {
        client(&a.url).upsert_secret(&org_write(name, "first")).await.unwrap();
    }

    let seen = Arc::new(Seen::default());
    let (stop_a, stop_b) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (s, stop) = (Arc::clone(&seen), Arc::clone(&stop_a));
        workers.push(tokio::spawn(load(client(&a.url), "a", w, s, stop, true)));
        let (s, stop) = (Arc::clone(&seen), Arc::clone(&stop_b));
        workers.push(tokio::spawn(load(client(&b.url), "b", w, s, stop, false)));
    }
    wait_for(&seen, BEFORE_KILL).await;
    a.child.kill().unwrap(); // SIGKILL, mid-load: A's open transaction dies with its connection.
    a.child.wait().unwrap();
    stop_a.store(true, Ordering::Relaxed);
    let at_kill = seen.acked.load(Ordering::Relaxed);
    wait_for(&seen, at_kill + AFTER_KILL).await;
    stop_b.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }

    let survivor = client(&b.url);
    let rotations = seen.rotations.lock().unwrap().clone();
    let reveals = seen.reveals.lock().unwrap().clone();
    for name in NAMES {
        // Versions 1..=current, each once: no gap, whichever replica wrote which.
        let versions: BTreeSet<i64> = survivor
            .versions(name, true)
            .await
            .unwrap()
            .iter()
            .map(|v| v.version)
            .collect();
        let current = *versions.last().unwrap();
        assert_eq!(versions, (1..=current).collect(), "{name}'s versions have a gap");
    }
    for ((name, version), value) in &rotations {
        let opened = survivor.reveal(name, true, Some(*version)).await.unwrap();
        assert_eq!(opened.value.expose_secret(), value, "{name} v{version}");
    }

    let events = all_events(&survivor).await;
    let written: BTreeSet<(String, i64)> = events
        .iter()
        .filter(|e| matches!(e.action, AuditAction::Rotate | AuditAction::Create))
        .filter_map(|e| Some((e.secret.clone()?, e.version?)))
        .collect();
    for key in rotations.keys() {
        assert!(
            written.contains(key),
            "the acknowledged rotation {key:?} has no audit row"
        );
    }
    let mut revealed: BTreeMap<(String, i64), usize> = BTreeMap::new();
    for e in events.iter().filter(|e| e.action == AuditAction::Reveal) {
        if let (Some(name), Some(version)) = (&e.secret, e.version) {
            *revealed.entry((name.clone(), version)).or_default() += 1;
        }
    }
    for (key, answered) in &reveals {
        let rows = revealed.get(key).copied().unwrap_or(0);
        assert!(
            rows >= *answered,
            "{answered} reveal(s) of {key:?} answered, {rows} audit row(s)"
        );
    }
    drop(b);

    let verify = Command::new(BIN)
        .args(["admin", "audit-verify", "--database", &db.url])
        .env("VAULTTY_MASTER_KEY", KEY_B64)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "audit-verify failed: {}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

/// The next event of `stream`, within a bound against a hung test (never a timing assertion).
async fn next_event(stream: &mut vaultty::client::EventStream) -> vaultty::client::ServerEvent {
    tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .expect("no event arrived")
        .expect("the stream ended")
        .unwrap()
}

/// The next secret event, skipping resyncs.
async fn next_change(stream: &mut vaultty::client::EventStream) -> vaultty::api::SecretEvent {
    loop {
        if let vaultty::client::ServerEvent::Secret(e) = next_event(stream).await {
            return e;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: export VAULTTY_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)"]
async fn a_change_through_one_replica_reaches_the_other_replicas_subscribers_even_after_it_lost_its_listener() {
    let db = PgDatabase::create();
    let token: SecretString = vaultty::vault::admin_init(&db.url, &keyring(&[KEY]), "acme", "alice")
        .await
        .unwrap();
    let flags = ["--listen", "127.0.0.1:0"];
    let a = Served::start_on(&db.url, &flags);
    let b = Served::start_on(&db.url, &flags);
    let client = |url: &str| VaultClient::new(url, Some(token.clone()), ClientOptions::default()).unwrap();
    let (through_a, through_b) = (client(&a.url), client(&b.url));
    let mut heard_on_b = through_b.events().await.unwrap();

    through_a.upsert_secret(&org_write("SHARED", "v1-value")).await.unwrap();
    let e = next_change(&mut heard_on_b).await;
    assert_eq!(
        (e.name.as_str(), e.version, e.action),
        ("SHARED", Some(1), AuditAction::Create)
    );
    through_a.upsert_secret(&org_write("SHARED", "v2-value")).await.unwrap();
    let e = next_change(&mut heard_on_b).await;
    assert_eq!(
        (e.name.as_str(), e.version, e.action),
        ("SHARED", Some(2), AuditAction::Rotate)
    );

    // B's listening connection dies (a database restart, a network cut): its subscribers are told
    // to re-read, and once it listens again the next change through A reaches them.
    db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query = 'LISTEN vaultty_changes'",
    );
    assert!(matches!(
        next_event(&mut heard_on_b).await,
        vaultty::client::ServerEvent::Resync
    ));
    // Rotate until B has listened again and hears one (each rotation is a new version).
    let mut version = 2;
    let heard = loop {
        version += 1;
        through_a
            .upsert_secret(&org_write("SHARED", &format!("v{version}-value")))
            .await
            .unwrap();
        match tokio::time::timeout(Duration::from_millis(500), heard_on_b.next()).await {
            Ok(Some(Ok(vaultty::client::ServerEvent::Secret(e)))) => break e,
            Ok(Some(Ok(vaultty::client::ServerEvent::Resync))) | Err(_) => {}
            other => panic!("the stream broke: {other:?}"),
        }
        assert!(version < 200, "B never heard a change again");
    };
    assert_eq!(heard.name, "SHARED");
    assert!(heard.version >= Some(3), "{heard:?}");
    let raw = format!("{heard:?}");
    assert!(!raw.contains("-value"), "an event carries no value: {raw}");
}

/// Waits until `client`'s next request is refused as unauthorized, asking every 10 ms: the
/// other replica hears of the change through its LISTEN connection. Only a bound against a
/// hung test, never a timing assertion.
async fn refused_soon(client: &VaultClient, what: &str) -> String {
    for _ in 0..3000 {
        match client.me().await {
            Err(vaultty::client::ClientError::Unauthorized(m)) => return m,
            Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(e) => panic!("{what}: {e}"),
        }
    }
    panic!("{what}: the other replica kept accepting the token");
}

/// A token revoked, and a user disabled, through one replica are refused by the other, which
/// had just accepted them (and keeps what it read about tokens between requests): account
/// changes travel to every replica like secret changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: export VAULTTY_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)"]
async fn a_revocation_or_a_disabled_user_through_one_replica_is_refused_by_the_other() {
    let db = PgDatabase::create();
    account_changes_reach_the_other_server(&db.url).await;
}

/// The same with two servers on one SQLite file, as two processes sharing the local vault are:
/// nothing tells one of the other's changes, and what it keeps about tokens goes stale within
/// a quarter of a second (`vault/auth_cache.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revocation_or_a_disabled_user_through_one_server_is_refused_by_another_on_the_same_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("vault.db").display());
    account_changes_reach_the_other_server(&url).await;
}

async fn account_changes_reach_the_other_server(db_url: &str) {
    let token: SecretString = vaultty::vault::admin_init(db_url, &keyring(&[KEY]), "acme", "alice")
        .await
        .unwrap();
    let flags = ["--listen", "127.0.0.1:0"];
    let a = Served::start_on(db_url, &flags);
    let b = Served::start_on(db_url, &flags);
    let client =
        |url: &str, t: &SecretString| VaultClient::new(url, Some(t.clone()), ClientOptions::default()).unwrap();
    let admin_on_a = client(&a.url, &token);

    let ci = admin_on_a
        .create_token(&vaultty::api::CreateToken::user("ci", None))
        .await
        .unwrap();
    let ci_on_b = client(&b.url, &ci.token);
    for _ in 0..3 {
        assert_eq!(ci_on_b.me().await.unwrap().user, "alice");
    }
    admin_on_a.revoke_token(&ci.id).await.unwrap();
    let why = refused_soon(&ci_on_b, "revoked through A").await;
    assert!(why.contains("revoked"), "{why}");

    let enrolment = admin_on_a
        .create_user(&vaultty::api::CreateUser {
            name: "bob".into(),
            role: vaultty::api::Role::Member,
            expires_in: None,
        })
        .await
        .unwrap();
    let bob_token = client(&b.url, &token).enroll(enrolment.code).await.unwrap().token;
    let bob_on_b = client(&b.url, &bob_token);
    for _ in 0..3 {
        assert_eq!(bob_on_b.me().await.unwrap().user, "bob");
    }
    admin_on_a
        .patch_user(
            "bob",
            &vaultty::api::PatchUser {
                role: None,
                disabled: Some(true),
            },
        )
        .await
        .unwrap();
    let why = refused_soon(&bob_on_b, "disabled through A").await;
    assert!(why.contains("disabled"), "{why}");
}
