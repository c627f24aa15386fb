//! What only SQLite has: a location on the local file system that must exist and be a database.

use vaultty::store::{self, StoreError};

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_refuses_bad_locations() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}", dir.path().join("no/such/dir/vault.db").display());
    let e = store::open(&missing).await.err().unwrap();
    assert!(
        matches!(&e, StoreError::Url { reason, .. } if reason.contains("does not exist")),
        "{e:?}"
    );
    assert!(!dir.path().join("no").exists(), "nothing was created");
    for url in ["sqlite://", "sqlite://:memory:", "mysql://x"] {
        let e = store::open(url).await.err().unwrap();
        assert!(matches!(e, StoreError::Url { .. }), "{url}: {e:?}");
    }
    let not_db = dir.path().join("notes.txt");
    std::fs::write(&not_db, "this is not a database, just some text that is long enough").unwrap();
    let e = store::open(&format!("sqlite://{}", not_db.display()))
        .await
        .err()
        .unwrap();
    assert!(matches!(e, StoreError::Backend(_)), "{e:?}");
}

/// SQLite's change events are in-process, per store: a second store on the same file (another
/// process, in production) hears nothing of the first's writes. Documented on `Store::changes`.
#[tokio::test(flavor = "multi_thread")]
async fn sqlite_change_events_are_heard_by_the_writing_store_only() {
    use vaultty::store::{AuditAction, Owner};

    use crate::backends;
    use crate::fixtures::{acme, audit, write};

    let db = backends::sqlite();
    let (first, second) = (db.open().await, db.open().await);
    acme(&*first).await;
    let (mut heard_by_first, mut heard_by_second) = (first.changes(), second.changes());
    second
        .write_secret(
            write(Owner::Org, "KEY", None, "k1"),
            audit(AuditAction::Create, "alice", Some("KEY")),
        )
        .await
        .unwrap();
    assert_eq!(heard_by_second.try_recv().unwrap().name, "KEY");
    assert!(heard_by_first.try_recv().is_err(), "another store's write was heard");
}
