//! Each sealed value is bound to its secret's identity (not only its namespace, name and
//! version), the old v1 format is re-sealed at start, and previews say less of short values.

use rusqlite::Connection;
use secrecy::ExposeSecret;
use vaultty::api::ListQuery;
use vaultty::client::{ClientError, VaultClient};
use vaultty::crypto::Binding;

use crate::common::{self, TestVault};
use crate::org_upsert;

fn sealed_of(db: &Connection, name: &str, version: i64) -> String {
    db.query_row(
        "SELECT sealed FROM secret_versions JOIN secrets ON secrets.id = secret_id WHERE name = ?1 AND secret_versions.version = ?2",
        rusqlite::params![name, version],
        |r| r.get(0),
    )
    .unwrap()
}

fn set_sealed(db: &Connection, name: &str, version: i64, sealed: &str) {
    let n = db
        .execute(
            "UPDATE secret_versions SET sealed = ?3 WHERE version = ?2 AND secret_id = (SELECT id FROM secrets WHERE name = ?1)",
            rusqlite::params![name, version, sealed],
        )
        .unwrap();
    assert_eq!(n, 1);
}

fn assert_does_not_open(err: &ClientError) {
    // A stored value that does not open is the server's trouble, not the caller's: 500, saying
    // nothing of the value or the cause (the server log has it), like any other such failure.
    assert!(matches!(err, ClientError::Server { status: 500, .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_value_of_a_deleted_and_recreated_secret_does_not_open() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin
        .upsert_secret(&org_upsert("TOKEN", "first-life-value-0001"))
        .await
        .unwrap();
    let db = Connection::open(v.db_path()).unwrap();
    let first_life = sealed_of(&db, "TOKEN", 1);
    assert!(first_life.starts_with("v2:"), "{first_life}");
    admin.delete_secret("TOKEN", true).await.unwrap();
    admin
        .upsert_secret(&org_upsert("TOKEN", "second-life-value-002"))
        .await
        .unwrap();
    assert_eq!(
        admin.reveal("TOKEN", true, None).await.unwrap().value.expose_secret(),
        "second-life-value-002"
    );
    // Same namespace, name and version: only the secret's identity tells the two apart.
    set_sealed(&db, "TOKEN", 1, &first_life);
    let err = admin.reveal("TOKEN", true, None).await.unwrap_err();
    assert_does_not_open(&err);
    assert!(!format!("{err:?}").contains("life-value"));
    // Through /v1/env: left out and named, never delivered.
    let answer = admin.env_answer(&Default::default()).await.unwrap();
    assert!(!answer.env.contains_key("TOKEN"));
    assert_eq!(
        answer.skipped.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["TOKEN"]
    );
}

/// A database whose values were all re-sealed refuses a v1 row put back into it (from a backup
/// taken before), even one that opens under the old binding.
#[tokio::test(flavor = "multi_thread")]
async fn a_v1_row_put_back_after_the_migration_does_not_open() {
    let v = TestVault::start().await;
    let admin = v.admin();
    admin
        .upsert_secret(&org_upsert("OLD", "value-from-backup-01"))
        .await
        .unwrap();
    let db = Connection::open(v.db_path()).unwrap();
    let identity: String = db
        .query_row("SELECT uid FROM secrets WHERE name = 'OLD'", [], |r| r.get(0))
        .unwrap();
    let v1 = common::keyring(&v.keys).seal_v1(
        &Binding {
            namespace: "org",
            name: "OLD",
            identity: &identity,
            version: 1,
        },
        &common::secret("value-from-backup-01"),
    );
    set_sealed(&db, "OLD", 1, &v1);
    assert_does_not_open(&admin.reveal("OLD", true, None).await.unwrap_err());
}

/// The values of one org secret `SEALED` (versions 1 to 3) and one user secret.
const ORG_VALUES: [&str; 3] = ["sk-ant-0123456789abcdefWXYZ", "short-12-chr", "tiny"];
const USER_VALUE: &str = "user-value-of-20-chr";

async fn fill(admin: &VaultClient) {
    for value in ORG_VALUES {
        admin.upsert_secret(&org_upsert("SEALED", value)).await.unwrap();
    }
    admin.upsert_secret(&crate::upsert("MINE", USER_VALUE)).await.unwrap();
}

/// Rewrites every stored version as vaultty wrote it before v2: v1 sealed text under the old
/// binding, previews in the old form (first and last four from 12 characters on).
fn downgrade_values(db: &Connection, keys: &[[u8; 32]]) {
    let ring = common::keyring(keys);
    let mut rows = vec![];
    for (version, value) in (1..).zip(ORG_VALUES) {
        rows.push(("org".to_owned(), "SEALED", version, value));
    }
    rows.push(("user:1".to_owned(), "MINE", 1, USER_VALUE));
    for (namespace, name, version, value) in rows {
        let binding = Binding {
            namespace: &namespace,
            name,
            // The old binding has no identity: whatever is here is not sealed in.
            identity: "",
            version,
        };
        set_sealed(db, name, version, &ring.seal_v1(&binding, &common::secret(value)));
        let n = value.chars().count();
        let old_preview = if n >= 12 {
            format!("{}****{}", &value[..4], &value[n - 4..])
        } else {
            "****".to_owned()
        };
        db.execute(
            "UPDATE secret_versions SET preview = ?3 WHERE version = ?2 AND secret_id = (SELECT id FROM secrets WHERE name = ?1)",
            rusqlite::params![name, version, old_preview],
        )
        .unwrap();
        db.execute(
            "UPDATE secrets SET preview = ?3 WHERE name = ?1 AND version = ?2",
            rusqlite::params![name, version, old_preview],
        )
        .unwrap();
    }
}

/// A test vault taken apart, so that its server can be stopped and others started on its file.
struct Parts {
    db_path: std::path::PathBuf,
    db_url: String,
    token: secrecy::SecretString,
    keys: Vec<[u8; 32]>,
    _dir: tempfile::TempDir,
}

async fn filled_and_stopped() -> Parts {
    let v = TestVault::start().await;
    fill(&v.admin()).await;
    let db_path = v.db_path();
    let TestVault {
        dir,
        db_url,
        server,
        admin_token,
        keys,
    } = v;
    server.shutdown().await;
    Parts {
        db_path,
        db_url,
        token: admin_token,
        keys,
        _dir: dir,
    }
}

async fn restart(p: &Parts) -> vaultty::server::RunningServer {
    let opts = common::Options {
        keys: p.keys.clone(),
        ..Default::default()
    };
    common::start_server(&p.db_url, &opts).await
}

async fn assert_all_reveal_as_v2(p: &Parts, server: &vaultty::server::RunningServer) {
    let admin = VaultClient::new(&server.url(), Some(p.token.clone()), Default::default()).unwrap();
    for (version, value) in (1..).zip(ORG_VALUES) {
        let got = admin.reveal("SEALED", true, Some(version)).await.unwrap();
        assert_eq!(got.value.expose_secret(), value);
    }
    assert_eq!(
        admin.reveal("MINE", false, None).await.unwrap().value.expose_secret(),
        USER_VALUE
    );
    let db = Connection::open(&p.db_path).unwrap();
    let formats: Vec<String> = db
        .prepare("SELECT DISTINCT substr(sealed, 1, 3) FROM secret_versions")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(formats, vec!["v2:".to_owned()]);
    // The previews were recomputed from the values in hand: the secret's and each version's.
    let listed = admin.list_secrets(&ListQuery::default()).await.unwrap();
    let preview = |name: &str| listed.iter().find(|m| m.name == name).unwrap().preview.to_string();
    assert_eq!(preview("SEALED"), "****");
    assert_eq!(preview("MINE"), "****-chr");
    let versions: Vec<String> = admin
        .versions("SEALED", true)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.preview)
        .collect();
    assert_eq!(versions, ["****", "****-chr", "sk-a****WXYZ"]);
}

/// A database from before v2 (no identities, every value in v1) is brought up to date at start:
/// the SQL migration draws identities, the vault re-seals every version and recomputes the
/// previews, and every value reveals as before. A second start finds nothing left to do.
#[tokio::test(flavor = "multi_thread")]
async fn a_v1_database_is_resealed_at_start_and_still_reveals() {
    let p = filled_and_stopped().await;
    {
        let db = Connection::open(&p.db_path).unwrap();
        downgrade_values(&db, &p.keys);
        // The schema as it was: no identity column, no settings (the migration before them is 3).
        common::old_schema::rewind_to_v4(&db);
        db.execute_batch("DROP TABLE settings; ALTER TABLE secrets DROP COLUMN uid; PRAGMA user_version = 3;")
            .unwrap();
    }
    let server = restart(&p).await;
    assert_all_reveal_as_v2(&p, &server).await;
    server.shutdown().await;
    let server = restart(&p).await;
    assert_all_reveal_as_v2(&p, &server).await;
}

/// A re-seal cut short (a crash) leaves some rows v1 and some v2: each still opens, and the next
/// start finishes the job.
#[tokio::test(flavor = "multi_thread")]
async fn a_reseal_cut_short_is_finished_at_the_next_start() {
    let p = filled_and_stopped().await;
    {
        let db = Connection::open(&p.db_path).unwrap();
        let kept_v2 = sealed_of(&db, "SEALED", 2);
        downgrade_values(&db, &p.keys);
        set_sealed(&db, "SEALED", 2, &kept_v2);
        // Re-sealed before the crash: its text and its preview were replaced together.
        db.execute(
            "UPDATE secret_versions SET preview = '****-chr' WHERE version = 2 AND secret_id = (SELECT id FROM secrets WHERE name = 'SEALED')",
            [],
        )
        .unwrap();
        db.execute("DELETE FROM settings WHERE name = 'sealed_v1'", []).unwrap();
    }
    let server = restart(&p).await;
    assert_all_reveal_as_v2(&p, &server).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn previews_show_less_of_shorter_values() {
    let v = TestVault::start().await;
    let admin = v.admin();
    for (name, value) in [
        ("TWELVE", "abcdefgh1234"),
        ("TWENTY_THREE", "abcdefghijklmnopqrs5678"),
        ("TWENTY_FOUR", "sk-abcdefghijklmnopqabcd"),
        ("ELEVEN", "abcdefgh123"),
    ] {
        admin.upsert_secret(&crate::upsert(name, value)).await.unwrap();
    }
    let listed = admin.list_secrets(&ListQuery::default()).await.unwrap();
    let preview = |name: &str| listed.iter().find(|m| m.name == name).unwrap().preview.to_string();
    assert_eq!(preview("TWELVE"), "****1234");
    assert_eq!(preview("TWENTY_THREE"), "****5678");
    assert_eq!(preview("TWENTY_FOUR"), "sk-a****abcd");
    assert_eq!(preview("ELEVEN"), "****");
}
