//! `/v1/env`, the delivery for `vaultty run`: the user's own values first, the org's by policy.

use secrecy::ExposeSecret;
use vaultty::api::{AuditAction, AuditEvent, AuditQuery, EnvResponse, Outcome, PatchOrg, Role, Visibility};

use crate::common::TestVault;
use crate::{org_upsert, upsert};
use tamper::move_ciphertext;

#[path = "../common/tamper.rs"]
mod tamper;

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

async fn env_events(v: &TestVault, secret: &str) -> Vec<AuditEvent> {
    v.admin()
        .audit(&AuditQuery {
            action: Some(AuditAction::Env),
            secret: Some(secret.to_owned()),
            ..Default::default()
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_value_that_does_not_open_is_skipped_listed_and_audited_and_the_rest_arrive() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin.upsert_secret(&upsert("GOOD", "good-value-0001")).await.unwrap();
    admin.upsert_secret(&upsert("BROKEN", "broken-value-02")).await.unwrap();
    admin
        .upsert_secret(&org_upsert("ORG_GOOD", "org-value-0003"))
        .await
        .unwrap();
    move_ciphertext(&v.db_path(), "GOOD", "BROKEN", false);

    let answer = admin.env_answer(&Default::default()).await.unwrap();
    assert_eq!(answer.env.keys().collect::<Vec<_>>(), ["GOOD", "ORG_GOOD"]);
    assert_eq!(answer.env["GOOD"].expose_secret(), "good-value-0001");
    assert_eq!(answer.skipped.len(), 1, "{:?}", answer.skipped);
    assert_eq!(answer.skipped[0].name, "BROKEN");
    assert_eq!(answer.skipped[0].visibility, Visibility::User);
    assert!(
        answer.skipped[0].reason.contains("does not open"),
        "{:?}",
        answer.skipped
    );

    // On the wire: the skipped row by name and reason, never a value or a ciphertext.
    let (status, body) = v.api().post("/v1/env").token(&v.admin_token).send().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["skipped"][0]["name"], "BROKEN");
    assert_eq!(body["skipped"][0]["visibility"], "user");
    let text = body["skipped"].to_string();
    assert!(!text.contains("value-0") && !text.contains("v1:"), "{text}");

    let broken = env_events(&v, "BROKEN").await;
    assert!(!broken.is_empty());
    assert!(broken.iter().all(|e| e.outcome == Outcome::Denied), "{broken:?}");
    let good = env_events(&v, "GOOD").await;
    assert!(!good.is_empty());
    assert!(good.iter().all(|e| e.outcome == Outcome::Ok), "{good:?}");
    // Only delivered values get last_used_at.
    let broken_meta = admin.get_secret("BROKEN", false).await.unwrap();
    assert_eq!(broken_meta.last_used_at, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_answer_names_the_write_only_secrets_and_still_delivers_them() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let mut hidden = upsert("HIDDEN", "hidden-value-0001");
    hidden.revealable = Some(false);
    admin.upsert_secret(&hidden).await.unwrap();
    admin.upsert_secret(&upsert("PLAIN", "plain-value-0002")).await.unwrap();
    let answer = admin.env_answer(&Default::default()).await.unwrap();
    assert_eq!(answer.write_only, ["HIDDEN"]);
    assert_eq!(answer.env["HIDDEN"].expose_secret(), "hidden-value-0001");
    assert!(answer.skipped.is_empty());
    let (_, body) = v.api().post("/v1/env").token(&v.admin_token).send().await;
    assert_eq!(body["writeOnly"], serde_json::json!(["HIDDEN"]));
}

/// An answer from a server that predates `writeOnly` and `skipped` still reads.
#[test]
fn an_older_servers_answer_still_reads() {
    let answer: EnvResponse = serde_json::from_str(r#"{"env": {"A": "b"}}"#).unwrap();
    assert_eq!(answer.env["A"].expose_secret(), "b");
    assert!(answer.write_only.is_empty() && answer.skipped.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shadowed_org_secret_is_neither_opened_nor_audited() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin
        .upsert_secret(&org_upsert("API_KEY", "org-value-00001"))
        .await
        .unwrap();
    admin
        .upsert_secret(&upsert("API_KEY", "own-value-00002"))
        .await
        .unwrap();
    admin.upsert_secret(&upsert("OTHER", "other-value-0003")).await.unwrap();
    // The org row cannot even be opened: had it been opened, it would be listed as skipped.
    move_ciphertext(&v.db_path(), "OTHER", "API_KEY", true);
    let answer = admin.env_answer(&Default::default()).await.unwrap();
    assert_eq!(answer.env["API_KEY"].expose_secret(), "own-value-00002");
    assert!(answer.skipped.is_empty(), "{:?}", answer.skipped);
    let events = env_events(&v, "API_KEY").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].visibility, Some(Visibility::User));
    assert_eq!(events[0].outcome, Outcome::Ok);
    let org_meta = admin.get_secret("API_KEY", true).await.unwrap();
    assert_eq!(org_meta.last_used_at, None);
}
