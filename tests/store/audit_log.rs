//! Chapter: uses (last_used_at only moves forward, with their audit records) and reading the
//! audit log: newest first, by actor, action and secret, paged.

use vaultty::store::{self, AuditAction, AuditFilter, NewAudit, Outcome, Owner, Store};

use crate::backends::Db;
use crate::fixtures::{T0, acme, audit, audit_count, put, verify_chain};

pub async fn chapter(db: &Db) {
    let store = db.open().await;
    let s: &dyn Store = &*store;
    let (_, bob) = acme(s).await;
    let rotated = put(s, Owner::Org, "API_KEY", 2).await;
    let mine = put(s, Owner::User(bob.id), "API_KEY", 1).await;

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

    verify_chain(s).await;
}
