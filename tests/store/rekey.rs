//! Chapter: the master-key rotation's walk: the rows not under the new key, re-sealed in
//! cursor order until none is left.

use vaultty::store::{AuditAction, Owner, SecretFilter, SecretWrite, Store};

use crate::backends::Db;
use crate::fixtures::{acme, audit, create, put, verify_chain, write};

pub async fn chapter(db: &Db) {
    let store = db.open().await;
    let s: &dyn Store = &*store;
    let (_, bob) = acme(s).await;
    put(s, Owner::Org, "API_KEY", 2).await;
    put(s, Owner::User(bob.id), "API_KEY", 1).await;
    // More rows than a batch, and a secret whose oldest versions were pruned.
    for i in 0..40 {
        create(s, &format!("CONC_{i:03}")).await;
    }
    let mut pruned = put(s, Owner::Org, "PRUNED", 1).await;
    for v in 1..6 {
        let w = SecretWrite {
            max_versions: 3,
            ..write(Owner::Org, "PRUNED", Some(v), "k1")
        };
        pruned = s
            .write_secret(w, audit(AuditAction::Rotate, "alice", Some("PRUNED")))
            .await
            .unwrap();
    }
    assert_eq!(pruned.version, 6);

    let rotated_sealed = s
        .write_secret(
            write(Owner::Org, "API_KEY", Some(2), "k2"),
            audit(AuditAction::Rotate, "alice", Some("API_KEY")),
        )
        .await
        .unwrap();
    assert_eq!(rotated_sealed.version, 3);
    let total: usize = {
        let all = s
            .list_secrets(&SecretFilter {
                all_users: true,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut n = 0;
        for r in all {
            n += s.versions(r.id).await.unwrap().len();
        }
        n
    };
    let mut cursor = (0, 0);
    let mut resealed = 0;
    loop {
        let batch = s.sealed_not_under("k2", cursor, 16).await.unwrap();
        if batch.is_empty() {
            break;
        }
        for row in batch {
            assert!(row.sealed.starts_with("v1:k1:"), "{}", row.sealed);
            assert!((row.secret_id, row.version) > cursor, "cursor order");
            cursor = (row.secret_id, row.version);
            let new = row.sealed.replacen("v1:k1:", "v1:k2:", 1);
            assert!(
                s.replace_sealed(row.secret_id, row.version, &row.sealed, &new)
                    .await
                    .unwrap()
            );
            assert!(
                !s.replace_sealed(row.secret_id, row.version, &row.sealed, &new)
                    .await
                    .unwrap(),
                "no longer the old text"
            );
            resealed += 1;
        }
    }
    assert_eq!(resealed, total - 1, "every version but the one already under k2");
    assert!(s.sealed_not_under("k2", (0, 0), 100).await.unwrap().is_empty());
    let key_row = s.get_secret(Owner::Org, "API_KEY").await.unwrap().unwrap();
    assert_eq!(
        s.version(key_row.id, 2).await.unwrap().unwrap().sealed,
        "v1:k2:API_KEY:2:TAG"
    );
    // A key id that is a prefix of another is not confused with it.
    assert_eq!(s.sealed_not_under("k", (0, 0), 1000).await.unwrap().len(), total);

    verify_chain(s).await;
}
