//! Liveness, the caller's identity and the OpenAPI document.

use reqwest::StatusCode;
use serde_json::json;
use vaultty::api::Role;

use crate::common::TestVault;

#[tokio::test(flavor = "multi_thread")]
async fn health_me_and_openapi() {
    let v = TestVault::start().await;
    let (status, health) = v.api().get("/healthz").send().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health, json!({"status": "ok"}));
    let me = v.admin().me().await.unwrap();
    assert_eq!(
        (me.user.as_str(), me.org.as_str(), me.role),
        ("alice", "acme", Role::Admin)
    );
    let (status, doc) = v.api().get("/openapi.json").send().await;
    assert_eq!(status, StatusCode::OK);
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
