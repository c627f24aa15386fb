//! Chapter: `Store::changes` announces each committed secret change (never a refused one), with
//! the version now current and what happened; never a value.

use std::time::Duration;

use tokio::sync::broadcast::Receiver;
use vaultty::store::{AuditAction, MetaPatch, Owner, SecretChange, Store, StoreError};

use crate::backends::Db;
use crate::fixtures::{acme, audit, write};

/// The next change, within a bound (a backend may deliver it from another task).
async fn next(rx: &mut Receiver<SecretChange>) -> SecretChange {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no change announced")
        .unwrap()
}

fn said(c: &SecretChange) -> (Owner, &str, Option<i64>, AuditAction) {
    (c.owner, c.name.as_str(), c.version, c.action)
}

pub async fn chapter(db: &Db) {
    let store = db.open().await;
    let s: &dyn Store = &*store;
    let (_, bob) = acme(s).await;
    let mut rx = s.changes();

    let a = audit(AuditAction::Create, "alice", Some("KEY"));
    let at = a.at;
    s.write_secret(write(Owner::Org, "KEY", None, "k1"), a).await.unwrap();
    let c = next(&mut rx).await;
    assert_eq!(said(&c), (Owner::Org, "KEY", Some(1), AuditAction::Create));
    assert_eq!(c.at, at, "the time of the change is the audit record's");

    s.write_secret(
        write(Owner::Org, "KEY", Some(1), "k1"),
        audit(AuditAction::Rotate, "alice", Some("KEY")),
    )
    .await
    .unwrap();
    assert_eq!(
        said(&next(&mut rx).await),
        (Owner::Org, "KEY", Some(2), AuditAction::Rotate)
    );

    // Refused writes announce nothing: the next change heard is the edit after them.
    let stale = s
        .write_secret(
            write(Owner::Org, "KEY", Some(1), "k1"),
            audit(AuditAction::Rotate, "alice", Some("KEY")),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{stale:?}");
    let missing = s
        .delete_secret(Owner::Org, "NOPE", audit(AuditAction::Delete, "alice", Some("NOPE")))
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    s.update_secret(
        Owner::Org,
        "KEY",
        MetaPatch {
            description: Some(None),
            ..Default::default()
        },
        audit(AuditAction::Update, "alice", Some("KEY")),
    )
    .await
    .unwrap();
    assert_eq!(
        said(&next(&mut rx).await),
        (Owner::Org, "KEY", Some(2), AuditAction::Update)
    );

    // Last writer wins: a rotation on top of whatever is stored, and a create.
    let reseal = Box::new(|_: &str, v: i64| format!("v2:k1:KEY:{v}:TAG"));
    s.write_secret_latest(
        write(Owner::Org, "KEY", Some(2), "k1"),
        reseal,
        audit(AuditAction::Rotate, "alice", Some("KEY")),
    )
    .await
    .unwrap();
    assert_eq!(
        said(&next(&mut rx).await),
        (Owner::Org, "KEY", Some(3), AuditAction::Rotate)
    );
    let mine = Owner::User(bob.id);
    let reseal = Box::new(|_: &str, v: i64| format!("v2:k1:OWN:{v}:TAG"));
    s.write_secret_latest(
        write(mine, "OWN", None, "k1"),
        reseal,
        audit(AuditAction::Create, "bob", Some("OWN")),
    )
    .await
    .unwrap();
    assert_eq!(said(&next(&mut rx).await), (mine, "OWN", Some(1), AuditAction::Create));

    s.delete_secret(Owner::Org, "KEY", audit(AuditAction::Delete, "alice", Some("KEY")))
        .await
        .unwrap();
    assert_eq!(
        said(&next(&mut rx).await),
        (Owner::Org, "KEY", None, AuditAction::Delete)
    );
}
