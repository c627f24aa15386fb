//! Opening connections and the embedded migrations.
//!
//! The schema version lives in `PRAGMA user_version`. Migrations run in the writer connection at
//! open, inside `BEGIN IMMEDIATE`, so two processes opening a fresh file at once apply them once.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use super::error::map;
use crate::store::{StoreError, StoreResult};

/// How long a statement waits for another process's lock before giving up with `Busy`.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Statements cached per connection: every query of the backend fits, so none is re-prepared.
const STATEMENT_CACHE: usize = 64;

/// Migrations in order; migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r"
    CREATE TABLE org (
        id                 INTEGER PRIMARY KEY CHECK (id = 1),
        name               TEXT NOT NULL,
        members_can_reveal INTEGER NOT NULL DEFAULT 0,
        created_at         INTEGER NOT NULL
    );
    CREATE TABLE users (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        name       TEXT NOT NULL UNIQUE,
        role       TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE tokens (
        id         TEXT PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name       TEXT NOT NULL,
        hash       BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER
    );
    CREATE INDEX tokens_by_user ON tokens(user_id, created_at);
    -- owner_id 0 is the org's namespace (user ids start at 1), hence no foreign key.
    CREATE TABLE secrets (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        owner_id     INTEGER NOT NULL,
        name         TEXT NOT NULL,
        category     TEXT NOT NULL,
        scope        TEXT NOT NULL,
        description  TEXT,
        revealable   INTEGER NOT NULL,
        version      INTEGER NOT NULL,
        preview      TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        created_by   TEXT,
        rotated_at   INTEGER,
        rotated_by   TEXT,
        last_used_at INTEGER,
        UNIQUE (owner_id, name)
    );
    CREATE INDEX secrets_by_scope ON secrets(scope, owner_id);
    CREATE TABLE secret_versions (
        secret_id  INTEGER NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
        version    INTEGER NOT NULL,
        sealed     TEXT NOT NULL,
        preview    TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT,
        PRIMARY KEY (secret_id, version)
    );
    CREATE TABLE audit (
        id         INTEGER PRIMARY KEY,
        at         INTEGER NOT NULL,
        actor      TEXT,
        action     TEXT NOT NULL,
        secret     TEXT,
        visibility TEXT,
        owner      TEXT,
        version    INTEGER,
        outcome    TEXT NOT NULL,
        client     TEXT,
        ip         TEXT,
        prev_hash  BLOB NOT NULL,
        hash       BLOB NOT NULL
    );
    CREATE INDEX audit_by_actor ON audit(actor, id);
    CREATE INDEX audit_by_secret ON audit(secret, id);
    CREATE INDEX audit_by_action ON audit(action, id);
    ",
    // 2: a row may stand for several events (failed authentications, summarised per address).
    r"
    ALTER TABLE audit ADD COLUMN count INTEGER;
    ",
    // 3: the audit chain key, sealed under a master key; events from keyed_from on are linked
    // under it (see store/audit_chain.rs). One row, written when the chain is keyed.
    r"
    CREATE TABLE audit_chain_key (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        sealed     TEXT NOT NULL,
        keyed_from INTEGER NOT NULL
    );
    ",
    // 4: each secret's identity, bound into its sealed values (v2) so that a secret deleted and
    // created again is another secret; SQLite's randomblob() draws it for the existing rows. And
    // vault-wide facts: `sealed_v1` = `refused` once no value is left in the old format (at once
    // for a database with no values yet), after which an old row put back does not open.
    r"
    ALTER TABLE secrets ADD COLUMN uid TEXT NOT NULL DEFAULT '';
    UPDATE secrets SET uid = lower(hex(randomblob(12)));
    CREATE TABLE settings (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    INSERT INTO settings (name, value) SELECT 'sealed_v1', 'refused'
        WHERE NOT EXISTS (SELECT 1 FROM secret_versions);
    ",
    // 5: accounts a team can trust. A token records the token that created it (NULL for tokens
    // made by `admin init`, by enrolment, or before this migration, which keep their expiry), its
    // kind and when it was last used; a user can be disabled (every user made before is enabled);
    // users join by exchanging a single-use enrolment code, stored hashed; an audit event names
    // the user or token an account action acted on.
    r"
    ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tokens ADD COLUMN parent_id TEXT;
    ALTER TABLE tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'user';
    ALTER TABLE tokens ADD COLUMN last_used_at INTEGER;
    CREATE INDEX tokens_by_parent ON tokens(parent_id) WHERE parent_id IS NOT NULL;
    CREATE TABLE enrolments (
        hash       BLOB PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at    INTEGER
    );
    CREATE INDEX enrolments_by_user ON enrolments(user_id);
    ALTER TABLE audit ADD COLUMN target TEXT;
    ",
    // 6: runners and providers. A runner token is bound to a scope and a namespace (`scope` NULL
    // for user tokens; `org_wide` 1 for the org's namespace, 0 for its user's own); a secret may
    // name the provider it is a key for (`github`, `anthropic`), NULL when it names none.
    r"
    ALTER TABLE tokens ADD COLUMN scope TEXT;
    ALTER TABLE tokens ADD COLUMN org_wide INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE secrets ADD COLUMN provider TEXT;
    ",
];

/// Refuses what `open` cannot work with, before SQLite creates anything.
pub(super) fn check_path(path: &str) -> StoreResult<()> {
    let bad = |reason: String| StoreError::Url {
        url: format!("sqlite://{path}"),
        reason,
    };
    if path.is_empty() {
        return Err(bad(
            "no file named: use sqlite:///absolute/path/vault.db or sqlite://relative.db".into(),
        ));
    }
    if path == ":memory:" || path.starts_with("file:") {
        return Err(bad(
            "name a database file (in-memory and URI file names are not supported)".into(),
        ));
    }
    let p = Path::new(path);
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(bad(format!("the directory {} does not exist", dir.display())));
    }
    if p.is_dir() {
        return Err(bad(format!("{path} is a directory, not a database file")));
    }
    Ok(())
}

