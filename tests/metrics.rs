//! `/metrics` on its own listener (`serve --metrics-listen`): the real server and the real client
//! make a reveal, a denied reveal, a bad token, a rate-limited reveal and a rotation; the scrape
//! then shows each in the series, by route TEMPLATE and fixed labels only: no secret name, user
//! name, token or value anywhere in it. The API's own listener has no `/metrics`.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::served::{KEY_B64, Served};
use common::shell::BIN;
use common::{Options, TestVault, secret};
use secrecy::ExposeSecret;
use vaultty::api::{Role, UpsertSecret};
use vaultty::client::{ClientError, ClientOptions, VaultClient};

const SECRET_NAME: &str = "PAYROLL_DB_PASSWORD";
const ORG_SECRET: &str = "ORG_SIGNING_KEY";
const VALUE: &str = "hunter2-metrics-value";
const USER: &str = "mallory-metrics";
const BAD_TOKEN: &str = "vt_not_a_real_token_metrics_0123456789";

async fn scrape(v: &TestVault) -> (reqwest::StatusCode, String) {
    let addr = v.server.metrics_addr.expect("the test asked for a metrics listener");
    let res = reqwest::get(format!("http://{addr}/metrics")).await.unwrap();
    (res.status(), res.text().await.unwrap())
}

