//! Private files and directories: created owner-only from the start (never chmod-ed after the
//! fact, which would leave a window where others can read), written atomically, and checked
//! before a secret is read from them: opened without following a symbolic link, and refused unless
//! a regular file the user owns that group and others cannot access. Shared by `config` (tokens),
//! `local` (key, token), `cli::keys` (`--master-key-file`) and the TUI's log.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

/// Creates `dir` and its missing parents, owner-only (0700).
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// A new file next to `target`, created exclusively and owner-only (0600), holding `bytes`.
fn write_temp_beside(target: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let nonce: String = crate::crypto::random_bytes::<6>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let tmp = dir.join(format!(".{name}.{}.{nonce}.tmp", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = options.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Writes `bytes` to `path` (mode 0600), replacing it atomically: a reader sees the old or the new
/// content, never a part, and a file that had looser permissions is replaced by a 0600 one.
pub(crate) fn write_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = write_temp_beside(path, bytes)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Creates `path` (mode 0600) holding `bytes` unless it exists: `Ok(true)` when this call created
/// it, `Ok(false)` when it was already there (another process may have won a race). The file
/// appears complete or not at all: it is written aside and then hard-linked into place, which
/// fails if the name is taken.
pub(crate) fn create_private_file(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    let tmp = write_temp_beside(path, bytes)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        // Some file systems have no hard links: fall back to an exclusive create in place.
        Err(_) => {
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            match options.open(path) {
                Ok(mut f) => {
                    f.write_all(bytes)?;
                    f.sync_all()?;
                    Ok(true)
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(e),
            }
        }
    }
}

/// Whether group or others may read or write the file (always false where modes do not exist).
pub(crate) fn is_too_open(file: &File) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Ok(file.metadata()?.permissions().mode() & 0o077 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Ok(false)
    }
}

/// The outcome of reading a private file.
pub(crate) enum PrivateRead {
    Missing,
    /// Group or others may access it: the caller refuses and says `chmod 600`.
    TooOpen,
    Text(Zeroizing<String>),
}

/// Reads a private file, checking it on the open handle (no race with a rename or a chmod):
///
/// - the last component is never followed if it is a symbolic link (`O_NOFOLLOW`): a link planted
///   where a key or token is expected would make vaultty read, and trust, a file of someone else's
///   choosing. The refusal is an error naming the link, not `Missing`;
/// - it must be a regular file owned by the user vaultty runs as (a file owned by someone else is
///   theirs to change);
/// - group and others must have no access ([`PrivateRead::TooOpen`]).
///
/// Directories above it are followed as usual: the checks are on the file itself.
pub(crate) fn read_private_file(path: &Path) -> io::Result<PrivateRead> {
    let mut file = match open_no_follow(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(PrivateRead::Missing),
        Err(e) => return Err(e),
    };
    check_owned_regular(path, &file)?;
    if is_too_open(&file)? {
        return Ok(PrivateRead::TooOpen);
    }
    let mut text = Zeroizing::new(String::new());
    file.read_to_string(&mut text)?;
    Ok(PrivateRead::Text(text))
}

/// Opens `path` for reading without following a symbolic link in its last component, and
/// without blocking should it be a FIFO (refused right after by [`check_owned_regular`]).
fn open_no_follow(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits().cast_signed());
    }
    options.open(path).map_err(|e| {
        // ELOOP is what O_NOFOLLOW answers for a link; say so in words.
        if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            io::Error::new(
                io::ErrorKind::PermissionDenied,
                "it is a symbolic link, and vaultty reads private files only from the file itself; \
                 put the file there instead of the link",
            )
        } else {
            e
        }
    })
}

/// Refuses a file that is not a regular file, or that another user owns.
fn check_owned_regular(path: &Path, file: &File) -> io::Result<()> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "it is not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "it is owned by user id {}, not by you (user id {me}); a private file must be \
                     your own: `chown $(id -u) {}`, or run vaultty as its owner",
                    meta.uid(),
                    path.display()
                ),
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Opens `path` to append to, creating it owner-only (0600) and never through a symbolic link:
/// for a log (the TUI's) that lives beside the private files.
pub(crate) fn open_private_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits().cast_signed());
    }
    let file = options.open(path)?;
    check_owned_regular(path, &file)?;
    Ok(file)
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_are_born_private() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        create_private_dir(&sub).unwrap();
        assert_eq!(mode(&sub), 0o700);

        let f = sub.join("token");
        write_private_file(&f, b"one").unwrap();
        assert_eq!(mode(&f), 0o600);
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(read_private_file(&f).unwrap(), PrivateRead::TooOpen));
        write_private_file(&f, b"two").unwrap();
        assert_eq!(mode(&f), 0o600, "a rewrite replaces a loose file with a private one");
        assert!(matches!(read_private_file(&f).unwrap(), PrivateRead::Text(t) if t.as_str() == "two"));

        let k = sub.join("key");
        assert!(create_private_file(&k, b"first").unwrap());
        assert!(!create_private_file(&k, b"second").unwrap());
        assert_eq!(fs::read_to_string(&k).unwrap(), "first");
        assert_eq!(mode(&k), 0o600);
        assert_eq!(fs::read_dir(&sub).unwrap().count(), 2, "no temporary file left behind");
        assert!(matches!(
            read_private_file(&sub.join("nope")).unwrap(),
            PrivateRead::Missing
        ));
    }

    #[test]
    fn a_symbolic_link_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        write_private_file(&real, b"vt_secret").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = read_private_file(&link).err().unwrap();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(!err.to_string().contains("vt_secret"));
        // A dangling link is refused too, not taken for a missing file.
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(read_private_file(&dangling).is_err());
        assert!(open_private_append(&link).is_err());
        assert_eq!(fs::read_to_string(&real).unwrap(), "vt_secret");
    }

    #[test]
    fn a_directory_or_fifo_is_not_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_private_file(dir.path()).is_err());
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        fs::set_permissions(&fifo, fs::Permissions::from_mode(0o600)).unwrap();
        let err = read_private_file(&fifo).err().unwrap();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
}
