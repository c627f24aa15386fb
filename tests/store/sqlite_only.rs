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
