//! Chapter: create, rotate, check-and-set, and the same name in two namespaces.

use vaultty::store::{AuditAction, Owner, SecretWrite, Store, StoreError};

use crate::backends::Db;
use crate::fixtures::{T0, acme, audit, audit_count, verify_chain, write};

pub async fn chapter(db: &Db) {
    let store = db.open().await;
    let s: &dyn Store = &*store;
    let (alice, bob) = acme(s).await;

    let created = s
        .write_secret(
            write(Owner::Org, "API_KEY", None, "k1"),
            audit(AuditAction::Create, "alice", Some("API_KEY")),
        )
        .await
        .unwrap();
    assert_eq!(
        (created.version, created.owner, created.owner_name.clone()),
        (1, Owner::Org, None)
    );
    assert_eq!((created.rotated_at, created.last_used_at), (None, None));

    let before = audit_count(s).await;
    let exists = s
        .write_secret(
            write(Owner::Org, "API_KEY", None, "k1"),
            audit(AuditAction::Create, "alice", Some("API_KEY")),
        )
        .await;
    assert!(
        matches!(exists, Err(StoreError::Conflict { current: Some(1) })),
        "{exists:?}"
    );
    let rotated = s
        .write_secret(
            SecretWrite {
                by: "carol".into(),
                ..write(Owner::Org, "API_KEY", Some(1), "k1")
            },
            audit(AuditAction::Rotate, "alice", Some("API_KEY")),
        )
        .await
        .unwrap();
    assert_eq!(rotated.version, 2);
    assert_eq!(
        (rotated.created_at, rotated.created_by.as_deref()),
        (created.created_at, Some("alice"))
    );
    assert_eq!(
        (rotated.rotated_at, rotated.rotated_by.as_deref()),
        (Some(T0 + 2), Some("carol"))
    );
    let stale = s
        .write_secret(
            write(Owner::Org, "API_KEY", Some(1), "k1"),
            audit(AuditAction::Rotate, "alice", Some("API_KEY")),
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { current: Some(2) })),
        "{stale:?}"
    );
    let missing = s
        .write_secret(
            write(Owner::Org, "NOPE", Some(1), "k1"),
            audit(AuditAction::Rotate, "alice", Some("NOPE")),
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::Conflict { current: None })),
        "{missing:?}"
    );
    assert_eq!(
        audit_count(s).await,
        before + 1,
        "only the write that happened was audited"
    );
    assert_eq!(s.versions(rotated.id).await.unwrap().len(), 2);

    // The same name in bob's namespace is another secret.
    let mine = s
        .write_secret(
            write(Owner::User(bob.id), "API_KEY", None, "k1"),
            audit(AuditAction::Create, "bob", Some("API_KEY")),
        )
        .await
        .unwrap();
    assert_ne!(mine.id, rotated.id);
    assert_eq!(
        (mine.owner, mine.owner_name.as_deref(), mine.version),
        (Owner::User(bob.id), Some("bob"), 1)
    );
    assert_eq!(
        s.get_secret(Owner::User(bob.id), "API_KEY").await.unwrap().unwrap(),
        mine
    );
    assert_eq!(s.get_secret(Owner::Org, "API_KEY").await.unwrap().unwrap().version, 2);
    assert!(s.get_secret(Owner::User(alice.id), "API_KEY").await.unwrap().is_none());

    verify_chain(s).await;
}
