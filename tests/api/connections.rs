//! Connections and the store under abuse: the head, idle and request timeouts, the connection cap,
//! a shutdown no client can hold open, a burst of 2,000 requests, and `/healthz` once the
//! database writer has stopped. Raw TCP: a well-behaved client cannot send half a head.
//!
//! Timings: each limit is short here (1 to 3 s); every assertion that something happens waits
//! generously (`PATIENCE`), and one that something does not happen early allows the slack a
//! loaded machine needs (a timer may fire late, never early).

use std::time::Duration;

use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use vaultty::server::ConnectionLimits;

use crate::common::{Options, TestVault};
use crate::upsert;

mod burst;
mod slow_reader;

/// The longest any test waits for something that must happen.
pub(super) const PATIENCE: Duration = Duration::from_secs(20);

fn limits(header: u64, request: u64, idle: u64, max_connections: usize) -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout: Duration::from_secs(header),
        request_timeout: Duration::from_secs(request),
        idle_timeout: Duration::from_secs(idle),
        max_connections,
    }
}

async fn vault_with(connections: ConnectionLimits) -> TestVault {
    TestVault::start_with(Options {
        connections,
        ..Options::default()
    })
    .await
}

async fn connect(v: &TestVault) -> TcpStream {
    TcpStream::connect(v.server.addr).await.unwrap()
}