/// The value of the sample `series{labels}` (labels in the order the exporter writes them).
fn sample(text: &str, series: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"));
    line[series.len()..].trim().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_what_happened_with_fixed_labels_only() {
    let v = TestVault::start_with(Options {
        reveal_rate_limit: 3,
        metrics: true,
        ..Default::default()
    })
    .await;
    let admin = v.admin();
    let (user, user_token) = v.user(USER, Role::Member).await;

    // A secret of the user's, revealed; then rotated.
    user.upsert_secret(&UpsertSecret::new(SECRET_NAME, secret(VALUE)))
        .await
        .unwrap();
    let revealed = user.reveal(SECRET_NAME, false, None).await.unwrap();
    assert_eq!(revealed.value.expose_secret(), VALUE);
    user.upsert_secret(&UpsertSecret::new(SECRET_NAME, secret(&format!("{VALUE}-2"))))
        .await
        .unwrap();

    // An org secret a member may not reveal: denied (403), audited.
    let mut org = UpsertSecret::new(ORG_SECRET, secret(VALUE));
    org.org_wide = Some(true);
    admin.upsert_secret(&org).await.unwrap();
    assert!(matches!(
        user.reveal(ORG_SECRET, false, None).await,
        Err(ClientError::Forbidden(_))
    ));

    // The reveal budget is 3 a minute: two denied-or-done reveals spent two, one more, then 429.
    user.reveal(SECRET_NAME, false, None).await.unwrap();
    assert!(matches!(
        user.reveal(SECRET_NAME, false, None).await,
        Err(ClientError::RateLimited { .. })
    ));

    // A token nobody was given.
    let stranger = VaultClient::new(&v.url(), Some(secret(BAD_TOKEN)), ClientOptions::default()).unwrap();
    assert!(matches!(stranger.me().await, Err(ClientError::Unauthorized(_))));

    // A path no route has.
    let res = reqwest::get(format!("{}/v1/{SECRET_NAME}", v.url())).await.unwrap();
    assert_eq!(res.status(), 404);

    let (status, text) = scrape(&v).await;
    assert_eq!(status, 200);

    // Requests by route template, method and status.
    let reveal = r#"route="/v1/secrets/{name}/reveal",method="POST""#;
    assert_eq!(
        sample(
            &text,
            &format!("vaultty_http_request_duration_seconds_count{{{reveal},status=\"200\"}}")
        ),
        2.0
    );
    assert_eq!(
        sample(
            &text,
            &format!("vaultty_http_request_duration_seconds_count{{{reveal},status=\"403\"}}")
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            &format!("vaultty_http_request_duration_seconds_count{{{reveal},status=\"429\"}}")
        ),
        1.0
    );
    // Two creations (201) and the rotation (200).
    assert_eq!(
        sample(
            &text,
            r#"vaultty_http_request_duration_seconds_count{route="/v1/secrets",method="POST",status="201"}"#
        ),
        2.0
    );
    assert_eq!(
        sample(
            &text,
            r#"vaultty_http_request_duration_seconds_count{route="/v1/secrets",method="POST",status="200"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"vaultty_http_request_duration_seconds_count{route="unmatched",method="GET",status="404"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"vaultty_http_request_duration_seconds_count{route="/v1/me",method="GET",status="401"}"#
        ),
        1.0
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("vaultty_http_request_duration_seconds_bucket{") && l.contains(r#"route="/v1/me""#)),
        "{text}"
    );

    // Reveals, denials, authentication failures, rate limits.
    let reveals = r#"vaultty_reveals_total{route="/v1/secrets/{name}/reveal",outcome="#;
    assert_eq!(sample(&text, &format!("{reveals}\"revealed\"}}")), 2.0);
    assert_eq!(sample(&text, &format!("{reveals}\"denied\"}}")), 1.0);
    assert_eq!(sample(&text, &format!("{reveals}\"rate_limited\"}}")), 1.0);
    assert_eq!(
        sample(&text, r#"vaultty_denials_total{route="/v1/secrets/{name}/reveal"}"#),
        1.0
    );
    assert_eq!(
        sample(&text, r#"vaultty_auth_failures_total{outcome="unauthorized"}"#),
        1.0
    );
    assert_eq!(sample(&text, r#"vaultty_rate_limited_total{limiter="reveal"}"#), 1.0);
    assert_eq!(
        sample(&text, r#"vaultty_rate_limited_total{limiter="auth_failures"}"#),
        0.0
    );

    // The store: every write went through a committed batch, none failed.
    assert!(sample(&text, "vaultty_store_batch_jobs_count") >= 4.0, "{text}");
    assert!(sample(&text, "vaultty_store_job_wait_seconds_count") >= 4.0, "{text}");
    assert_eq!(sample(&text, "vaultty_store_failed_writes_total"), 0.0);
    assert_eq!(sample(&text, "vaultty_store_pool_timeouts_total"), 0.0);
    assert!(
        text.contains("# TYPE vaultty_store_pool_wait_seconds histogram"),
        "{text}"
    );

    // Nothing a request carried is in a label, or anywhere.
    for leak in [
        SECRET_NAME,
        ORG_SECRET,
        VALUE,
        USER,
        "alice",
        BAD_TOKEN,
        user_token.expose_secret(),
        v.admin_token.expose_secret(),
        "127.0.0.1",
    ] {
        assert!(!text.contains(leak), "{leak:?} is in the metrics:\n{text}");
    }

    // The API's listener has no /metrics.
    let res = reqwest::get(format!("{}/metrics", v.url())).await.unwrap();
    assert_eq!(res.status(), 404);
    v.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_bad_tokens_count_as_the_auth_failure_limiter() {
    let v = TestVault::start_with(Options {
        auth_failure_limit: 2,
        metrics: true,
        ..Default::default()
    })
    .await;
    let stranger = VaultClient::new(&v.url(), Some(secret(BAD_TOKEN)), ClientOptions::default()).unwrap();
    for _ in 0..2 {
        assert!(matches!(stranger.me().await, Err(ClientError::Unauthorized(_))));
    }
    assert!(matches!(stranger.me().await, Err(ClientError::RateLimited { .. })));

    let (_, text) = scrape(&v).await;
    assert_eq!(
        sample(&text, r#"vaultty_auth_failures_total{outcome="unauthorized"}"#),
        2.0
    );
    assert_eq!(
        sample(&text, r#"vaultty_auth_failures_total{outcome="rate_limited"}"#),
        1.0
    );
    assert_eq!(
        sample(&text, r#"vaultty_rate_limited_total{limiter="auth_failures"}"#),
        1.0
    );
    assert!(!text.contains(BAD_TOKEN));
    v.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_option_there_is_no_metrics_listener() {
    let v = TestVault::start().await;
    assert_eq!(v.server.metrics_addr, None);
    let res = reqwest::get(format!("{}/metrics", v.url())).await.unwrap();
    assert_eq!(res.status(), 404);
}

/// `vaultty serve --metrics-listen ADDR` serves the metrics there, says where on standard error,
/// and refuses an address that is not one.
#[tokio::test(flavor = "multi_thread")]
async fn serve_takes_metrics_listen() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("vault.db").display());
    let refused = Command::new(BIN)
        .args(["serve", "--database", &db_url, "--metrics-listen", "not-an-address"])
        .env("VAULTTY_MASTER_KEY", KEY_B64)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--metrics-listen"));

    let served = Served::start(&["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"]).await;
    let line = served.wait_for_line("metrics on ");
    let url = line
        .split("metrics on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    let res = reqwest::get(&url).await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    drop(served);
    assert!(
        text.contains(r#"vaultty_rate_limited_total{limiter="reveal"} 0"#),
        "{text}"
    );
    assert!(text.contains("# TYPE vaultty_store_batch_jobs histogram"), "{text}");
}
