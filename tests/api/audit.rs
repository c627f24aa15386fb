//! The audit log: who did what, what members may see, and the hash chain that shows tampering.

use vaultty::api::{AuditAction, AuditQuery, Role, Visibility};
use vaultty::client::ClientError;

use crate::common::TestVault;
use crate::{org_upsert, upsert};

#[tokio::test(flavor = "multi_thread")]
async fn audit_log_records_who_did_what_and_members_see_their_own() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (bob, _) = v.user("bob", Role::Member).await;
    admin
        .upsert_secret(&org_upsert("ORG_KEY", "org-secret-value-1"))
        .await
        .unwrap();
    admin.reveal("ORG_KEY", true, None).await.unwrap();
    bob.upsert_secret(&upsert("MINE", "bob-secret-value-1")).await.unwrap();
    let events = admin.audit(&AuditQuery::default()).await.unwrap();
    let reveal = events.iter().find(|e| e.action == AuditAction::Reveal).unwrap();
    assert_eq!(reveal.actor.as_deref(), Some("alice"));
    assert_eq!(reveal.secret.as_deref(), Some("ORG_KEY"));
    assert_eq!(reveal.visibility, Some(Visibility::Org));
    assert_eq!(reveal.version, Some(1));
    assert!(reveal.client.as_deref().unwrap_or("").starts_with("vaultty-cli/"));
    assert_eq!(reveal.ip.as_deref(), Some("127.0.0.1"));
    assert!(events.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let bobs = bob.audit(&AuditQuery::default()).await.unwrap();
    assert!(!bobs.is_empty() && bobs.iter().all(|e| e.actor.as_deref() == Some("bob")));
    assert!(matches!(
        bob.audit(&AuditQuery {
            actor: Some("alice".into()),
            ..Default::default()
        })
        .await,
        Err(ClientError::Forbidden(_))
    ));
    let page = admin
        .audit(&AuditQuery {
            limit: Some(2),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.len(), 2);
    let next = admin
        .audit(&AuditQuery {
            limit: Some(2),
            before: Some(page[1].id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(next[0].id < page[1].id);
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_chain_verifies_and_reports_the_first_broken_link() {
    let v = TestVault::start().await;
    let admin = v.admin();
    for i in 0..20 {
        admin
            .upsert_secret(&upsert("K", &format!("value-number-{i:04}")))
            .await
            .unwrap();
    }
    let store = vaultty::vault::open_store(&v.db_url, &crate::common::keyring(&v.keys))
        .await
        .unwrap();
    let report = vaultty::vault::audit_verify(&store).await.unwrap();
    assert_eq!(report.first_broken, None);
    assert!(report.events >= 20);
    let events = admin
        .audit(&AuditQuery {
            limit: Some(1000),
            ..Default::default()
        })
        .await
        .unwrap();
    let victim = events[events.len() / 2].id;
    let db = rusqlite::Connection::open(v.db_path()).unwrap();
    db.execute("UPDATE audit SET actor = 'mallory' WHERE id = ?1", [victim])
        .unwrap();
    let report = vaultty::vault::audit_verify(&store).await.unwrap();
    assert_eq!(report.first_broken, Some(victim));
}
