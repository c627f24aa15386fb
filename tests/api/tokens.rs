//! Bearer tokens: creation, revocation and expiry, by the vault's clock.

use std::time::Duration;

use secrecy::ExposeSecret;
use vaultty::api::{AuditAction, AuditQuery, CreateToken};
use vaultty::client::ClientError;

use crate::common::{TestVault, secret};

#[tokio::test(flavor = "multi_thread")]
async fn tokens_expire_and_revoke_on_the_next_request() {
    let (v, clock) = TestVault::with_manual_clock().await;
    let admin = v.admin();
    let created = admin
        .create_token(&CreateToken::user("ci", None))
        .await
        .unwrap();
    assert!(created.token.expose_secret().starts_with("vt_"));
    assert_eq!(created.token.expose_secret().len(), 46);
    let ci = v.client(&created.token);
    assert_eq!(ci.me().await.unwrap().user, "alice");
    let listed = admin.list_tokens().await.unwrap();
    assert!(listed.iter().any(|t| t.id == created.id && t.name == "ci"));
    admin.revoke_token(&created.id).await.unwrap();
    assert!(matches!(ci.me().await, Err(ClientError::Unauthorized(_))));
    assert!(!admin.list_tokens().await.unwrap().iter().any(|t| t.id == created.id));

    let short = admin
        .create_token(&CreateToken::user("short", Some(1)))
        .await
        .unwrap();
    let short_client = v.client(&short.token);
    assert!(short_client.me().await.is_ok());
    // Valid up to its last millisecond, expired at the second's end: by the vault's clock, not a sleep.
    clock.advance(Duration::from_millis(999));
    assert!(short_client.me().await.is_ok());
    clock.advance(Duration::from_millis(1));
    match short_client.me().await {
        Err(ClientError::Unauthorized(m)) => assert!(m.contains("expired"), "{m}"),
        other => panic!("expected unauthorized, got {other:?}"),
    }
    assert!(!admin.list_tokens().await.unwrap().iter().any(|t| t.id == short.id));
    assert!(matches!(
        v.client(&secret("vt_not-a-real-token")).me().await,
        Err(ClientError::Unauthorized(_))
    ));
    let failures = admin
        .audit(&AuditQuery {
            action: Some(AuditAction::AuthFailed),
            ..Default::default()
        })
        .await
        .unwrap();
    // Both failures: the first as its own row, the second counted in the address's summary row,
    // written when the minute is over (see auth_limits.rs).
    assert!(!failures.is_empty());
}
