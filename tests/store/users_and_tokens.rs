//! Chapter: init, the org, users (enrolment, role, disabled, the last admin) and their tokens
//! (create, look up, lineage, revoke with descendants, last use).

use vaultty::crypto::TokenHash;
use vaultty::store::{AuditAction, EnrolOutcome, EnrolRefusal, NewToken, Role, Store, StoreError, UserPatch};

use crate::backends::Db;
use crate::fixtures::{T0, audit, enrolment, token, verify_chain};

pub async fn chapter(db: &Db) {
    let store = db.open().await;
    let s: &dyn Store = &*store;
    assert!(s.org().await.unwrap().is_none());
    let alice = s.init("acme", "alice", token("tok-alice", 1, 0), T0).await.unwrap();
    assert_eq!(
        (alice.name.as_str(), alice.role, alice.disabled),
        ("alice", Role::Admin, false)
    );
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
        (
            tok.id.as_str(),
            tok.user_id,
            user.name.as_str(),
            tok.parent_id.as_deref()
        ),
        ("tok-alice", alice.id, "alice", None)
    );
    assert!(s.token_by_hash(&TokenHash([42; 32])).await.unwrap().is_none());

    enrolment_chapter(s, alice.id).await;
    lineage_chapter(s).await;
    users_chapter(s).await;

    let org = s
        .update_org(true, audit(AuditAction::OrgUpdate, "alice", None))
        .await
        .unwrap();
    assert!(org.members_can_reveal);

    verify_chain(s).await;
}

/// A user is created with a code, not a token; the code is exchanged once for the first token.
async fn enrolment_chapter(s: &dyn Store, alice_id: i64) {
    let create = |name: &'static str, seed: u8| async move {
        s.create_user(
            name,
            Role::Member,
            enrolment(seed),
            audit(AuditAction::UserCreate, "alice", None),
        )
        .await
    };
    let bob = create("bob", 102).await.unwrap();
    assert_ne!(bob.id, alice_id);
    let dup = create("bob", 103).await;
    assert!(
        matches!(&dup, Err(StoreError::AlreadyExists(n)) if n == "bob"),
        "{dup:?}"
    );
    assert!(
        s.list_tokens(bob.id).await.unwrap().is_empty(),
        "a new user holds no token"
    );

    let exchange = |code: u8, tok: &'static str, seed: u8, at: i64| async move {
        s.enroll(
            &TokenHash([code; 32]),
            NewToken {
                created_at: at,
                ..token(tok, seed, 0)
            },
            audit(AuditAction::Enroll, "-", None),
        )
        .await
        .unwrap()
    };
    assert_eq!(exchange(99, "tok-x", 90, T0).await, EnrolOutcome::Unknown);
    assert_eq!(
        exchange(103, "tok-x", 90, T0).await,
        EnrolOutcome::Unknown,
        "a refused user's code is not kept"
    );
    assert_eq!(
        exchange(102, "tok-bob", 2, T0 + 1).await,
        EnrolOutcome::Enrolled(bob.clone())
    );
    let (first, owner) = s.token_by_hash(&TokenHash([2; 32])).await.unwrap().unwrap();
    assert_eq!(
        (first.user_id, owner.name.as_str(), first.parent_id),
        (bob.id, "bob", None)
    );
    assert!(
        matches!(
            exchange(102, "tok-bob2", 91, T0 + 2).await,
            EnrolOutcome::Refused(_, EnrolRefusal::Used)
        ),
        "a code works once"
    );
    assert!(s.token_by_hash(&TokenHash([91; 32])).await.unwrap().is_none());

    // An expired code; a new code for a user not enrolled yet replaces it; none once enrolled.
    let carol = create("carol", 104).await.unwrap();
    assert!(matches!(
        exchange(104, "tok-c", 92, T0 + 60_000).await,
        EnrolOutcome::Refused(_, EnrolRefusal::Expired)
    ));
    s.new_enrolment(
        carol.id,
        enrolment(105),
        audit(AuditAction::UserEnrolment, "alice", None),
    )
    .await
    .unwrap();
    assert_eq!(
        exchange(104, "tok-c", 92, T0).await,
        EnrolOutcome::Unknown,
        "the old code is gone"
    );
    assert_eq!(
        exchange(105, "tok-carol", 5, T0).await,
        EnrolOutcome::Enrolled(carol.clone())
    );
    let again = s
        .new_enrolment(
            carol.id,
            enrolment(106),
            audit(AuditAction::UserEnrolment, "alice", None),
        )
        .await;
    assert!(matches!(again, Err(StoreError::AlreadyExists(_))), "{again:?}");
    assert_eq!(
        exchange(106, "tok-c2", 93, T0).await,
        EnrolOutcome::Unknown,
        "nothing stored"
    );
}

