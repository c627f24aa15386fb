//! The pool's bound, driven directly: reads past the permits wait `wait`, then fail `Overloaded`;
//! a burst never opens more than `MAX_CONNECTIONS` connections.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use super::{MAX_CONNECTIONS, READERS, ReadPool, SHORT_READERS};
use crate::store::StoreError;
use crate::store::sqlite::schema::open_writer;

fn pool(wait: Duration) -> (tempfile::TempDir, Arc<ReadPool>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db").display().to_string();
    drop(open_writer(&path).unwrap());
    let pool = ReadPool::with_wait(&path, wait);
    (dir, pool)
}

fn one(conn: &rusqlite::Connection) -> Result<i64, StoreError> {
    conn.query_row("SELECT 1", [], |r| r.get(0)).map_err(super::map)
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_past_the_permits_are_overloaded_after_the_wait() {
    let (_dir, pool) = pool(Duration::from_millis(200));
    // Every blocking permit held by a read that waits for us.
    let mut release = Vec::new();
    let mut held = Vec::new();
    for _ in 0..READERS {
        let (tx, rx) = mpsc::channel::<()>();
        release.push(tx);
        let pool = Arc::clone(&pool);
        held.push(tokio::spawn(async move {
            pool.read(move |c| {
                let _ = rx.recv();
                one(c)
            })
            .await
        }));
    }
    while pool.permits.available_permits() > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let late = tokio::time::timeout(Duration::from_secs(20), pool.read(one))
        .await
        .unwrap();
    assert!(matches!(late, Err(StoreError::Overloaded)), "{late:?}");
    assert_eq!(pool.metrics().timeouts.get(), 1);
    drop(release);
    for h in held {
        assert_eq!(h.await.unwrap().unwrap(), 1);
    }

    // The same for point lookups.
    let all = pool.short_permits.acquire_many(SHORT_READERS as u32).await.unwrap();
    let late = tokio::time::timeout(Duration::from_secs(20), pool.read_short(one))
        .await
        .unwrap();
    assert!(matches!(late, Err(StoreError::Overloaded)), "{late:?}");
    assert_eq!(pool.metrics().timeouts.get(), 2);
    drop(all);
    assert_eq!(pool.read_short(one).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_opens_at_most_max_connections() {
    let (_dir, pool) = pool(Duration::from_secs(2));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..2000 {
        let pool = Arc::clone(&pool);
        tasks.spawn(async move {
            if i % 2 == 0 {
                pool.read(one).await
            } else {
                pool.read_short(one).await
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            Ok(1) | Err(StoreError::Overloaded) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(pool.opened.load(std::sync::atomic::Ordering::Relaxed) <= MAX_CONNECTIONS);
}
