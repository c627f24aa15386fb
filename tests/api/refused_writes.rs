//! A refused write is recorded as what it would have been.

use vaultty::api::{AuditAction, AuditQuery, Outcome, Role};

use crate::common::TestVault;
use crate::org_upsert;

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_write_of_a_new_secret_is_audited_as_a_create() {
    let v = TestVault::start().await;
    let (bob, _) = v.user("bob", Role::Member).await;
    v.admin()
        .upsert_secret(&org_upsert("THERE", "value-0000"))
        .await
        .unwrap();
    for name in ["NOT_THERE", "THERE"] {
        assert!(bob.upsert_secret(&org_upsert(name, "value-1111")).await.is_err());
    }
    let denied = |name: &'static str| {
        let admin = v.admin();
        async move {
            let q = AuditQuery {
                secret: Some(name.into()),
                actor: Some("bob".into()),
                ..Default::default()
            };
            let events = admin.audit(&q).await.unwrap();
            assert_eq!(events.len(), 1, "{events:?}");
            assert_eq!(events[0].outcome, Outcome::Denied);
            events[0].action
        }
    };
    assert_eq!(denied("NOT_THERE").await, AuditAction::Create);
    assert_eq!(denied("THERE").await, AuditAction::Rotate);
}
