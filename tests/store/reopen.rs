//! Chapter: the database outlives its store; opened again, everything is there and the audit
//! chain goes on from where it was left.

use vaultty::crypto::TokenHash;
use vaultty::store::{AuditAction, Owner, StoreError};

use crate::backends::Db;
use crate::fixtures::{T0, audit, create, token, verify_chain, write};

pub async fn chapter(db: &Db) {
    let first = db.open().await;
    first.init("acme", "alice", token("tok-alice", 1, 0), T0).await.unwrap();
    let row = create(&*first, "KEPT").await;
    let rot = audit(AuditAction::Rotate, "alice", Some("KEPT"));
    first
        .write_secret(write(Owner::Org, "KEPT", Some(1), "k1"), rot)
        .await
        .unwrap();
    let events = verify_chain(&*first).await;
    drop(first);

    let again = db.open().await;
    assert_eq!(again.org().await.unwrap().unwrap().name, "acme");
    assert!(again.token_by_hash(&TokenHash([1; 32])).await.unwrap().is_some());
    let kept = again.get_secret(Owner::Org, "KEPT").await.unwrap().unwrap();
    assert_eq!((kept.id, kept.version), (row.id, 2));
    assert_eq!(again.versions(kept.id).await.unwrap().len(), 2);
    assert_eq!(verify_chain(&*again).await, events);
    let init = again.init("acme", "alice", token("tok-2", 2, 0), T0).await;
    assert!(matches!(init, Err(StoreError::AlreadyInitialised)), "{init:?}");
    // The chain goes on from where the previous opening left it.
    create(&*again, "AFTER").await;
    assert_eq!(verify_chain(&*again).await, events + 1);
}
