//! The writer's batch rules, driven directly: a failing or panicking job rolls back alone, a full
//! disk fails its batch, and in every case what was acknowledged is exactly what is stored.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use rusqlite::{Connection, StatementStatus};

use super::audit::audit_range;
use super::schema::open_writer;
use super::writer::{Tx, Writer};
use super::{accounts, secrets, tokens};
use crate::crypto::{ChainKey, TokenHash};
use crate::store::{AuditAction, AuditChain, GENESIS_HASH, NewAudit, Outcome, Owner, StoreError, StoreResult};

fn event(i: i64) -> NewAudit {
    NewAudit {
        at: i,
        actor: Some(format!("job{i}")),
        action: AuditAction::Create,
        secret: None,
        visibility: None,
        owner: None,
        version: Some(i),
        outcome: Outcome::Ok,
        client: None,
        ip: None,
        target: None,
        count: None,
    }
}

/// The chain key these tests link under, keyed from the first event.
fn test_chain() -> AuditChain {
    AuditChain::new(ChainKey::from_bytes([3; 32]), 1)
}

/// A writer over a fresh file, after `setup` ran on its connection.
fn writer(setup: &str) -> (tempfile::TempDir, String, Arc<Writer>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db").display().to_string();
    let conn = open_writer(&path).unwrap();
    conn.execute_batch(setup).unwrap();
    let links = Arc::new(OnceLock::from(test_chain()));
    (dir, path, Arc::new(Writer::start(conn, links).unwrap()))
}

