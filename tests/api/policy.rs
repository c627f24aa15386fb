//! Who may reveal what: owners, admins, members under the org setting, and write-only secrets.

use secrecy::ExposeSecret;
use vaultty::api::{AuditQuery, Outcome, PatchOrg, PatchSecret, Role, Scope};
use vaultty::client::ClientError;

use crate::common::TestVault;
use crate::{org_upsert, upsert};

#[tokio::test(flavor = "multi_thread")]
async fn reveal_policy_from_both_sides() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (bob, _) = v.user("bob", Role::Member).await;
    admin
        .upsert_secret(&org_upsert("ORG_KEY", "org-secret-value-1"))
        .await
        .unwrap();
    bob.upsert_secret(&upsert("BOB_KEY", "bob-secret-value-1"))
        .await
        .unwrap();

    // Owner reveals own; an admin has no way to reach a member's private value.
    assert_eq!(
        bob.reveal("BOB_KEY", false, None).await.unwrap().value.expose_secret(),
        "bob-secret-value-1"
    );
    assert!(matches!(
        admin.reveal("BOB_KEY", false, None).await,
        Err(ClientError::NotFound(_))
    ));

    // Org values: admins yes, members only with members_can_reveal.
    assert!(admin.reveal("ORG_KEY", true, None).await.is_ok());
    assert!(matches!(
        bob.reveal("ORG_KEY", false, None).await,
        Err(ClientError::Forbidden(_))
    ));
    assert!(matches!(
        bob.patch_org(&PatchOrg {
            members_can_reveal: Some(true)
        })
        .await,
        Err(ClientError::Forbidden(_))
    ));
    let org = admin
        .patch_org(&PatchOrg {
            members_can_reveal: Some(true),
        })
        .await
        .unwrap();
    assert!(org.members_can_reveal);
    assert!(bob.org().await.unwrap().members_can_reveal);
    assert_eq!(
        bob.reveal("ORG_KEY", false, None).await.unwrap().value.expose_secret(),
        "org-secret-value-1"
    );

    // Only admins write org secrets.
    assert!(matches!(
        bob.upsert_secret(&org_upsert("ORG_KEY", "hijacked-value")).await,
        Err(ClientError::Forbidden(_))
    ));
    assert!(matches!(
        bob.patch_secret(
            "ORG_KEY",
            true,
            &PatchSecret {
                description: Some("x".into()),
                ..Default::default()
            }
        )
        .await,
        Err(ClientError::Forbidden(_))
    ));
    assert!(matches!(
        bob.delete_secret("ORG_KEY", true).await,
        Err(ClientError::Forbidden(_))
    ));
    assert_eq!(
        admin.reveal("ORG_KEY", true, None).await.unwrap().value.expose_secret(),
        "org-secret-value-1"
    );

    // Only admins create users.
    let req = vaultty::api::CreateUser {
        name: "carol".into(),
        role: Role::Admin,
        expires_in: None,
    };
    assert!(matches!(bob.create_user(&req).await, Err(ClientError::Forbidden(_))));

    // The denied attempts are in the audit log.
    let denied = admin
        .audit(&AuditQuery {
            actor: Some("bob".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.outcome == Outcome::Denied)
        .count();
    assert!(denied >= 5, "denied events recorded: {denied}");
}

#[tokio::test(flavor = "multi_thread")]
async fn write_only_secrets_are_delivered_never_revealed() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let mut req = upsert("DEPLOY_TOKEN", "deploy-token-value-1");
    req.revealable = Some(false);
    req.scope = Some(Scope::Sandboxes);
    admin.upsert_secret(&req).await.unwrap();
    admin
        .upsert_secret(&upsert("GENERAL", "general-value-12"))
        .await
        .unwrap();
    let mut agents_only = upsert("AGENT_ONLY", "agent-only-value");
    agents_only.scope = Some(Scope::Agents);
    admin.upsert_secret(&agents_only).await.unwrap();

    let err = admin.reveal("DEPLOY_TOKEN", false, None).await.unwrap_err();
    assert!(
        matches!(&err, ClientError::Forbidden(m) if m.contains("write-only")),
        "{err}"
    );
    // Write-only is one way, by PATCH and by upsert.
    let back = PatchSecret {
        revealable: Some(true),
        ..Default::default()
    };
    assert!(matches!(
        admin.patch_secret("DEPLOY_TOKEN", false, &back).await,
        Err(ClientError::Invalid(_))
    ));
    let mut again = upsert("DEPLOY_TOKEN", "deploy-token-value-2");
    again.revealable = Some(true);
    assert!(matches!(
        admin.upsert_secret(&again).await,
        Err(ClientError::Invalid(_))
    ));

    let env = admin.env(Some(Scope::Sandboxes)).await.unwrap();
    assert_eq!(env.keys().collect::<Vec<_>>(), vec!["DEPLOY_TOKEN", "GENERAL"]);
    assert_eq!(env["DEPLOY_TOKEN"].expose_secret(), "deploy-token-value-1");
    let env = admin.env(Some(Scope::Agents)).await.unwrap();
    assert_eq!(env.keys().collect::<Vec<_>>(), vec!["AGENT_ONLY", "GENERAL"]);
    let env = admin.env(None).await.unwrap();
    assert_eq!(
        env.keys().collect::<Vec<_>>(),
        vec!["AGENT_ONLY", "DEPLOY_TOKEN", "GENERAL"],
        "no scope: every scope"
    );
    assert!(admin.get_secret("GENERAL", false).await.unwrap().last_used_at.is_some());
}
