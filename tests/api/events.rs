//! `GET /v1/events`: the changes a subscriber hears (and does not), never a value, and a stream
//! that never outlives its token. Every wait is bounded; none asserts how long something took.

use std::time::Duration;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use vaultty::api::{AuditAction, CreateToken, PatchSecret, PatchUser, Role, SecretEvent, Visibility};
use vaultty::client::{ClientError, ClientOptions, EventStream, ServerEvent, VaultClient};
use vaultty::server::ConnectionLimits;

use crate::common::{Options, TestVault};
use crate::{org_upsert, upsert};

/// Longer than anything here should take; a stream that does not do what it must fails by it.
const BOUND: Duration = Duration::from_secs(20);

/// The next event, within `BOUND`.
async fn next_event(events: &mut EventStream) -> SecretEvent {
    match tokio::time::timeout(BOUND, events.next()).await {
        Ok(Some(Ok(ServerEvent::Secret(e)))) => e,
        other => panic!("expected a secret event, got {other:?}"),
    }
}

/// Waits (within `BOUND`) for the server to end the stream, and returns the events before the end.
async fn until_end(events: &mut EventStream) -> Vec<ServerEvent> {
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout(BOUND, events.next()).await {
            Ok(None) => return seen,
            Ok(Some(Ok(e))) => seen.push(e),
            Ok(Some(Err(e))) => panic!("the stream failed instead of ending: {e}"),
            Err(_) => panic!("the stream is still open after {BOUND:?}; events: {seen:?}"),
        }
    }
}

fn is(e: &SecretEvent, name: &str, visibility: Visibility, action: AuditAction, version: Option<i64>) -> bool {
    e.name == name && e.visibility == visibility && e.action == action && e.version == version
}

/// The raw text of `GET /v1/events`, as a proxy in the middle would see it.
struct RawStream(reqwest::Response);

impl RawStream {
    async fn open(v: &TestVault, token: &SecretString) -> RawStream {
        let resp = reqwest::Client::new()
            .get(format!("{}/v1/events", v.url()))
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        RawStream(resp)
    }

