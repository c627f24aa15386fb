//! Values leave the server only in the answers of `reveal` and `/v1/env`: never in another
//! response body, never in a log line (at the most verbose level), never in an error.
//! A test binary of its own, so that its log capture sees only its own server.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::http::Call;
use common::{TestVault, secret};
use secrecy::ExposeSecret;
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn values_appear_only_in_reveal_and_env() {
    let logs = Captured::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .init();

    let v = TestVault::start().await;
    let api = v.api();
    let canaries = [
        "canary-value-alpha-0001",
        "canary-value-bravo-0002",
        "canary-value-charlie-03",
    ];
    let mut bodies: Vec<(String, String)> = Vec::new();
    let mut send = async |label: &str, call: Call| {
        let answer = call.token(&v.admin_token).send_text().await;
        bodies.push((label.to_owned(), answer.text));
    };
    let create = |body: serde_json::Value| api.post("/v1/secrets").json(&body);
    send("create", create(json!({"name": "ALPHA", "value": canaries[0]}))).await;
    send("rotate", create(json!({"name": "ALPHA", "value": canaries[1]}))).await;
    send(
        "org",
        create(json!({"name": "ORG", "value": canaries[2], "orgWide": true})),
    )
    .await;
    send(
        "bad field",
        create(json!({"name": "ALPHA", "value": canaries[0], "x": 1})),
    )
    .await;
    send(
        "bad type",
        create(json!({"name": "ALPHA", "value": 5, "description": canaries[0]})),
    )
    .await;
    send(
        "bad version",
        create(json!({"name": "ALPHA", "value": "v", "expectedVersion": canaries[0]})),
    )
    .await;
    send("bad name", create(json!({"name": canaries[0], "value": canaries[0]}))).await;
    send(
        "conflict",
        create(json!({"name": "ALPHA", "value": canaries[0], "expectedVersion": 1})),
    )
    .await;
    send("get", api.get("/v1/secrets/ALPHA")).await;
    send("list", api.get("/v1/secrets")).await;
    send("versions", api.get("/v1/secrets/ALPHA/versions")).await;
    send(
        "patch",
        api.patch("/v1/secrets/ALPHA").json(&json!({"description": "d"})),
    )
    .await;
    send("audit", api.get("/v1/audit")).await;
    send("me", api.get("/v1/me")).await;
    let reveal = api
        .post("/v1/secrets/ALPHA/reveal")
        .token(&v.admin_token)
        .send_text()
        .await;
    assert!(reveal.text.contains(canaries[1]), "reveal returns the value");
    let env = api.post("/v1/env").token(&v.admin_token).send_text().await;
    assert!(env.text.contains(canaries[2]), "env returns the values");
    let token = v
        .admin()
        .create_token(&vaultty::api::CreateToken::user("t", None))
        .await
        .unwrap();
    let _ = v.client(&token.token).me().await.unwrap();
    let _ = v.client(&secret("vt_wrong-token-canary")).me().await;

    for (label, body) in &bodies {
        for c in canaries {
            assert!(!body.contains(c), "{label}: the response body holds a value: {body}");
        }
    }
    let log = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("request"),
        "the server logged nothing: the check would be empty"
    );
    for c in canaries {
        assert!(!log.contains(c), "a value is in the log");
    }
    for t in [
        v.admin_token.expose_secret(),
        token.token.expose_secret(),
        "wrong-token-canary",
    ] {
        assert!(!log.contains(t), "a token is in the log");
    }
}
