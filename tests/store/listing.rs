//! Chapter: listing by namespace, category and scope, and the delivery of current values.

use vaultty::store::{self, AuditAction, Category, Owner, Scope, SecretFilter, SecretWrite, Store};

use crate::backends::Db;
use crate::fixtures::{acme, audit, put, verify_chain, write};

pub async fn chapter(db: &Db) {
    let store = db.open().await;
    let s: &dyn Store = &*store;
    let (alice, bob) = acme(s).await;
    put(s, Owner::Org, "API_KEY", 2).await;
    put(s, Owner::Org, "PRUNED", 6).await;
    put(s, Owner::User(bob.id), "API_KEY", 1).await;

    let tool = SecretWrite {
        scope: Some(Scope::Tools),
        category: Some(Category::Tool),
        ..write(Owner::User(bob.id), "B_TOOL", None, "k1")
    };
    s.write_secret(tool, audit(AuditAction::Create, "bob", Some("B_TOOL")))
        .await
        .unwrap();
    let agent = SecretWrite {
        scope: Some(Scope::Agents),
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
            ("API_KEY".to_owned(), "v2:k1:API_KEY:2:TAG".to_owned()),
            ("PRUNED".to_owned(), "v2:k1:PRUNED:6:TAG".to_owned()),
            ("API_KEY".to_owned(), "v2:k1:API_KEY:1:TAG".to_owned()),
        ],
        "scope all or agents, B_TOOL (tools) left out, current versions' sealed text"
    );
    let for_tools = s.deliverable(&[Owner::User(bob.id)], Some(Scope::Tools)).await.unwrap();
    assert_eq!(for_tools.len(), 2);
    let any_scope = s.deliverable(&[Owner::User(bob.id), Owner::Org], None).await.unwrap();
    assert_eq!(any_scope.len(), 4, "no scope asked: every scope, B_TOOL included");

    verify_chain(s).await;
}
