//! The local vault's files: the data directory (0700), the master key `master.key` and the admin
//! token `local.token` (0600). Read with `symlink_metadata` only: doctor opens neither secret.

use std::fs::Metadata;
use std::path::Path;

use super::Check;

const KEY_FILE: &str = "master.key";
const TOKEN_FILE: &str = "local.token";
const DATABASE: &str = "vault.db";

/// Whether the local vault has been created (its database or its key exists).
pub(super) fn local_vault_exists(data_dir: &Path) -> bool {
    data_dir.join(DATABASE).exists() || data_dir.join(KEY_FILE).exists()
}

pub(super) fn checks(data_dir: &Path) -> Vec<Check> {
    let db_exists = data_dir.join(DATABASE).exists();
    vec![
        dir_check(data_dir),
        file_check("master key", &data_dir.join(KEY_FILE), db_exists),
        file_check("local token", &data_dir.join(TOKEN_FILE), db_exists),
    ]
}

fn dir_check(dir: &Path) -> Check {
    const NAME: &str = "data directory";
    let shown = dir.display();
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Check::ok(
                NAME,
                format!("{shown} does not exist yet; it is created owner-only (0700) on first use"),
            );
        }
        Err(e) => {
            return Check::fail(
                NAME,
                format!("cannot read {shown}: {e}"),
                "check the path and its parents",
            );
        }
    };
    if !meta.is_dir() {
        return Check::fail(
            NAME,
            format!("{shown} is not a directory"),
            "move it aside, or point VAULTTY_DATA_DIR elsewhere",
        );
    }
    if let Some(problem) = ownership_problem(&meta) {
        return Check::fail(
            NAME,
            format!("{shown} {problem}"),
            "use a data directory of your own (VAULTTY_DATA_DIR)",
        );
    }
    match open_mode(&meta) {
        Some(mode) => Check::fail(
            NAME,
            format!("{shown} is mode {mode:04o}: group or others can list or enter it, where the vault's key lives"),
            format!("chmod 700 {shown}"),
        ),
        None => Check::ok(NAME, format!("{shown} is owner-only")),
    }
}

/// `db_exists`: a missing file is then a loss, not a vault not created yet.
fn file_check(name: &'static str, path: &Path, db_exists: bool) -> Check {
    let shown = path.display();
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && db_exists => {
            return Check::fail(
                name,
                format!("{shown} is missing but the vault database exists, so the local vault cannot open"),
                "restore the file from a backup, or move the data directory aside to start a new local vault",
            );
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Check::ok(
                name,
                format!("{shown} does not exist yet; it is created owner-only (0600) on first use"),
            );
        }
        Err(e) => {
            return Check::fail(
                name,
                format!("cannot read {shown}: {e}"),
                "check the path and its permissions",
            );
        }
    };
    if meta.file_type().is_symlink() {
        return Check::fail(
            name,
            format!("{shown} is a symbolic link, which vaultty refuses to read a secret through"),
            "replace the link with the file itself (0600)",
        );
    }
    if !meta.is_file() {
        return Check::fail(name, format!("{shown} is not a regular file"), "move it aside");
    }
    if let Some(problem) = ownership_problem(&meta) {
        return Check::fail(
            name,
            format!("{shown} {problem}"),
            "use a data directory of your own (VAULTTY_DATA_DIR)",
        );
    }
    match open_mode(&meta) {
        Some(mode) => Check::fail(
            name,
            format!("{shown} is mode {mode:04o}: group or others can read it, so vaultty refuses to use it"),
            format!("chmod 600 {shown}"),
        ),
        None => Check::ok(name, format!("{shown} is owner-only (0600)")),
    }
}

/// The mode, when group or others have any access (where modes exist).
fn open_mode(meta: &Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Why a file of someone else is not ours to trust, when it is not.
fn ownership_problem(meta: &Metadata) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = rustix::process::geteuid().as_raw();
        (meta.uid() != me).then(|| format!("belongs to another user (uid {}, you are {me})", meta.uid()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::super::Status;
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chmod(path: &Path, mode: u32) -> std::io::Result<()> {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }

    #[test]
    fn open_files_fail_with_the_chmod_that_fixes_them() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        // Nothing yet: all ok, and no vault.
        assert!(checks(&dir).iter().all(|c| c.status == Status::Ok));
        assert!(!local_vault_exists(&dir));

        std::fs::create_dir(&dir).unwrap();
        chmod(&dir, 0o755).unwrap();
        let key = dir.join(KEY_FILE);
        std::fs::write(&key, "k").unwrap();
        chmod(&key, 0o644).unwrap();
        let c = checks(&dir);
        assert_eq!(
            (c[0].status, c[1].status, c[2].status),
            (Status::Fail, Status::Fail, Status::Ok)
        );
        assert_eq!(
            c[0].fix.as_deref(),
            Some(format!("chmod 700 {}", dir.display()).as_str())
        );
        assert_eq!(
            c[1].fix.as_deref(),
            Some(format!("chmod 600 {}", key.display()).as_str())
        );
        assert!(c[1].detail.contains("0644"), "{}", c[1].detail);

        chmod(&dir, 0o700).unwrap();
        chmod(&key, 0o600).unwrap();
        std::fs::write(dir.join(DATABASE), "").unwrap();
        let c = checks(&dir);
        assert_eq!((c[0].status, c[1].status), (Status::Ok, Status::Ok));
        // The database without its token file: a loss, said so.
        assert_eq!(c[2].status, Status::Fail);
        assert!(c[2].detail.contains("missing"), "{}", c[2].detail);
    }

    #[test]
    fn a_symlinked_key_fails() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("elsewhere");
        std::fs::write(&real, "k").unwrap();
        chmod(&real, 0o600).unwrap();
        std::os::unix::fs::symlink(&real, tmp.path().join(KEY_FILE)).unwrap();
        let c = file_check("master key", &tmp.path().join(KEY_FILE), false);
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.contains("symbolic link"), "{}", c.detail);
    }
}
