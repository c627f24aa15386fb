//! The typed client against the real server (port 0, SQLite in a temporary directory), its typed
//! errors, its retry rules, and the embedded local vault with connection resolution.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestVault, secret};

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use secrecy::ExposeSecret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vaultty::api::{
    AuditQuery, Category, CreateToken, ListQuery, PatchOrg, PatchSecret, Role, Scope, UpsertSecret, Visibility,
};
use vaultty::client::{Agent, ClientError, ClientOptions, VaultClient};
use vaultty::config::Env;
use vaultty::local::{ConnectOptions, LocalError, LocalVault, Target, connect_with};

async fn server(reveal_rate_limit: u32) -> TestVault {
    TestVault::start_with(common::Options {
        reveal_rate_limit,
        ..Default::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_method_against_the_real_server() {
    let s = server(0).await;
    let c = s.admin();
    assert_eq!(c.health().await.unwrap().status, "ok");
    let me = c.me().await.unwrap();
    assert_eq!(
        (me.user.as_str(), me.org.as_str(), me.role),
        ("alice", "acme", Role::Admin)
    );

    let mut req = UpsertSecret::new("OPENAI_API_KEY", secret("sk-proj-first-value-1234"));
    req.category = Some(Category::Provider);
    req.scope = Some(Scope::Agents);
    let (meta, created) = c.upsert_secret(&req).await.unwrap();
    assert!(created);
    assert_eq!((meta.version, meta.visibility), (1, Visibility::User));
    let (meta, created) = c
        .upsert_secret(&UpsertSecret::new(
            "OPENAI_API_KEY",
            secret("sk-proj-second-value-5678"),
        ))
        .await
        .unwrap();
    assert!(!created, "a second write rotates");
    assert_eq!(meta.version, 2);
    assert_eq!(meta.category, Category::Provider, "omitted fields keep their values");

    let mut org = UpsertSecret::new("SHARED_TOKEN", secret("shared-value-abcdefgh"));
    org.org_wide = Some(true);
    assert!(c.upsert_secret(&org).await.unwrap().1);

    assert_eq!(c.get_secret("OPENAI_API_KEY", false).await.unwrap().version, 2);
    assert_eq!(
        c.get_secret("SHARED_TOKEN", true).await.unwrap().visibility,
        Visibility::Org
    );
    let all = c.list_secrets(&ListQuery::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    let org_only = ListQuery {
        secret_scope: Some(Visibility::Org),
        ..ListQuery::default()
    };
    let listed = c.list_secrets(&org_only).await.unwrap();
    assert_eq!(
        listed.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        ["SHARED_TOKEN"]
    );
    let providers = ListQuery {
        category: Some(Category::Provider),
        ..ListQuery::default()
    };
    assert_eq!(c.list_secrets(&providers).await.unwrap().len(), 1);

    let patch = PatchSecret {
        description: Some("the OpenAI key".into()),
        ..PatchSecret::default()
    };
    let patched = c.patch_secret("OPENAI_API_KEY", false, &patch).await.unwrap();
    assert_eq!(patched.description.as_deref(), Some("the OpenAI key"));
    assert_eq!(patched.version, 2, "a patch does not rotate");

    let revealed = c.reveal("OPENAI_API_KEY", false, None).await.unwrap();
    assert_eq!(
        (revealed.value.expose_secret(), revealed.version),
        ("sk-proj-second-value-5678", 2)
    );
    let old = c.reveal("OPENAI_API_KEY", false, Some(1)).await.unwrap();
    assert_eq!(old.value.expose_secret(), "sk-proj-first-value-1234");
    let versions = c.versions("OPENAI_API_KEY", false).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);

    let env = c.env(Some(Scope::Agents)).await.unwrap();
    assert_eq!(env["OPENAI_API_KEY"].expose_secret(), "sk-proj-second-value-5678");
    assert_eq!(env["SHARED_TOKEN"].expose_secret(), "shared-value-abcdefgh");
    assert!(!c.env(Some(Scope::Tools)).await.unwrap().contains_key("OPENAI_API_KEY"));

    let q = AuditQuery {
        secret: Some("OPENAI_API_KEY".into()),
        ..AuditQuery::default()
    };
    let events = c.audit(&q).await.unwrap();
    assert!(!events.is_empty());
    assert!(
        events
            .iter()
            .all(|e| e.client.as_deref().is_some_and(|ua| ua.starts_with("vaultty-cli/")))
    );

    assert!(!c.org().await.unwrap().members_can_reveal);
    let org = c
        .patch_org(&PatchOrg {
            members_can_reveal: Some(true),
        })
        .await
        .unwrap();
    assert!(org.members_can_reveal);

    let bob_token = common::enroll_user(&c, &s.url(), "bob", Role::Member).await;
    assert_eq!(s.client_as(&bob_token, Agent::Cli).me().await.unwrap().user, "bob");

    let created = c
        .create_token(&CreateToken::user("laptop", None))
        .await
        .unwrap();
    let second = s.client_as(&created.token, Agent::Cli);
    assert_eq!(second.me().await.unwrap().user, "alice");
    assert!(
        c.list_tokens()
            .await
            .unwrap()
            .iter()
            .any(|t| t.id == created.id && t.name == "laptop")
    );
    c.revoke_token(&created.id).await.unwrap();
    assert!(matches!(second.me().await, Err(ClientError::Unauthorized(_))));

    c.delete_secret("OPENAI_API_KEY", false).await.unwrap();
    assert!(matches!(
        c.get_secret("OPENAI_API_KEY", false).await,
        Err(ClientError::NotFound(_))
    ));
    s.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_errors_from_the_real_server() {
    let s = server(2).await;
    let c = s.admin();

    let wrong = s.client_as(&secret("vt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), Agent::Cli);
    let err = wrong.me().await.unwrap_err();
    assert!(matches!(err, ClientError::Unauthorized(_)), "{err:?}");
    assert!(!err.to_string().contains("vt_AAAA"), "{err}");

    assert!(matches!(
        c.get_secret("NOPE", false).await,
        Err(ClientError::NotFound(_))
    ));
    assert!(matches!(
        c.reveal("NOPE", false, None).await,
        Err(ClientError::NotFound(_))
    ));

    c.upsert_secret(&UpsertSecret::new("CAS_KEY", secret("value-one-abcdefgh")))
        .await
        .unwrap();
    c.upsert_secret(&UpsertSecret::new("CAS_KEY", secret("value-two-abcdefgh")))
        .await
        .unwrap();
    let mut stale = UpsertSecret::new("CAS_KEY", secret("value-three-abcdefgh"));
    stale.expected_version = Some(1);
    let err = c.upsert_secret(&stale).await.unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Conflict {
                current_version: Some(2),
                ..
            }
        ),
        "{err:?}"
    );

    let err = c
        .upsert_secret(&UpsertSecret::new("BAD-NAME", secret("x")))
        .await
        .unwrap_err();
    assert!(matches!(&err, ClientError::Invalid(m) if !m.is_empty()), "{err:?}");

    let bob_token = common::enroll_user(&c, &s.url(), "bob", Role::Member).await;
    let bob = s.client_as(&bob_token, Agent::Tui);
    let err = bob
        .patch_org(&PatchOrg {
            members_can_reveal: Some(true),
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Forbidden(_)), "{err:?}");

    // The limit is 2 reveals a minute: the third waits, and the error says for how long.
    bob.upsert_secret(&UpsertSecret::new("BOBS", secret("bobs-value-abcdefgh")))
        .await
        .unwrap();
    let mut limited = None;
    for _ in 0..5 {
        if let Err(e) = bob.reveal("BOBS", false, None).await {
            limited = Some(e);
            break;
        }
    }
    let err = limited.expect("the reveal limit never applied");
    assert!(
        matches!(err, ClientError::RateLimited { retry_after } if retry_after > Duration::ZERO),
        "{err:?}"
    );

    // The TUI's calls are told apart from the CLI's in the audit log.
    let events = c
        .audit(&AuditQuery {
            actor: Some("bob".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.client.as_deref().is_some_and(|ua| ua.starts_with("vaultty-tui/")))
    );
    s.server.shutdown().await;
}

#[tokio::test]
async fn a_closed_port_gives_one_line_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let c = VaultClient::new(&url, Some(secret("vt_do_not_show_me")), ClientOptions::default()).unwrap();
    let err = c.me().await.unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(!msg.contains('\n') && !msg.contains("vt_do_not"), "{msg}");
    assert!(msg.contains(&url) && msg.contains("connection refused"), "{msg}");
}

/// A stand-in for a broken proxy: answers every request with `status` and no body, counting
/// them. The real server never answers 503 on purpose, and the retry rules are about what a
/// client does then.
async fn counting_responder(status: &'static str) -> (String, Arc<AtomicUsize>) {
    raw_responder(format!(
        "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    ))
    .await
}

/// A stand-in for a broken proxy that answers every request with the bytes of `answer`, then
/// closes the connection; with the count of requests answered.
async fn raw_responder(answer: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (seen, answer) = (seen.clone(), answer.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                seen.fetch_add(1, Ordering::SeqCst);
                let _ = sock.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, count)
}

#[tokio::test]
async fn reads_are_retried_writes_never() {
    let (url, count) = counting_responder("503 Service Unavailable").await;
    let c = VaultClient::new(&url, Some(secret("vt_x")), ClientOptions::default()).unwrap();
    let err = c.list_secrets(&ListQuery::default()).await.unwrap_err();
    assert!(matches!(err, ClientError::Server { status: 503, .. }), "{err:?}");
    assert_eq!(count.load(Ordering::SeqCst), 3, "a read is tried three times");

    count.store(0, Ordering::SeqCst);
    assert!(c.reveal("K", false, None).await.is_err());
    assert_eq!(count.load(Ordering::SeqCst), 1, "a reveal (POST) is sent once");
    count.store(0, Ordering::SeqCst);
    assert!(c.upsert_secret(&UpsertSecret::new("K", secret("v"))).await.is_err());
    assert!(c.delete_secret("K", false).await.is_err());
    assert_eq!(count.load(Ordering::SeqCst), 2, "writes are sent once each");

    let (url, _) = counting_responder("301 Moved Permanently\r\nlocation: https://vault.example.com/v1/me").await;
    let c = VaultClient::new(&url, Some(secret("vt_x")), ClientOptions::default()).unwrap();
    let err = c.me().await.unwrap_err();
    assert!(
        err.to_string().contains("redirects to https://vault.example.com"),
        "{err}"
    );

    let (url, count) = counting_responder("500 Internal Server Error").await;
    let c = VaultClient::new(&url, None, ClientOptions::default()).unwrap();
    assert!(matches!(c.health().await, Err(ClientError::Server { status: 500, .. })));
    assert_eq!(count.load(Ordering::SeqCst), 1, "a 500 is not transient");
}

/// A client of a stand-in that answers 200 with `body`, announcing `announced` bytes of `kind`.
async fn answered_with(kind: &str, announced: usize, body: &str) -> VaultClient {
    let answer = format!("HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {announced}\r\n\r\n{body}");
    VaultClient::new(
        &raw_responder(answer).await.0,
        Some(secret("vt_x")),
        ClientOptions::default(),
    )
    .unwrap()
}

/// The listing is decoded while it arrives: a cut answer and a foreign one still end in one clear
/// error each, the cut one as a broken connection rather than as bad JSON.
#[tokio::test]
async fn a_listing_cut_short_or_foreign_is_a_clear_error() {
    let row = r#"{"name":"K","category":"custom","scope":"all","visibility":"org","owner":null,"description":null,"preview":"****","version":1,"revealable":true,"created_at":"2026-01-01T00:00:00Z","rotated_at":null,"last_used_at":null,"created_by":"alice","rotated_by":null}"#;
    let json = "application/json";
    let cut = format!(r#"{{"secrets":[{row},{row},"#);
    let err = answered_with(json, cut.len() + 1000, &cut)
        .await
        .list_secrets(&ListQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("connection broke"), "{err}");

    let html = "<html>login required</html>";
    let err = answered_with("text/html", html.len(), html)
        .await
        .list_secrets(&ListQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Server { status: 200, .. }), "{err:?}");
    assert!(err.to_string().contains("compatible vaultty"), "{err}");

    let whole = format!(r#"{{"secrets":[{row}]}}"#);
    let listed = answered_with(json, whole.len(), &whole)
        .await
        .list_secrets(&ListQuery::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].name.as_str(), listed[0].created_by.as_deref()),
        ("K", Some("alice"))
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Accepts and holds connections, never answers.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let opts = ClientOptions {
        timeout: Duration::from_millis(300),
        ..ClientOptions::default()
    };
    let c = VaultClient::new(&url, Some(secret("vt_x")), opts).unwrap();
    let err = c.me().await.unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err:?}");
    assert!(!err.to_string().contains('\n'));
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn two_local_starts_at_once_share_one_vault() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (a, b) = tokio::join!(LocalVault::start(&data), LocalVault::start(&data));
    let (a, b) = (a.unwrap(), b.unwrap());
    let ca = a.client(ClientOptions::default()).unwrap();
    let cb = b
        .client(ClientOptions {
            agent: Agent::Tui,
            ..ClientOptions::default()
        })
        .unwrap();
    assert_ne!(a.url(), b.url());
    let (ma, mb) = (ca.me().await.unwrap(), cb.me().await.unwrap());
    assert_eq!(ma, mb, "both processes are the same local admin");
    assert_eq!((ma.org.as_str(), ma.role), ("local", Role::Admin));

    ca.upsert_secret(&UpsertSecret::new("FROM_A", secret("written-by-a-1234")))
        .await
        .unwrap();
    assert_eq!(
        cb.reveal("FROM_A", false, None).await.unwrap().value.expose_secret(),
        "written-by-a-1234"
    );

    #[cfg(unix)]
    {
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("master.key")), 0o600);
        assert_eq!(mode(&data.join("local.token")), 0o600);
    }
    a.close().await;
    b.close().await;

    // Later starts open the same vault with the same key.
    let again = LocalVault::start(&data).await.unwrap();
    let c = again.client(ClientOptions::default()).unwrap();
    assert_eq!(
        c.reveal("FROM_A", false, None).await.unwrap().value.expose_secret(),
        "written-by-a-1234"
    );
    again.close().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_key_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    LocalVault::start(&data).await.unwrap().close().await;
    let key = data.join("master.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = LocalVault::start(&data).await.unwrap_err();
    assert!(matches!(err, LocalError::TooOpen(_)), "{err:?}");
    assert!(
        err.to_string().contains(&format!("chmod 600 {}", key.display())),
        "{err}"
    );

    // Without its key, the database is not silently paired with a new one.
    std::fs::remove_file(&key).unwrap();
    let err = LocalVault::start(&data).await.unwrap_err();
    assert!(matches!(err, LocalError::KeyMissing { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_picks_local_or_remote() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        config_dir: Some(dir.path().join("config")),
        data_dir: Some(dir.path().join("data")),
        ..Env::default()
    };
    let conn = connect_with(&ConnectOptions::default(), Agent::Cli, &env)
        .await
        .unwrap();
    assert!(
        matches!(&conn.target, Target::Local { data_dir } if data_dir.ends_with("data")),
        "{:?}",
        conn.target
    );
    assert_eq!(conn.client.me().await.unwrap().org, "local");
    conn.close().await;
    assert!(
        !dir.path().join("config").exists(),
        "using the local vault writes no config"
    );

    let s = server(0).await;
    let remote = Env {
        url: Some(s.server.url()),
        token: Some(s.admin_token.clone()),
        ..env.clone()
    };
    let conn = connect_with(&ConnectOptions::default(), Agent::Cli, &remote)
        .await
        .unwrap();
    assert_eq!(
        conn.target,
        Target::Remote {
            url: s.server.url(),
            profile: None
        }
    );
    assert_eq!(conn.client.me().await.unwrap().org, "acme");
    conn.close().await;

    let far = ConnectOptions {
        url: Some("http://vault.example.com".into()),
        ..ConnectOptions::default()
    };
    let err = connect_with(&far, Agent::Cli, &remote).await.unwrap_err();
    assert!(err.to_string().contains("--allow-insecure-http"), "{err}");
    let allowed = ConnectOptions {
        allow_insecure_http: true,
        ..far
    };
    assert!(connect_with(&allowed, Agent::Cli, &remote).await.is_ok());
    s.server.shutdown().await;
}

/// Set (with `CHILD_NAME`) only in the child processes of `two_processes_start_one_local_vault`.
const CHILD_DATA: &str = "VAULTTY_TEST_CHILD_DATA";
const CHILD_NAME: &str = "VAULTTY_TEST_CHILD_NAME";

/// Three processes start the one local vault at once, racing on the key, the database and the
/// token; each writes a secret. The children are this test again, told by the environment to
/// be one of the racers.
#[tokio::test(flavor = "multi_thread")]
async fn two_processes_start_one_local_vault() {
    if let (Ok(data), Ok(name)) = (std::env::var(CHILD_DATA), std::env::var(CHILD_NAME)) {
        let local = LocalVault::start(Path::new(&data)).await.unwrap();
        let c = local.client(ClientOptions::default()).unwrap();
        c.upsert_secret(&UpsertSecret::new(name.as_str(), secret("child-value-abcdefgh")))
            .await
            .unwrap();
        local.close().await;
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let exe = std::env::current_exe().unwrap();
    let names = ["FROM_CHILD_ONE", "FROM_CHILD_TWO", "FROM_CHILD_THREE"];
    // Spawned together, so that they race on creating the key, the database and the token.
    let children: Vec<_> = names
        .iter()
        .map(|name| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "two_processes_start_one_local_vault",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env(CHILD_DATA, &data)
                .env(CHILD_NAME, name)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a concurrent start failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let local = LocalVault::start(&data).await.unwrap();
    let c = local.client(ClientOptions::default()).unwrap();
    let mut listed: Vec<_> = c
        .list_secrets(&ListQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    listed.sort();
    let mut expected: Vec<_> = names.iter().map(std::string::ToString::to_string).collect();
    expected.sort();
    assert_eq!(listed, expected, "every process wrote into the one vault");
    local.close().await;
}
