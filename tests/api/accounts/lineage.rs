//! A token never outlives the token that created it, and revoking a token revokes everything it
//! created, transitively, and nothing else.

use std::time::Duration;

use secrecy::SecretString;
use vaultty::api::{AuditAction, CreateToken};
use vaultty::client::{ClientError, VaultClient};

use super::targeted;
use crate::common::TestVault;

async fn mint(from: &VaultClient, name: &str, expires_in: Option<u64>) -> (String, SecretString, Option<i64>) {
    let created = from
        .create_token(&CreateToken::user(name, expires_in))
        .await
        .unwrap();
    // Whole seconds: timestamps travel to the second.
    let expires = created.expires_at.map(time::OffsetDateTime::unix_timestamp);
    (created.id, created.token, expires)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_child_token_expires_no_later_than_its_parent() {
    let (v, clock) = TestVault::with_manual_clock().await;
    let admin = v.admin();
    // From a token with no expiry, an omitted lifetime is no expiry, and a given one is kept.
    let (_, _, forever) = mint(&admin, "forever", None).await;
    assert_eq!(forever, None);
    let (hour_id, hour, hour_expires) = mint(&admin, "ci-hour", Some(3600)).await;
    let hour_expires = hour_expires.unwrap();
    let now_secs = clock.now_millis() / 1000;
    assert_eq!(hour_expires, now_secs + 3600);

    // From the one-hour token: omitted -> the parent's expiry; longer -> capped; shorter -> kept.
    let ci = v.client(&hour);
    let (omitted_id, omitted, omitted_expires) = mint(&ci, "omitted", None).await;
    assert_eq!(
        omitted_expires,
        Some(hour_expires),
        "an omitted lifetime is the parent's"
    );
    let (_, longer, longer_expires) = mint(&ci, "longer", Some(30 * 86_400)).await;
    assert_eq!(longer_expires, Some(hour_expires), "a longer lifetime is capped");
    let (_, shorter, shorter_expires) = mint(&ci, "shorter", Some(60)).await;
    assert_eq!(shorter_expires, Some(now_secs + 60), "a shorter one is kept");
    // And a grandchild of the omitted one: still the hour.
    let (_, _, grandchild_expires) = mint(&v.client(&omitted), "grandchild", Some(86_400)).await;
    assert_eq!(grandchild_expires, Some(hour_expires));

    let listed = admin.list_tokens().await.unwrap();
    let omitted_info = listed.iter().find(|t| t.id == omitted_id).unwrap();
    assert_eq!(omitted_info.parent.as_deref(), Some(hour_id.as_str()));

    // An hour on, the whole family has expired: the leaked CI token minted nothing lasting.
    clock.advance(Duration::from_secs(3600));
    for token in [&hour, &omitted, &longer, &shorter] {
        match v.client(token).me().await {
            Err(ClientError::Unauthorized(m)) => assert!(m.contains("expired"), "{m}"),
            other => panic!("expected expired, got {other:?}"),
        }
    }
    assert!(admin.me().await.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn revoking_a_token_revokes_what_it_created_and_nothing_else() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (ci_id, ci, _) = mint(&admin, "ci", None).await;
    let (job_id, job, _) = mint(&v.client(&ci), "job", None).await;
    let (step_id, step, _) = mint(&v.client(&job), "step", None).await;
    let (_, laptop, _) = mint(&admin, "laptop", None).await;
    for t in [&ci, &job, &step, &laptop] {
        assert!(v.client(t).me().await.is_ok());
    }
    // Revoked by the job token's own holder: the job and the step go, the ci parent stays.
    v.client(&job).revoke_token(&job_id).await.unwrap();
    assert!(matches!(v.client(&job).me().await, Err(ClientError::Unauthorized(_))));
    assert!(matches!(v.client(&step).me().await, Err(ClientError::Unauthorized(_))));
    assert!(v.client(&ci).me().await.is_ok(), "the parent is untouched");

    let (job2_id, job2, _) = mint(&v.client(&ci), "job2", None).await;
    admin.revoke_token(&ci_id).await.unwrap();
    for t in [&ci, &job2] {
        match v.client(t).me().await {
            Err(ClientError::Unauthorized(m)) => assert!(m.contains("revoked"), "{m}"),
            other => panic!("expected revoked, got {other:?}"),
        }
    }
    assert!(v.client(&laptop).me().await.is_ok(), "a sibling is untouched");
    assert!(admin.me().await.is_ok());

    // One audit row per revoked token, each naming it.
    for id in [&ci_id, &job_id, &step_id, &job2_id] {
        let rows = targeted(&admin, AuditAction::TokenRevoke, id).await;
        assert_eq!(rows.len(), 1, "{id}: {rows:?}");
    }
    let created = targeted(&admin, AuditAction::TokenCreate, &job_id).await;
    assert_eq!(created.len(), 1, "token_create names the new token");
    assert_eq!(created[0].actor.as_deref(), Some("alice"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_listing_shows_kind_parent_last_use_and_never_a_token() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (ci_id, ci, _) = mint(&admin, "ci", None).await;
    let ci_client = v.client(&ci);
    ci_client.me().await.unwrap();
    let (status, body) = v.api().get("/v1/tokens").token(&ci).send().await;
    assert_eq!(status, 200);
    let tokens = body["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    let mine = tokens.iter().find(|t| t["id"] == ci_id.as_str()).unwrap();
    let mut keys: Vec<&str> = mine.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "current",
            "expires_at",
            "id",
            "kind",
            "last_used_at",
            "name",
            "parent"
        ]
    );
    assert_eq!(mine["kind"], "user");
    assert_eq!(mine["current"], true);
    assert!(mine["last_used_at"].is_string(), "used a moment ago: {mine}");
    let first = tokens.iter().find(|t| t["id"] != ci_id.as_str()).unwrap();
    assert_eq!(
        first["parent"],
        serde_json::Value::Null,
        "admin init's token has no parent"
    );
    assert_eq!(first["current"], false);
    assert_eq!(mine["parent"], first["id"]);
    assert!(!body.to_string().contains("vt_"), "no token in a listing");
}

/// A leaked short-lived admin token cannot outlive itself through a user it adds either: the
/// enrolment code would give a lasting account, so a token that expires cannot ask for one.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_that_expires_cannot_add_users() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (_, hour, _) = mint(&admin, "ci-hour", Some(3600)).await;
    let short = v.client(&hour);
    let create = |name: &str| vaultty::api::CreateUser {
        name: name.into(),
        role: vaultty::api::Role::Admin,
        expires_in: None,
    };
    match short.create_user(&create("mallory")).await {
        Err(ClientError::Forbidden(m)) => assert!(m.contains("expires"), "{m}"),
        other => panic!("expected forbidden, got {other:?}"),
    }
    admin.create_user(&create("dave")).await.unwrap();
    let again = short
        .new_enrolment("dave", &vaultty::api::NewEnrolment::default())
        .await;
    assert!(matches!(again, Err(ClientError::Forbidden(_))), "{again:?}");
    assert!(admin.list_users().await.unwrap().iter().all(|u| u.name != "mallory"));
    let denied: Vec<(AuditAction, Option<String>)> = super::audit(&admin)
        .await
        .into_iter()
        .filter(|e| e.outcome == vaultty::api::Outcome::Denied)
        .map(|e| (e.action, e.target))
        .collect();
    assert_eq!(
        denied,
        [
            (AuditAction::UserEnrolment, Some("dave".to_owned())),
            (AuditAction::UserCreate, Some("mallory".to_owned())),
        ]
    );
    // A token without an expiry, made from the lasting one, can.
    let (_, lasting, _) = mint(&admin, "laptop", None).await;
    v.client(&lasting).create_user(&create("erin")).await.unwrap();
}
