//! Runner tokens (`vr_…`): delivery-only, bound to a scope and a namespace. What a leaked runner
//! token can do is the question each test answers: fetch its own bundle and hear of its changes,
//! nothing else, and every other attempt is on the record.

use std::time::Duration;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use vaultty::api::{
    AuditAction, AuditQuery, CreateToken, EnvRequest, Outcome, PatchOrg, PatchUser, Role, Scope, TokenKind,
    UpsertSecret,
};
use vaultty::client::{ClientError, ServerEvent, VaultClient};

use crate::common::TestVault;
use crate::{org_upsert, upsert};

/// A runner token made by `by`: `scope`, and the org's namespace when `org_wide`.
async fn runner(by: &VaultClient, name: &str, scope: Scope, org_wide: bool) -> (String, SecretString) {
    let created = by
        .create_token(&CreateToken {
            kind: Some(TokenKind::Runner),
            scope: Some(scope),
            org_wide: Some(org_wide),
            ..CreateToken::user(name, None)
        })
        .await
        .unwrap();
    (created.id, created.token)
}

fn scoped(mut u: UpsertSecret, scope: Scope) -> UpsertSecret {
    u.scope = Some(scope);
    u
}

async fn delivered(c: &VaultClient) -> Vec<String> {
    c.env_answer(&EnvRequest::default())
        .await
        .unwrap()
        .env
        .into_keys()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_org_runner_is_delivered_its_scope_of_the_org_and_nothing_else() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin
        .upsert_secret(&scoped(org_upsert("AGENT_KEY", "agent-value"), Scope::Agents))
        .await
        .unwrap();
    admin
        .upsert_secret(&org_upsert("SHARED_KEY", "shared-value"))
        .await
        .unwrap();
    admin
        .upsert_secret(&scoped(org_upsert("TOOL_KEY", "tool-value"), Scope::Tools))
        .await
        .unwrap();
    admin
        .upsert_secret(&scoped(upsert("ALICE_AGENT", "alice-private"), Scope::Agents))
        .await
        .unwrap();

    let (id, token) = runner(&admin, "ci-agents", Scope::Agents, true).await;
    assert!(
        token.expose_secret().starts_with("vr_"),
        "a runner token has its own prefix"
    );
    assert_eq!(token.expose_secret().len(), 46);
    let ci = v.client(&token);
    let answer = ci.env_answer(&EnvRequest::default()).await.unwrap();
    assert_eq!(
        answer.env.keys().collect::<Vec<_>>(),
        ["AGENT_KEY", "SHARED_KEY"],
        "the org's agents and all-scope secrets; not tools, not its user's private ones"
    );
    assert_eq!(answer.env["AGENT_KEY"].expose_secret(), "agent-value");
    // Asking for its own scope is the same; asking for another is refused, and recorded.
    let same = EnvRequest {
        scope: Some(Scope::Agents),
        ..EnvRequest::default()
    };
    assert_eq!(ci.env_answer(&same).await.unwrap().env.len(), 2);
    let other = EnvRequest {
        scope: Some(Scope::Tools),
        ..EnvRequest::default()
    };
    match ci.env_answer(&other).await {
        Err(ClientError::Forbidden(m)) => assert!(m.contains("scope agents"), "{m}"),
        other => panic!("expected 403, got {other:?}"),
    }

    // Its deliveries name the runner as the client; the token's id and kind are listed.
    let events = admin
        .audit(&AuditQuery {
            action: Some(AuditAction::Env),
            ..Default::default()
        })
        .await
        .unwrap();
    let agent = events
        .iter()
        .find(|e| e.secret.as_deref() == Some("AGENT_KEY") && e.outcome == Outcome::Ok)
        .expect("the delivery is audited");
    assert_eq!(agent.actor.as_deref(), Some("alice"));
    assert_eq!(agent.client.as_deref(), Some("ci-agents"));
    assert!(
        events
            .iter()
            .any(|e| e.secret.is_none() && e.outcome == Outcome::Denied && e.client.as_deref() == Some("ci-agents")),
        "the refused scope is audited: {events:?}"
    );
    let listed = admin.list_tokens().await.unwrap();
    let info = listed.iter().find(|t| t.id == id).unwrap();
    assert_eq!(
        (info.kind, info.scope, info.org_wide),
        (TokenKind::Runner, Some(Scope::Agents), true)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_members_runner_delivers_their_own_secrets_only() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin
        .patch_org(&PatchOrg {
            members_can_reveal: Some(true),
        })
        .await
        .unwrap();
    admin.upsert_secret(&org_upsert("ORG_KEY", "org-value")).await.unwrap();
    let (bob, _) = v.user("bob", Role::Member).await;
    bob.upsert_secret(&scoped(upsert("BOB_SANDBOX", "bob-value"), Scope::Sandboxes))
        .await
        .unwrap();
    bob.upsert_secret(&scoped(upsert("BOB_AGENT", "bob-agent"), Scope::Agents))
        .await
        .unwrap();

    let (_, token) = runner(&bob, "bob-sandbox", Scope::Sandboxes, false).await;
    assert_eq!(
        delivered(&v.client(&token)).await,
        ["BOB_SANDBOX"],
        "bob's own sandboxes secret: not the org's (even though bob may use it), not another scope"
    );

    // The org's secrets need an admin's runner token: a member's attempt is refused and recorded.
    let org_runner = CreateToken {
        kind: Some(TokenKind::Runner),
        scope: Some(Scope::Agents),
        org_wide: Some(true),
        ..CreateToken::user("sneaky", None)
    };
    assert!(matches!(
        bob.create_token(&org_runner).await,
        Err(ClientError::Forbidden(_))
    ));
    let denied = admin
        .audit(&AuditQuery {
            action: Some(AuditAction::TokenCreate),
            actor: Some("bob".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(denied.iter().any(|e| e.outcome == Outcome::Denied), "{denied:?}");
    assert!(!bob.list_tokens().await.unwrap().iter().any(|t| t.name == "sneaky"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_runner_token_is_refused_everywhere_but_delivery_and_each_attempt_is_audited() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin
        .upsert_secret(&org_upsert("DEPLOY_KEY", "deploy-value"))
        .await
        .unwrap();
    let (id, token) = runner(&admin, "leaked", Scope::All, true).await;
    let api = v.api();
    let attempts = [
        (api.get("/v1/me"), "GET /v1/me"),
        (api.get("/v1/secrets"), "GET /v1/secrets"),
        (api.get("/v1/secrets/DEPLOY_KEY?orgWide=true"), "GET /v1/secrets/{name}"),
        (
            api.post("/v1/secrets/DEPLOY_KEY/reveal?orgWide=true"),
            "POST /v1/secrets/{name}/reveal",
        ),
        (
            api.post("/v1/secrets")
                .json(&json!({"name": "DEPLOY_KEY", "value": "attacker", "orgWide": true})),
            "POST /v1/secrets",
        ),
        (
            api.delete("/v1/secrets/DEPLOY_KEY?orgWide=true"),
            "DELETE /v1/secrets/{name}",
        ),
        (
            api.post("/v1/tokens").json(&json!({"name": "longer"})),
            "POST /v1/tokens",
        ),
        (api.get("/v1/tokens"), "GET /v1/tokens"),
        (api.delete(&format!("/v1/tokens/{id}")), "DELETE /v1/tokens/{id}"),
        (api.get("/v1/audit"), "GET /v1/audit"),
        (api.get("/v1/users"), "GET /v1/users"),
        (
            api.patch("/v1/org").json(&json!({"members_can_reveal": true})),
            "PATCH /v1/org",
        ),
    ];
    for (call, operation) in attempts {
        let (status, body) = call.token(&token).send().await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{operation}: {body}");
        assert!(body.to_string().contains("runner token"), "{operation}: {body}");
    }
    // Nothing was changed, and the token still works for what it is for.
    let runner = v.client(&token);
    assert_eq!(delivered(&runner).await, ["DEPLOY_KEY"]);
    assert_eq!(
        runner.env_answer(&EnvRequest::default()).await.unwrap().env["DEPLOY_KEY"].expose_secret(),
        "deploy-value"
    );
    let refused = admin
        .audit(&AuditQuery {
            action: Some(AuditAction::RunnerRefused),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut targets: Vec<_> = refused.iter().map(|e| e.target.clone().unwrap_or_default()).collect();
    targets.sort();
    let mut expected: Vec<_> = attempts_labels();
    expected.sort();
    assert_eq!(targets, expected);
    assert!(refused.iter().all(|e| e.outcome == Outcome::Denied
        && e.actor.as_deref() == Some("alice")
        && e.client.as_deref() == Some("leaked")));
}

fn attempts_labels() -> Vec<String> {
    [
        "GET /v1/me",
        "GET /v1/secrets",
        "GET /v1/secrets/{name}",
        "POST /v1/secrets/{name}/reveal",
        "POST /v1/secrets",
        "DELETE /v1/secrets/{name}",
        "POST /v1/tokens",
        "GET /v1/tokens",
        "DELETE /v1/tokens/{id}",
        "GET /v1/audit",
        "GET /v1/users",
        "PATCH /v1/org",
    ]
    .map(str::to_owned)
    .to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_runner_follows_the_token_rules_lineage_expiry_and_its_users_rights() {
    let (v, clock) = TestVault::with_manual_clock().await;
    let admin = v.admin();
    admin.upsert_secret(&org_upsert("ORG_KEY", "org-value")).await.unwrap();
    let (bob, _) = v.user("bob", Role::Admin).await;
    // A one-hour token cannot mint a runner that outlives it.
    let parent = bob
        .create_token(&CreateToken::user("session", Some(3_600)))
        .await
        .unwrap();
    let session = v.client(&parent.token);
    let long = session
        .create_token(&CreateToken {
            kind: Some(TokenKind::Runner),
            scope: Some(Scope::All),
            org_wide: Some(true),
            ..CreateToken::user("ci", Some(30 * 86_400))
        })
        .await
        .unwrap();
    assert_eq!(long.expires_at, parent.expires_at, "capped at the parent's expiry");
    assert!(long.token.expose_secret().starts_with("vr_"));
    let ci = v.client(&long.token);
    assert_eq!(delivered(&ci).await, ["ORG_KEY"]);

    // Its user losing the right to the org's values takes the runner's away at once.
    admin
        .patch_user(
            "bob",
            &PatchUser {
                role: Some(Role::Member),
                disabled: None,
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        ci.env_answer(&EnvRequest::default()).await,
        Err(ClientError::Forbidden(_))
    ));
    admin
        .patch_user(
            "bob",
            &PatchUser {
                role: Some(Role::Admin),
                disabled: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(delivered(&ci).await, ["ORG_KEY"]);

    // Revoking the parent revokes the runner; expiry ends it as any token.
    let other = bob
        .create_token(&CreateToken {
            kind: Some(TokenKind::Runner),
            scope: Some(Scope::All),
            ..CreateToken::user("short", Some(60))
        })
        .await
        .unwrap();
    session.revoke_token(&parent.id).await.unwrap();
    assert!(matches!(
        ci.env_answer(&EnvRequest::default()).await,
        Err(ClientError::Unauthorized(_))
    ));
    let short = v.client(&other.token);
    assert!(short.env_answer(&EnvRequest::default()).await.is_ok());
    clock.advance(Duration::from_secs(61));
    assert!(matches!(
        short.env_answer(&EnvRequest::default()).await,
        Err(ClientError::Unauthorized(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn runner_token_requests_that_make_no_sense_are_400() {
    let v = TestVault::start().await;
    let (status, body) = v
        .api()
        .post("/v1/tokens")
        .token(&v.admin_token)
        .json(&json!({"name": "r", "kind": "runner"}))
        .send()
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a runner needs a scope: {body}");
    assert!(body.to_string().contains("scope"), "{body}");
    for extra in [
        json!({"name": "u", "scope": "agents"}),
        json!({"name": "u", "orgWide": true}),
    ] {
        let (status, body) = v
            .api()
            .post("/v1/tokens")
            .token(&v.admin_token)
            .json(&extra)
            .send()
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{extra}: {body}");
    }
    let (status, _) = v
        .api()
        .post("/v1/tokens")
        .token(&v.admin_token)
        .json(&json!({"name": "r", "kind": "robot", "scope": "agents"}))
        .send()
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v.admin().list_tokens().await.unwrap().len() == 1, "nothing was created");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_runner_hears_only_the_changes_to_its_own_bundle() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (_, token) = runner(&admin, "watcher", Scope::Agents, true).await;
    let mut events = v.client(&token).events().await.unwrap();
    // Not its namespace, not its scope, then its own: only the last is heard, first.
    admin.upsert_secret(&upsert("ALICE_OWN", "a")).await.unwrap();
    admin
        .upsert_secret(&scoped(org_upsert("ORG_TOOL", "t"), Scope::Tools))
        .await
        .unwrap();
    admin
        .upsert_secret(&scoped(org_upsert("ORG_AGENT", "g"), Scope::Agents))
        .await
        .unwrap();
    match tokio::time::timeout(Duration::from_secs(20), events.next()).await {
        Ok(Some(Ok(ServerEvent::Secret(e)))) => assert_eq!(e.name, "ORG_AGENT"),
        other => panic!("expected the agents secret's event, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_bundle_is_304_with_no_value_and_no_audit_row() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin.upsert_secret(&org_upsert("API_KEY", "first")).await.unwrap();
    let (_, token) = runner(&admin, "poller", Scope::All, true).await;
    let first = v.api().post("/v1/env").token(&token).send_text().await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.headers["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert!(!etag.contains("first"));
    let audited =
        |events: &Vec<vaultty::api::AuditEvent>| events.iter().filter(|e| e.action == AuditAction::Env).count();
    let before = audited(&admin.audit(&AuditQuery::default()).await.unwrap());

    let again = v
        .api()
        .post("/v1/env")
        .token(&token)
        .header("if-none-match", &etag)
        .send_text()
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers["etag"].to_str().unwrap(), etag);
    assert!(again.text.is_empty(), "no value on the wire");
    assert_eq!(
        audited(&admin.audit(&AuditQuery::default()).await.unwrap()),
        before,
        "nothing delivered, nothing recorded"
    );

    // A rotation changes the bundle: the old tag gets the new values.
    admin.upsert_secret(&org_upsert("API_KEY", "second")).await.unwrap();
    let changed = v
        .api()
        .post("/v1/env")
        .token(&token)
        .header("if-none-match", &etag)
        .send_text()
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert!(changed.text.contains("second"));
    assert_ne!(changed.headers["etag"].to_str().unwrap(), etag);
    // Deleted and made again at version 1: another secret, another tag.
    let tag2 = changed.headers["etag"].to_str().unwrap().to_owned();
    admin.delete_secret("API_KEY", true).await.unwrap();
    admin.upsert_secret(&org_upsert("API_KEY", "third")).await.unwrap();
    let recreated = v
        .api()
        .post("/v1/env")
        .token(&token)
        .header("if-none-match", &tag2)
        .send_text()
        .await;
    assert_eq!(recreated.status, StatusCode::OK);
    // A user token gets tags too, and a stale or malformed If-None-Match is simply a full answer.
    let user = v
        .api()
        .post("/v1/env")
        .token(&v.admin_token)
        .header("if-none-match", "\"nope\", *")
        .send_text()
        .await;
    assert_eq!(user.status, StatusCode::OK);
    assert!(user.headers.contains_key("etag"));
}
