//! A database from before accounts had lineage gains it on start: its tokens keep their expiry
//! and have no parent, and its users are enabled. (That events without a target keep their
//! audit link is src/store/audit_chain.rs's unit test: the rewind here drops the targets these
//! events were written with, which an older release never wrote.)

use rusqlite::Connection;
use vaultty::api::CreateToken;

use crate::common::{self, TestVault};

#[tokio::test(flavor = "multi_thread")]
async fn an_older_database_gains_accounts_on_first_start() {
    let v = TestVault::start().await;
    let (_, bob_token) = v.user("bob", super::MEMBER).await;
    let expiring = v
        .admin()
        .create_token(&CreateToken::user("ci", Some(86_400)))
        .await
        .unwrap();
    let db_path = v.db_path();
    let TestVault {
        dir,
        db_url,
        server,
        admin_token,
        keys,
    } = v;
    server.shutdown().await;
    {
        let db = Connection::open(&db_path).unwrap();
        // What an older release wrote: no lineage, no enrolment table, no target column.
        common::old_schema::rewind_to_v4(&db);
    }
    let opts = common::Options {
        keys: keys.clone(),
        ..Default::default()
    };
    let server = common::start_server(&db_url, &opts).await;
    let client = |t| vaultty::client::VaultClient::new(&server.url(), Some(t), Default::default()).unwrap();
    let admin = client(admin_token.clone());
    assert_eq!(
        client(bob_token).me().await.unwrap().user,
        "bob",
        "users made before are enabled"
    );
    let tokens = admin.list_tokens().await.unwrap();
    let ci = tokens.iter().find(|t| t.id == expiring.id).unwrap();
    assert_eq!(ci.expires_at, expiring.expires_at, "the expiry is kept");
    assert_eq!(ci.parent, None, "no parent is invented");
    assert!(
        admin
            .list_users()
            .await
            .unwrap()
            .iter()
            .all(|u| !u.disabled && u.enrolled)
    );
    server.shutdown().await;
    drop(dir);
}
