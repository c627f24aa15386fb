//! Files on disk: the database born private next to a real server, and the private files (master
//! key, profile token, local vault key) refused when others can read them, when another user owns
//! them, or when they are symbolic links. The CLI cases run the real binary.
// Helpers here are not #[test] functions, so clippy.toml's test allowance does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

#[path = "common/mod.rs"]
mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::TestVault;

const BIN: &str = env!("CARGO_BIN_EXE_vaultty");
/// A master key (base64 of 32 bytes) for the CLI cases.
const KEY: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// The binary with a private config and data directory under `dir`, and nothing of the caller's
/// vaultty environment.
fn vaultty(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for var in [
        "VAULTTY_URL",
        "VAULTTY_TOKEN",
        "VAULTTY_PROFILE",
        "VAULTTY_LOG",
        "VAULTTY_MASTER_KEY",
        "VAULTTY_DATABASE_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("VAULTTY_CONFIG_DIR", dir.join("config"))
        .env("VAULTTY_DATA_DIR", dir.join("data"))
        .stdin(Stdio::null());
    cmd.output().unwrap()
}

/// `vaultty admin init` of the org `acme` (admin `alice`) at `url`, with its key from `key_file`.
fn admin_init(dir: &Path, url: &str, key_file: &Path) -> Output {
    let key_file = key_file.to_str().unwrap();
    vaultty(
        dir,
        &[
            "admin",
            "init",
            "--database",
            url,
            "--org",
            "acme",
            "--admin",
            "alice",
            "--master-key-file",
            key_file,
        ],
    )
}

/// A failure on one line that names `path` and says `needle`.
fn assert_refused(out: &Output, path: &Path, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(&path.display().to_string()), "names the path: {stderr}");
    assert!(stderr.contains(needle), "says {needle:?}: {stderr}");
    assert!(!stderr.contains(KEY), "a key reached stderr: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_database_and_its_wal_and_shm_are_born_private() {
    let v = TestVault::start().await;
    // A write and a read, so that the write-ahead log and the shared-memory index both exist.
    v.admin()
        .upsert_secret(&vaultty::api::UpsertSecret::new("A", common::secret("value-0001")))
        .await
        .unwrap();
    v.admin().list_secrets(&Default::default()).await.unwrap();
    let db = v.db_path();
    for file in [db.clone(), db.with_extension("db-wal"), db.with_extension("db-shm")] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_open_to_others_is_made_private_at_start() {
    let v = TestVault::start().await;
    let db = v.db_path();
    v.server.shutdown().await;
    chmod(&db, 0o644);
    let server = common::start_server(&v.db_url, &common::Options::default()).await;
    let client =
        vaultty::client::VaultClient::new(&server.url(), Some(v.admin_token.clone()), Default::default()).unwrap();
    client.list_secrets(&Default::default()).await.unwrap();
    assert_eq!(mode(&db), 0o600);
    for file in [db.with_extension("db-wal"), db.with_extension("db-shm")] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[test]
fn a_database_path_that_is_a_dangling_link_is_not_created_through() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere.db");
    let link = dir.path().join("vault.db");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let url = format!("sqlite://{}", link.display());
    let key = dir.path().join("master.key");
    fs::write(&key, format!("{KEY}\n")).unwrap();
    chmod(&key, 0o600);
    let out = admin_init(dir.path(), &url, &key);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("symbolic link"), "{stderr}");
    assert!(!target.exists(), "created through the link");
}

#[test]
fn a_master_key_file_must_be_private_owned_and_not_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("master.key");
    fs::write(&key, format!("# the key\n{KEY}\n")).unwrap();
    let url = format!("sqlite://{}", dir.path().join("vault.db").display());
    let init = |key: &Path| admin_init(dir.path(), &url, key);

    chmod(&key, 0o644);
    assert_refused(&init(&key), &key, &format!("chmod 600 {}", key.display()));
    chmod(&key, 0o640);
    assert_refused(&init(&key), &key, "chmod 600");

    chmod(&key, 0o600);
    let link = dir.path().join("link.key");
    std::os::unix::fs::symlink(&key, &link).unwrap();
    assert_refused(&init(&link), &link, "symbolic link");

    if rustix::process::geteuid().is_root() {
        // Only root can give a file away; a key owned by someone else is theirs to change.
        let theirs = dir.path().join("theirs.key");
        fs::write(&theirs, format!("{KEY}\n")).unwrap();
        chmod(&theirs, 0o600);
        std::os::unix::fs::chown(&theirs, Some(65_534), None).unwrap();
        assert_refused(&init(&theirs), &theirs, "owned by user id 65534");
    }

    let out = init(&key);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_profile_token_or_local_key_that_is_a_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    fs::create_dir_all(config.join("tokens")).unwrap();
    fs::write(
        config.join("profiles.toml"),
        "[profiles.work]\nurl = \"http://127.0.0.1:9\"\n",
    )
    .unwrap();
    let real = dir.path().join("real-token");
    fs::write(&real, "vt_not_a_real_token\n").unwrap();
    chmod(&real, 0o600);
    let token = config.join("tokens/work");
    std::os::unix::fs::symlink(&real, &token).unwrap();
    let out = vaultty(dir.path(), &["whoami", "--profile", "work"]);
    assert_refused(&out, &token, "symbolic link");

    // The local vault's key, when no server is named.
    let data = dir.path().join("data");
    fs::create_dir_all(&data).unwrap();
    chmod(&data, 0o700);
    let real_key = dir.path().join("real.key");
    fs::write(&real_key, format!("{KEY}\n")).unwrap();
    chmod(&real_key, 0o600);
    let key = data.join("master.key");
    std::os::unix::fs::symlink(&real_key, &key).unwrap();
    let out = vaultty(dir.path(), &["secret", "list"]);
    assert_refused(&out, &key, "symbolic link");
}

#[test]
fn the_tui_log_directory_and_file_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("tui")
        .env("VAULTTY_CONFIG_DIR", dir.path().join("config"))
        .env("VAULTTY_DATA_DIR", dir.path().join("data"))
        .env("VAULTTY_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // Without a terminal the TUI refuses at once, after its logging is set up.
    let status = cmd.status().unwrap();
    assert!(!status.success());
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    assert_eq!(mode(&dir.path().join("data/tui.log")), 0o600);
}
