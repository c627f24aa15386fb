//! A new member joins with a single-use enrolment code that expires; the admin never holds
//! their token, and cannot enrol an existing member again.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use vaultty::api::{AuditAction, CreateUser, NewEnrolment, Outcome, Role};
use vaultty::client::{ClientError, ClientOptions, VaultClient};

use super::targeted;
use crate::common::{self, TestVault};

fn anonymous(v: &TestVault) -> VaultClient {
    VaultClient::new(&v.url(), None, ClientOptions::default()).unwrap()
}

fn create(name: &str, expires_in: Option<u64>) -> CreateUser {
    CreateUser {
        name: name.into(),
        role: Role::Member,
        expires_in,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enrolment_code_works_once_and_the_admin_never_sees_a_token() {
    let v = TestVault::start().await;
    let admin = v.admin();
    // The raw answer holds a code and its expiry, and no token.
    let (status, body) = v
        .api()
        .post("/v1/users")
        .token(&v.admin_token)
        .json(&json!({"name": "bob"}))
        .send()
        .await;
    assert_eq!(status, 201, "{body}");
    let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "expires_at", "role", "user"]);
    let code = body["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("ve_") && code.len() == 46, "{code}");
    assert!(!body.to_string().contains("vt_"));

    let enrolled = anonymous(&v).enroll(SecretString::from(code.clone())).await.unwrap();
    assert_eq!(
        (enrolled.user.as_str(), enrolled.org.as_str(), enrolled.role),
        ("bob", "acme", Role::Member)
    );
    let bob = v.client(&enrolled.token);
    assert_eq!(bob.me().await.unwrap().user, "bob");
    let tokens = bob.list_tokens().await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        (tokens[0].id.as_str(), tokens[0].expires_at, tokens[0].parent.as_deref()),
        (enrolled.id.as_str(), None, None)
    );

    // A second use is refused, and audited naming bob.
    match anonymous(&v).enroll(SecretString::from(code.clone())).await {
        Err(ClientError::Unauthorized(m)) => assert!(m.contains("used"), "{m}"),
        other => panic!("expected unauthorized, got {other:?}"),
    }
    let rows = targeted(&admin, AuditAction::Enroll, "bob").await;
    let outcomes: Vec<(Outcome, Option<&str>)> = rows.iter().map(|e| (e.outcome, e.actor.as_deref())).collect();
    assert_eq!(outcomes, [(Outcome::Denied, None), (Outcome::Ok, Some("bob"))]);
    let created = targeted(&admin, AuditAction::UserCreate, "bob").await;
    assert_eq!(created.len(), 1);

    // An existing user is never enrolled again: an admin could otherwise become bob.
    match admin.new_enrolment("bob", &NewEnrolment::default()).await {
        Err(ClientError::Conflict { message, .. }) => assert!(message.contains("enrolled"), "{message}"),
        other => panic!("expected conflict, got {other:?}"),
    }
    // The code never reaches the audit log.
    let (_, audit) = v.api().get("/v1/audit?limit=1000").token(&v.admin_token).send().await;
    assert!(!audit.to_string().contains(&code));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enrolment_code_expires_and_a_new_one_replaces_it() {
    let (v, clock) = TestVault::with_manual_clock().await;
    let admin = v.admin();
    let first = admin.create_user(&create("carol", Some(60))).await.unwrap();
    let default = admin.create_user(&create("dave", None)).await.unwrap();
    let day = default.expires_at.unix_timestamp() - clock.now_millis() / 1000;
    assert_eq!(day, 86_400, "24 hours by default");
    clock.advance(Duration::from_secs(60));
    match anonymous(&v).enroll(first.code).await {
        Err(ClientError::Unauthorized(m)) => assert!(m.contains("expired"), "{m}"),
        other => panic!("expected expired, got {other:?}"),
    }
    let again = admin
        .new_enrolment("carol", &NewEnrolment { expires_in: Some(600) })
        .await
        .unwrap();
    let carol = anonymous(&v).enroll(again.code).await.unwrap();
    assert_eq!(v.client(&carol.token).me().await.unwrap().user, "carol");
    let reissued = targeted(&admin, AuditAction::UserEnrolment, "carol").await;
    assert_eq!(reissued.len(), 1);

    // Out of range lifetimes are refused.
    for bad in [0, 30 * 86_400 + 1] {
        let err = admin.create_user(&create("erin", Some(bad))).await.unwrap_err();
        assert!(matches!(err, ClientError::Invalid(_)), "{bad}: {err:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_code_is_a_failed_authentication() {
    let v = TestVault::start_with(common::Options {
        auth_failure_limit: 3,
        ..Default::default()
    })
    .await;
    let enrolment = v.admin().create_user(&create("bob", None)).await.unwrap();
    assert!(
        !format!("{enrolment:?}").contains("ve_"),
        "a code never shows in Debug output"
    );
    for _ in 0..3 {
        let err = anonymous(&v)
            .enroll(SecretString::from("ve_guess".to_owned()))
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::Unauthorized(_)), "{err:?}");
    }
    // Past the address's limit even the right code waits: guessing codes is limited like tokens.
    let err = anonymous(&v).enroll(enrolment.code).await.unwrap_err();
    assert!(matches!(err, ClientError::RateLimited { .. }), "{err:?}");
    let failed = super::audit(&v.admin())
        .await
        .into_iter()
        .filter(|e| e.action == AuditAction::AuthFailed)
        .count();
    assert!(failed >= 1, "the guesses reach the audit log");
}
