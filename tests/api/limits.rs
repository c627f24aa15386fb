//! Refusals: bad input gets its 4xx and the error body, and reveals are rate-limited per user.

use std::time::Duration;

use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::json;
use vaultty::api::{CreateToken, Role};
use vaultty::client::ClientError;
use vaultty::vault::ManualClock;

use crate::common::http::Call;
use crate::common::{self, TestVault};
use crate::upsert;

/// The status and the error body's `code` a refusal answers with.
type Refusal = (StatusCode, &'static str);
const INVALID: Refusal = (StatusCode::BAD_REQUEST, "invalid_request");
const UNAUTHORIZED: Refusal = (StatusCode::UNAUTHORIZED, "unauthorized");
const NOT_FOUND: Refusal = (StatusCode::NOT_FOUND, "not_found");
const CONFLICT: Refusal = (StatusCode::CONFLICT, "conflict");
const TOO_LARGE: Refusal = (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

/// Every bad input gets its 4xx and the error body, and changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_with_the_error_body() {
    let v = TestVault::start().await;
    v.admin()
        .upsert_secret(&upsert("KEEP", "keep-this-value-1"))
        .await
        .unwrap();
    let api = v.api();
    let admin = &v.admin_token;
    let big = "x".repeat(64 * 1024 + 1);
    // Most cases are a create or rotation by the admin with one thing wrong in the body.
    let secrets = |body: serde_json::Value| api.post("/v1/secrets").token(admin).json(&body);
    let cases: Vec<(Call, Refusal)> = vec![
        (secrets(json!({"name": "9BAD", "value": "v"})), INVALID),
        (secrets(json!({"name": "KEEP", "value": ""})), INVALID),
        (secrets(json!({"name": "KEEP", "value": big})), INVALID),
        (
            secrets(json!({"name": "KEEP", "value": "x".repeat(200_000)})),
            TOO_LARGE,
        ),
        (secrets(json!({"name": "KEEP", "value": "v", "colour": "red"})), INVALID),
        (
            api.post("/v1/secrets")
                .token(admin)
                .header("content-type", "application/json")
                .body("{not json"),
            INVALID,
        ),
        (api.post("/v1/secrets").token(admin).body("name=KEEP"), INVALID),
        (
            secrets(json!({"name": "KEEP", "value": "v", "expectedVersion": 9})),
            CONFLICT,
        ),
        (
            secrets(json!({"name": "KEEP", "value": "v", "description": "d".repeat(1025)})),
            INVALID,
        ),
        (
            api.post("/v1/secrets").json(&json!({"name": "KEEP", "value": "v"})),
            UNAUTHORIZED,
        ),
        (
            api.post("/v1/secrets")
                .header("authorization", "Bearer vt_wrong")
                .json(&json!({"name": "KEEP", "value": "v"})),
            UNAUTHORIZED,
        ),
        (api.get("/v1/secrets/KEEP?orgWide=true").token(admin), NOT_FOUND),
        (api.get("/v1/secrets/NOPE").token(admin), NOT_FOUND),
        (api.get("/v1/secrets/KEEP?bogus=1").token(admin), INVALID),
        (api.get("/v1/secrets?category=secretish").token(admin), INVALID),
        (
            api.patch("/v1/secrets/KEEP")
                .token(admin)
                .json(&json!({"name": "OTHER"})),
            INVALID,
        ),
        (api.get("/v1/audit?limit=5000").token(admin), INVALID),
        (
            api.post("/v1/env").token(admin).json(&json!({"scope": "moon"})),
            INVALID,
        ),
        (
            api.post("/v1/users")
                .token(admin)
                .json(&json!({"name": "Bad Name", "role": "member"})),
            INVALID,
        ),
        (
            api.post("/v1/tokens")
                .token(admin)
                .json(&json!({"name": "t", "expiresIn": 0})),
            INVALID,
        ),
        (api.delete("/v1/tokens/tok_nope").token(admin), NOT_FOUND),
        (api.get("/v1/nowhere").token(admin), NOT_FOUND),
        // A body is an object: serde would read an array as the fields in order.
        (
            api.patch("/v1/users/alice").token(admin).json(&json!([null, true])),
            INVALID,
        ),
        (api.patch("/v1/org").token(admin).json(&json!([true])), INVALID),
        (api.post("/v1/enroll").json(&json!(["ve_x"])), INVALID),
        (
            api.patch("/v1/users/nobody")
                .token(admin)
                .json(&json!({"disabled": true})),
            NOT_FOUND,
        ),
        (
            api.post("/v1/enroll").json(&json!({"code": "ve_x", "user": "alice"})),
            INVALID,
        ),
    ];
    for (i, (call, (status, code))) in cases.into_iter().enumerate() {
        let (got, body) = call.send().await;
        assert_eq!(got, status, "case {i}: {body}");
        assert_eq!(body["error"]["code"], code, "case {i}: {body}");
        assert!(
            body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
            "case {i}"
        );
    }

    let kept = v.admin().reveal("KEEP", false, None).await.unwrap();
    assert_eq!((kept.value.expose_secret(), kept.version), ("keep-this-value-1", 1));
    assert!(
        !v.admin().org().await.unwrap().members_can_reveal,
        "the array PATCH changed nothing"
    );
}

/// The reveal budget belongs to the user: every token of theirs spends from it, and `POST
/// /v1/env` spends one unit per call, however many values it delivers.
#[tokio::test(flavor = "multi_thread")]
async fn reveals_are_rate_limited_per_user() {
    // The vault's clock stands still, so the budget cannot refill during the test.
    let clock = ManualClock::starting_now();
    let v = TestVault::start_with(common::Options {
        reveal_rate_limit: 3,
        clock: clock.clone().into(),
        ..Default::default()
    })
    .await;
    let admin = v.admin();
    admin.upsert_secret(&upsert("K", "some-value-12345")).await.unwrap();
    // A second token of the same user, minted before the budget is spent: it does not double it.
    let other = admin
        .create_token(&CreateToken::user("second", None))
        .await
        .unwrap();
    let second = v.client(&other.token);
    admin.reveal("K", false, None).await.unwrap();
    second.reveal("K", false, None).await.unwrap();
    admin.reveal("K", false, None).await.unwrap();
    for client in [&admin, &second] {
        match client.reveal("K", false, None).await {
            Err(ClientError::RateLimited { retry_after }) => assert!(retry_after.as_secs() >= 1),
            other => panic!("expected 429, got {other:?}"),
        }
    }
    let res = v
        .api()
        .post("/v1/secrets/K/reveal")
        .token(&other.token)
        .send_text()
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers.get("retry-after").is_some());
    // env is within the same budget: no way around the limit.
    assert!(matches!(admin.env(None).await, Err(ClientError::RateLimited { .. })));

    // Another user has a budget of their own. Five values by env cost one unit, not five.
    let (bob, _) = v.user("bob", Role::Member).await;
    for i in 0..5 {
        bob.upsert_secret(&upsert(&format!("B{i}"), "bobs-value-12345"))
            .await
            .unwrap();
    }
    assert_eq!(bob.env(None).await.unwrap().len(), 5);
    bob.reveal("B0", false, None).await.unwrap();
    bob.reveal("B1", false, None).await.unwrap();
    assert!(matches!(bob.env(None).await, Err(ClientError::RateLimited { .. })));

    // The budget refills by the vault's clock: a minute later, a minute's worth.
    clock.advance(Duration::from_secs(60));
    for _ in 0..3 {
        second.reveal("K", false, None).await.unwrap();
    }
    assert!(admin.reveal("K", false, None).await.is_err());
}
