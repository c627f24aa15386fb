//! Chapter: metadata edits, deletes (versions go with the secret) and re-creation.

use vaultty::store::{AuditAction, Category, MetaPatch, Owner, Store, StoreError};

use crate::backends::Db;
use crate::fixtures::{acme, audit, put, verify_chain, write};

pub async fn chapter(db: &Db) {
    let store = db.open().await;
    let s: &dyn Store = &*store;
    acme(s).await;
    put(s, Owner::Org, "API_KEY", 2).await;
    let row = put(s, Owner::Org, "PRUNED", 6).await;
    assert_eq!(s.versions(row.id).await.unwrap().len(), 6);

    let patch = MetaPatch {
        description: Some(None),
        revealable: Some(false),
        ..Default::default()
    };
    let edited = s
        .update_secret(
            Owner::Org,
            "API_KEY",
            patch,
            audit(AuditAction::Update, "alice", Some("API_KEY")),
        )
        .await
        .unwrap();
    assert_eq!(
        (edited.description, edited.revealable, edited.version),
        (None, false, 2)
    );
    assert_eq!(edited.category, Category::Provider, "fields left out stay");
    let nothing = s
        .update_secret(
            Owner::Org,
            "NOPE",
            MetaPatch::default(),
            audit(AuditAction::Update, "alice", Some("NOPE")),
        )
        .await;
    assert!(matches!(nothing, Err(StoreError::NotFound)), "{nothing:?}");
    s.delete_secret(
        Owner::Org,
        "PRUNED",
        audit(AuditAction::Delete, "alice", Some("PRUNED")),
    )
    .await
    .unwrap();
    assert!(s.get_secret(Owner::Org, "PRUNED").await.unwrap().is_none());
    assert!(
        s.versions(row.id).await.unwrap().is_empty(),
        "its versions went with it"
    );
    let gone = s
        .delete_secret(
            Owner::Org,
            "PRUNED",
            audit(AuditAction::Delete, "alice", Some("PRUNED")),
        )
        .await;
    assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");
    let recreated = s
        .write_secret(
            write(Owner::Org, "PRUNED", None, "k1"),
            audit(AuditAction::Create, "alice", Some("PRUNED")),
        )
        .await
        .unwrap();
    assert_eq!(recreated.version, 1);

    verify_chain(s).await;
}
