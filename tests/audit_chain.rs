//! The keyed audit chain end to end: events written through the real server and client, the
//! database file then edited as an attacker with write access to it would (rusqlite), and
//! checked with the real `vaultty admin audit-verify` binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::TestVault;
use vaultty::api::UpsertSecret;
use vaultty::crypto::ChainKey;
use vaultty::store::{AuditChain, AuditRow, GENESIS_HASH, legacy_link_hash};

const BIN: &str = env!("CARGO_BIN_EXE_vaultty");
const OLD_KEY: [u8; 32] = [7; 32];
const NEW_KEY: [u8; 32] = [8; 32];

#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    /// The `head ID:HASH` line of a successful check.
    fn head(&self) -> String {
        assert_eq!(self.code, 0, "{self:?}");
        let line = self
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("head "))
            .unwrap_or_else(|| panic!("{self:?}"));
        line.to_owned()
    }

    /// A failure with exit code 1 and one `error:` line that contains `needle`.
    fn fails_with(&self, needle: &str) {
        assert_eq!(self.code, 1, "{self:?}");
        let stderr = self.stderr.trim_end();
        assert_eq!(stderr.lines().count(), 1, "{self:?}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(needle),
            "{needle:?}: {self:?}"
        );
    }
}

/// Runs `vaultty admin <args> --database <url>` with `keys` (primary first) in VAULTTY_MASTER_KEY.
async fn admin(db_url: &str, keys: &[[u8; 32]], args: &[&str]) -> Out {
    let keys: Vec<String> = keys.iter().map(|k| STANDARD.encode(k)).collect();
    let out = tokio::process::Command::new(BIN)
        .arg("admin")
        .args(args)
        .args(["--database", db_url])
        .env("VAULTTY_MASTER_KEY", keys.join(","))
        .env_remove("VAULTTY_DATABASE_URL")
        .env_remove("RUST_BACKTRACE")
        .output()
        .await
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

async fn verify(db_url: &str, keys: &[[u8; 32]], expect_head: Option<&str>) -> Out {
    let mut args = vec!["audit-verify"];
    if let Some(head) = expect_head {
        args.extend(["--expect-head", head]);
    }
    admin(db_url, keys, &args).await
}

fn upsert(name: &str, value: &str) -> UpsertSecret {
    serde_json::from_value(serde_json::json!({ "name": name, "value": value })).unwrap()
}

/// A vault under OLD_KEY with `n` rotations and reveals in its audit log.
async fn vault_with_events(n: usize) -> TestVault {
    let v = TestVault::start_with(common::Options {
        keys: vec![OLD_KEY],
        ..Default::default()
    })
    .await;
    add_events(&v.admin(), n).await;
    v
}

async fn add_events(admin: &vaultty::client::VaultClient, n: usize) {
    for i in 0..n {
        admin
            .upsert_secret(&upsert("API_KEY", &format!("value-{i:04}")))
            .await
            .unwrap();
        admin.reveal("API_KEY", false, None).await.unwrap();
    }
}

fn path_of(db_url: &str) -> &str {
    db_url.strip_prefix("sqlite://").unwrap()
}

fn sql(db_url: &str, statement: &str) {
    rusqlite::Connection::open(path_of(db_url))
        .unwrap()
        .execute_batch(statement)
        .unwrap();
}

/// Every event, oldest first, read through a store opened without the chain key (it only reads).
async fn events(db_url: &str) -> Vec<AuditRow> {
    let store = vaultty::store::open(db_url).await.unwrap();
    store.audit_range(0, 100_000).await.unwrap()
}

type Link = Box<dyn Fn(&[u8; 32], &AuditRow) -> [u8; 32]>;

/// Rewrites every link from event `from` on with `link`, as an attacker recomputing the chain
/// after an edit would.
async fn relink(db_url: &str, from: i64, link: Link) {
    let conn = rusqlite::Connection::open(path_of(db_url)).unwrap();
    let mut prev = GENESIS_HASH;
    for row in events(db_url).await {
        if row.id >= from {
            let hash = link(&prev, &row);
            conn.execute(
                "UPDATE audit SET prev_hash = ?1, hash = ?2 WHERE id = ?3",
                rusqlite::params![&prev[..], &hash[..], row.id],
            )
            .unwrap();
            prev = hash;
        } else {
            prev = row.hash;
        }
    }
}

/// The chain as the database's own key links it (the test holds the master key).
async fn real_chain(db_url: &str, keys: &[[u8; 32]]) -> AuditChain {
    let store = vaultty::store::open(db_url).await.unwrap();
    let record = store.audit_chain_key().await.unwrap().unwrap();
    let key = common::keyring(keys)
        .open_chain_key(&record.sealed, record.keyed_from)
        .unwrap();
    AuditChain::new(key, record.keyed_from)
}

/// A copy of a database file (its committed state), so that each attack starts from the same file.
fn copy_of(db_url: &str, name: &str) -> String {
    let path = std::path::Path::new(path_of(db_url)).with_file_name(name);
    let conn = rusqlite::Connection::open(path_of(db_url)).unwrap();
    conn.execute("VACUUM INTO ?1", [path.display().to_string()]).unwrap();
    format!("sqlite://{}", path.display())
}

#[tokio::test(flavor = "multi_thread")]
async fn rewriting_an_event_and_recomputing_the_chain_needs_the_key() {
    let v = vault_with_events(5).await;
    let head = verify(&v.db_url, &[OLD_KEY], None).await.head();
    let last = events(&v.db_url).await.pop().unwrap();
    let hex: String = last.hash.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        head,
        format!("{}:{hex}", last.id),
        "the head is the last event and its link"
    );
    v.server.shutdown().await;

    let victim = last.id / 2;
    let wrong = AuditChain::new(ChainKey::from_bytes([0x42; 32]), 1);
    let right = real_chain(&v.db_url, &[OLD_KEY]).await;
    let attacks: [(&str, Link); 3] = [
        ("sha256.db", Box::new(legacy_link_hash)),
        ("wrong-key.db", Box::new(move |p, r| wrong.link(p, r))),
        ("right-key.db", Box::new(move |p, r| right.link(p, r))),
    ];
    for (name, link) in attacks {
        let url = copy_of(&v.db_url, name);
        sql(&url, &format!("UPDATE audit SET actor = 'mallory' WHERE id = {victim}"));
        verify(&url, &[OLD_KEY], None)
            .await
            .fails_with(&format!("audit chain broken at event {victim}"));
        relink(&url, 1, link).await;
        let out = verify(&url, &[OLD_KEY], None).await;
        if name == "right-key.db" {
            // Only with the key does a recomputed chain pass: the key is what the check rests on.
            out.head();
        } else {
            out.fails_with("audit chain broken at event 1 ");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn expect_head_fails_once_the_tail_is_cut_and_passes_as_the_chain_grows() {
    let v = vault_with_events(3).await;
    let early = verify(&v.db_url, &[OLD_KEY], None).await.head();
    add_events(&v.admin(), 3).await;
    let out = verify(&v.db_url, &[OLD_KEY], Some(&early)).await;
    assert!(out.stdout.contains("held"), "grown past the head: {out:?}");
    let late = out.head();
    assert_ne!(early, late);
    v.server.shutdown().await;

    // Cut the tail: what is left still links, so only a head noted earlier shows the cut.
    let late_id: i64 = late.split(':').next().unwrap().parse().unwrap();
    sql(&v.db_url, &format!("DELETE FROM audit WHERE id > {}", late_id - 2));
    let now = verify(&v.db_url, &[OLD_KEY], None).await.head();
    assert!(now.starts_with(&format!("{}:", late_id - 2)), "{now}");
    verify(&v.db_url, &[OLD_KEY], Some(&late)).await.fails_with(&format!(
        "the chain was cut before the expected head: event {late_id} is gone"
    ));
    verify(&v.db_url, &[OLD_KEY], Some(&now)).await.head();
    verify(&v.db_url, &[OLD_KEY], Some(&early)).await.head();

    // The same id with another link: the event (or one before it) was rewritten.
    let (id, hash) = now.split_once(':').unwrap();
    let other = format!(
        "{id}:{}",
        if hash.starts_with('0') { "1" } else { "0" }.to_owned() + &hash[1..]
    );
    verify(&v.db_url, &[OLD_KEY], Some(&other))
        .await
        .fails_with(&format!("event {id} has another hash"));
    let bad = verify(&v.db_url, &[OLD_KEY], Some("12:nothex")).await;
    assert_eq!(bad.code, 2, "a malformed head is a usage error: {bad:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn after_rekey_and_dropping_the_old_key_the_chain_still_verifies() {
    let v = vault_with_events(3).await;
    v.server.shutdown().await;
    let out = admin(&v.db_url, &[NEW_KEY, OLD_KEY], &["rekey"]).await;
    assert_eq!(out.code, 0, "{out:?}");
    let head = verify(&v.db_url, &[NEW_KEY], None).await.head();
    // The dropped key alone no longer opens the chain key; the error names the key it needs.
    let new_id = common::keyring(&[NEW_KEY]).primary().id().to_owned();
    verify(&v.db_url, &[OLD_KEY], None).await.fails_with(&format!(
        "the audit chain key is sealed under master key {new_id}, which is not configured"
    ));

    // A server with only the new key starts, appends, and the chain holds the old head.
    let opts = common::Options {
        keys: vec![NEW_KEY],
        ..Default::default()
    };
    let server = common::start_server(&v.db_url, &opts).await;
    let admin_client =
        vaultty::client::VaultClient::new(&server.url(), Some(v.admin_token.clone()), Default::default()).unwrap();
    add_events(&admin_client, 2).await;
    verify(&v.db_url, &[NEW_KEY], Some(&head)).await.head();
    server.shutdown().await;
}

/// Makes the database look as a vaultty from before the keyed chain left it: every link plain
/// SHA-256, no chain key, schema version 2 (so without the later secret identities either: the
/// values stored so far no longer open, and these tests reveal only values written afterwards).
async fn make_unkeyed(db_url: &str) {
    relink(db_url, 1, Box::new(legacy_link_hash)).await;
    common::old_schema::rewind_to_v4(&rusqlite::Connection::open(path_of(db_url)).unwrap());
    sql(
        db_url,
        "DROP TABLE audit_chain_key; DROP TABLE settings; ALTER TABLE secrets DROP COLUMN uid; \
         PRAGMA user_version = 2;",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unkeyed_chain_is_verified_and_keyed_at_the_next_start() {
    let v = vault_with_events(3).await;
    v.server.shutdown().await;
    make_unkeyed(&v.db_url).await;
    let old = verify(&v.db_url, &[OLD_KEY], None).await;
    assert!(old.stdout.contains("not keyed yet"), "{old:?}");
    let old_head = old.head();
    let old_last: i64 = old_head.split(':').next().unwrap().parse().unwrap();

    let opts = common::Options {
        keys: vec![OLD_KEY],
        ..Default::default()
    };
    let server = common::start_server(&v.db_url, &opts).await;
    let client =
        vaultty::client::VaultClient::new(&server.url(), Some(v.admin_token.clone()), Default::default()).unwrap();
    add_events(&client, 2).await;
    server.shutdown().await;
    let out = verify(&v.db_url, &[OLD_KEY], Some(&old_head)).await;
    let keyed_from = old_last + 1;
    assert!(
        out.stdout
            .contains(&format!("events before {keyed_from} linked before the chain was keyed")),
        "{out:?}"
    );
    out.head();

    // The legacy prefix is sealed in by the first keyed link: rewriting it, even with its own
    // (keyless) hash, breaks the chain there.
    let url = copy_of(&v.db_url, "prefix.db");
    sql(&url, "UPDATE audit SET actor = 'mallory' WHERE id = 1");
    relink(
        &url,
        1,
        Box::new(move |p, r| {
            if r.id < keyed_from {
                legacy_link_hash(p, r)
            } else {
                r.hash
            }
        }),
    )
    .await;
    verify(&url, &[OLD_KEY], None)
        .await
        .fails_with(&format!("audit chain broken at event {keyed_from} "));
    // Nor can the log be cut below the boundary unnoticed, even without a head noted earlier.
    let url = copy_of(&v.db_url, "cut.db");
    sql(&url, &format!("DELETE FROM audit WHERE id >= {old_last}"));
    verify(&url, &[OLD_KEY], None)
        .await
        .fails_with(&format!("the chain was cut: it was keyed after event {old_last}"));
    // Nor can the boundary move to let more events count as unkeyed: the chain key no longer opens.
    let url = copy_of(&v.db_url, "boundary.db");
    sql(
        &url,
        &format!("UPDATE audit_chain_key SET keyed_from = {}", keyed_from + 2),
    );
    verify(&url, &[OLD_KEY], None)
        .await
        .fails_with("the audit chain key does not open: its row in the database (audit_chain_key) was altered");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_unkeyed_chain_is_not_keyed_and_no_writer_starts() {
    let v = vault_with_events(2).await;
    v.server.shutdown().await;
    make_unkeyed(&v.db_url).await;
    sql(&v.db_url, "UPDATE audit SET actor = 'mallory' WHERE id = 2");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = vaultty::server::ServerConfig::new(&v.db_url, common::keyring(&[OLD_KEY]));
    let refused = vaultty::server::start(config, listener)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        refused.contains("broken at event 2") && refused.contains("vaultty admin audit-verify"),
        "{refused}"
    );
    verify(&v.db_url, &[OLD_KEY], None)
        .await
        .fails_with("audit chain broken at event 2 ");
    let create = admin(&v.db_url, &[OLD_KEY], &["create-user", "bob"]).await;
    assert_eq!(create.code, 1, "{create:?}");
    assert!(create.stderr.contains("broken at event 2"), "{create:?}");
    let keyed: i64 = rusqlite::Connection::open(path_of(&v.db_url))
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'audit_chain_key'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(keyed, 1, "the migration ran; the key's table stays empty");
    let rows: i64 = rusqlite::Connection::open(path_of(&v.db_url))
        .unwrap()
        .query_row("SELECT count(*) FROM audit_chain_key", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0);
}
