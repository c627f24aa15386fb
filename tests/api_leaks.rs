//! Values leave the server only in the answers of `reveal` and `/v1/env`: never in another
//! response body, never in a log line (at the most verbose level), never in an error.
//! A test binary of its own, so that its log capture sees only its own server.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{TestVault, secret};
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
    let http = v.raw();
    let auth = TestVault::bearer(&v.admin_token);
    let url = |p: &str| format!("{}{p}", v.url());
    let canaries = [
        "canary-value-alpha-0001",
        "canary-value-bravo-0002",
        "canary-value-charlie-03",
    ];
    let mut bodies: Vec<(String, String)> = Vec::new();
    let mut send = async |label: &str, req: reqwest::RequestBuilder| {
        let res = req.header("authorization", &auth).send().await.unwrap();
        bodies.push((label.to_owned(), res.text().await.unwrap()));
    };
    send(
        "create",
        http.post(url("/v1/secrets"))
            .json(&json!({"name": "ALPHA", "value": canaries[0]})),
    )
    .await;
    send(
        "rotate",
        http.post(url("/v1/secrets"))
            .json(&json!({"name": "ALPHA", "value": canaries[1]})),
    )
    .await;
    send(
        "org",
        http.post(url("/v1/secrets"))
            .json(&json!({"name": "ORG", "value": canaries[2], "orgWide": true})),
    )
    .await;
    send(
        "bad field",
        http.post(url("/v1/secrets"))
            .json(&json!({"name": "ALPHA", "value": canaries[0], "x": 1})),
    )
    .await;
    send(
        "bad type",
        http.post(url("/v1/secrets"))
            .json(&json!({"name": "ALPHA", "value": 5, "description": canaries[0]})),
    )
    .await;
    send(
        "bad version",
        http.post(url("/v1/secrets"))
            .json(&json!({"name": "ALPHA", "value": "v", "expectedVersion": canaries[0]})),
    )
    .await;
    send(
        "bad name",
        http.post(url("/v1/secrets"))
            .json(&json!({"name": canaries[0], "value": canaries[0]})),
    )
    .await;
    send(
        "conflict",
        http.post(url("/v1/secrets"))
            .json(&json!({"name": "ALPHA", "value": canaries[0], "expectedVersion": 1})),
    )
    .await;
    send("get", http.get(url("/v1/secrets/ALPHA"))).await;
    send("list", http.get(url("/v1/secrets"))).await;
    send("versions", http.get(url("/v1/secrets/ALPHA/versions"))).await;
    send(
        "patch",
        http.patch(url("/v1/secrets/ALPHA")).json(&json!({"description": "d"})),
    )
    .await;
    send("audit", http.get(url("/v1/audit"))).await;
    send("me", http.get(url("/v1/me"))).await;
    let reveal = http
        .post(url("/v1/secrets/ALPHA/reveal"))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert!(
        reveal.text().await.unwrap().contains(canaries[1]),
        "reveal returns the value"
    );
    let env = http
        .post(url("/v1/env"))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert!(
        env.text().await.unwrap().contains(canaries[2]),
        "env returns the values"
    );
    let token = v
        .admin()
        .create_token(&vaultty::api::CreateToken {
            name: "t".into(),
            expires_in: None,
        })
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
    use secrecy::ExposeSecret;
    for t in [
        v.admin_token.expose_secret(),
        token.token.expose_secret(),
        "wrong-token-canary",
    ] {
        assert!(!log.contains(t), "a token is in the log");
    }
}
