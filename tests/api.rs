//! The vault server over HTTP: the real server on port 0 over a temporary SQLite file, driven by
//! the real client (and raw HTTP where the typed client would refuse to send something bad).
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{TestVault, secret};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use vaultty::api::{
    AuditAction, AuditQuery, Category, CreateToken, ListQuery, Outcome, PatchOrg, PatchSecret, Role, Scope,
    UpsertSecret, Visibility,
};
use vaultty::client::ClientError;

fn upsert(name: &str, value: &str) -> UpsertSecret {
    UpsertSecret::new(name, secret(value))
}

fn org_upsert(name: &str, value: &str) -> UpsertSecret {
    let mut u = upsert(name, value);
    u.org_wide = Some(true);
    u
}

#[tokio::test(flavor = "multi_thread")]
async fn health_me_and_openapi() {
    let v = TestVault::start().await;
    let health: Value = v
        .raw()
        .get(format!("{}/healthz", v.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({"status": "ok"}));
    let me = v.admin().me().await.unwrap();
    assert_eq!(
        (me.user.as_str(), me.org.as_str(), me.role),
        ("alice", "acme", Role::Admin)
    );
    let doc: Value = v
        .raw()
        .get(format!("{}/openapi.json", v.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/v1/secrets",
        "/v1/secrets/{name}/reveal",
        "/v1/env",
        "/v1/audit",
        "/v1/tokens/{id}",
        "/v1/org",
    ] {
        assert!(doc["paths"].get(path).is_some(), "openapi lacks {path}");
    }
    assert!(doc["components"]["schemas"].get("SecretMeta").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn create_rotate_reveal_history_delete() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let mut req = upsert("ANTHROPIC_API_KEY", "sk-ant-api03-first-value-abcd");
    req.category = Some(Category::Provider);
    req.scope = Some(Scope::Agents);
    req.description = Some("Claude for the agents".into());
    let (meta, created) = admin.upsert_secret(&req).await.unwrap();
    assert!(created);
    assert_eq!(meta.version, 1);
    assert_eq!(meta.preview, "sk-a****abcd");
    assert_eq!(meta.visibility, Visibility::User);
    assert_eq!(meta.owner.as_deref(), Some("alice"));
    assert_eq!(meta.created_by.as_deref(), Some("alice"));
    assert!(meta.rotated_at.is_none() && meta.last_used_at.is_none());

    // A rotation keeps the fields it does not name.
    let (rotated, created) = admin
        .upsert_secret(&upsert("ANTHROPIC_API_KEY", "sk-ant-api03-second-val-wxyz"))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(rotated.version, 2);
    assert_eq!(rotated.category, Category::Provider);
    assert_eq!(rotated.scope, Scope::Agents);
    assert_eq!(rotated.description.as_deref(), Some("Claude for the agents"));
    assert!(rotated.rotated_at.is_some());
    assert_eq!(rotated.rotated_by.as_deref(), Some("alice"));
    assert_eq!(rotated.created_at, meta.created_at);

    let revealed = admin.reveal("ANTHROPIC_API_KEY", false, None).await.unwrap();
    assert_eq!(revealed.value.expose_secret(), "sk-ant-api03-second-val-wxyz");
    assert_eq!(revealed.version, 2);
    let old = admin.reveal("ANTHROPIC_API_KEY", false, Some(1)).await.unwrap();
    assert_eq!(old.value.expose_secret(), "sk-ant-api03-first-value-abcd");
    assert!(
        admin
            .get_secret("ANTHROPIC_API_KEY", false)
            .await
            .unwrap()
            .last_used_at
            .is_some()
    );

    let history = admin.versions("ANTHROPIC_API_KEY", false).await.unwrap();
    assert_eq!(history.iter().map(|h| h.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(history[0].preview, "sk-a****wxyz");

    let edited = admin
        .patch_secret(
            "ANTHROPIC_API_KEY",
            false,
            &PatchSecret {
                scope: Some(Scope::All),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((edited.scope, edited.version), (Scope::All, 2));

    admin.delete_secret("ANTHROPIC_API_KEY", false).await.unwrap();
    assert!(matches!(
        admin.get_secret("ANTHROPIC_API_KEY", false).await,
        Err(ClientError::NotFound(_))
    ));
    assert!(matches!(
        admin.delete_secret("ANTHROPIC_API_KEY", false).await,
        Err(ClientError::NotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn versions_are_pruned_to_the_newest_max() {
    let v = TestVault::start_with(common::Options {
        max_versions: 3,
        ..Default::default()
    })
    .await;
    let admin = v.admin();
    for i in 1..=5 {
        admin
            .upsert_secret(&upsert("TOKEN", &format!("value-number-{i}")))
            .await
            .unwrap();
    }
    let history = admin.versions("TOKEN", false).await.unwrap();
    assert_eq!(history.iter().map(|h| h.version).collect::<Vec<_>>(), vec![5, 4, 3]);
    assert!(matches!(
        admin.reveal("TOKEN", false, Some(2)).await,
        Err(ClientError::NotFound(_))
    ));
    assert_eq!(
        admin
            .reveal("TOKEN", false, Some(3))
            .await
            .unwrap()
            .value
            .expose_secret(),
        "value-number-3"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn namespaces_and_read_fallback() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (bob, _) = v.user("bob", Role::Member).await;
    admin
        .upsert_secret(&org_upsert("SHARED", "org-value-123456"))
        .await
        .unwrap();
    // Bob reads the org's secret through the fallback, then shadows it with his own.
    assert_eq!(
        bob.get_secret("SHARED", false).await.unwrap().visibility,
        Visibility::Org
    );
    bob.upsert_secret(&upsert("SHARED", "bobs-own-value-1")).await.unwrap();
    assert_eq!(
        bob.get_secret("SHARED", false).await.unwrap().visibility,
        Visibility::User
    );
    assert_eq!(
        bob.get_secret("SHARED", true).await.unwrap().visibility,
        Visibility::Org
    );
    // Writes never fall back: deleting his own leaves the org's in place.
    bob.delete_secret("SHARED", false).await.unwrap();
    assert!(matches!(
        bob.delete_secret("SHARED", false).await,
        Err(ClientError::NotFound(_))
    ));
    assert_eq!(
        bob.get_secret("SHARED", false).await.unwrap().visibility,
        Visibility::Org
    );
    // A user secret is not in the org namespace.
    bob.upsert_secret(&upsert("BOB_ONLY", "bobs-private-value"))
        .await
        .unwrap();
    assert!(matches!(
        bob.get_secret("BOB_ONLY", true).await,
        Err(ClientError::NotFound(_))
    ));
    assert!(matches!(
        admin.get_secret("BOB_ONLY", false).await,
        Err(ClientError::NotFound(_))
    ));

    // Listing: own and org; admins may ask for everyone's metadata, members may not.
    let names = |l: Vec<vaultty::api::SecretMeta>| l.into_iter().map(|m| m.name).collect::<Vec<_>>();
    assert_eq!(
        names(bob.list_secrets(&ListQuery::default()).await.unwrap()),
        vec!["SHARED", "BOB_ONLY"]
    );
    assert_eq!(
        names(admin.list_secrets(&ListQuery::default()).await.unwrap()),
        vec!["SHARED"]
    );
    let all = ListQuery {
        all: Some(true),
        ..Default::default()
    };
    assert_eq!(
        names(admin.list_secrets(&all).await.unwrap()),
        vec!["SHARED", "BOB_ONLY"]
    );
    assert!(matches!(bob.list_secrets(&all).await, Err(ClientError::Forbidden(_))));
    let only_bob = ListQuery {
        user_id: Some("bob".into()),
        ..Default::default()
    };
    assert_eq!(names(admin.list_secrets(&only_bob).await.unwrap()), vec!["BOB_ONLY"]);
    let org_only = ListQuery {
        secret_scope: Some(Visibility::Org),
        ..Default::default()
    };
    assert_eq!(names(bob.list_secrets(&org_only).await.unwrap()), vec!["SHARED"]);
}

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

#[tokio::test(flavor = "multi_thread")]
async fn check_and_set_and_concurrent_rotations() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin
        .upsert_secret(&upsert("DB_PASSWORD", "first-password-1"))
        .await
        .unwrap();
    let mut stale = upsert("DB_PASSWORD", "stale-password-2");
    stale.expected_version = Some(7);
    match admin.upsert_secret(&stale).await {
        Err(ClientError::Conflict { current_version, .. }) => assert_eq!(current_version, Some(1)),
        other => panic!("expected a conflict, got {other:?}"),
    }
    for round in 0..5 {
        let expected = admin.get_secret("DB_PASSWORD", false).await.unwrap().version;
        let attempt = |who: &str| {
            let c = admin.clone();
            let mut req = upsert("DB_PASSWORD", &format!("{who}-password-{round}"));
            req.expected_version = Some(expected);
            async move { c.upsert_secret(&req).await }
        };
        let (a, b) = tokio::join!(tokio::spawn(attempt("a")), tokio::spawn(attempt("b")));
        let results = [a.unwrap(), b.unwrap()];
        let wins = results.iter().filter(|r| r.is_ok()).count();
        let conflicts = results
            .iter()
            .filter(|r| matches!(r, Err(ClientError::Conflict { .. })))
            .count();
        assert_eq!((wins, conflicts), (1, 1), "round {round}: {results:?}");
        assert_eq!(
            admin.get_secret("DB_PASSWORD", false).await.unwrap().version,
            expected + 1
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_expire_and_revoke_on_the_next_request() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let created = admin
        .create_token(&CreateToken {
            name: "ci".into(),
            expires_in: None,
        })
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
        .create_token(&CreateToken {
            name: "short".into(),
            expires_in: Some(1),
        })
        .await
        .unwrap();
    let short_client = v.client(&short.token);
    assert!(short_client.me().await.is_ok());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    match short_client.me().await {
        Err(ClientError::Unauthorized(m)) => assert!(m.contains("expired"), "{m}"),
        other => panic!("expected unauthorized, got {other:?}"),
    }
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
    assert!(failures.len() >= 2);
}

/// Every bad input gets its 4xx and the error body, and changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_with_the_error_body() {
    let v = TestVault::start().await;
    v.admin()
        .upsert_secret(&upsert("KEEP", "keep-this-value-1"))
        .await
        .unwrap();
    let http = v.raw();
    let auth = TestVault::bearer(&v.admin_token);
    let url = |p: &str| format!("{}{p}", v.url());
    let big = "x".repeat(64 * 1024 + 1);
    let cases: Vec<(reqwest::RequestBuilder, StatusCode, &str)> = vec![
        (
            http.post(url("/v1/secrets"))
                .header("authorization", &auth)
                .json(&json!({"name": "9BAD", "value": "v"})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.post(url("/v1/secrets"))
                .header("authorization", &auth)
                .json(&json!({"name": "KEEP", "value": ""})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.post(url("/v1/secrets"))
                .header("authorization", &auth)
                .json(&json!({"name": "KEEP", "value": big})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.post(url("/v1/secrets"))
                .header("authorization", &auth)
                .json(&json!({"name": "KEEP", "value": "x".repeat(200_000)})),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            http.post(url("/v1/secrets"))
                .header("authorization", &auth)
                .json(&json!({"name": "KEEP", "value": "v", "colour": "red"})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.post(url("/v1/secrets"))
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .body("{not json"),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.post(url("/v1/secrets"))
                .header("authorization", &auth)
                .body("name=KEEP"),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.post(url("/v1/secrets"))
                .header("authorization", &auth)
                .json(&json!({"name": "KEEP", "value": "v", "expectedVersion": 9})),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            http.post(url("/v1/secrets"))
                .header("authorization", &auth)
                .json(&json!({"name": "KEEP", "value": "v", "description": "d".repeat(1025)})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.post(url("/v1/secrets"))
                .json(&json!({"name": "KEEP", "value": "v"})),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            http.post(url("/v1/secrets"))
                .header("authorization", "Bearer vt_wrong")
                .json(&json!({"name": "KEEP", "value": "v"})),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            http.get(url("/v1/secrets/KEEP?orgWide=true"))
                .header("authorization", &auth),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            http.get(url("/v1/secrets/NOPE")).header("authorization", &auth),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            http.get(url("/v1/secrets/KEEP?bogus=1")).header("authorization", &auth),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.get(url("/v1/secrets?category=secretish"))
                .header("authorization", &auth),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.patch(url("/v1/secrets/KEEP"))
                .header("authorization", &auth)
                .json(&json!({"name": "OTHER"})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.get(url("/v1/audit?limit=5000")).header("authorization", &auth),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.post(url("/v1/env"))
                .header("authorization", &auth)
                .json(&json!({"scope": "moon"})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.post(url("/v1/users"))
                .header("authorization", &auth)
                .json(&json!({"name": "Bad Name", "role": "member"})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.post(url("/v1/tokens"))
                .header("authorization", &auth)
                .json(&json!({"name": "t", "expiresIn": 0})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            http.delete(url("/v1/tokens/tok_nope")).header("authorization", &auth),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            http.get(url("/v1/nowhere")).header("authorization", &auth),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (i, (req, status, code)) in cases.into_iter().enumerate() {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), status, "case {i}");
        let body: Value = res
            .json()
            .await
            .unwrap_or_else(|e| panic!("case {i}: body is not JSON: {e}"));
        assert_eq!(body["error"]["code"], code, "case {i}: {body}");
        assert!(
            body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
            "case {i}"
        );
    }
    let kept = v.admin().reveal("KEEP", false, None).await.unwrap();
    assert_eq!((kept.value.expose_secret(), kept.version), ("keep-this-value-1", 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn reveals_are_rate_limited_per_token() {
    let v = TestVault::start_with(common::Options {
        reveal_rate_limit: 3,
        ..Default::default()
    })
    .await;
    let admin = v.admin();
    admin.upsert_secret(&upsert("K", "some-value-12345")).await.unwrap();
    for _ in 0..3 {
        admin.reveal("K", false, None).await.unwrap();
    }
    match admin.reveal("K", false, None).await {
        Err(ClientError::RateLimited { retry_after }) => assert!(retry_after.as_secs() >= 1),
        other => panic!("expected 429, got {other:?}"),
    }
    let res = v
        .raw()
        .post(format!("{}/v1/secrets/K/reveal", v.url()))
        .header("authorization", TestVault::bearer(&v.admin_token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    // Another token of the same user has its own budget.
    let other = admin
        .create_token(&CreateToken {
            name: "second".into(),
            expires_in: None,
        })
        .await
        .unwrap();
    assert!(v.client(&other.token).reveal("K", false, None).await.is_ok());
}

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
    let store = vaultty::vault::open_store(&v.db_url).await.unwrap();
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

#[tokio::test(flavor = "multi_thread")]
async fn stored_values_are_sealed_and_bound_to_their_row() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin
        .upsert_secret(&upsert("FIRST", "plaintext-canary-one-0001"))
        .await
        .unwrap();
    admin
        .upsert_secret(&upsert("SECOND", "plaintext-canary-two-0002"))
        .await
        .unwrap();
    // Nothing on disk holds a value in plaintext: the database and its write-ahead log.
    for entry in std::fs::read_dir(v.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("plaintext-canary"), "a value is on disk in plaintext");
    }
    // A ciphertext copied onto another row does not open there.
    let db = rusqlite::Connection::open(v.db_path()).unwrap();
    let sealed: String = db
        .query_row(
            "SELECT sealed FROM secret_versions JOIN secrets ON secrets.id = secret_id WHERE name = 'FIRST'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(sealed.starts_with("v1:"));
    db.execute(
        "UPDATE secret_versions SET sealed = ?1 WHERE secret_id = (SELECT id FROM secrets WHERE name = 'SECOND')",
        [&sealed],
    )
    .unwrap();
    let err = admin.reveal("SECOND", false, None).await.unwrap_err();
    assert!(matches!(err, ClientError::Server { status: 500, .. }), "{err:?}");
    assert!(!format!("{err}").contains("canary"));
    assert_eq!(
        admin.reveal("FIRST", false, None).await.unwrap().value.expose_secret(),
        "plaintext-canary-one-0001"
    );
}

/// `admin rekey` while rotations and reveals go on: nothing is lost, everything ends under the new key.
#[tokio::test(flavor = "multi_thread")]
async fn rekey_under_load_loses_nothing() {
    let old_key = [1u8; 32];
    let new_key = [2u8; 32];
    let v = TestVault::start_with(common::Options {
        keys: vec![old_key],
        ..Default::default()
    })
    .await;
    for i in 0..60 {
        v.admin()
            .upsert_secret(&upsert(&format!("KEY_{i}"), &format!("original-value-{i:04}")))
            .await
            .unwrap();
    }
    v.server.shutdown().await;
    // The servers restart with the new key first; old rows still open under the old one.
    let opts = common::Options {
        keys: vec![new_key, old_key],
        ..Default::default()
    };
    let server = common::start_server(&v.db_url, &opts).await;
    let admin =
        vaultty::client::VaultClient::new(&server.url(), Some(v.admin_token.clone()), Default::default()).unwrap();
    let load = {
        let admin = admin.clone();
        tokio::spawn(async move {
            for round in 0..3 {
                for i in (0..60).step_by(3) {
                    let name = format!("KEY_{i}");
                    admin
                        .upsert_secret(&upsert(&name, &format!("rotated-{round}-{i:04}")))
                        .await
                        .unwrap();
                    admin.reveal(&name, false, None).await.unwrap();
                }
            }
        })
    };
    let store = vaultty::vault::open_store(&v.db_url).await.unwrap();
    let ring = Arc::new(common::keyring(&[new_key, old_key]));
    let first = vaultty::vault::rekey(&store, ring.clone()).await.unwrap();
    load.await.unwrap();
    let second = vaultty::vault::rekey(&store, ring.clone()).await.unwrap();
    assert!(first.resealed > 0);
    assert!(
        store
            .sealed_not_under(ring.primary().id(), (0, 0), 10)
            .await
            .unwrap()
            .is_empty(),
        "{second:?}"
    );
    server.shutdown().await;
    // Only the new key now: every value opens, and holds what was last written.
    let opts = common::Options {
        keys: vec![new_key],
        ..Default::default()
    };
    let server = common::start_server(&v.db_url, &opts).await;
    let admin =
        vaultty::client::VaultClient::new(&server.url(), Some(v.admin_token.clone()), Default::default()).unwrap();
    for i in 0..60 {
        let expected = if i % 3 == 0 {
            format!("rotated-2-{i:04}")
        } else {
            format!("original-value-{i:04}")
        };
        let got = admin.reveal(&format!("KEY_{i}"), false, None).await.unwrap();
        assert_eq!(got.value.expose_secret(), expected);
        let first_version = admin.reveal(&format!("KEY_{i}"), false, Some(1)).await.unwrap();
        assert_eq!(first_version.value.expose_secret(), format!("original-value-{i:04}"));
    }
}