fn stored(path: &str) -> BTreeSet<i64> {
    let conn = Connection::open(path).unwrap();
    let mut st = conn.prepare("SELECT x FROM t").unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn assert_chain(path: &str, expected: usize) {
    let conn = Connection::open(path).unwrap();
    let rows = audit_range(&conn, 0, 10_000).unwrap();
    assert_eq!(rows.len(), expected);
    let (mut prev, chain) = (GENESIS_HASH, test_chain());
    for row in rows {
        assert_eq!(
            (row.prev_hash, row.hash),
            (prev, chain.link(&prev, &row)),
            "event {}",
            row.id
        );
        prev = row.hash;
    }
}

/// Sends `n` jobs to the writer at once, job `i` running `job(i, tx)`, and gathers each job's
/// index with its answer, so that a test can compare what was acknowledged with what is stored.
async fn run_jobs<T: Send + 'static>(
    w: &Arc<Writer>,
    n: i64,
    job: fn(i64, &mut Tx<'_>) -> StoreResult<T>,
) -> Vec<(i64, StoreResult<T>)> {
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let w = Arc::clone(w);
            tokio::spawn(async move { (i, w.write(move |tx| job(i, tx)).await) })
        })
        .collect();
    let mut answers = Vec::with_capacity(handles.len());
    for h in handles {
        answers.push(h.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_job_rolls_back_alone() {
    let (_dir, path, w) = writer("CREATE TABLE t (x INTEGER NOT NULL)");
    let answers = run_jobs(&w, 60, |i, tx| {
        tx.conn
            .execute("INSERT INTO t (x) VALUES (?1)", [i])
            .map_err(super::error::map)?;
        tx.append_audit(event(i))?;
        if i == 7 {
            panic!("a bug in job 7");
        }
        if i % 3 == 0 {
            return Err(StoreError::Conflict { current: Some(i) });
        }
        Ok(i)
    })
    .await;
    let mut acked = BTreeSet::new();
    for answer in answers {
        match answer {
            (i, Ok(v)) => {
                assert_eq!(i, v);
                acked.insert(i);
            }
            (i, Err(StoreError::Conflict { current })) => assert_eq!((i % 3, current), (0, Some(i))),
            (7, Err(StoreError::Backend(_))) => {}
            (i, Err(e)) => panic!("job {i}: {e:?}"),
        }
    }
    assert_eq!(acked.len(), 60 - 20 - 1);
    assert_eq!(
        stored(&path),
        acked,
        "the failed jobs' rows were rolled back, no one else's"
    );
    assert_chain(&path, acked.len());
    // The writer survived the panic.
    assert_eq!(w.write(|_| Ok(1)).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_acknowledges_nothing_it_did_not_store() {
    // max_page_count stands in for a full disk: SQLite answers SQLITE_FULL the same way. It leaves
    // room for the schema (a page or more per table and index) and a few dozen rows beyond it.
    let (_dir, path, w) = writer(
        "CREATE TABLE t (x INTEGER NOT NULL, filler BLOB);
         PRAGMA max_page_count = 80;",
    );
    let answers = run_jobs(&w, 200, |i, tx| {
        tx.append_audit(event(i))?;
        tx.conn
            .execute("INSERT INTO t (x, filler) VALUES (?1, zeroblob(3000))", [i])
            .map_err(super::error::map)?;
        Ok(())
    })
    .await;
    let (mut acked, mut full) = (BTreeSet::new(), 0);
    for answer in answers {
        match answer {
            (i, Ok(())) => {
                acked.insert(i);
            }
            (_, Err(StoreError::Full)) => full += 1,
            (i, Err(e)) => panic!("job {i}: {e:?}"),
        }
    }
    assert!(full > 0 && !acked.is_empty(), "{full} full, {} stored", acked.len());
    assert_eq!(
        w.metrics().failed_jobs.get(),
        full,
        "every job answered Full is counted failed"
    );
    assert_eq!(stored(&path), acked);
    assert_chain(&path, acked.len());
}

#[test]
fn hot_statements_are_compiled_once() {
    // Every request runs these; a statement SQLite recompiles on each run (a join, with STAT4)
    // costs ten times its lookup. Compiled once, it is re-run from the statement cache.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db").display().to_string();
    let conn = open_writer(&path).unwrap();
    conn.execute_batch(
        "INSERT INTO org (id, name, members_can_reveal, created_at) VALUES (1, 'acme', 0, 0);
         INSERT INTO users (name, role, created_at) VALUES ('ada', 'admin', 0);
         INSERT INTO tokens (id, user_id, name, hash, created_at) VALUES ('tok_1', 1, 'cli', zeroblob(32), 0);
         INSERT INTO secrets (owner_id, name, category, scope, revealable, version, preview, created_at)
             VALUES (1, 'K', 'custom', 'all', 1, 1, '****', 0);
         INSERT INTO secret_versions (secret_id, version, sealed, preview, created_at) VALUES (1, 1, 'v1:x', '****', 0);",
    )
    .unwrap();
    for _ in 0..3 {
        let (token, user) = tokens::token_by_hash(&conn, &TokenHash([0; 32])).unwrap().unwrap();
        assert_eq!((token.id.as_str(), user.name.as_str()), ("tok_1", "ada"));
        let row = secrets::get_secret(&conn, Owner::User(1), "K").unwrap().unwrap();
        assert_eq!(row.owner_name.as_deref(), Some("ada"));
        assert!(secrets::version(&conn, row.id, 1).unwrap().is_some());
    }
    for sql in [
        tokens::TOKEN_BY_HASH,
        accounts::USER_BY_ID,
        secrets::GET_SECRET,
        secrets::VERSION,
    ] {
        let st = conn.prepare_cached(sql).unwrap();
        assert_eq!(st.get_status(StatementStatus::Run), 3, "{sql}");
        assert_eq!(st.get_status(StatementStatus::RePrepare), 0, "{sql}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wal_starts_over_under_steady_writes_and_reads() {
    // Checkpoints run beside the commits, which a steady load never pauses; the WAL must still
    // start over instead of growing for as long as the load lasts.
    let (_dir, path, w) = writer("CREATE TABLE t (x INTEGER NOT NULL, filler BLOB)");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (path, stop) = (path.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let conn = Connection::open(&path).unwrap();
            // A steady reader, not a spinning one: between two reads it yields for a moment, as
            // real lookups do. A reader that never leaves the WAL (or a loaded machine that
            // descheduled it mid-read) would make every bounded RESTART wait give up.
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        })
    };
    // 200 batches of 16 rows of 16 KB: about 50 MiB through the WAL.
    for round in 0..200i64 {
        let jobs: Vec<_> = (0..16i64)
            .map(|i| {
                let w = Arc::clone(&w);
                tokio::spawn(async move {
                    w.write(move |tx| {
                        tx.conn
                            .execute(
                                "INSERT INTO t (x, filler) VALUES (?1, zeroblob(16000))",
                                [round * 16 + i],
                            )
                            .map_err(super::error::map)?;
                        Ok(())
                    })
                    .await
                })
            })
            .collect();
        for j in jobs {
            j.await.unwrap().unwrap();
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    reader.join().unwrap();
    let wal = std::fs::metadata(format!("{path}-wal")).unwrap().len();
    // About 50 MiB went through the WAL and it starts over at 16 MiB (the unit tests' threshold):
    // a WAL that never started over would be as large as everything written.
    assert!(wal < 36 << 20, "the WAL grew to {} MiB", wal >> 20);
    assert_eq!(stored(&path).len(), 200 * 16);
}

/// Unconditional writes that all read "no such secret" before any of them was written: each is
/// written on top of the version stored in its own savepoint, sealed again for that version, and
/// audited with it. None conflicts.
#[tokio::test(flavor = "multi_thread")]
async fn unconditional_writes_on_a_stale_read_take_the_next_version() {
    use crate::store::{Reseal, SecretWrite, Store};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db").display().to_string();
    let store = Arc::new(super::SqliteStore::open(&path).await.unwrap());
    store.use_audit_chain(test_chain()).unwrap();
    let handles: Vec<_> = (0..24)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let write = SecretWrite {
                    owner: Owner::Org,
                    name: "HOT".into(),
                    expected: None,
                    new_version: 1,
                    identity: format!("identity-{i}"),
                    sealed: format!("read-{i}-v1"),
                    preview: "****".into(),
                    category: None,
                    scope: None,
                    description: None,
                    provider: None,
                    revealable: None,
                    at: i,
                    by: format!("writer{i}"),
                    max_versions: 100,
                };
                let reseal: Reseal = Box::new(move |_identity: &str, v| format!("resealed-{i}-v{v}"));
                let mut audit = event(i);
                audit.secret = Some("HOT".into());
                (i, store.write_secret_latest(write, reseal, audit).await.unwrap())
            })
        })
        .collect();
    let mut versions = BTreeSet::new();
    for h in handles {
        let (i, (row, created)) = h.await.unwrap();
        assert_eq!(created, row.version == 1, "writer {i}");
        let sealed = store.version(row.id, row.version).await.unwrap().unwrap().sealed;
        let want = if row.version == 1 {
            format!("read-{i}-v1")
        } else {
            format!("resealed-{i}-v{}", row.version)
        };
        assert_eq!(sealed, want, "writer {i}");
        assert!(versions.insert(row.version), "version {} twice", row.version);
    }
    assert_eq!(versions, (1..=24).collect());
    let conn = Connection::open(&path).unwrap();
    let mut audited: Vec<(i64, AuditAction)> = audit_range(&conn, 0, 100)
        .unwrap()
        .into_iter()
        .map(|r| (r.event.version.unwrap(), r.event.action))
        .collect();
    audited.sort_by_key(|(v, _)| *v);
    let expected: Vec<(i64, AuditAction)> = (1..=24)
        .map(|v| {
            (
                v,
                if v == 1 {
                    AuditAction::Create
                } else {
                    AuditAction::Rotate
                },
            )
        })
        .collect();
    assert_eq!(audited, expected);
    assert_chain(&path, 24);
}