    /// Reads until the text read so far contains `needle` (within `BOUND`), and returns all of it.
    async fn read_until(&mut self, text: &mut String, needle: &str) {
        while !text.contains(needle) {
            let chunk = tokio::time::timeout(BOUND, self.0.chunk())
                .await
                .unwrap_or_else(|_| panic!("no {needle:?} within {BOUND:?} in {text:?}"))
                .unwrap()
                .unwrap_or_else(|| panic!("the stream ended before {needle:?}: {text:?}"));
            text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribers_hear_the_changes_they_may_see_and_never_a_value() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (bob, bob_token) = v.user("bob", Role::Member).await;
    let (carol, _) = v.user("carol", Role::Member).await;
    admin
        .upsert_secret(&org_upsert("SHARED", "shared-value-one"))
        .await
        .unwrap();

    let mut bob_events = bob.events().await.unwrap();
    let mut admin_events = admin.events().await.unwrap();
    let mut raw = RawStream::open(&v, &bob_token).await;

    // Another user's private secret: heard by nobody else, an admin included.
    carol
        .upsert_secret(&upsert("CAROL_ONLY", "carol-private-value"))
        .await
        .unwrap();
    // A rotation of the org's secret by another user.
    admin
        .upsert_secret(&org_upsert("SHARED", "shared-value-two"))
        .await
        .unwrap();
    // Bob's own private secret: heard by bob only.
    bob.upsert_secret(&upsert("BOB_OWN", "bob-private-value"))
        .await
        .unwrap();
    let describe = PatchSecret {
        description: Some("the shared one".into()),
        ..Default::default()
    };
    admin.patch_secret("SHARED", true, &describe).await.unwrap();
    admin.delete_secret("SHARED", true).await.unwrap();

    let e = next_event(&mut bob_events).await;
    assert!(is(&e, "SHARED", Visibility::Org, AuditAction::Rotate, Some(2)), "{e:?}");
    let e = next_event(&mut bob_events).await;
    assert!(
        is(&e, "BOB_OWN", Visibility::User, AuditAction::Create, Some(1)),
        "{e:?}"
    );
    let e = next_event(&mut bob_events).await;
    assert!(is(&e, "SHARED", Visibility::Org, AuditAction::Update, Some(2)), "{e:?}");
    let e = next_event(&mut bob_events).await;
    assert!(is(&e, "SHARED", Visibility::Org, AuditAction::Delete, None), "{e:?}");

    let e = next_event(&mut admin_events).await;
    assert!(is(&e, "SHARED", Visibility::Org, AuditAction::Rotate, Some(2)), "{e:?}");
    let e = next_event(&mut admin_events).await;
    assert!(is(&e, "SHARED", Visibility::Org, AuditAction::Update, Some(2)), "{e:?}");
    let e = next_event(&mut admin_events).await;
    assert!(is(&e, "SHARED", Visibility::Org, AuditAction::Delete, None), "{e:?}");

    let mut text = String::new();
    raw.read_until(&mut text, r#""action":"delete""#).await;
    assert!(text.contains("event: secret\ndata: {"), "{text}");
    assert!(text.contains(r#""version":null"#), "{text}");
    for leak in [
        "shared-value-one",
        "shared-value-two",
        "bob-private-value",
        "carol-private-value",
        "CAROL_ONLY",
        "preview",
        "****",
    ] {
        assert!(!text.contains(leak), "the stream carries {leak:?}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_ends_once_its_token_is_revoked_or_its_user_disabled() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (bob, _) = v.user("bob", Role::Member).await;
    let (carol, _) = v.user("carol", Role::Member).await;
    let child = bob
        .create_token(&CreateToken::user("watcher", None))
        .await
        .unwrap();
    let mut revoked = v.client(&child.token).events().await.unwrap();
    let mut disabled = carol.events().await.unwrap();

    admin.upsert_secret(&org_upsert("BEFORE", "v")).await.unwrap();
    assert_eq!(next_event(&mut revoked).await.name, "BEFORE");
    assert_eq!(next_event(&mut disabled).await.name, "BEFORE");

    bob.revoke_token(&child.id).await.unwrap();
    let off = PatchUser {
        disabled: Some(true),
        ..Default::default()
    };
    admin.patch_user("carol", &off).await.unwrap();
    // The token is checked again before this event goes out: neither stream gets it.
    admin.upsert_secret(&org_upsert("AFTER", "v")).await.unwrap();
    assert_eq!(until_end(&mut revoked).await, vec![]);
    assert_eq!(until_end(&mut disabled).await, vec![]);
    // Subscribing again is refused like any request.
    assert!(matches!(
        v.client(&child.token).events().await,
        Err(ClientError::Unauthorized(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_ends_when_its_token_expires() {
    let v = TestVault::start().await;
    let short = v
        .admin()
        .create_token(&CreateToken::user("short", Some(2)))
        .await
        .unwrap();
    let client = v.client(&short.token);
    let mut events = client.events().await.unwrap();
    assert_eq!(until_end(&mut events).await, vec![]);
    // It ended no earlier than the token stopped working.
    match client.me().await {
        Err(ClientError::Unauthorized(m)) => assert!(m.contains("expired"), "{m}"),
        other => panic!("expected the token to have expired, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribing_needs_a_valid_token() {
    let v = TestVault::start().await;
    let anonymous = VaultClient::new(&v.url(), None, ClientOptions::default()).unwrap();
    assert!(matches!(anonymous.events().await, Err(ClientError::Unauthorized(_))));
    let wrong = v.client(&crate::common::secret("vt_not-a-real-token"));
    assert!(matches!(wrong.events().await, Err(ClientError::Unauthorized(_))));
    let (status, body) = v.api().get("/v1/events").send().await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_outlives_the_request_timeout_and_ends_at_shutdown() {
    let v = TestVault::start_with(Options {
        connections: ConnectionLimits {
            request_timeout: Duration::from_secs(1),
            ..ConnectionLimits::default()
        },
        ..Options::default()
    })
    .await;
    let admin = v.admin();
    let mut events = admin.events().await.unwrap();
    // Quiet for longer than the request timeout: an ordinary answer would have been cut by now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    admin.upsert_secret(&org_upsert("LATE", "v")).await.unwrap();
    assert_eq!(next_event(&mut events).await.name, "LATE");

    // Shutdown ends the stream rather than waiting for it.
    let TestVault { server, dir, .. } = v;
    tokio::time::timeout(BOUND, server.shutdown())
        .await
        .expect("shutdown waited for the event stream");
    assert_eq!(until_end(&mut events).await, vec![]);
    drop(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_user_cannot_hold_every_connection_with_streams() {
    let v = TestVault::start().await;
    let (bob, _) = v.user("bob", Role::Member).await;
    let max = vaultty::server::ratelimit::MAX_EVENT_STREAMS_PER_USER;
    let mut held = Vec::new();
    for _ in 0..max {
        held.push(bob.events().await.unwrap());
    }
    // One more is refused with a time to come back, and nothing is held for it.
    let refused = bob.events().await;
    assert!(matches!(refused, Err(ClientError::RateLimited { .. })), "{refused:?}");
    // Another user is not held back (this asserts the 200).
    let _admins = RawStream::open(&v, &v.admin_token).await;
    // A stream that ends gives its place back.
    drop(held.pop());
    let mut again = None;
    for _ in 0..200 {
        match bob.events().await {
            Ok(stream) => {
                again = Some(stream);
                break;
            }
            Err(ClientError::RateLimited { .. }) => tokio::time::sleep(Duration::from_millis(25)).await,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(again.is_some(), "the place of the closed stream never came back");
}
