//! Names that change how programs start or load code (docs/API.md, "Reserved names") are refused
//! in every namespace, so that whoever writes an org secret cannot take over members' `vaultty run`
//! children; a name that only looks like one is an ordinary secret.

use reqwest::StatusCode;
use serde_json::json;
use vaultty::api::{ListQuery, Role};
use vaultty::client::ClientError;

use crate::common::TestVault;
use crate::upsert;

const RESERVED: &[&str] = &[
    "PATH",
    "LD_PRELOAD",
    "NODE_OPTIONS",
    "GIT_CONFIG_GLOBAL",
    "VAULTTY_URL",
    // Windows looks names up ignoring case.
    "ld_preload",
    "Path",
];

#[tokio::test]
async fn reserved_names_are_refused_422_in_both_namespaces_and_nothing_is_stored() {
    let v = TestVault::start().await;
    let api = v.api();
    for &name in RESERVED {
        for org_wide in [false, true] {
            let (status, body) = api
                .post("/v1/secrets")
                .token(&v.admin_token)
                .json(&json!({ "name": name, "value": "/tmp/evil", "orgWide": org_wide }))
                .send()
                .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name} (orgWide {org_wide}): {body}"
            );
            assert_eq!(body["error"]["code"], "invalid_request", "{body}");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.starts_with(name)
                    && message.contains("changes how programs start or load code")
                    && message.contains("Reserved names"),
                "the message names the name and the rule: {message}"
            );
            assert!(
                !message.contains("/tmp/evil"),
                "the message must not echo the value: {message}"
            );
        }
    }
    // The real client reports the server's reason.
    let err = v.admin().upsert_secret(&upsert("PATH", "/tmp/evil")).await.unwrap_err();
    assert!(
        matches!(&err, ClientError::Invalid(m) if m.contains("Reserved names")),
        "{err:?}"
    );

    let listed = v
        .admin()
        .list_secrets(&ListQuery {
            all: Some(true),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert!(listed.is_empty(), "nothing may be stored: {listed:?}");
    let audit = v.admin().audit(&vaultty::api::AuditQuery::default()).await.unwrap();
    assert!(
        audit.iter().all(|e| e.secret.is_none()),
        "no create may be recorded: {audit:?}"
    );
}

#[tokio::test]
async fn names_that_only_look_reserved_are_ordinary_secrets() {
    let v = TestVault::start().await;
    let (bob, _) = v.user("bob", Role::Member).await;
    for name in ["PATHS", "MY_PATH", "HOMEPAGE_URL", "OLD_PRELOAD", "GIT_TOKEN"] {
        let (_, created) = v
            .admin()
            .upsert_secret(&crate::org_upsert(name, "org-value-1"))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(created, "{name}");
        bob.upsert_secret(&upsert(name, "bob-value-1"))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let env = bob.env(None).await.unwrap();
    assert_eq!(env.len(), 5, "{:?}", env.keys());
    assert!(env.contains_key("PATHS") && env.contains_key("MY_PATH"));
}
