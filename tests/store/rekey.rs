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
            assert!(row.sealed.starts_with("v2:k1:"), "{}", row.sealed);
            assert_eq!(row.identity, format!("id-{}", row.name));
            assert!((row.secret_id, row.version) > cursor, "cursor order");
            cursor = (row.secret_id, row.version);
            let new = row.sealed.replacen("v2:k1:", "v2:k2:", 1);
            assert!(
                s.replace_sealed(row.secret_id, row.version, &row.sealed, &new, "****wxyz")
                    .await
                    .unwrap()
            );
            assert!(
                !s.replace_sealed(row.secret_id, row.version, &row.sealed, &new, "****wxyz")
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
        "v2:k2:API_KEY:2:TAG"
    );
    // The preview came along: the version's, and the secret's where it is the current version.
    assert_eq!(s.version(key_row.id, 2).await.unwrap().unwrap().preview, "****wxyz");
    assert_eq!(
        key_row.preview, "****",
        "API_KEY is at version 3, which was already under k2"
    );
    let bobs = s.get_secret(Owner::User(bob.id), "API_KEY").await.unwrap().unwrap();
    assert_eq!(bobs.preview, "****wxyz");
    // A key id that is a prefix of another is not confused with it.
    assert_eq!(s.sealed_not_under("k", (0, 0), 1000).await.unwrap().len(), total);

    // The key ids in use, read from the sealed texts; no value in the old format yet, so the
    // store retires it.
    let state = s.sealing_state().await.unwrap();
    assert_eq!(state.key_ids, vec!["k2".to_owned()]);
    assert!(s.sealed_legacy((0, 0), 100).await.unwrap().is_empty());
    assert!(s.retire_legacy_sealing().await.unwrap());
    assert!(s.sealing_state().await.unwrap().legacy_retired);
    // A row in the old format (put back from a backup, say) is found by the legacy walk and by
    // rekey's, and retirement stays: it is never undone by such a row.
    let legacy = SecretWrite {
        sealed: "v1:k1:LEGACY:1:TAG".into(),
        ..write(Owner::Org, "LEGACY", None, "k1")
    };
    let legacy = s
        .write_secret(legacy, audit(AuditAction::Create, "alice", Some("LEGACY")))
        .await
        .unwrap();
    let found = s.sealed_legacy((0, 0), 100).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].secret_id, found[0].version), (legacy.id, 1));
    assert_eq!(s.sealed_not_under("k2", (0, 0), 100).await.unwrap(), found);
    assert_eq!(
        s.sealing_state().await.unwrap().key_ids,
        vec!["k1".to_owned(), "k2".to_owned()]
    );
    assert!(s.retire_legacy_sealing().await.unwrap());

    verify_chain(s).await;
}