/// Tokens record their parent; revoking one revokes its descendants and nothing else.
async fn lineage_chapter(s: &dyn Store) {
    let bob = s.user_by_name("bob").await.unwrap().unwrap();
    let child = |id: &'static str, seed: u8, parent: &'static str| NewToken {
        expires_at: Some(T0 + 1000),
        parent_id: Some(parent.to_owned()),
        ..token(id, seed, bob.id)
    };
    for (id, seed, parent) in [
        ("tok-ci", 10, "tok-bob"),
        ("tok-ci-job", 11, "tok-ci"),
        ("tok-ci-job-step", 12, "tok-ci-job"),
        ("tok-laptop", 13, "tok-bob"),
    ] {
        let row = s
            .create_token(child(id, seed, parent), audit(AuditAction::TokenCreate, "bob", None))
            .await
            .unwrap();
        assert_eq!(
            (row.parent_id.as_deref(), row.expires_at),
            (Some(parent), Some(T0 + 1000))
        );
    }
    let not_his = s
        .revoke_token(bob.id, "tok-alice", audit(AuditAction::TokenRevoke, "bob", None))
        .await;
    assert!(matches!(not_his, Err(StoreError::NotFound)), "{not_his:?}");
    let revoked = s
        .revoke_token(bob.id, "tok-ci", audit(AuditAction::TokenRevoke, "bob", None))
        .await
        .unwrap();
    assert_eq!(
        revoked,
        ["tok-ci", "tok-ci-job", "tok-ci-job-step"],
        "the whole subtree"
    );
    let live: Vec<String> = s
        .list_tokens(bob.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.revoked_at.is_none())
        .map(|t| t.id)
        .collect();
    assert_eq!(
        live,
        ["tok-laptop", "tok-bob"],
        "siblings and the parent stay (oldest first)"
    );
    let twice = s
        .revoke_token(bob.id, "tok-ci-job", audit(AuditAction::TokenRevoke, "bob", None))
        .await;
    assert!(matches!(twice, Err(StoreError::NotFound)), "{twice:?}");

    // Last use keeps the latest time it is told.
    s.touch_tokens(vec![("tok-laptop".into(), T0 + 50)]).await.unwrap();
    s.touch_tokens(vec![("tok-laptop".into(), T0 + 20)]).await.unwrap();
    let (laptop, _) = s.token_by_hash(&TokenHash([13; 32])).await.unwrap().unwrap();
    assert_eq!(laptop.last_used_at, Some(T0 + 50));
}

/// Role and disabled changes, and the org never loses its last enabled admin.
async fn users_chapter(s: &dyn Store) {
    let change = |name: &'static str, role: Option<Role>, disabled: Option<bool>| async move {
        s.update_user(
            name,
            UserPatch { role, disabled },
            audit(AuditAction::UserDisable, "alice", None),
        )
        .await
    };
    let last = change("alice", Some(Role::Member), None).await;
    assert!(
        matches!(&last, Err(StoreError::LastAdmin(n)) if n == "alice"),
        "{last:?}"
    );
    let last = change("alice", None, Some(true)).await;
    assert!(matches!(&last, Err(StoreError::LastAdmin(_))), "{last:?}");
    assert!(matches!(
        change("nobody", None, Some(true)).await,
        Err(StoreError::NotFound)
    ));

    let bob = change("bob", None, Some(true)).await.unwrap();
    assert!(bob.disabled);
    let (_, owner) = s.token_by_hash(&TokenHash([2; 32])).await.unwrap().unwrap();
    assert!(owner.disabled, "the token's user says disabled");
    let carol = change("carol", Some(Role::Admin), None).await.unwrap();
    assert_eq!(carol.role, Role::Admin);
    let alice = change("alice", Some(Role::Member), None).await.unwrap();
    assert_eq!(alice.role, Role::Member, "another admin is left");
    let last = change("carol", None, Some(true)).await;
    assert!(
        matches!(&last, Err(StoreError::LastAdmin(n)) if n == "carol"),
        "{last:?}"
    );
    // An admin who has not enrolled yet does not count: their code may never be used.
    s.create_user(
        "dave",
        Role::Admin,
        enrolment(107),
        audit(AuditAction::UserCreate, "carol", None),
    )
    .await
    .unwrap();
    let last = change("carol", Some(Role::Member), None).await;
    assert!(matches!(&last, Err(StoreError::LastAdmin(_))), "{last:?}");
    change("bob", None, Some(false)).await.unwrap();

    let users = s.list_users(T0).await.unwrap();
    let summary: Vec<(&str, Role, bool, bool, u32)> = users
        .iter()
        .map(|u| {
            (
                u.user.name.as_str(),
                u.user.role,
                u.user.disabled,
                u.enrolled,
                u.live_tokens,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("alice", Role::Member, false, true, 1),
            ("bob", Role::Member, false, true, 2),
            ("carol", Role::Admin, false, true, 1),
            ("dave", Role::Admin, false, false, 0),
        ]
    );
    assert_eq!(users[1].last_seen_at, Some(T0 + 50));
    let bob_id = users[1].user.id;
    let all = s
        .revoke_user_tokens(bob_id, audit(AuditAction::TokenRevoke, "carol", None))
        .await
        .unwrap();
    assert_eq!(all, ["tok-laptop", "tok-bob"]);
    assert_eq!(s.list_users(T0).await.unwrap()[1].live_tokens, 0);
}
