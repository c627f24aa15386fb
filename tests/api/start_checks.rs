//! A database and its keys belong together: a server refuses to start on values sealed under a
//! key it was not given, naming the key ids; and `admin rekey` goes on past a row that does not
//! open, naming it (never its value).

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::ExposeSecret;
use vaultty::server::{self, ServerConfig};

use crate::common::{self, TestVault};
use crate::org_upsert;

const BIN: &str = env!("CARGO_BIN_EXE_vaultty");
const KEY_A: [u8; 32] = [0xA1; 32];
const KEY_B: [u8; 32] = [0xB2; 32];

fn key_id(key: [u8; 32]) -> String {
    common::keyring(&[key]).primary().id().to_owned()
}

/// Runs the binary to its end, or fails the test if it has not ended within a generous deadline
/// (a server that starts instead of refusing would serve forever).
fn run_to_end(args: &[&str], master_keys: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("VAULTTY_MASTER_KEY", master_keys)
        .env_remove("VAULTTY_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!("vaultty {args:?} did not end: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// A vault whose values are sealed under key A, while the rest (the audit chain key, sealed at
/// `admin init`) is under key B: as after the primary key changed to A, with B dropped since.
/// Returns it with a server running with both keys, and that server's admin client.
async fn vault_sealed_under_a() -> (TestVault, vaultty::server::RunningServer) {
    let v = TestVault::start_with(common::Options {
        keys: vec![KEY_B],
        ..Default::default()
    })
    .await;
    let opts = common::Options {
        keys: vec![KEY_A, KEY_B],
        ..Default::default()
    };
    let server = common::start_server(&v.db_url, &opts).await;
    let admin =
        vaultty::client::VaultClient::new(&server.url(), Some(v.admin_token.clone()), Default::default()).unwrap();
    for i in 0..3 {
        admin
            .upsert_secret(&org_upsert(&format!("UNDER_A_{i}"), "value-sealed-under-a"))
            .await
            .unwrap();
    }
    (v, server)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_the_key_refuses_to_start_and_names_it() {
    let (v, both) = vault_sealed_under_a().await;
    both.shutdown().await;
    let (a, b) = (key_id(KEY_A), key_id(KEY_B));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let started = server::start(ServerConfig::new(&v.db_url, common::keyring(&[KEY_B])), listener).await;
    let Err(err) = started else {
        panic!("a server without key {a} started on values sealed under it");
    };
    let message = err.to_string();
    assert!(message.contains(&a), "{message}");
    assert!(!message.contains(&b), "{message}");
    // With both keys (the new one first) it starts, and the values open.
    let opts = common::Options {
        keys: vec![KEY_B, KEY_A],
        ..Default::default()
    };
    let server = common::start_server(&v.db_url, &opts).await;
    let admin =
        vaultty::client::VaultClient::new(&server.url(), Some(v.admin_token.clone()), Default::default()).unwrap();
    let got = admin.reveal("UNDER_A_0", true, None).await.unwrap();
    assert_eq!(got.value.expose_secret(), "value-sealed-under-a");
}

/// Runs `vaultty serve` on `db_url` with key B only; asserts it exits 2 (a configuration error)
/// with exactly one `error:` line on stderr, and returns that line.
fn serve_with_key_b_refuses(db_url: &str) -> String {
    let out = run_to_end(
        &["serve", "--listen", "127.0.0.1:0", "--database", db_url],
        &STANDARD.encode(KEY_B),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    errors[0].to_owned()
}

/// `vaultty serve` says so in one line on stderr and exits 2 (a configuration error).
#[tokio::test(flavor = "multi_thread")]
async fn serve_exits_2_naming_the_missing_key() {
    let (v, both) = vault_sealed_under_a().await;
    both.shutdown().await;
    let error = serve_with_key_b_refuses(&v.db_url);
    assert!(error.contains(&key_id(KEY_A)), "{error}");
}

/// The same when it is the audit chain key that is sealed under a key not given (a vault set up
/// under A alone, started with B): one line naming A, exit 2.
#[tokio::test(flavor = "multi_thread")]
async fn serve_exits_2_naming_the_key_of_the_audit_chain() {
    let v = TestVault::start_with(common::Options {
        keys: vec![KEY_A],
        ..Default::default()
    })
    .await;
    v.server.shutdown().await;
    let error = serve_with_key_b_refuses(&v.db_url);
    assert!(
        error.contains("audit chain key") && error.contains(&key_id(KEY_A)),
        "{error}"
    );
}

/// A row that does not open (here: another row's value copied onto it) is reported with its
/// namespace, name and version; every other row is re-sealed; the exit code is 1.
#[tokio::test(flavor = "multi_thread")]
async fn rekey_reports_a_bad_row_and_goes_on() {
    let (v, both) = vault_sealed_under_a().await;
    both.shutdown().await;
    {
        let db = rusqlite::Connection::open(v.db_path()).unwrap();
        db.execute(
            "UPDATE secret_versions SET sealed = (SELECT sealed FROM secret_versions v JOIN secrets s ON s.id = v.secret_id \
             WHERE s.name = 'UNDER_A_0') WHERE secret_id = (SELECT id FROM secrets WHERE name = 'UNDER_A_1')",
            [],
        )
        .unwrap();
    }
    let ring = std::sync::Arc::new(common::keyring(&[KEY_B, KEY_A]));
    let store = vaultty::vault::open_store(&v.db_url, &ring).await.unwrap();
    let report = vaultty::vault::rekey(&store, ring.clone()).await.unwrap();
    assert_eq!(report.resealed, 2, "{report:?}");
    assert_eq!(report.unopenable.len(), 1, "{report:?}");
    let bad = &report.unopenable[0];
    assert_eq!(
        (bad.namespace.as_str(), bad.name.as_str(), bad.version),
        ("org", "UNDER_A_1", 1)
    );
    assert!(!format!("{report:?}").contains("value-sealed"));
    // The command: the same row named on stderr, the rest done, exit 1.
    let out = run_to_end(
        &["admin", "rekey", "--database", &v.db_url],
        &format!("{},{}", STANDARD.encode(KEY_B), STANDARD.encode(KEY_A)),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("UNDER_A_1 in org version 1"), "{stderr}");
    assert!(!stderr.contains("value-sealed") && !String::from_utf8_lossy(&out.stdout).contains("value-sealed"));
}