/// Reads until the server closes the connection; panics if it does not within `PATIENCE`.
async fn until_closed(conn: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + PATIENCE;
    loop {
        match timeout(deadline.saturating_duration_since(Instant::now()), conn.read(&mut buf)).await {
            Err(_) => panic!("the server kept the connection open for {PATIENCE:?}"),
            Ok(Ok(0) | Err(_)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// One answer read off a kept-alive connection (its head and a `Content-Length` body).
async fn one_answer(conn: &mut TcpStream) -> (u16, String) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = header(&text, "content-length").map_or(0, |l| l.parse::<usize>().unwrap());
            if got.len() >= end + 4 + length {
                return (status_of(&text), text);
            }
        }
        let n = timeout(PATIENCE, conn.read(&mut buf))
            .await
            .expect("no answer")
            .unwrap();
        assert!(n > 0, "the connection closed before the answer: {text:?}");
        got.extend_from_slice(&buf[..n]);
    }
}

pub(super) fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

pub(super) fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    let head = answer.split("\r\n\r\n").next()?;
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn body_json(answer: &str) -> Value {
    serde_json::from_str(answer.split_once("\r\n\r\n").unwrap().1).unwrap()
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: vault\r\n\r\n";
const HALF_A_HEAD: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: vault\r\nX-Slow: ";

/// A POST whose head is complete and whose body never comes: its handler waits for the body.
/// `Expect: 100-continue` makes the server say when the handler starts reading it.
fn stalled_upload(v: &TestVault) -> Vec<u8> {
    format!(
        "POST /v1/secrets HTTP/1.1\r\nHost: vault\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Expect: 100-continue\r\nContent-Length: 100\r\n\r\n{{\"name\":",
        v.admin_token.expose_secret()
    )
    .into_bytes()
}

/// Waits for the `100 Continue` of `stalled_upload`: its handler is running.
async fn handler_started(conn: &mut TcpStream) {
    let mut interim = [0u8; 25];
    timeout(PATIENCE, conn.read_exact(&mut interim))
        .await
        .expect("the handler did not start")
        .unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn half_a_head_is_disconnected_within_the_header_timeout() {
    let v = vault_with(limits(1, 30, 30, 64)).await;
    let mut conn = connect(&v).await;
    conn.write_all(HALF_A_HEAD).await.unwrap();
    let started = Instant::now();
    let got = until_closed(&mut conn).await;
    assert!(
        got.is_empty(),
        "answered half a head: {:?}",
        String::from_utf8_lossy(&got)
    );
    // Not the idle timeout (30 s), and not at once: the header timeout (1 s) closed it.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );

    // A connection that sends nothing at all is closed the same way.
    let mut silent = connect(&v).await;
    assert!(until_closed(&mut silent).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let v = vault_with(limits(30, 30, 2, 64)).await;
    let mut conn = connect(&v).await;
    conn.write_all(HEALTHZ).await.unwrap();
    let (status, _) = one_answer(&mut conn).await;
    assert_eq!(status, 200);
    let answered = Instant::now();
    assert!(until_closed(&mut conn).await.is_empty());
    assert!(
        answered.elapsed() >= Duration::from_millis(1800),
        "{:?}",
        answered.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_and_head_deadlines_are_apart_on_a_kept_alive_connection() {
    // Idle long, head short: a pause longer than the head's deadline is fine between requests...
    let v = vault_with(limits(1, 30, 30, 64)).await;
    let mut conn = connect(&v).await;
    conn.write_all(HEALTHZ).await.unwrap();
    assert_eq!(one_answer(&mut conn).await.0, 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    conn.write_all(HEALTHZ).await.unwrap();
    assert_eq!(one_answer(&mut conn).await.0, 200);
    // ...but a head started must be finished within it.
    conn.write_all(HALF_A_HEAD).await.unwrap();
    let started = Instant::now();
    assert!(until_closed(&mut conn).await.is_empty());
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_past_the_request_timeout_is_answered_503() {
    let v = vault_with(limits(30, 1, 30, 64)).await;
    let mut conn = connect(&v).await;
    conn.write_all(&stalled_upload(&v)).await.unwrap();
    let started = Instant::now();
    handler_started(&mut conn).await;
    let (status, answer) = one_answer(&mut conn).await;
    assert_eq!(status, 503, "{answer}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(header(&answer, "retry-after"), Some("1"));
    let body = body_json(&answer);
    assert_eq!(body["error"]["code"], "internal");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("did not answer within 1 s"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_cap_a_connection_waits_for_a_free_slot() {
    let v = vault_with(limits(30, 30, 30, 2)).await;
    // Two silent connections take both slots (the kernel hands them over in the order they connected).
    let first = connect(&v).await;
    let _second = connect(&v).await;
    let mut third = connect(&v).await;
    third.write_all(HEALTHZ).await.unwrap();
    let mut buf = [0u8; 1];
    let early = timeout(Duration::from_millis(1500), third.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "the third connection was served past a cap of 2: {early:?}"
    );
    // A slot frees up: the waiting connection is accepted and answered.
    drop(first);
    let (status, _) = one_answer(&mut third).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_closes_a_half_head_at_once_and_finishes_the_request_in_flight() {
    // The header and idle timeouts are long: they are not what ends these connections.
    let v = vault_with(limits(60, 2, 60, 64)).await;
    let mut half = connect(&v).await;
    half.write_all(HALF_A_HEAD).await.unwrap();
    let mut busy = connect(&v).await;
    busy.write_all(&stalled_upload(&v)).await.unwrap();
    handler_started(&mut busy).await;

    let TestVault { server, dir, .. } = v;
    let started = Instant::now();
    let stopping = tokio::spawn(server.shutdown());
    assert!(until_closed(&mut half).await.is_empty());
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    // The request in flight gets its answer: the request timeout's 503.
    let (status, _) = one_answer(&mut busy).await;
    assert_eq!(status, 503);
    timeout(PATIENCE, stopping)
        .await
        .expect("shutdown did not finish")
        .unwrap();
    drop(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn healthz_answers_503_once_the_database_writer_has_stopped() {
    let v = TestVault::start().await;
    let (status, _) = v.api().get("/healthz").send().await;
    assert_eq!(status, StatusCode::OK);
    // A real cause: the database file is deleted under the running server. Writing on would
    // acknowledge writes that no restart sees, so the writer stops.
    std::fs::remove_file(v.db_path()).unwrap();
    let err = v.admin().upsert_secret(&upsert("AFTER", "gone")).await.unwrap_err();
    assert!(err.to_string().contains("internal error"), "{err}");
    let (status, body) = v.api().get("/healthz").send().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "internal");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("writer has stopped"),
        "{body}"
    );
}
