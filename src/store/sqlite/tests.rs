//! The writer's batch rules, driven directly: a failing or panicking job rolls back alone, a full
//! disk fails its batch, and in every case what was acknowledged is exactly what is stored.

use std::collections::BTreeSet;
use std::sync::Arc;

use rusqlite::Connection;

use super::audit::audit_range;
use super::schema::open_writer;
use super::writer::Writer;
use crate::store::{AuditAction, GENESIS_HASH, NewAudit, Outcome, StoreError, audit_link_hash};

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
    }
}

/// A writer over a fresh file, after `setup` ran on its connection.
fn writer(setup: &str) -> (tempfile::TempDir, String, Arc<Writer>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db").display().to_string();
    let conn = open_writer(&path).unwrap();
    conn.execute_batch(setup).unwrap();
    (dir, path, Arc::new(Writer::start(conn).unwrap()))
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
    let mut prev = GENESIS_HASH;
    for row in rows {
        assert_eq!(
            (row.prev_hash, row.hash),
            (prev, audit_link_hash(&prev, &row)),
            "event {}",
            row.id
        );
        prev = row.hash;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_job_rolls_back_alone() {
    let (_dir, path, w) = writer("CREATE TABLE t (x INTEGER NOT NULL)");
    let jobs: Vec<_> = (0..60i64)
        .map(|i| {
            let w = Arc::clone(&w);
            tokio::spawn(async move {
                let r = w
                    .write(move |tx| {
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
                (i, r)
            })
        })
        .collect();
    let mut acked = BTreeSet::new();
    for j in jobs {
        match j.await.unwrap() {
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
    // max_page_count stands in for a full disk: SQLite answers SQLITE_FULL the same way.
    let (_dir, path, w) = writer(
        "CREATE TABLE t (x INTEGER NOT NULL, filler BLOB);
         PRAGMA max_page_count = 60;",
    );
    let jobs: Vec<_> = (0..200i64)
        .map(|i| {
            let w = Arc::clone(&w);
            tokio::spawn(async move {
                let r = w
                    .write(move |tx| {
                        tx.append_audit(event(i))?;
                        tx.conn
                            .execute("INSERT INTO t (x, filler) VALUES (?1, zeroblob(3000))", [i])
                            .map_err(super::error::map)?;
                        Ok(())
                    })
                    .await;
                (i, r)
            })
        })
        .collect();
    let (mut acked, mut full) = (BTreeSet::new(), 0);
    for j in jobs {
        match j.await.unwrap() {
            (i, Ok(())) => {
                acked.insert(i);
            }
            (_, Err(StoreError::Full)) => full += 1,
            (i, Err(e)) => panic!("job {i}: {e:?}"),
        }
    }
    assert!(full > 0 && !acked.is_empty(), "{full} full, {} stored", acked.len());
    assert_eq!(stored(&path), acked);
    assert_chain(&path, acked.len());
}
