//! Disabling a user locks all their tokens out at once, mid-session, without touching their
//! secrets; enabling them gives the same tokens back. The org never loses its last admin.

use secrecy::ExposeSecret;
use vaultty::api::{AuditAction, Outcome, PatchUser, Role};
use vaultty::client::ClientError;

use super::{MEMBER, targeted};
use crate::common::TestVault;
use crate::upsert;

fn disable(disabled: bool) -> PatchUser {
    PatchUser {
        disabled: Some(disabled),
        role: None,
    }
}

fn role(role: Role) -> PatchUser {
    PatchUser {
        role: Some(role),
        disabled: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disabled_user_is_locked_out_at_once_and_back_when_enabled() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (bob, _) = v.user("bob", MEMBER).await;
    bob.upsert_secret(&upsert("BOB_PRIVATE", "bob-private-value-123"))
        .await
        .unwrap();
    let second = bob
        .create_token(&vaultty::api::CreateToken::user("laptop", None))
        .await
        .unwrap();
    let laptop = v.client(&second.token);
    assert!(laptop.me().await.is_ok());

    let info = admin.patch_user("bob", &disable(true)).await.unwrap();
    assert!(info.disabled);
    for client in [&bob, &laptop] {
        match client.me().await {
            Err(ClientError::Unauthorized(m)) => assert!(m.contains("disabled"), "{m}"),
            other => panic!("expected unauthorized, got {other:?}"),
        }
        assert!(matches!(
            client.reveal("BOB_PRIVATE", false, None).await,
            Err(ClientError::Unauthorized(_))
        ));
    }
    // The admin still cannot reveal bob's private secret: disabling hands nothing over.
    let all = admin
        .list_secrets(&vaultty::api::ListQuery {
            all: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(all.iter().any(|s| s.name == "BOB_PRIVATE"), "the secret is still there");
    assert!(admin.reveal("BOB_PRIVATE", false, None).await.is_err());
    let users = admin.list_users().await.unwrap();
    let listed = users.iter().find(|u| u.name == "bob").unwrap();
    assert!(listed.disabled && listed.enrolled);
    assert_eq!(listed.tokens, 2, "the tokens are kept, only refused");

    admin.patch_user("bob", &disable(false)).await.unwrap();
    assert_eq!(
        bob.reveal("BOB_PRIVATE", false, None)
            .await
            .unwrap()
            .value
            .expose_secret(),
        "bob-private-value-123"
    );
    assert!(laptop.me().await.is_ok());
    let rows = targeted(&admin, AuditAction::UserDisable, "bob").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(targeted(&admin, AuditAction::UserEnable, "bob").await.len(), 1);
    // A no-op change writes nothing.
    admin.patch_user("bob", &disable(false)).await.unwrap();
    assert_eq!(targeted(&admin, AuditAction::UserEnable, "bob").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_active_admin_cannot_be_demoted_or_disabled() {
    let v = TestVault::start().await;
    let admin = v.admin();
    for patch in [role(Role::Member), disable(true)] {
        match admin.patch_user("alice", &patch).await {
            Err(ClientError::Conflict { message, .. }) => {
                assert!(message.contains("last active admin"), "{message}");
            }
            other => panic!("expected conflict, got {other:?}"),
        }
    }
    assert_eq!(admin.me().await.unwrap().role, Role::Admin, "nothing changed");
    let denied: Vec<Outcome> = super::audit(&admin)
        .await
        .into_iter()
        .filter(|e| e.target.as_deref() == Some("alice"))
        .map(|e| e.outcome)
        .collect();
    assert_eq!(denied, [Outcome::Denied, Outcome::Denied], "both refusals are audited");

    // With a second admin, either may step down, but not both.
    let (bob, _) = v.user("bob", MEMBER).await;
    admin.patch_user("bob", &role(Role::Admin)).await.unwrap();
    admin.patch_user("alice", &role(Role::Member)).await.unwrap();
    assert!(
        matches!(admin.list_users().await, Err(ClientError::Forbidden(_))),
        "alice is a member now"
    );
    assert!(matches!(
        bob.patch_user("bob", &disable(true)).await,
        Err(ClientError::Conflict { .. })
    ));
    // A disabled admin does not count: re-enable alice as admin, disable her, and bob is last.
    bob.patch_user("alice", &role(Role::Admin)).await.unwrap();
    bob.patch_user("alice", &disable(true)).await.unwrap();
    assert!(matches!(
        bob.patch_user("bob", &role(Role::Member)).await,
        Err(ClientError::Conflict { .. })
    ));
}
