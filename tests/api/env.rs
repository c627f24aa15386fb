//! `/v1/env`, the delivery for `vaultty run`: the user's own values first, the org's by policy.

use secrecy::ExposeSecret;
use vaultty::api::{AuditAction, AuditQuery, PatchOrg, Role};

use crate::common::TestVault;
use crate::{org_upsert, upsert};

#[tokio::test(flavor = "multi_thread")]
async fn env_prefers_the_users_own_and_respects_org_policy() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (bob, _) = v.user("bob", Role::Member).await;
    admin
        .upsert_secret(&org_upsert("API_KEY", "org-value-123456"))
        .await
        .unwrap();
    admin
        .upsert_secret(&org_upsert("ORG_ONLY", "org-only-value-1"))
        .await
        .unwrap();
    bob.upsert_secret(&upsert("API_KEY", "bobs-value-12345")).await.unwrap();
    // Members get the org's values only where members_can_reveal is set.
    let env = bob.env(None).await.unwrap();
    assert_eq!(env.keys().collect::<Vec<_>>(), vec!["API_KEY"]);
    admin
        .patch_org(&PatchOrg {
            members_can_reveal: Some(true),
        })
        .await
        .unwrap();
    let env = bob.env(None).await.unwrap();
    assert_eq!(env["API_KEY"].expose_secret(), "bobs-value-12345");
    assert_eq!(env["ORG_ONLY"].expose_secret(), "org-only-value-1");
    let events = admin
        .audit(&AuditQuery {
            action: Some(AuditAction::Env),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.actor.as_deref() == Some("bob") && e.secret.as_deref() == Some("ORG_ONLY"))
    );
}
