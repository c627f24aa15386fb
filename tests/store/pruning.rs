//! Chapter: a rotation prunes the versions beyond `max_versions`, oldest first.

use vaultty::store::{AuditAction, Owner, SecretWrite, Store};

use crate::backends::Db;
use crate::fixtures::{acme, audit, verify_chain, write};

pub async fn chapter(db: &Db) {
    let store = db.open().await;
    let s: &dyn Store = &*store;
    acme(s).await;

    let mut row = s
        .write_secret(
            write(Owner::Org, "PRUNED", None, "k1"),
            audit(AuditAction::Create, "alice", Some("PRUNED")),
        )
        .await
        .unwrap();
    for v in 1..6 {
        let w = SecretWrite {
            max_versions: 3,
            ..write(Owner::Org, "PRUNED", Some(v), "k1")
        };
        row = s
            .write_secret(w, audit(AuditAction::Rotate, "alice", Some("PRUNED")))
            .await
            .unwrap();
    }
    let kept: Vec<i64> = s
        .versions(row.id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(kept, [6, 5, 4], "the newest three, newest first");
    assert!(s.version(row.id, 3).await.unwrap().is_none());
    let v6 = s.version(row.id, 6).await.unwrap().unwrap();
    assert_eq!(
        (v6.sealed.as_str(), v6.created_by.as_deref()),
        ("v2:k1:PRUNED:6:TAG", Some("alice"))
    );

    verify_chain(s).await;
}
