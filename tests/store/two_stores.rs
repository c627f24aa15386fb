//! Chapter: two stores on one database, as two server processes would have: the schema is made
//! once, init happens once, and both writers' records form one audit chain.

use std::collections::BTreeSet;
use std::sync::Arc;

use vaultty::store::{SecretFilter, StoreError};

use crate::backends::Db;
use crate::fixtures::{T0, create, token, verify_chain};

pub async fn chapter(db: &Db) {
    // Opened at once on a fresh database: the migrations run once, under the database's lock.
    let (a, b) = tokio::join!(db.try_open(), db.try_open());
    let (a, b) = (a.unwrap(), b.unwrap());
    a.init("acme", "alice", token("tok-alice", 1, 0), T0).await.unwrap();
    let refused = b.init("acme", "bob", token("tok-bob", 2, 0), T0).await;
    assert!(matches!(refused, Err(StoreError::AlreadyInitialised)), "{refused:?}");

    // Both write at once; their writers take turns on the database's lock.
    let tasks: Vec<_> = (0..100)
        .flat_map(|i| [(Arc::clone(&a), format!("A_{i}")), (Arc::clone(&b), format!("B_{i}"))])
        .map(|(s, name)| tokio::spawn(async move { create(&*s, &name).await.id }))
        .collect();
    let mut ids = BTreeSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(ids.len(), 200);
    for s in [&a, &b] {
        let all = s
            .list_secrets(&SecretFilter {
                all_users: true,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 200, "each store sees the other's writes");
        assert_eq!(verify_chain(&**s).await, 200, "one chain across both writers");
    }
}
