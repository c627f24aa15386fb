//! The storage story: one scenario generic over `Store`, run on every backend.
//!
//! SQLite always (a real file in a temporary directory). Postgres when `VAULTTY_TEST_POSTGRES`
//! names a database URL: `postgres_story` below runs the same story there once that backend exists.
//! Sealed texts here are arbitrary strings: a store never opens them.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use vaultty::crypto::TokenHash;
use vaultty::store::{
    self, AuditAction, AuditFilter, Category, DynStore, GENESIS_HASH, MetaPatch, NewAudit, NewToken, Outcome, Owner,
    Role, Scope, SecretFilter, SecretWrite, Store, StoreError, audit_link_hash,
};

const T0: i64 = 1_780_000_000_000;

fn audit(action: AuditAction, actor: &str, secret: Option<&str>) -> NewAudit {
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
    }
}

fn token(id: &str, seed: u8, user_id: i64) -> NewToken {
    NewToken {
        id: id.to_owned(),
        user_id,
        name: format!("{id} token"),
        hash: TokenHash([seed; 32]),
        created_at: T0,
        expires_at: None,
    }
}

fn write(owner: Owner, name: &str, expected: Option<i64>, key: &str) -> SecretWrite {
    let new_version = expected.map_or(1, |v| v + 1);
    SecretWrite {
        owner,
        name: name.to_owned(),
        expected,
        new_version,
        sealed: format!("v1:{key}:{name}:{new_version}:TAG"),
        preview: "****".into(),
        category: Category::Provider,
        scope: Scope::All,
        description: Some("a test secret".into()),
        revealable: true,
        at: T0 + new_version,
        by: "alice".into(),
        max_versions: 10,
    }
}

/// Walks the whole audit log in small batches and checks every link; returns the event count.
async fn verify_chain(store: &dyn Store) -> usize {
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
                audit_link_hash(&prev, &e),
                "event {} hashes to its stored hash",
                e.id
            );
            prev = e.hash;
            after = e.id;
            count += 1;
        }
    }
}

async fn audit_count(store: &dyn Store) -> usize {
    verify_chain(store).await
}

