//! Chapter: a secret's provider. Written on create, kept by a rotation (checked or "latest",
//! raced or not) that leaves it out, replaced or cleared by one that names it, edited and cleared
//! by a metadata patch; read by every query that reads secrets, and a listing's filter.

use vaultty::store::{AuditAction, MetaPatch, Owner, SecretFilter, SecretWrite, Store};

use crate::backends::Db;
use crate::fixtures::{acme, audit, verify_chain, write};

/// `w` setting the provider to `provider`, or clearing it (`None`).
fn with_provider(mut w: SecretWrite, provider: Option<&str>) -> SecretWrite {
    w.provider = Some(provider.map(str::to_owned));
    w
}

fn provider_of(row: &vaultty::store::SecretRow) -> Option<&str> {
    row.provider.as_deref()
}

pub async fn chapter(db: &Db) {
    let store = db.open().await;
    let s: &dyn Store = &*store;
    let (_, bob) = acme(s).await;
    let rotate = || audit(AuditAction::Rotate, "alice", Some("GITHUB_TOKEN"));

    let created = s
        .write_secret(
            with_provider(write(Owner::Org, "GITHUB_TOKEN", None, "k1"), Some("github")),
            audit(AuditAction::Create, "alice", Some("GITHUB_TOKEN")),
        )
        .await
        .unwrap();
    assert_eq!(provider_of(&created), Some("github"));
    let read = s.get_secret(Owner::Org, "GITHUB_TOKEN").await.unwrap().unwrap();
    assert_eq!(provider_of(&read), Some("github"));
    assert_eq!(
        read.identity, "id-GITHUB_TOKEN",
        "the columns before it are read where they were"
    );

    // A checked rotation that leaves it out keeps it; one that names another replaces it.
    let kept = s
        .write_secret(write(Owner::Org, "GITHUB_TOKEN", Some(1), "k1"), rotate())
        .await
        .unwrap();
    assert_eq!((kept.version, provider_of(&kept)), (2, Some("github")));
    let moved = s
        .write_secret(
            with_provider(write(Owner::Org, "GITHUB_TOKEN", Some(2), "k1"), Some("gitlab")),
            rotate(),
        )
        .await
        .unwrap();
    assert_eq!(provider_of(&moved), Some("gitlab"));

    // "Latest" writes, as read (version 3) and raced (they read version 1): the same.
    let reseal = || Box::new(|_: &str, v: i64| format!("v2:k1:GITHUB_TOKEN:{v}:TAG"));
    let (latest, _) = s
        .write_secret_latest(write(Owner::Org, "GITHUB_TOKEN", Some(3), "k1"), reseal(), rotate())
        .await
        .unwrap();
    assert_eq!((latest.version, provider_of(&latest)), (4, Some("gitlab")));
    let (raced, _) = s
        .write_secret_latest(write(Owner::Org, "GITHUB_TOKEN", Some(1), "k1"), reseal(), rotate())
        .await
        .unwrap();
    assert_eq!((raced.version, provider_of(&raced)), (5, Some("gitlab")));
    let (raced, _) = s
        .write_secret_latest(
            with_provider(write(Owner::Org, "GITHUB_TOKEN", Some(1), "k1"), Some("github")),
            reseal(),
            rotate(),
        )
        .await
        .unwrap();
    assert_eq!((raced.version, provider_of(&raced)), (6, Some("github")));
    let cleared = s
        .write_secret(
            with_provider(write(Owner::Org, "GITHUB_TOKEN", Some(6), "k1"), None),
            rotate(),
        )
        .await
        .unwrap();
    assert_eq!((cleared.version, provider_of(&cleared)), (7, None));

    // A metadata patch sets it, keeps it when it leaves it out, and clears it.
    let update = || audit(AuditAction::Update, "alice", Some("GITHUB_TOKEN"));
    let patch = |provider: Option<Option<&str>>, description: Option<Option<&str>>| MetaPatch {
        provider: provider.map(|p| p.map(str::to_owned)),
        description: description.map(|d| d.map(str::to_owned)),
        ..MetaPatch::default()
    };
    let set = s
        .update_secret(Owner::Org, "GITHUB_TOKEN", patch(Some(Some("openai")), None), update())
        .await
        .unwrap();
    assert_eq!((set.version, provider_of(&set)), (7, Some("openai")));
    let described = s
        .update_secret(
            Owner::Org,
            "GITHUB_TOKEN",
            patch(None, Some(Some("the org's key"))),
            update(),
        )
        .await
        .unwrap();
    assert_eq!(provider_of(&described), Some("openai"));
    let unset = s
        .update_secret(Owner::Org, "GITHUB_TOKEN", patch(Some(None), None), update())
        .await
        .unwrap();
    assert_eq!(provider_of(&unset), None);
    assert_eq!(
        unset.description.as_deref(),
        Some("the org's key"),
        "only the provider changed"
    );
    s.update_secret(Owner::Org, "GITHUB_TOKEN", patch(Some(Some("github")), None), update())
        .await
        .unwrap();

    // Listings read it and filter by it, exactly, on both of their paths.
    let mine = Owner::User(bob.id);
    s.write_secret(
        with_provider(write(mine, "GITHUB_TOKEN_STAGING", None, "k1"), Some("github")),
        audit(AuditAction::Create, "bob", Some("GITHUB_TOKEN_STAGING")),
    )
    .await
    .unwrap();
    s.write_secret(
        with_provider(write(mine, "OPENAI_API_KEY", None, "k1"), Some("openai")),
        audit(AuditAction::Create, "bob", Some("OPENAI_API_KEY")),
    )
    .await
    .unwrap();
    s.write_secret(
        write(mine, "PLAIN", None, "k1"),
        audit(AuditAction::Create, "bob", Some("PLAIN")),
    )
    .await
    .unwrap();
    let names = |rows: Vec<vaultty::store::SecretRow>| -> Vec<(String, Option<String>)> {
        rows.into_iter()
            .map(|r| (r.name.to_string(), r.provider.map(String::from)))
            .collect()
    };
    let github = |owners: Vec<Owner>, all_users: bool, provider: &str| SecretFilter {
        owners,
        all_users,
        provider: Some(provider.to_owned()),
        ..SecretFilter::default()
    };
    let both = vec![Owner::User(bob.id), Owner::Org];
    let expected = vec![
        ("GITHUB_TOKEN".to_owned(), Some("github".to_owned())),
        ("GITHUB_TOKEN_STAGING".to_owned(), Some("github".to_owned())),
    ];
    assert_eq!(
        names(s.list_secrets(&github(both.clone(), false, "github")).await.unwrap()),
        expected
    );
    assert_eq!(
        names(s.list_secrets(&github(vec![], true, "github")).await.unwrap()),
        expected
    );
    assert!(
        s.list_secrets(&github(both.clone(), false, "git"))
            .await
            .unwrap()
            .is_empty()
    );
    let every = SecretFilter {
        owners: both.clone(),
        ..SecretFilter::default()
    };
    let all = names(s.list_secrets(&every).await.unwrap());
    assert_eq!(all.len(), 4);
    assert!(all.contains(&("PLAIN".to_owned(), None)), "{all:?}");

    // Delivery reads it, and the sealed text after it is still the current version's.
    let delivered = s.deliverable(&both, None).await.unwrap();
    let got: Vec<(String, Option<String>, String)> = delivered
        .into_iter()
        .map(|(r, sealed)| (r.name.to_string(), r.provider.map(String::from), sealed))
        .collect();
    assert!(
        got.contains(&(
            "GITHUB_TOKEN".to_owned(),
            Some("github".to_owned()),
            "v2:k1:GITHUB_TOKEN:7:TAG".to_owned()
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&("PLAIN".to_owned(), None, "v2:k1:PLAIN:1:TAG".to_owned())),
        "{got:?}"
    );

    verify_chain(s).await;
}
