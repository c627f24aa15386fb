//! Failed authentications per client address: 429 with Retry-After past the limit, a live token
//! still let in, and the audit log holding one summarised row per address and window instead of
//! one row per attempt. The limit follows the vault's clock: the tests move it instead of sleeping.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use secrecy::SecretString;
use vaultty::api::{AuditAction, AuditEvent, AuditQuery, CreateToken, Outcome};
use vaultty::client::VaultClient;
use vaultty::vault::ManualClock;

use crate::common::{self, TestVault, secret};

/// Every `auth_failed` row, newest first.
async fn failure_rows(admin: &VaultClient) -> Vec<AuditEvent> {
    admin
        .audit(&AuditQuery {
            action: Some(AuditAction::AuthFailed),
            limit: Some(1000),
            ..Default::default()
        })
        .await
        .unwrap()
}

/// The failures the rows stand for: a row without `count` is one.
fn failures(rows: &[AuditEvent]) -> u32 {
    rows.iter().map(|r| r.count.unwrap_or(1)).sum()
}

/// Polls until the rows stand for `want` failures; the flusher looks once a second.
async fn wait_for_failures(admin: &VaultClient, want: u32) -> Vec<AuditEvent> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = failure_rows(admin).await;
        if failures(&rows) >= want || Instant::now() > deadline {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `GET /v1/me` with `token` (or none): the status and `Retry-After`.
async fn me(v: &TestVault, token: Option<&SecretString>) -> (StatusCode, Option<u64>, serde_json::Value) {
    let call = v.api().get("/v1/me");
    let call = match token {
        Some(t) => call.token(t),
        None => call,
    };
    let answer = call.send_text().await;
    let retry = answer
        .headers
        .get("retry-after")
        .map(|h| h.to_str().unwrap().parse().unwrap());
    let body = serde_json::from_str(&answer.text).unwrap_or_default();
    (answer.status, retry, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_limit_an_address_gets_429_and_one_summarised_row() {
    let clock = ManualClock::starting_now();
    let v = TestVault::start_with(common::Options {
        auth_failure_limit: 5,
        clock: clock.clone().into(),
        ..Default::default()
    })
    .await;
    let admin = v.admin();
    // The admin's token is in use; a second one is minted and not used yet.
    let unused = admin
        .create_token(&CreateToken::user("unused", None))
        .await
        .unwrap()
        .token;
    let bad = secret("vt_not-a-real-token");
    // The limit's worth: a missing token counts like a wrong one.
    assert_eq!(me(&v, None).await.0, StatusCode::UNAUTHORIZED);
    for _ in 0..4 {
        assert_eq!(me(&v, Some(&bad)).await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, retry, body) = me(&v, Some(&bad)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "Retry-After {retry:?}");
    // A token in use still works from the same address: that is a person, not a guesser.
    assert_eq!(me(&v, Some(&v.admin_token)).await.0, StatusCode::OK);
    // A token never seen to work is not even looked up from a limited address: valid or not,
    // it is refused like a guess, until the window is over.
    assert_eq!(me(&v, Some(&unused)).await.0, StatusCode::TOO_MANY_REQUESTS);

    // The first failure is written at once; the six after it wait for the window's end.
    let rows = failure_rows(&admin).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].count, rows[0].outcome), (None, Outcome::Denied));
    assert_eq!(rows[0].ip.as_deref(), Some("127.0.0.1"));

    clock.advance(Duration::from_secs(61));
    let rows = wait_for_failures(&admin, 7).await;
    assert_eq!(rows.len(), 2, "one row per address per window: {rows:?}");
    assert_eq!(rows[0].count, Some(6), "{rows:?}");
    assert_eq!(failures(&rows), 7);
    // A new window: the new token works, and a bad one is refused with 401 again, not 429.
    assert_eq!(me(&v, Some(&unused)).await.0, StatusCode::OK);
    assert_eq!(me(&v, Some(&bad)).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_bad_tokens_writes_a_handful_of_rows_even_at_shutdown() {
    let opts = common::Options::default();
    let v = TestVault::start_with(common::Options::default()).await;
    let bad = secret("vt_not-a-real-token");
    let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
    for _ in 0..200 {
        *statuses.entry(me(&v, Some(&bad)).await.0.as_u16()).or_default() += 1;
    }
    let limit = vaultty::server::DEFAULT_AUTH_FAILURE_LIMIT;
    assert_eq!(statuses.get(&401).copied(), Some(limit), "{statuses:?}");
    assert_eq!(statuses.get(&429).copied(), Some(200 - limit), "{statuses:?}");

    // A graceful stop writes what is pending; a new server over the same file shows it.
    let TestVault {
        dir,
        db_url,
        server,
        admin_token,
        ..
    } = v;
    server.shutdown().await;
    let server = common::start_server(&db_url, &opts).await;
    let admin = VaultClient::new(&server.url(), Some(admin_token), Default::default()).unwrap();
    let rows = failure_rows(&admin).await;
    assert!(rows.len() <= 2, "200 failures wrote {} rows", rows.len());
    assert_eq!(failures(&rows), 200, "{rows:?}");
    server.shutdown().await;
    drop(dir);
}
