//! `vaultty admin migrate`: a SQLite vault, used for real through the API, copied into PostgreSQL
//! by the binary, then served from PostgreSQL: the same tokens open the same values, the audit
//! chain verifies to the same head and goes on growing, and a second copy into the now full
//! database is refused without touching it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::process::Command;

use common::postgres::PgDatabase;
use common::served::{KEY, KEY_B64};
use common::shell::BIN;
use common::{Options, enroll_user, keyring, secret, start_server};
use secrecy::ExposeSecret;
use vaultty::api::{AuditQuery, CreateUser, Role, UpsertSecret};
use vaultty::client::{ClientError, ClientOptions, VaultClient};

fn migrate(from: &str, to: &str, key: &str) -> std::process::Output {
    Command::new(BIN)
        .args(["admin", "migrate", "--from", from, "--to", to])
        .env("VAULTTY_MASTER_KEY", key)
        .env_remove("VAULTTY_LOG")
        .output()
        .unwrap()
}

/// `admin audit-verify --expect-head HEAD` on `url` passes.
fn verify_to(url: &str, head: &str) {
    let verify = Command::new(BIN)
        .args(["admin", "audit-verify", "--database", url, "--expect-head", head])
        .env("VAULTTY_MASTER_KEY", KEY_B64)
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", text(&verify.stderr));
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: export VAULTTY_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)"]
async fn a_sqlite_vault_moves_to_postgres_whole() {
    let target = PgDatabase::create();
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}", dir.path().join("vault.db").display());
    let opts = Options {
        keys: vec![KEY],
        ..Options::default()
    };

    // A vault in use: org and private secrets with versions, a member, a revoked token, a
    // pending enrolment code, reveals in the audit log.
    let admin_token = vaultty::vault::admin_init(&sqlite_url, &keyring(&[KEY]), "acme", "alice")
        .await
        .unwrap();
    let server = start_server(&sqlite_url, &opts).await;
    let url = server.url();
    let client = |t: &secrecy::SecretString| VaultClient::new(&url, Some(t.clone()), ClientOptions::default()).unwrap();
    let alice = client(&admin_token);
    let mut org = UpsertSecret::new("DEPLOY_TOKEN", secret("deploy-v1"));
    org.org_wide = Some(true);
    org.provider = Some("github".into());
    alice.upsert_secret(&org).await.unwrap();
    org.value = secret("deploy-v2");
    alice.upsert_secret(&org).await.unwrap();
    let bob_token = enroll_user(&alice, &url, "bob", Role::Member).await;
    let bob = client(&bob_token);
    bob.upsert_secret(&UpsertSecret::new("BOB_KEY", secret("bob-private")))
        .await
        .unwrap();
    assert_eq!(
        bob.reveal("BOB_KEY", false, None).await.unwrap().value.expose_secret(),
        "bob-private"
    );
    let spare = alice
        .create_token(&vaultty::api::CreateToken::user("spare", None))
        .await
        .unwrap();
    alice.revoke_token(&spare.id).await.unwrap();
    let carol_code = alice
        .create_user(&CreateUser {
            name: "carol".into(),
            role: Role::Member,
            expires_in: None,
        })
        .await
        .unwrap()
        .code;
    let events_before = alice.audit(&AuditQuery::default()).await.unwrap();
    server.shutdown().await;

    // Refusals first, each before anything is written.
    let wrong_way = migrate(&target.url, &sqlite_url, KEY_B64);
    assert!(!wrong_way.status.success());
    assert!(
        text(&wrong_way.stderr).contains("--from must be a SQLite vault"),
        "{}",
        text(&wrong_way.stderr)
    );
    let wrong_key = migrate(&sqlite_url, &target.url, "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=");
    assert!(
        !wrong_key.status.success(),
        "a key that does not open the chain key must stop the copy"
    );

    // The copy.
    let out = migrate(&sqlite_url, &target.url, KEY_B64);
    assert!(out.status.success(), "migrate failed: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let head = stdout
        .lines()
        .find_map(|l| l.strip_prefix("head "))
        .unwrap_or_else(|| panic!("no head in {stdout:?}"))
        .to_owned();
    assert!(
        text(&out.stderr).contains("row(s) of secret_versions"),
        "{}",
        text(&out.stderr)
    );
    verify_to(&target.url, &head);

    // Served from PostgreSQL: the same tokens, values, versions, refusals and pending code.
    let server = start_server(&target.url, &opts).await;
    let url = server.url();
    let client = |t: &secrecy::SecretString| VaultClient::new(&url, Some(t.clone()), ClientOptions::default()).unwrap();
    let (alice, bob) = (client(&admin_token), client(&bob_token));
    let revealed = alice.reveal("DEPLOY_TOKEN", true, None).await.unwrap();
    assert_eq!((revealed.value.expose_secret(), revealed.version), ("deploy-v2", 2));
    let meta = alice.get_secret("DEPLOY_TOKEN", true).await.unwrap();
    assert_eq!(meta.provider.as_deref(), Some("github"), "the provider is copied too");
    assert_eq!(bob.get_secret("BOB_KEY", false).await.unwrap().provider, None);
    let v1 = alice.reveal("DEPLOY_TOKEN", true, Some(1)).await.unwrap();
    assert_eq!(v1.value.expose_secret(), "deploy-v1");
    assert_eq!(
        bob.reveal("BOB_KEY", false, None).await.unwrap().value.expose_secret(),
        "bob-private"
    );
    let gone = client(&spare.token).me().await;
    assert!(matches!(gone, Err(ClientError::Unauthorized(_))), "{gone:?}");
    let anonymous = VaultClient::new(&url, None, ClientOptions::default()).unwrap();
    let carol = anonymous.enroll(carol_code).await.unwrap();
    assert_eq!(client(&carol.token).me().await.unwrap().user, "carol");
    // New rows get new ids after the copied ones, and the chain goes on from the copied head.
    org.value = secret("deploy-v3");
    assert_eq!(alice.upsert_secret(&org).await.unwrap().0.version, 3);
    let events_after = alice.audit(&AuditQuery::default()).await.unwrap();
    let oldest_copied = events_before.last().unwrap().id;
    assert!(events_after.iter().any(|e| e.id == oldest_copied));
    assert!(events_after.first().unwrap().id > events_before.first().unwrap().id);
    server.shutdown().await;
    verify_to(&target.url, &head);

    // A second copy into the now full database is refused, and changes nothing in it.
    let again = migrate(&sqlite_url, &target.url, KEY_B64);
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("not empty"), "{}", text(&again.stderr));
    let server = start_server(&target.url, &opts).await;
    let alice = VaultClient::new(&server.url(), Some(admin_token.clone()), ClientOptions::default()).unwrap();
    assert_eq!(alice.reveal("DEPLOY_TOKEN", true, None).await.unwrap().version, 3);
    server.shutdown().await;
}