/// The story every backend must tell the same way.
async fn story(store: DynStore) {
    let s: &dyn Store = &*store;

    // ---- init, org, users, tokens ----
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

    // ---- create, rotate, check-and-set ----
    let created = s
        .write_secret(
            write(Owner::Org, "API_KEY", None, "k1"),
            audit(AuditAction::Create, "alice", Some("API_KEY")),
        )
        .await
        .unwrap();
    assert_eq!(
        (created.version, created.owner, created.owner_name.clone()),
        (1, Owner::Org, None)
    );
    assert_eq!((created.rotated_at, created.last_used_at), (None, None));

    let before = audit_count(s).await;
    let exists = s
        .write_secret(
            write(Owner::Org, "API_KEY", None, "k1"),
            audit(AuditAction::Create, "alice", Some("API_KEY")),
        )
        .await;
    assert!(
        matches!(exists, Err(StoreError::Conflict { current: Some(1) })),
        "{exists:?}"
    );
    let rotated = s
        .write_secret(
            SecretWrite {
                by: "carol".into(),
                ..write(Owner::Org, "API_KEY", Some(1), "k1")
            },
            audit(AuditAction::Rotate, "alice", Some("API_KEY")),
        )
        .await
        .unwrap();
    assert_eq!(rotated.version, 2);
    assert_eq!(
        (rotated.created_at, rotated.created_by.as_deref()),
        (created.created_at, Some("alice"))
    );
    assert_eq!(
        (rotated.rotated_at, rotated.rotated_by.as_deref()),
        (Some(T0 + 2), Some("carol"))
    );
    let stale = s
        .write_secret(
            write(Owner::Org, "API_KEY", Some(1), "k1"),
            audit(AuditAction::Rotate, "alice", Some("API_KEY")),
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { current: Some(2) })),
        "{stale:?}"
    );
    let missing = s
        .write_secret(
            write(Owner::Org, "NOPE", Some(1), "k1"),
            audit(AuditAction::Rotate, "alice", Some("NOPE")),
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::Conflict { current: None })),
        "{missing:?}"
    );
    assert_eq!(
        audit_count(s).await,
        before + 1,
        "only the write that happened was audited"
    );
    assert_eq!(s.versions(rotated.id).await.unwrap().len(), 2);

    // The same name in bob's namespace is another secret.
    let mine = s
        .write_secret(
            write(Owner::User(bob.id), "API_KEY", None, "k1"),
            audit(AuditAction::Create, "bob", Some("API_KEY")),
        )
        .await
        .unwrap();
    assert_ne!(mine.id, rotated.id);
    assert_eq!(
        (mine.owner, mine.owner_name.as_deref(), mine.version),
        (Owner::User(bob.id), Some("bob"), 1)
    );
    assert_eq!(
        s.get_secret(Owner::User(bob.id), "API_KEY").await.unwrap().unwrap(),
        mine
    );
    assert_eq!(s.get_secret(Owner::Org, "API_KEY").await.unwrap().unwrap().version, 2);
    assert!(s.get_secret(Owner::User(alice.id), "API_KEY").await.unwrap().is_none());

    // ---- pruning to max_versions ----
    let mut row = s
        .write_secret(
            write(Owner::Org, "PRUNED", None, "k1"),
            audit(AuditAction::Create, "alice", Some("PRUNED")),
        )
        .await
        .unwrap();
    for v in 1..6 {
        let w = SecretWrite {
            max_versions: 3,
            ..write(Owner::Org, "PRUNED", Some(v), "k1")
        };
        row = s
            .write_secret(w, audit(AuditAction::Rotate, "alice", Some("PRUNED")))
            .await
            .unwrap();
    }
    let kept: Vec<i64> = s
        .versions(row.id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(kept, [6, 5, 4], "the newest three, newest first");
    assert!(s.version(row.id, 3).await.unwrap().is_none());
    let v6 = s.version(row.id, 6).await.unwrap().unwrap();
    assert_eq!(
        (v6.sealed.as_str(), v6.created_by.as_deref()),
        ("v1:k1:PRUNED:6:TAG", Some("alice"))
    );

    // ---- listing and delivery ----
    let tool = SecretWrite {
        scope: Scope::Tools,
        category: Category::Tool,
        ..write(Owner::User(bob.id), "B_TOOL", None, "k1")
    };
    s.write_secret(tool, audit(AuditAction::Create, "bob", Some("B_TOOL")))
        .await
        .unwrap();
    let agent = SecretWrite {
        scope: Scope::Agents,
        ..write(Owner::User(alice.id), "A_AGENT", None, "k1")
    };
    s.write_secret(agent, audit(AuditAction::Create, "alice", Some("A_AGENT")))
        .await
        .unwrap();

    let names = |rows: Vec<store::SecretRow>| -> Vec<(Option<String>, String)> {
        rows.into_iter()
            .map(|r| (r.owner_name.map(String::from), r.name.into()))
            .collect()
    };
    let all = s
        .list_secrets(&SecretFilter {
            all_users: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let expect_all = [
        (None, "API_KEY"),
        (None, "PRUNED"),
        (Some("alice"), "A_AGENT"),
        (Some("bob"), "API_KEY"),
        (Some("bob"), "B_TOOL"),
    ];
    let expect_all: Vec<(Option<String>, String)> = expect_all
        .iter()
        .map(|(o, n)| (o.map(str::to_owned), (*n).to_owned()))
        .collect();
    assert_eq!(names(all), expect_all, "org first, then by owner name, then by name");
    let bobs = SecretFilter {
        owners: vec![Owner::User(bob.id), Owner::Org],
        ..Default::default()
    };
    assert_eq!(s.list_secrets(&bobs).await.unwrap().len(), 4);
    let tools = SecretFilter {
        category: Some(Category::Tool),
        ..bobs.clone()
    };
    assert_eq!(
        names(s.list_secrets(&tools).await.unwrap()),
        [(Some("bob".to_owned()), "B_TOOL".to_owned())]
    );
    let scoped = SecretFilter {
        scope: Some(Scope::Tools),
        all_users: true,
        ..Default::default()
    };
    assert_eq!(s.list_secrets(&scoped).await.unwrap().len(), 1);
    assert!(
        s.list_secrets(&SecretFilter::default()).await.unwrap().is_empty(),
        "no namespace, no secrets"
    );

    let delivered = s
        .deliverable(&[Owner::User(bob.id), Owner::Org], Some(Scope::Agents))
        .await
        .unwrap();
    let got: Vec<(String, String)> = delivered
        .into_iter()
        .map(|(r, sealed)| (r.name.into(), sealed))
        .collect();
    assert_eq!(
        got,
        [
            ("API_KEY".to_owned(), "v1:k1:API_KEY:2:TAG".to_owned()),
            ("PRUNED".to_owned(), "v1:k1:PRUNED:6:TAG".to_owned()),
            ("API_KEY".to_owned(), "v1:k1:API_KEY:1:TAG".to_owned()),
        ],
        "scope all or agents, B_TOOL (tools) left out, current versions' sealed text"
    );
    let for_tools = s.deliverable(&[Owner::User(bob.id)], Some(Scope::Tools)).await.unwrap();
    assert_eq!(for_tools.len(), 2);
    let any_scope = s.deliverable(&[Owner::User(bob.id), Owner::Org], None).await.unwrap();
    assert_eq!(any_scope.len(), 4, "no scope asked: every scope, B_TOOL included");

    // ---- metadata edits and deletes ----
    let patch = MetaPatch {
        description: Some(None),
        revealable: Some(false),
        ..Default::default()
    };
    let edited = s
        .update_secret(
            Owner::Org,
            "API_KEY",
            patch,
            audit(AuditAction::Update, "alice", Some("API_KEY")),
        )
        .await
        .unwrap();
    assert_eq!(
        (edited.description, edited.revealable, edited.version),
        (None, false, 2)
    );
    assert_eq!(edited.category, Category::Provider, "fields left out stay");
    let nothing = s
        .update_secret(
            Owner::Org,
            "NOPE",
            MetaPatch::default(),
            audit(AuditAction::Update, "alice", Some("NOPE")),
        )
        .await;
    assert!(matches!(nothing, Err(StoreError::NotFound)), "{nothing:?}");
    s.delete_secret(
        Owner::Org,
        "PRUNED",
        audit(AuditAction::Delete, "alice", Some("PRUNED")),
    )
    .await
    .unwrap();
    assert!(s.get_secret(Owner::Org, "PRUNED").await.unwrap().is_none());
    assert!(
        s.versions(row.id).await.unwrap().is_empty(),
        "its versions went with it"
    );
    let gone = s
        .delete_secret(
            Owner::Org,
            "PRUNED",
            audit(AuditAction::Delete, "alice", Some("PRUNED")),
        )
        .await;
    assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");
    let recreated = s
        .write_secret(
            write(Owner::Org, "PRUNED", None, "k1"),
            audit(AuditAction::Create, "alice", Some("PRUNED")),
        )
        .await
        .unwrap();
    assert_eq!(recreated.version, 1);

    // ---- uses ----
    let before = audit_count(s).await;
    let reveal = NewAudit {
        visibility: Some(store::Visibility::Org),
        version: Some(2),
        ..audit(AuditAction::Reveal, "bob", Some("API_KEY"))
    };
    let env = audit(AuditAction::Env, "bob", None);
    s.record_use(&[rotated.id, mine.id], T0 + 100, vec![reveal.clone(), env])
        .await
        .unwrap();
    s.record_use(&[rotated.id], T0 + 50, vec![]).await.unwrap();
    assert_eq!(
        s.get_secret(Owner::Org, "API_KEY").await.unwrap().unwrap().last_used_at,
        Some(T0 + 100),
        "an older use does not move it back"
    );
    assert_eq!(
        s.get_secret(Owner::User(bob.id), "API_KEY")
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(T0 + 100)
    );
    assert_eq!(audit_count(s).await, before + 2);
    let denied = NewAudit {
        outcome: Outcome::Denied,
        ..audit(AuditAction::AuthFailed, "nobody", None)
    };
    s.append_audit(vec![denied]).await.unwrap();

    // ---- reading the audit log ----
    let newest = s
        .list_audit(&AuditFilter {
            limit: 3,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(newest.len(), 3);
    assert!(
        newest[0].id > newest[1].id && newest[1].id > newest[2].id,
        "newest first"
    );
    assert_eq!(
        (newest[0].event.action, newest[0].event.outcome),
        (AuditAction::AuthFailed, Outcome::Denied)
    );
    let bobs_reveals = s
        .list_audit(&AuditFilter {
            actor: Some("bob".into()),
            action: Some(AuditAction::Reveal),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(bobs_reveals.len(), 1);
    let r = &bobs_reveals[0].event;
    assert_eq!(
        (r.secret.as_deref(), r.visibility, r.version, r.client.as_deref()),
        (Some("API_KEY"), reveal.visibility, Some(2), Some("vaultty-test/0"))
    );
    let on_key = s
        .list_audit(&AuditFilter {
            secret: Some("API_KEY".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(on_key.iter().all(|e| e.event.secret.as_deref() == Some("API_KEY")) && on_key.len() >= 4);
    let older = s
        .list_audit(&AuditFilter {
            before: Some(on_key[0].id),
            secret: Some("API_KEY".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(older.len(), on_key.len() - 1);

    // ---- concurrent writes: one group-committed batch after another ----
    let before = audit_count(s).await;
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let name = format!("CONC_{i:03}");
                let row = store
                    .write_secret(
                        write(Owner::Org, &name, None, "k1"),
                        audit(AuditAction::Create, "alice", Some(&name)),
                    )
                    .await?;
                store
                    .record_use(
                        &[row.id],
                        T0 + 7,
                        vec![audit(AuditAction::Reveal, "alice", Some(&name))],
                    )
                    .await?;
                Ok::<_, StoreError>(row.id)
            })
        })
        .collect();
    let mut ids = BTreeSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap().unwrap());
    }
    assert_eq!(ids.len(), 200);
    let conc = s
        .list_secrets(&SecretFilter {
            owners: vec![Owner::Org],
            ..Default::default()
        })
        .await
        .unwrap();
    let conc: Vec<_> = conc.into_iter().filter(|r| r.name.starts_with("CONC_")).collect();
    assert_eq!(conc.len(), 200);
    assert!(conc.iter().all(|r| r.last_used_at == Some(T0 + 7)));
    assert_eq!(
        audit_count(s).await,
        before + 400,
        "every acknowledged write has its audit record, chained"
    );

    // Racing rotations of one secret from one version: exactly one wins, the rest conflict, and
    // the losers' rollbacks do not disturb the winner in the same batch.
    let racers: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .write_secret(
                        write(Owner::Org, "CONC_000", Some(1), "k1"),
                        audit(AuditAction::Rotate, "alice", Some("CONC_000")),
                    )
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for r in racers {
        match r.await.unwrap() {
            Ok(row) => {
                assert_eq!(row.version, 2);
                wins += 1;
            }
            Err(StoreError::Conflict { current: Some(2) }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(audit_count(s).await, before + 401);

    // ---- master-key rotation: walk the rows not under k2, re-seal, until none is left ----
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

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("vault.db").display())
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_story() {
    let dir = tempfile::tempdir().unwrap();
    story(store::open(&sqlite_url(&dir)).await.unwrap()).await;
}

/// Set `VAULTTY_TEST_POSTGRES=postgres://user@host/db` (an empty database) to run the story there.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_story() {
    let Ok(url) = std::env::var("VAULTTY_TEST_POSTGRES") else {
        return;
    };
    story(store::open(&url).await.unwrap()).await;
}

// ---- SQLite specifics: the file outlives the process, and is shared between processes ----

async fn create(s: &dyn Store, name: &str) -> store::SecretRow {
    let a = audit(AuditAction::Create, "alice", Some(name));
    s.write_secret(write(Owner::Org, name, None, "k1"), a).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let first = store::open(&url).await.unwrap();
    first.init("acme", "alice", token("tok-alice", 1, 0), T0).await.unwrap();
    let row = create(&*first, "KEPT").await;
    let rot = audit(AuditAction::Rotate, "alice", Some("KEPT"));
    first
        .write_secret(write(Owner::Org, "KEPT", Some(1), "k1"), rot)
        .await
        .unwrap();
    let events = verify_chain(&*first).await;
    drop(first);

    let again = store::open(&url).await.unwrap();
    assert_eq!(again.org().await.unwrap().unwrap().name, "acme");
    assert!(again.token_by_hash(&TokenHash([1; 32])).await.unwrap().is_some());
    let kept = again.get_secret(Owner::Org, "KEPT").await.unwrap().unwrap();
    assert_eq!((kept.id, kept.version), (row.id, 2));
    assert_eq!(again.versions(kept.id).await.unwrap().len(), 2);
    assert_eq!(verify_chain(&*again).await, events);
    let init = again.init("acme", "alice", token("tok-2", 2, 0), T0).await;
    assert!(matches!(init, Err(StoreError::AlreadyInitialised)), "{init:?}");
    // The chain goes on from where the previous opening left it.
    create(&*again, "AFTER").await;
    assert_eq!(verify_chain(&*again).await, events + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_two_stores_on_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    // Opened at once on a fresh file: the migrations run once, under the file's lock.
    let (a, b) = tokio::join!(store::open(&url), store::open(&url));
    let (a, b) = (a.unwrap(), b.unwrap());
    a.init("acme", "alice", token("tok-alice", 1, 0), T0).await.unwrap();
    let refused = b.init("acme", "bob", token("tok-bob", 2, 0), T0).await;
    assert!(matches!(refused, Err(StoreError::AlreadyInitialised)), "{refused:?}");

    // Both write at once; their writers take turns on the file's lock.
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

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_refuses_bad_locations() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}", dir.path().join("no/such/dir/vault.db").display());
    let e = store::open(&missing).await.err().unwrap();
    assert!(
        matches!(&e, StoreError::Url { reason, .. } if reason.contains("does not exist")),
        "{e:?}"
    );
    assert!(!dir.path().join("no").exists(), "nothing was created");
    for url in ["sqlite://", "sqlite://:memory:", "mysql://x"] {
        let e = store::open(url).await.err().unwrap();
        assert!(matches!(e, StoreError::Url { .. }), "{url}: {e:?}");
    }
    let not_db = dir.path().join("notes.txt");
    std::fs::write(&not_db, "this is not a database, just some text that is long enough").unwrap();
    let e = store::open(&format!("sqlite://{}", not_db.display()))
        .await
        .err()
        .unwrap();
    assert!(matches!(e, StoreError::Backend(_)), "{e:?}");
}

/// The environment variable that turns `crash_child` into a writer that runs until killed.
const CRASH_DB: &str = "VAULTTY_TEST_CRASH_DB";

/// Writes for as long as it lives, printing each acknowledged write; `sqlite_acknowledged_writes_survive_kill`
/// runs it as a child process and kills it with SIGKILL. Does nothing in a normal test run.
#[tokio::test(flavor = "multi_thread")]
async fn crash_child() {
    let Ok(url) = std::env::var(CRASH_DB) else {
        return;
    };
    let s = store::open(&url).await.unwrap();
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                for i in 0.. {
                    let name = format!("W{w}_{i}");
                    let row = create(&*s, &name).await;
                    let use_audit = audit(AuditAction::Reveal, "alice", Some(&name));
                    s.record_use(&[row.id], T0, vec![use_audit]).await.unwrap();
                    println!("acked {name}");
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn sqlite_acknowledged_writes_survive_kill() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    store::open(&url)
        .await
        .unwrap()
        .init("acme", "alice", token("tok-alice", 1, 0), T0)
        .await
        .unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CRASH_DB, &url)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acked.len() < 500 {
        let line = lines.next().expect("the child stopped early").unwrap();
        if let Some(name) = line.strip_prefix("acked ") {
            acked.push(name.to_owned());
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no checkpoint, no clean close
    child.wait().unwrap();
    // Acknowledgements already in the pipe count too.
    acked.extend(
        lines
            .map_while(Result::ok)
            .filter_map(|l| l.strip_prefix("acked ").map(str::to_owned)),
    );

    let s = store::open(&url).await.unwrap();
    for name in &acked {
        let row = s.get_secret(Owner::Org, name).await.unwrap();
        assert!(
            row.is_some_and(|r| r.last_used_at == Some(T0)),
            "{name} was acknowledged, then lost"
        );
    }
    let events = verify_chain(&*s).await;
    assert!(
        events >= 2 * acked.len(),
        "{events} audit events for {} acknowledged writes",
        acked.len()
    );
}
