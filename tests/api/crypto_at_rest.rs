//! Values at rest: sealed on disk, bound to their row, and re-sealed under a new master key
//! while the server is busy.

use std::sync::Arc;

use secrecy::ExposeSecret;
use vaultty::client::ClientError;

use crate::common::{self, TestVault};
use crate::upsert;

#[tokio::test(flavor = "multi_thread")]
async fn stored_values_are_sealed_and_bound_to_their_row() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin
        .upsert_secret(&upsert("FIRST", "plaintext-canary-one-0001"))
        .await
        .unwrap();
    admin
        .upsert_secret(&upsert("SECOND", "plaintext-canary-two-0002"))
        .await
        .unwrap();
    // Nothing on disk holds a value in plaintext: the database and its write-ahead log.
    for entry in std::fs::read_dir(v.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("plaintext-canary"), "a value is on disk in plaintext");
    }
    // A ciphertext copied onto another row does not open there.
    let db = rusqlite::Connection::open(v.db_path()).unwrap();
    let sealed: String = db
        .query_row(
            "SELECT sealed FROM secret_versions JOIN secrets ON secrets.id = secret_id WHERE name = 'FIRST'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(sealed.starts_with("v2:"));
    db.execute(
        "UPDATE secret_versions SET sealed = ?1 WHERE secret_id = (SELECT id FROM secrets WHERE name = 'SECOND')",
        [&sealed],
    )
    .unwrap();
    let err = admin.reveal("SECOND", false, None).await.unwrap_err();
    assert!(matches!(err, ClientError::Server { status: 500, .. }), "{err:?}");
    assert!(!format!("{err}").contains("canary"));
    assert_eq!(
        admin.reveal("FIRST", false, None).await.unwrap().value.expose_secret(),
        "plaintext-canary-one-0001"
    );
}

/// `admin rekey` while rotations and reveals go on: nothing is lost, everything ends under the new key.
#[tokio::test(flavor = "multi_thread")]
async fn rekey_under_load_loses_nothing() {
    let old_key = [1u8; 32];
    let new_key = [2u8; 32];
    let v = TestVault::start_with(common::Options {
        keys: vec![old_key],
        ..Default::default()
    })
    .await;
    for i in 0..60 {
        v.admin()
            .upsert_secret(&upsert(&format!("KEY_{i}"), &format!("original-value-{i:04}")))
            .await
            .unwrap();
    }
    v.server.shutdown().await;
    // The servers restart with the new key first; old rows still open under the old one.
    let opts = common::Options {
        keys: vec![new_key, old_key],
        ..Default::default()
    };
    let server = common::start_server(&v.db_url, &opts).await;
    let admin =
        vaultty::client::VaultClient::new(&server.url(), Some(v.admin_token.clone()), Default::default()).unwrap();
    let load = {
        let admin = admin.clone();
        tokio::spawn(async move {
            for round in 0..3 {
                for i in (0..60).step_by(3) {
                    let name = format!("KEY_{i}");
                    admin
                        .upsert_secret(&upsert(&name, &format!("rotated-{round}-{i:04}")))
                        .await
                        .unwrap();
                    admin.reveal(&name, false, None).await.unwrap();
                }
            }
        })
    };
    let ring = Arc::new(common::keyring(&[new_key, old_key]));
    let store = vaultty::vault::open_store(&v.db_url, &ring).await.unwrap();
    let first = vaultty::vault::rekey(&store, ring.clone()).await.unwrap();
    load.await.unwrap();
    let second = vaultty::vault::rekey(&store, ring.clone()).await.unwrap();
    assert!(first.resealed > 0);
    assert!(
        store
            .sealed_not_under(ring.primary().id(), (0, 0), 10)
            .await
            .unwrap()
            .is_empty(),
        "{second:?}"
    );
    server.shutdown().await;
    // Only the new key now: every value opens, and holds what was last written.
    let opts = common::Options {
        keys: vec![new_key],
        ..Default::default()
    };
    let server = common::start_server(&v.db_url, &opts).await;
    let admin =
        vaultty::client::VaultClient::new(&server.url(), Some(v.admin_token.clone()), Default::default()).unwrap();
    for i in 0..60 {
        let expected = if i % 3 == 0 {
            format!("rotated-2-{i:04}")
        } else {
            format!("original-value-{i:04}")
        };
        let got = admin.reveal(&format!("KEY_{i}"), false, None).await.unwrap();
        assert_eq!(got.value.expose_secret(), expected);
        let first_version = admin.reveal(&format!("KEY_{i}"), false, Some(1)).await.unwrap();
        assert_eq!(first_version.value.expose_secret(), format!("original-value-{i:04}"));
    }
}