/// The writer's connection: creates the file, switches it to WAL and brings the schema up to date.
///
/// Two processes opening a fresh file at once can deadlock inside SQLite: both hold a shared lock
/// and both want the exclusive one (to switch to WAL, or to migrate), so SQLite fails one of them
/// with `SQLITE_BUSY` at once instead of calling the busy handler. That one lets go of its lock
/// when the statement fails; trying again after a short pause then succeeds, so retry for as long
/// as any other lock would be waited on.
pub(super) fn open_writer(path: &str) -> StoreResult<Connection> {
    make_private(path)?;
    let deadline = Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(2);
    loop {
        match try_open_writer(path) {
            Err(StoreError::Busy) if Instant::now() + pause < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

fn try_open_writer(path: &str) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| opening(path, e))?;
    configure(&conn)?;
    // Persistent in the file; a no-op when it already is WAL.
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(|e| opening(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!(
            "{path}: SQLite could not switch the database to WAL mode (it stayed {mode:?}); \
             is it on a network file system?"
        )));
    }
    migrate(&conn)?;
    Ok(conn)
}

/// The database file is created by vaultty, owner-only (0600), before SQLite opens it: SQLite
/// would create it 0644, and its unix VFS gives the `-wal` and `-shm` files it creates later the
/// database file's own mode, so all three are private from their first byte. `create_new` is
/// `O_CREAT|O_EXCL`, which never follows a symbolic link: a link planted at the path is not
/// written through (a link to an existing database is opened as before).
///
/// An existing file that group or others may access (made by an older vaultty, or by hand) is
/// tightened to owner-only with a warning rather than refused: the fix is safe and certain, and
/// refusing would stop a working server at upgrade for something it can repair itself. Its values
/// are sealed; what others could read was names, previews, token hashes and the audit log.
fn make_private(path: &str) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match created {
            // Empty: SQLite writes the header on the first transaction.
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(StoreError::Backend(format!("cannot create {path}: {e}"))),
        }
        if std::fs::metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
            return Err(StoreError::Backend(format!(
                "{path} is a symbolic link to a file that does not exist; vaultty will not create a \
                 database through it: remove the link, or create the file it points to"
            )));
        }
        for file in [path.to_owned(), format!("{path}-wal"), format!("{path}-shm")] {
            tighten(&file);
        }
    }
    Ok(())
}

/// Removes group and others' access to `file` if it exists, warning when it had any.
#[cfg(unix)]
fn tighten(file: &str) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(file) else {
        return;
    };
    let mode = meta.permissions().mode();
    if mode & 0o077 == 0 {
        return;
    }
    match std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode & 0o7700)) {
        Ok(()) => tracing::warn!(
            file,
            was = format!("{:o}", mode & 0o777),
            "the database file was readable by group or others; made it owner-only (0600)"
        ),
        Err(e) => tracing::warn!(
            file,
            was = format!("{:o}", mode & 0o777),
            error = %e,
            "the database file is readable by group or others and could not be made owner-only; \
             run `chmod 600` on it"
        ),
    }
}

/// A connection for the read pool: refuses writes, so a bug cannot bypass the writer thread.
pub(super) fn open_reader(path: &str) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| opening(path, e))?;
    configure(&conn)?;
    conn.pragma_update(None, "query_only", true).map_err(map)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> StoreResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(map)?;
    // FULL: each commit fsyncs the WAL, so what a method acknowledged survives power loss.
    conn.pragma_update(None, "synchronous", "FULL").map_err(map)?;
    conn.pragma_update(None, "foreign_keys", true).map_err(map)?;
    // No mmap: in WAL mode a reader whose snapshot is stale unmaps and remaps
    // the whole file at the start of its next transaction, and under a steady stream of audit
    // commits that is nearly every read: an munmap (a TLB shootdown on every core) and page faults
    // for each request, measured at more than the pread() of the few pages a lookup needs.
    conn.pragma_update(None, "mmap_size", 0).map_err(map)?;
    conn.pragma_update(None, "temp_store", "MEMORY").map_err(map)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

fn opening(path: &str, e: rusqlite::Error) -> StoreError {
    match map(e) {
        StoreError::Backend(msg) => StoreError::Backend(format!("cannot open {path}: {msg}")),
        other => other,
    }
}

fn migrate(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(map)?;
    let result = apply_migrations(conn);
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = conn.execute_batch(end).map_err(map);
    result.and(ended)
}

fn apply_migrations(conn: &Connection) -> StoreResult<()> {
    let current: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(map)?;
    let known = i64::try_from(MIGRATIONS.len())
        .map_err(|_| StoreError::Backend("more migrations than schema versions".into()))?;
    if current < 0 || current > known {
        return Err(StoreError::Backend(format!(
            "the database has schema version {current}, newer than this vaultty knows ({known}); upgrade vaultty"
        )));
    }
    // Versions count from 1: migration `i` brings the schema to version `i + 1`.
    for (version, sql) in (1..=known).zip(MIGRATIONS).skip(current as usize) {
        conn.execute_batch(sql).map_err(map)?;
        conn.pragma_update(None, "user_version", version).map_err(map)?;
    }
    Ok(())
}
