//! Rows to write and checks every chapter shares.

use vaultty::crypto::TokenHash;
use vaultty::store::{
    AuditAction, Category, EnrolOutcome, GENESIS_HASH, NewAudit, NewEnrolment, NewToken, Outcome, Owner, Role, Scope,
    SecretRow, SecretWrite, Store, TokenKind, UserRow, link_hash,
};

pub const T0: i64 = 1_780_000_000_000;

pub fn audit(action: AuditAction, actor: &str, secret: Option<&str>) -> NewAudit {
    NewAudit {
        at: T0,
        actor: Some(actor.to_owned()),
        action,
        secret: secret.map(str::to_owned),
        visibility: None,
        owner: None,
        version: None,
        outcome: Outcome::Ok,
        client: Some("vaultty-test/0".into()),
        ip: Some("127.0.0.1".into()),
        target: None,
        count: None,
    }
}

pub fn token(id: &str, seed: u8, user_id: i64) -> NewToken {
    NewToken {
        id: id.to_owned(),
        user_id,
        name: format!("{id} token"),
        hash: TokenHash([seed; 32]),
        created_at: T0,
        expires_at: None,
        parent_id: None,
        kind: TokenKind::User,
        scope: None,
        org_wide: false,
    }
}

/// An enrolment code (its hash: `seed` repeated) valid for a minute from `T0`.
pub fn enrolment(seed: u8) -> NewEnrolment {
    NewEnrolment {
        hash: TokenHash([seed; 32]),
        created_at: T0,
        expires_at: T0 + 60_000,
    }
}

/// The write that makes version `expected + 1` (or 1), sealed as `v2:<key>:<name>:<version>:TAG`
/// for the identity `id-<name>`.
pub fn write(owner: Owner, name: &str, expected: Option<i64>, key: &str) -> SecretWrite {
    let new_version = expected.map_or(1, |v| v + 1);
    SecretWrite {
        owner,
        name: name.to_owned(),
        expected,
        new_version,
        identity: format!("id-{name}"),
        sealed: format!("v2:{key}:{name}:{new_version}:TAG"),
        preview: "****".into(),
        category: Some(Category::Provider),
        scope: Some(Scope::All),
        description: Some(Some("a test secret".into())),
        provider: None,
        revealable: Some(true),
        at: T0 + new_version,
        by: "alice".into(),
        max_versions: 10,
    }
}

/// The org "acme" with its admin alice (token seed 1) and the member bob (token seed 2).
pub async fn acme(s: &dyn Store) -> (UserRow, UserRow) {
    let alice = s.init("acme", "alice", token("tok-alice", 1, 0), T0).await.unwrap();
    let bob = s
        .create_user(
            "bob",
            Role::Member,
            enrolment(102),
            audit(AuditAction::UserCreate, "alice", None),
        )
        .await
        .unwrap();
    let enrolled = s
        .enroll(
            &TokenHash([102; 32]),
            token("tok-bob", 2, 0),
            audit(AuditAction::Enroll, "bob", None),
        )
        .await
        .unwrap();
    assert_eq!(enrolled, EnrolOutcome::Enrolled(bob.clone()));
    (alice, bob)
}

/// A new secret of the org's, at version 1.
pub async fn create(s: &dyn Store, name: &str) -> SecretRow {
    let a = audit(AuditAction::Create, "alice", Some(name));
    s.write_secret(write(Owner::Org, name, None, "k1"), a).await.unwrap()
}

/// A secret created and rotated up to `version`, every version sealed under k1.
pub async fn put(s: &dyn Store, owner: Owner, name: &str, version: i64) -> SecretRow {
    let mut row = s
        .write_secret(
            write(owner, name, None, "k1"),
            audit(AuditAction::Create, "alice", Some(name)),
        )
        .await
        .unwrap();
    for v in 1..version {
        row = s
            .write_secret(
                write(owner, name, Some(v), "k1"),
                audit(AuditAction::Rotate, "alice", Some(name)),
            )
            .await
            .unwrap();
    }
    row
}

/// Walks the whole audit log in small batches and checks every link, with the chain key the store
/// was opened with; returns the event count.
pub async fn verify_chain(store: &dyn Store) -> usize {
    let chain = store.audit_chain();
    assert!(chain.is_some(), "the store was opened with its chain key");
    let mut prev = GENESIS_HASH;
    let mut after = 0;
    let mut count = 0;
    loop {
        let batch = store.audit_range(after, 7).await.unwrap();
        if batch.is_empty() {
            return count;
        }
        for e in batch {
            assert!(e.id > after, "events come oldest first");
            assert_eq!(e.prev_hash, prev, "event {} links to the one before it", e.id);
            assert_eq!(
                e.hash,
                link_hash(chain, &prev, &e),
                "event {} hashes to its stored hash",
                e.id
            );
            prev = e.hash;
            after = e.id;
            count += 1;
        }
    }
}

pub async fn audit_count(store: &dyn Store) -> usize {
    verify_chain(store).await
}
