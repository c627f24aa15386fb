//! The life of a secret: create, rotate, reveal, history, edit, delete; pruning, namespaces and
//! the read fallback to the org's secret; check-and-set.

use secrecy::ExposeSecret;
use vaultty::api::{Category, ListQuery, PatchSecret, Role, Scope, Visibility};
use vaultty::client::ClientError;

use crate::common::{self, TestVault};
use crate::{org_upsert, upsert};

#[tokio::test(flavor = "multi_thread")]
async fn create_rotate_reveal_history_delete() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let mut req = upsert("ANTHROPIC_API_KEY", "sk-ant-api03-first-value-abcd");
    req.category = Some(Category::Provider);
    req.scope = Some(Scope::Agents);
    req.description = Some("Claude for the agents".into());
    let (meta, created) = admin.upsert_secret(&req).await.unwrap();
    assert!(created);
    assert_eq!(meta.version, 1);
    assert_eq!(meta.preview, "sk-a****abcd");
    assert_eq!(meta.visibility, Visibility::User);
    assert_eq!(meta.owner.as_deref(), Some("alice"));
    assert_eq!(meta.created_by.as_deref(), Some("alice"));
    assert!(meta.rotated_at.is_none() && meta.last_used_at.is_none());

    // A rotation keeps the fields it does not name.
    let (rotated, created) = admin
        .upsert_secret(&upsert("ANTHROPIC_API_KEY", "sk-ant-api03-second-val-wxyz"))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(rotated.version, 2);
    assert_eq!(rotated.category, Category::Provider);
    assert_eq!(rotated.scope, Scope::Agents);
    assert_eq!(rotated.description.as_deref(), Some("Claude for the agents"));
    assert!(rotated.rotated_at.is_some());
    assert_eq!(rotated.rotated_by.as_deref(), Some("alice"));
    assert_eq!(rotated.created_at, meta.created_at);

    let revealed = admin.reveal("ANTHROPIC_API_KEY", false, None).await.unwrap();
    assert_eq!(revealed.value.expose_secret(), "sk-ant-api03-second-val-wxyz");
    assert_eq!(revealed.version, 2);
    let old = admin.reveal("ANTHROPIC_API_KEY", false, Some(1)).await.unwrap();
    assert_eq!(old.value.expose_secret(), "sk-ant-api03-first-value-abcd");
    assert!(
        admin
            .get_secret("ANTHROPIC_API_KEY", false)
            .await
            .unwrap()
            .last_used_at
            .is_some()
    );

    let history = admin.versions("ANTHROPIC_API_KEY", false).await.unwrap();
    assert_eq!(history.iter().map(|h| h.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(history[0].preview, "sk-a****wxyz");

    let edited = admin
        .patch_secret(
            "ANTHROPIC_API_KEY",
            false,
            &PatchSecret {
                scope: Some(Scope::All),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((edited.scope, edited.version), (Scope::All, 2));

    admin.delete_secret("ANTHROPIC_API_KEY", false).await.unwrap();
    assert!(matches!(
        admin.get_secret("ANTHROPIC_API_KEY", false).await,
        Err(ClientError::NotFound(_))
    ));
    assert!(matches!(
        admin.delete_secret("ANTHROPIC_API_KEY", false).await,
        Err(ClientError::NotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn versions_are_pruned_to_the_newest_max() {
    let v = TestVault::start_with(common::Options {
        max_versions: 3,
        ..Default::default()
    })
    .await;
    let admin = v.admin();
    for i in 1..=5 {
        admin
            .upsert_secret(&upsert("TOKEN", &format!("value-number-{i}")))
            .await
            .unwrap();
    }
    let history = admin.versions("TOKEN", false).await.unwrap();
    assert_eq!(history.iter().map(|h| h.version).collect::<Vec<_>>(), vec![5, 4, 3]);
    assert!(matches!(
        admin.reveal("TOKEN", false, Some(2)).await,
        Err(ClientError::NotFound(_))
    ));
    assert_eq!(
        admin
            .reveal("TOKEN", false, Some(3))
            .await
            .unwrap()
            .value
            .expose_secret(),
        "value-number-3"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn namespaces_and_read_fallback() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (bob, _) = v.user("bob", Role::Member).await;
    admin
        .upsert_secret(&org_upsert("SHARED", "org-value-123456"))
        .await
        .unwrap();
    // Bob reads the org's secret through the fallback, then shadows it with his own.
    assert_eq!(
        bob.get_secret("SHARED", false).await.unwrap().visibility,
        Visibility::Org
    );
    bob.upsert_secret(&upsert("SHARED", "bobs-own-value-1")).await.unwrap();
    assert_eq!(
        bob.get_secret("SHARED", false).await.unwrap().visibility,
        Visibility::User
    );
    assert_eq!(
        bob.get_secret("SHARED", true).await.unwrap().visibility,
        Visibility::Org
    );
    // Writes never fall back: deleting his own leaves the org's in place.
    bob.delete_secret("SHARED", false).await.unwrap();
    assert!(matches!(
        bob.delete_secret("SHARED", false).await,
        Err(ClientError::NotFound(_))
    ));
    assert_eq!(
        bob.get_secret("SHARED", false).await.unwrap().visibility,
        Visibility::Org
    );
    // A user secret is not in the org namespace.
    bob.upsert_secret(&upsert("BOB_ONLY", "bobs-private-value"))
        .await
        .unwrap();
    assert!(matches!(
        bob.get_secret("BOB_ONLY", true).await,
        Err(ClientError::NotFound(_))
    ));
    assert!(matches!(
        admin.get_secret("BOB_ONLY", false).await,
        Err(ClientError::NotFound(_))
    ));

    // Listing: own and org; admins may ask for everyone's metadata, members may not.
    let names = |l: Vec<vaultty::api::SecretMeta>| l.into_iter().map(|m| m.name).collect::<Vec<_>>();
    assert_eq!(
        names(bob.list_secrets(&ListQuery::default()).await.unwrap()),
        vec!["SHARED", "BOB_ONLY"]
    );
    assert_eq!(
        names(admin.list_secrets(&ListQuery::default()).await.unwrap()),
        vec!["SHARED"]
    );
    let all = ListQuery {
        all: Some(true),
        ..Default::default()
    };
    assert_eq!(
        names(admin.list_secrets(&all).await.unwrap()),
        vec!["SHARED", "BOB_ONLY"]
    );
    assert!(matches!(bob.list_secrets(&all).await, Err(ClientError::Forbidden(_))));
    let only_bob = ListQuery {
        user_id: Some("bob".into()),
        ..Default::default()
    };
    assert_eq!(names(admin.list_secrets(&only_bob).await.unwrap()), vec!["BOB_ONLY"]);
    let org_only = ListQuery {
        secret_scope: Some(Visibility::Org),
        ..Default::default()
    };
    assert_eq!(names(bob.list_secrets(&org_only).await.unwrap()), vec!["SHARED"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_and_set_and_concurrent_rotations() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin
        .upsert_secret(&upsert("DB_PASSWORD", "first-password-1"))
        .await
        .unwrap();
    let mut stale = upsert("DB_PASSWORD", "stale-password-2");
    stale.expected_version = Some(7);
    match admin.upsert_secret(&stale).await {
        Err(ClientError::Conflict { current_version, .. }) => assert_eq!(current_version, Some(1)),
        other => panic!("expected a conflict, got {other:?}"),
    }
    for round in 0..5 {
        let expected = admin.get_secret("DB_PASSWORD", false).await.unwrap().version;
        let attempt = |who: &str| {
            let c = admin.clone();
            let mut req = upsert("DB_PASSWORD", &format!("{who}-password-{round}"));
            req.expected_version = Some(expected);
            async move { c.upsert_secret(&req).await }
        };
        let (a, b) = tokio::join!(tokio::spawn(attempt("a")), tokio::spawn(attempt("b")));
        let results = [a.unwrap(), b.unwrap()];
        let wins = results.iter().filter(|r| r.is_ok()).count();
        let conflicts = results
            .iter()
            .filter(|r| matches!(r, Err(ClientError::Conflict { .. })))
            .count();
        assert_eq!((wins, conflicts), (1, 1), "round {round}: {results:?}");
        assert_eq!(
            admin.get_secret("DB_PASSWORD", false).await.unwrap().version,
            expected + 1
        );
    }
}
