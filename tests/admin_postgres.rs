//! Every `vaultty admin` command on PostgreSQL through the binary: `init` (which makes the
//! schema), `create-user`, `rekey` under a new primary key, and `audit-verify` with the new key
//! alone, while the values written before the rekey still open through a server given only it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::process::{Command, Output};

use common::postgres::PgDatabase;
use common::shell::BIN;
use common::{Options, secret, start_server};
use secrecy::{ExposeSecret, SecretString};
use vaultty::api::{Role, UpsertSecret};
use vaultty::client::{ClientOptions, VaultClient};

const OLD_KEY: [u8; 32] = [3; 32];
const NEW_KEY: [u8; 32] = [4; 32];

fn b64(key: [u8; 32]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(key)
}

fn admin(db: &PgDatabase, keys: &[[u8; 32]], args: &[&str]) -> Output {
    let keys: Vec<String> = keys.iter().map(|k| b64(*k)).collect();
    Command::new(BIN)
        .arg("admin")
        .args(args)
        .env("VAULTTY_DATABASE_URL", &db.url)
        .env("VAULTTY_MASTER_KEY", keys.join(","))
        .env_remove("VAULTTY_LOG")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: export VAULTTY_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)"]
async fn init_create_user_rekey_and_audit_verify_work_on_postgres() {
    let db = PgDatabase::create();
    let token = SecretString::from(
        ok(&admin(&db, &[OLD_KEY], &["init", "--org", "acme", "--admin", "alice"]))
            .trim()
            .to_owned(),
    );
    let again = admin(&db, &[OLD_KEY], &["init", "--org", "acme", "--admin", "alice"]);
    assert!(!again.status.success(), "init runs once");
    let code = SecretString::from(
        ok(&admin(&db, &[OLD_KEY], &["create-user", "bob", "--role", "member"]))
            .trim()
            .to_owned(),
    );

    // Values written under the old key, by alice and by bob (who enrols with his code).
    let old = Options {
        keys: vec![OLD_KEY],
        ..Options::default()
    };
    let server = start_server(&db.url, &old).await;
    let alice = VaultClient::new(&server.url(), Some(token.clone()), ClientOptions::default()).unwrap();
    let mut org = UpsertSecret::new("SHARED", secret("shared-before-rekey"));
    org.org_wide = Some(true);
    alice.upsert_secret(&org).await.unwrap();
    let anonymous = VaultClient::new(&server.url(), None, ClientOptions::default()).unwrap();
    let bob_token = anonymous.enroll(code).await.unwrap().token;
    let bob = VaultClient::new(&server.url(), Some(bob_token.clone()), ClientOptions::default()).unwrap();
    assert_eq!(bob.me().await.unwrap().role, Role::Member);
    bob.upsert_secret(&UpsertSecret::new("MINE", secret("bob-before-rekey")))
        .await
        .unwrap();
    server.shutdown().await;

    let rekeyed = ok(&admin(&db, &[NEW_KEY, OLD_KEY], &["rekey"]));
    assert!(rekeyed.contains("re-sealed 2 version(s)"), "{rekeyed}");
    let verified = ok(&admin(&db, &[NEW_KEY], &["audit-verify"]));
    assert!(verified.contains("audit chain intact"), "{verified}");

    // The new key alone opens everything.
    let new = Options {
        keys: vec![NEW_KEY],
        ..Options::default()
    };
    let server = start_server(&db.url, &new).await;
    let alice = VaultClient::new(&server.url(), Some(token), ClientOptions::default()).unwrap();
    let bob = VaultClient::new(&server.url(), Some(bob_token), ClientOptions::default()).unwrap();
    assert_eq!(
        alice.reveal("SHARED", true, None).await.unwrap().value.expose_secret(),
        "shared-before-rekey"
    );
    assert_eq!(
        bob.reveal("MINE", false, None).await.unwrap().value.expose_secret(),
        "bob-before-rekey"
    );
    server.shutdown().await;
    ok(&admin(&db, &[NEW_KEY], &["audit-verify"]));
}
