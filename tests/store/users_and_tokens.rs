//! Chapter: init, the org, users and their tokens (create, look up, revoke).

use vaultty::crypto::TokenHash;
use vaultty::store::{AuditAction, NewToken, Role, Store, StoreError};

use crate::backends::Db;
use crate::fixtures::{T0, audit, token, verify_chain};

pub async fn chapter(db: &Db) {
    let store = db.open().await;
    let s: &dyn Store = &*store;
    assert!(s.org().await.unwrap().is_none());
    let alice = s.init("acme", "alice", token("tok-alice", 1, 0), T0).await.unwrap();
    assert_eq!((alice.name.as_str(), alice.role), ("alice", Role::Admin));
    assert!(alice.id >= 1, "user ids start at 1 (0 is the org's namespace)");
    let again = s.init("acme", "mallory", token("tok-m", 9, 0), T0).await;
    assert!(matches!(again, Err(StoreError::AlreadyInitialised)), "{again:?}");
    assert!(
        s.user_by_name("mallory").await.unwrap().is_none(),
        "a refused init leaves nothing"
    );
    let org = s.org().await.unwrap().unwrap();
    assert_eq!((org.name.as_str(), org.members_can_reveal), ("acme", false));

    let (tok, user) = s.token_by_hash(&TokenHash([1; 32])).await.unwrap().unwrap();
    assert_eq!(
        (tok.id.as_str(), tok.user_id, user.name.as_str()),
        ("tok-alice", alice.id, "alice")
    );
    assert!(s.token_by_hash(&TokenHash([42; 32])).await.unwrap().is_none());

    let bob = s
        .create_user(
            "bob",
            Role::Member,
            token("tok-bob", 2, 0),
            T0,
            audit(AuditAction::UserCreate, "alice", None),
        )
        .await
        .unwrap();
    assert_ne!(bob.id, alice.id);
    let dup = s
        .create_user(
            "bob",
            Role::Admin,
            token("tok-bob2", 3, 0),
            T0,
            audit(AuditAction::UserCreate, "alice", None),
        )
        .await;
    assert!(
        matches!(&dup, Err(StoreError::AlreadyExists(n)) if n == "bob"),
        "{dup:?}"
    );
    assert!(
        s.token_by_hash(&TokenHash([3; 32])).await.unwrap().is_none(),
        "the refused user's token is not kept"
    );
    assert_eq!(s.user_by_name("bob").await.unwrap().unwrap(), bob);

    let extra = s
        .create_token(
            NewToken {
                expires_at: Some(T0 + 1000),
                ..token("tok-bob-ci", 4, bob.id)
            },
            audit(AuditAction::TokenCreate, "bob", None),
        )
        .await
        .unwrap();
    assert_eq!(extra.expires_at, Some(T0 + 1000));
    let ids: Vec<String> = s.list_tokens(bob.id).await.unwrap().into_iter().map(|t| t.id).collect();
    assert_eq!(ids, ["tok-bob", "tok-bob-ci"]);
    let not_his = s
        .revoke_token(bob.id, "tok-alice", T0, audit(AuditAction::TokenRevoke, "bob", None))
        .await;
    assert!(matches!(not_his, Err(StoreError::NotFound)), "{not_his:?}");
    s.revoke_token(
        bob.id,
        "tok-bob-ci",
        T0 + 5,
        audit(AuditAction::TokenRevoke, "bob", None),
    )
    .await
    .unwrap();
    let (revoked, _) = s.token_by_hash(&TokenHash([4; 32])).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(T0 + 5));
    let twice = s
        .revoke_token(bob.id, "tok-bob-ci", T0, audit(AuditAction::TokenRevoke, "bob", None))
        .await;
    assert!(matches!(twice, Err(StoreError::NotFound)), "{twice:?}");

    let org = s
        .update_org(true, audit(AuditAction::OrgUpdate, "alice", None))
        .await
        .unwrap();
    assert!(org.members_can_reveal);

    verify_chain(s).await;
}
