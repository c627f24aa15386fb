//! `GET /v1/secrets` answers repeat listings from memory while the store is unchanged
//! (`server/list_cache.rs`): every kind of committed write shows in the very next listing, a
//! write through another server on the same database too, and one user never gets another's
//! listing. On PostgreSQL nothing is cached and the same must hold.

use std::collections::BTreeMap;

use vaultty::api::{ListQuery, PatchSecret, Role, SecretMeta};
use vaultty::client::VaultClient;

use crate::common::{self, TestVault};
use crate::{org_upsert, upsert};

/// The caller's default listing by name, asked twice: the second is served from the cache when
/// there is one, so a stale entry would show in what the test compares next.
async fn listing(client: &VaultClient) -> BTreeMap<String, SecretMeta> {
    let first = client.list_secrets(&ListQuery::default()).await.unwrap();
    let again = client.list_secrets(&ListQuery::default()).await.unwrap();
    assert_eq!(
        serde_json::to_value(&first).unwrap(),
        serde_json::to_value(&again).unwrap(),
        "nothing was written between two listings"
    );
    again.into_iter().map(|m| (m.name.to_string(), m)).collect()
}

/// A vault with alice's `MINE` and `OTHER` and the org's `SHARED`, alice's listing already kept,
/// and carol, another admin.
struct Listed {
    /// Keeps the server running.
    v: TestVault,
    alice: VaultClient,
    carol: VaultClient,
    before: BTreeMap<String, SecretMeta>,
}

