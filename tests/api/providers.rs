//! Several keys for one provider, side by side: a secret's optional `provider`, set by a write,
//! kept by a rotation that does not name it, edited and cleared by a PATCH, and the filter of
//! `GET /v1/secrets` and `POST /v1/env`.

use secrecy::ExposeSecret;
use serde_json::json;
use vaultty::api::{Category, ListQuery, PatchOrg, PatchSecret, Role, UpsertSecret};
use vaultty::client::{ClientError, VaultClient};

use crate::common::TestVault;
use crate::{org_upsert, upsert};

fn keyed(name: &str, value: &str, provider: &str) -> UpsertSecret {
    let mut u = upsert(name, value);
    u.provider = Some(provider.into());
    u
}

async fn listed(client: &VaultClient, provider: Option<&str>) -> Vec<String> {
    let q = ListQuery {
        provider: provider.map(str::to_owned),
        ..ListQuery::default()
    };
    let mut names: Vec<String> = client
        .list_secrets(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name.to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_is_stored_kept_by_a_rotation_changed_and_cleared() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (meta, created) = admin
        .upsert_secret(&keyed("GITHUB_TOKEN_STAGING", "ghp_staging_value_0001", "github"))
        .await
        .unwrap();
    assert!(created);
    assert_eq!(meta.provider.as_deref(), Some("github"));
    let read = admin.get_secret("GITHUB_TOKEN_STAGING", false).await.unwrap();
    assert_eq!(read.provider.as_deref(), Some("github"));

    // A rotation that does not name a provider keeps the stored one.
    let (rotated, _) = admin
        .upsert_secret(&upsert("GITHUB_TOKEN_STAGING", "ghp_staging_value_0002"))
        .await
        .unwrap();
    assert_eq!(rotated.version, 2);
    assert_eq!(rotated.provider.as_deref(), Some("github"));

    // One that names another replaces it; "" clears it.
    let (moved, _) = admin
        .upsert_secret(&keyed("GITHUB_TOKEN_STAGING", "ghp_staging_value_0003", "gitlab"))
        .await
        .unwrap();
    assert_eq!(moved.provider.as_deref(), Some("gitlab"));
    let (cleared, _) = admin
        .upsert_secret(&keyed("GITHUB_TOKEN_STAGING", "ghp_staging_value_0004", ""))
        .await
        .unwrap();
    assert_eq!(cleared.provider, None);

    // PATCH sets it, keeps it when it says nothing of it, and "" clears it.
    let set = PatchSecret {
        provider: Some("github".into()),
        ..PatchSecret::default()
    };
    let patched = admin.patch_secret("GITHUB_TOKEN_STAGING", false, &set).await.unwrap();
    assert_eq!(patched.provider.as_deref(), Some("github"));
    assert_eq!(patched.version, 4, "a PATCH does not rotate");
    let describe = PatchSecret {
        description: Some("the staging deploy key".into()),
        ..PatchSecret::default()
    };
    let described = admin
        .patch_secret("GITHUB_TOKEN_STAGING", false, &describe)
        .await
        .unwrap();
    assert_eq!(described.provider.as_deref(), Some("github"));
    let clear = PatchSecret {
        provider: Some(String::new()),
        ..PatchSecret::default()
    };
    let cleared = admin.patch_secret("GITHUB_TOKEN_STAGING", false, &clear).await.unwrap();
    assert_eq!(cleared.provider, None);
    assert_eq!(cleared.description.as_deref(), Some("the staging deploy key"));

    // On the wire: the field is there, null when there is none.
    let (status, body) = v
        .api()
        .get("/v1/secrets/GITHUB_TOKEN_STAGING")
        .token(&v.admin_token)
        .send()
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["provider"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_filters_by_provider_across_namespaces() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin
        .upsert_secret(&keyed("GITHUB_TOKEN_PRODUCTION", "ghp_production_value_01", "github"))
        .await
        .unwrap();
    admin
        .upsert_secret(&keyed("GITHUB_TOKEN_STAGING", "ghp_staging_value_00001", "github"))
        .await
        .unwrap();
    let mut shared = org_upsert("GITHUB_ORG_TOKEN", "ghp_org_shared_value_01");
    shared.provider = Some("github".into());
    shared.category = Some(Category::Tool);
    admin.upsert_secret(&shared).await.unwrap();
    admin
        .upsert_secret(&keyed("ANTHROPIC_API_KEY", "sk-ant-api03-value-00001", "anthropic"))
        .await
        .unwrap();
    admin
        .upsert_secret(&upsert("PLAIN", "plain-value-000001"))
        .await
        .unwrap();

    assert_eq!(
        listed(&admin, Some("github")).await,
        ["GITHUB_ORG_TOKEN", "GITHUB_TOKEN_PRODUCTION", "GITHUB_TOKEN_STAGING"]
    );
    assert_eq!(listed(&admin, Some("anthropic")).await, ["ANTHROPIC_API_KEY"]);
    assert!(listed(&admin, Some("openai")).await.is_empty());
    assert_eq!(listed(&admin, None).await.len(), 5);
    // Exact comparison: a prefix is not a provider.
    assert!(listed(&admin, Some("git")).await.is_empty());

    // Combined with the other filters, and with an admin's `all`.
    let tools = ListQuery {
        provider: Some("github".into()),
        category: Some(Category::Tool),
        ..ListQuery::default()
    };
    let names: Vec<_> = admin
        .list_secrets(&tools)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["GITHUB_ORG_TOKEN"]);
    let (bob, _) = v.user("bob", Role::Member).await;
    bob.upsert_secret(&keyed("GITHUB_TOKEN", "ghp_bobs_own_value_001", "github"))
        .await
        .unwrap();
    let everyone = ListQuery {
        provider: Some("github".into()),
        all: Some(true),
        ..ListQuery::default()
    };
    assert_eq!(admin.list_secrets(&everyone).await.unwrap().len(), 4);
    assert_eq!(
        listed(&bob, Some("github")).await,
        ["GITHUB_ORG_TOKEN", "GITHUB_TOKEN"],
        "bob sees his own and the org's, not alice's"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_provider_is_400_everywhere_and_nothing_is_written() {
    let v = TestVault::start().await;
    let admin = v.admin();
    for bad in ["GitHub", "-github", "git hub", &"p".repeat(33)] {
        match admin.upsert_secret(&keyed("SOME_KEY", "some-value-000001", bad)).await {
            Err(ClientError::Invalid(message)) => {
                assert!(message.contains("lowercase"), "{message}");
                assert!(
                    !message.contains(bad),
                    "the message must not quote the input: {message}"
                );
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert!(listed(&admin, None).await.is_empty(), "nothing may be stored");

    admin
        .upsert_secret(&upsert("SOME_KEY", "some-value-000001"))
        .await
        .unwrap();
    let patch = PatchSecret {
        provider: Some("OpenAI".into()),
        ..PatchSecret::default()
    };
    assert!(matches!(
        admin.patch_secret("SOME_KEY", false, &patch).await,
        Err(ClientError::Invalid(_))
    ));
    let q = ListQuery {
        provider: Some("OpenAI".into()),
        ..ListQuery::default()
    };
    assert!(matches!(admin.list_secrets(&q).await, Err(ClientError::Invalid(_))));
    let (status, body) = v
        .api()
        .get("/v1/secrets?provider=OpenAI")
        .token(&v.admin_token)
        .send()
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = v
        .api()
        .post("/v1/env")
        .token(&v.admin_token)
        .json(&json!({"provider": "OpenAI"}))
        .send()
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("provider") && !message.contains("OpenAI"), "{body}");
    // "" clears on a write, but as a filter it names no provider: refused, not "every secret".
    let (status, body) = v
        .api()
        .post("/v1/env")
        .token(&v.admin_token)
        .json(&json!({"provider": ""}))
        .send()
        .await;
    assert_eq!(status, 400, "{body}");
}

/// The ETag of a `POST /v1/env` answer, and the names it delivered.
async fn env_with(v: &TestVault, body: serde_json::Value) -> (String, Vec<String>) {
    let answer = v
        .api()
        .post("/v1/env")
        .token(&v.admin_token)
        .json(&body)
        .send_text()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let etag = answer.headers["etag"].to_str().unwrap().to_owned();
    let parsed: serde_json::Value = serde_json::from_str(&answer.text).unwrap();
    let mut names: Vec<String> = parsed["env"].as_object().unwrap().keys().cloned().collect();
    names.sort();
    (etag, names)
}

#[tokio::test(flavor = "multi_thread")]
async fn env_with_a_provider_delivers_only_its_keys() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin
        .upsert_secret(&keyed("GITHUB_TOKEN_PRODUCTION", "ghp_production_value_01", "github"))
        .await
        .unwrap();
    admin
        .upsert_secret(&keyed("GITHUB_TOKEN_STAGING", "ghp_staging_value_00001", "github"))
        .await
        .unwrap();
    admin
        .upsert_secret(&keyed("OPENAI_API_KEY", "sk-proj-openai-value-0001", "openai"))
        .await
        .unwrap();
    admin
        .upsert_secret(&upsert("PLAIN", "plain-value-000001"))
        .await
        .unwrap();

    let req = vaultty::api::EnvRequest {
        provider: Some("github".into()),
        ..Default::default()
    };
    let answer = admin.env_answer(&req).await.unwrap();
    assert_eq!(
        answer.env.keys().collect::<Vec<_>>(),
        ["GITHUB_TOKEN_PRODUCTION", "GITHUB_TOKEN_STAGING"]
    );
    assert_eq!(
        answer.env["GITHUB_TOKEN_STAGING"].expose_secret(),
        "ghp_staging_value_00001"
    );
    // Only what was delivered was used.
    assert!(
        admin
            .get_secret("GITHUB_TOKEN_STAGING", false)
            .await
            .unwrap()
            .last_used_at
            .is_some()
    );
    assert!(
        admin
            .get_secret("OPENAI_API_KEY", false)
            .await
            .unwrap()
            .last_used_at
            .is_none()
    );
    assert!(admin.get_secret("PLAIN", false).await.unwrap().last_used_at.is_none());

    let (github, github_names) = env_with(&v, json!({"provider": "github"})).await;
    let (openai, openai_names) = env_with(&v, json!({"provider": "openai"})).await;
    let (every, every_names) = env_with(&v, json!({})).await;
    assert_eq!(github_names, ["GITHUB_TOKEN_PRODUCTION", "GITHUB_TOKEN_STAGING"]);
    assert_eq!(openai_names, ["OPENAI_API_KEY"]);
    assert_eq!(every_names.len(), 4);
    // The tag follows what is delivered: another provider's bundle is another tag, and a tag of
    // one filter does not stand for another's bundle.
    assert_ne!(github, openai);
    assert_ne!(github, every);
    let answer = v
        .api()
        .post("/v1/env")
        .token(&v.admin_token)
        .header("if-none-match", &github)
        .json(&json!({"provider": "openai"}))
        .send_text()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let answer = v
        .api()
        .post("/v1/env")
        .token(&v.admin_token)
        .header("if-none-match", &github)
        .json(&json!({"provider": "github"}))
        .send_text()
        .await;
    assert_eq!(answer.status, 304, "{}", answer.text);
    // A provider no secret has delivers nothing, and says so with an empty bundle.
    let (_, none) = env_with(&v, json!({"provider": "anthropic"})).await;
    assert!(none.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_provider_filter_applies_after_shadowing() {
    // bob's own GITHUB_TOKEN names no provider and shadows the org's, which names github: asking
    // for github's keys must not hand him the org's credential in place of his own.
    let v = TestVault::start().await;
    let admin = v.admin();
    admin
        .patch_org(&PatchOrg {
            members_can_reveal: Some(true),
        })
        .await
        .unwrap();
    let mut shared = org_upsert("GITHUB_TOKEN", "ghp_org_shared_value_01");
    shared.provider = Some("github".into());
    admin.upsert_secret(&shared).await.unwrap();
    let mut other = org_upsert("GITHUB_APP_KEY", "ghp_org_app_key_value_1");
    other.provider = Some("github".into());
    admin.upsert_secret(&other).await.unwrap();
    let (bob, _) = v.user("bob", Role::Member).await;
    bob.upsert_secret(&upsert("GITHUB_TOKEN", "ghp_bobs_own_value_001"))
        .await
        .unwrap();
    let req = vaultty::api::EnvRequest {
        provider: Some("github".into()),
        ..Default::default()
    };
    let answer = bob.env_answer(&req).await.unwrap();
    assert_eq!(answer.env.keys().collect::<Vec<_>>(), ["GITHUB_APP_KEY"]);
}

/// `/openapi.json` states the rule the server enforces: on the filters, the provider pattern;
/// on the write bodies, that pattern or "" (which clears).
#[tokio::test(flavor = "multi_thread")]
async fn the_document_states_the_provider_pattern() {
    let v = TestVault::start().await;
    let (status, doc) = v.api().get("/openapi.json").send().await;
    assert_eq!(status, 200);
    let pattern = vaultty::api::validate::PROVIDER_PATTERN;
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["EnvRequest"]["properties"]["provider"]["pattern"], pattern);
    let or_empty = format!("^({})?$", &pattern[1..pattern.len() - 1]);
    for body in ["UpsertSecret", "PatchSecret"] {
        assert_eq!(
            schemas[body]["properties"]["provider"]["pattern"],
            or_empty.as_str(),
            "{body}"
        );
    }
    let params = doc["paths"]["/v1/secrets"]["get"]["parameters"].as_array().unwrap();
    let provider = params.iter().find(|p| p["name"] == "provider").unwrap();
    assert_eq!(provider["in"], "query");
    assert_eq!(provider["schema"]["pattern"], pattern);
}
