//! Chapter: concurrent writes, group-committed batch after batch, and racing rotations.

use std::collections::BTreeSet;
use std::sync::Arc;

use vaultty::store::{AuditAction, Owner, SecretFilter, Store, StoreError};

use crate::backends::Db;
use crate::fixtures::{T0, acme, audit, audit_count, verify_chain, write};

pub async fn chapter(db: &Db) {
    let store = db.open().await;
    let s: &dyn Store = &*store;
    acme(s).await;

    let before = audit_count(s).await;
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let name = format!("CONC_{i:03}");
                let row = store
                    .write_secret(
                        write(Owner::Org, &name, None, "k1"),
                        audit(AuditAction::Create, "alice", Some(&name)),
                    )
                    .await?;
                store
                    .record_use(
                        &[row.id],
                        T0 + 7,
                        vec![audit(AuditAction::Reveal, "alice", Some(&name))],
                    )
                    .await?;
                Ok::<_, StoreError>(row.id)
            })
        })
        .collect();
    let mut ids = BTreeSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap().unwrap());
    }
    assert_eq!(ids.len(), 200);
    let conc = s
        .list_secrets(&SecretFilter {
            owners: vec![Owner::Org],
            ..Default::default()
        })
        .await
        .unwrap();
    let conc: Vec<_> = conc.into_iter().filter(|r| r.name.starts_with("CONC_")).collect();
    assert_eq!(conc.len(), 200);
    assert!(conc.iter().all(|r| r.last_used_at == Some(T0 + 7)));
    assert_eq!(
        audit_count(s).await,
        before + 400,
        "every acknowledged write has its audit record, chained"
    );

    // Racing rotations of one secret from one version: exactly one wins, the rest conflict, and
    // the losers' rollbacks do not disturb the winner in the same batch.
    let racers: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .write_secret(
                        write(Owner::Org, "CONC_000", Some(1), "k1"),
                        audit(AuditAction::Rotate, "alice", Some("CONC_000")),
                    )
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for r in racers {
        match r.await.unwrap() {
            Ok(row) => {
                assert_eq!(row.version, 2);
                wins += 1;
            }
            Err(StoreError::Conflict { current: Some(2) }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(audit_count(s).await, before + 401);

    verify_chain(s).await;
}