async fn listed() -> Listed {
    let v = TestVault::start().await;
    let alice = v.admin();
    let (carol, _) = v.user("carol", Role::Admin).await;
    alice.upsert_secret(&upsert("MINE", "first-value-0001")).await.unwrap();
    alice.upsert_secret(&upsert("OTHER", "other-value-0001")).await.unwrap();
    alice
        .upsert_secret(&org_upsert("SHARED", "shared-value-0001"))
        .await
        .unwrap();
    let before = listing(&alice).await;
    assert_eq!(before.keys().collect::<Vec<_>>(), ["MINE", "OTHER", "SHARED"]);
    assert_eq!(before["MINE"].version, 1);
    assert!(before["MINE"].last_used_at.is_none() && before["SHARED"].last_used_at.is_none());
    Listed {
        v,
        alice,
        carol,
        before,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_shows_in_the_next_listing() {
    let Listed {
        v: _v, alice, before, ..
    } = listed().await;
    let (rotated, _) = alice.upsert_secret(&upsert("MINE", "second-value-0002")).await.unwrap();
    assert_ne!(rotated.preview, before["MINE"].preview);
    let now = listing(&alice).await;
    assert_eq!(now["MINE"].version, 2);
    assert_eq!(now["MINE"].preview, rotated.preview);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_shows_in_the_next_listing() {
    let Listed { v: _v, alice, .. } = listed().await;
    alice.upsert_secret(&upsert("NEW", "new-value-0003")).await.unwrap();
    assert!(listing(&alice).await.contains_key("NEW"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delete_shows_in_the_next_listing() {
    let Listed { v: _v, alice, .. } = listed().await;
    alice.delete_secret("OTHER", false).await.unwrap();
    assert!(!listing(&alice).await.contains_key("OTHER"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_shows_in_the_next_listing() {
    let Listed { v: _v, alice, .. } = listed().await;
    let described = PatchSecret {
        description: Some("now described".into()),
        ..Default::default()
    };
    alice.patch_secret("MINE", false, &described).await.unwrap();
    assert_eq!(
        listing(&alice).await["MINE"].description.as_deref(),
        Some("now described")
    );
    let provided = PatchSecret {
        provider: Some("github".into()),
        ..Default::default()
    };
    alice.patch_secret("MINE", false, &provided).await.unwrap();
    assert_eq!(listing(&alice).await["MINE"].provider.as_deref(), Some("github"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reveal_shows_in_the_next_listing() {
    // `last_used_at` is in the listing.
    let Listed { v: _v, alice, .. } = listed().await;
    alice.reveal("MINE", false, None).await.unwrap();
    assert!(listing(&alice).await["MINE"].last_used_at.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn another_users_reveal_of_an_org_secret_shows_in_the_next_listing() {
    let Listed {
        v: _v, alice, carol, ..
    } = listed().await;
    carol.reveal("SHARED", true, None).await.unwrap();
    assert!(listing(&alice).await["SHARED"].last_used_at.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_through_another_server_on_the_same_database_shows_too() {
    // Several processes may serve one SQLite file (the local vault); this one hears nothing of
    // the other's writes but what the database itself says.
    let v = TestVault::start().await;
    let alice = v.admin();
    alice.upsert_secret(&upsert("MINE", "first-value-0001")).await.unwrap();
    assert_eq!(listing(&alice).await["MINE"].version, 1);
    let other = common::start_server(&v.db_url, &common::Options::default()).await;
    let beside = VaultClient::new(&other.url(), Some(v.admin_token.clone()), Default::default()).unwrap();
    beside
        .upsert_secret(&upsert("MINE", "second-value-0002"))
        .await
        .unwrap();
    assert_eq!(listing(&alice).await["MINE"].version, 2);
    beside.upsert_secret(&upsert("NEW", "new-value-0003")).await.unwrap();
    assert!(listing(&alice).await.contains_key("NEW"));
}

#[tokio::test(flavor = "multi_thread")]
async fn users_never_get_each_others_listing() {
    let v = TestVault::start().await;
    let alice = v.admin();
    let (bob, _) = v.user("bob", Role::Member).await;
    alice
        .upsert_secret(&upsert("ALICE_ONLY", "alice-value-0001"))
        .await
        .unwrap();
    bob.upsert_secret(&upsert("BOB_ONLY", "bob-value-0001")).await.unwrap();
    alice
        .upsert_secret(&org_upsert("SHARED", "shared-value-0001"))
        .await
        .unwrap();

    let (dave, _) = v.user("dave", Role::Member).await;
    dave.upsert_secret(&upsert("DAVE_ONLY", "dave-value-0001"))
        .await
        .unwrap();

    // Right after each other, with nothing written in between: the same version. Two members
    // (the same role), and an admin.
    assert_eq!(listing(&bob).await.keys().collect::<Vec<_>>(), ["BOB_ONLY", "SHARED"]);
    assert_eq!(listing(&dave).await.keys().collect::<Vec<_>>(), ["DAVE_ONLY", "SHARED"]);
    assert_eq!(
        listing(&alice).await.keys().collect::<Vec<_>>(),
        ["ALICE_ONLY", "SHARED"]
    );
    assert_eq!(listing(&bob).await.keys().collect::<Vec<_>>(), ["BOB_ONLY", "SHARED"]);

    // The same query from a member is refused, though an admin's answer to it is kept.
    let all = ListQuery {
        all: Some(true),
        ..Default::default()
    };
    assert_eq!(alice.list_secrets(&all).await.unwrap().len(), 4);
    assert_eq!(alice.list_secrets(&all).await.unwrap().len(), 4);
    assert!(bob.list_secrets(&all).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kept_listing_is_answered_like_a_fresh_one() {
    let v = TestVault::start().await;
    v.admin()
        .upsert_secret(&upsert("MINE", "first-value-0001"))
        .await
        .unwrap();
    let api = v.api();
    let fresh = api.get("/v1/secrets").token(&v.admin_token).send_text().await;
    let kept = api.get("/v1/secrets").token(&v.admin_token).send_text().await;
    assert_eq!((fresh.status.as_u16(), kept.status.as_u16()), (200, 200));
    assert_eq!(fresh.headers.get("content-type"), kept.headers.get("content-type"));
    assert_eq!(
        kept.headers.get("content-type").and_then(|h| h.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(fresh.text, kept.text);
}
