//! Secrets and their versions: the queries behind those `Store` methods.
//!
//! Functions taking `&Connection` are reads (run on the read pool); those taking `&mut Tx` run in
//! the writer thread inside a job's savepoint.

use compact_str::CompactString;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::error::{map, parse_column};
use super::writer::Tx;
use crate::store::{
    AuditAction, Category, MetaPatch, Millis, NewAudit, Owner, Reseal, Scope, SecretFilter, SecretRow, SecretWrite,
    StoreError, StoreResult, VersionRow,
};

/// The columns `secret_row` reads, from `secrets s`, with its owning user's name: 17 of them
/// (0 to 16), so a query reading more (`deliverable`'s sealed text) reads them from 17 on.
///
/// The name comes from a subquery, not a join: with SQLite's STAT4 (which rusqlite's bundled
/// build enables) a statement that joins is compiled again on every run, about 35 µs, ten
/// times the lookup itself. `hot_statements_are_compiled_once` in `tests.rs` keeps it so.
macro_rules! secret_select {
    () => {
        "SELECT s.id, s.owner_id, (SELECT u.name FROM users u WHERE u.id = s.owner_id) AS owner_name, \
         s.name, s.category, s.scope, s.description, s.revealable, s.version, s.preview, s.created_at, \
         s.created_by, s.rotated_at, s.rotated_by, s.last_used_at, s.uid, s.provider FROM secrets s "
    };
}

/// The org's namespace first, then users by name, then secrets by name.
macro_rules! secret_order {
    () => {
        " ORDER BY s.owner_id <> 0, owner_name, s.owner_id, s.name"
    };
}

fn secret_row(r: &Row<'_>) -> rusqlite::Result<SecretRow> {
    Ok(SecretRow {
        id: r.get(0)?,
        owner: Owner::from_db_id(r.get(1)?),
        owner_name: opt_text(r, 2)?,
        name: text(r, 3)?,
        category: parse_column(r, 4)?,
        scope: parse_column(r, 5)?,
        description: opt_text(r, 6)?,
        revealable: r.get(7)?,
        version: r.get(8)?,
        preview: text(r, 9)?,
        created_at: r.get(10)?,
        created_by: opt_text(r, 11)?,
        rotated_at: r.get(12)?,
        rotated_by: opt_text(r, 13)?,
        last_used_at: r.get(14)?,
        identity: text(r, 15)?,
        provider: opt_text(r, 16)?,
    })
}

/// A TEXT column read into a `CompactString` without an intermediate `String`.
fn text(r: &Row<'_>, i: usize) -> rusqlite::Result<CompactString> {
    opt_text(r, i)?.ok_or(rusqlite::Error::InvalidColumnType(
        i,
        "text".into(),
        rusqlite::types::Type::Null,
    ))
}

fn opt_text(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<CompactString>> {
    match r.get_ref(i)? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(bytes) => std::str::from_utf8(bytes)
            .map(|s| Some(CompactString::new(s)))
            .map_err(|e| rusqlite::Error::Utf8Error(i, e)),
        other => Err(rusqlite::Error::InvalidColumnType(i, "text".into(), other.data_type())),
    }
}

/// Owner ids as a JSON array, for `json_each`: one statement text whatever the number of owners.
fn owner_ids(owners: &[Owner]) -> String {
    let ids: Vec<String> = owners.iter().map(|o| o.db_id().to_string()).collect();
    format!("[{}]", ids.join(","))
}

pub(super) const GET_SECRET: &str = concat!(secret_select!(), "WHERE s.owner_id = ?1 AND s.name = ?2");
pub(super) const SECRET_BY_ID: &str = concat!(secret_select!(), "WHERE s.id = ?1");
pub(super) const VERSION: &str = "SELECT version, sealed, preview, created_at, created_by FROM secret_versions WHERE secret_id = ?1 AND version = ?2";

pub(super) fn get_secret(conn: &Connection, owner: Owner, name: &str) -> StoreResult<Option<SecretRow>> {
    conn.prepare_cached(GET_SECRET)
        .and_then(|mut st| st.query_row(params![owner.db_id(), name], secret_row).optional())
        .map_err(map)
}

fn secret_by_id(conn: &Connection, id: i64) -> StoreResult<SecretRow> {
    conn.prepare_cached(SECRET_BY_ID)
        .and_then(|mut st| st.query_row([id], secret_row))
        .map_err(map)
}

pub(super) fn list_secrets(conn: &Connection, filter: &SecretFilter) -> StoreResult<Vec<SecretRow>> {
    let category = filter.category.map(Category::as_str);
    let scope = filter.scope.map(Scope::as_str);
    let provider = filter.provider.as_deref();
    if filter.all_users {
        return conn
            .prepare_cached(concat!(
                secret_select!(),
                "WHERE (?1 IS NULL OR s.category = ?1) AND (?2 IS NULL OR s.scope = ?2) \
                 AND (?3 IS NULL OR s.provider = ?3)",
                secret_order!()
            ))
            .and_then(|mut st| st.query_map(params![category, scope, provider], secret_row)?.collect())
            .map_err(map);
    }
    // One range of the (owner_id, name) index per namespace, taken in the listing's order: SQLite
    // then neither sorts nor joins per row, which for a namespace of 10,000 secrets is most of the
    // time the single query spent. The owner's name is bound once as ?4 instead of joined.
    let mut owners: Vec<(Option<String>, i64)> = Vec::with_capacity(filter.owners.len());
    for owner in &filter.owners {
        let id = owner.db_id();
        if owners.iter().any(|(_, known)| *known == id) {
            continue;
        }
        let name = match owner {
            Owner::Org => None,
            Owner::User(id) => conn
                .prepare_cached("SELECT name FROM users WHERE id = ?1")
                .and_then(|mut st| st.query_row([id], |r| r.get::<_, String>(0)).optional())
                .map_err(map)?,
        };
        owners.push((name, id));
    }
    // The order of `secret_order!`: the org first, then users by name (a missing one first, as
    // SQLite sorts NULL), then by id.
    owners.sort_by(|(a_name, a_id), (b_name, b_id)| (*a_id != 0, a_name, a_id).cmp(&(*b_id != 0, b_name, b_id)));
    let mut st = conn
        .prepare_cached(
            "SELECT s.id, s.owner_id, ?4, s.name, s.category, s.scope, s.description, s.revealable, \
             s.version, s.preview, s.created_at, s.created_by, s.rotated_at, s.rotated_by, s.last_used_at, s.uid, \
             s.provider FROM secrets s WHERE s.owner_id = ?3 AND (?1 IS NULL OR s.category = ?1) \
             AND (?2 IS NULL OR s.scope = ?2) AND (?5 IS NULL OR s.provider = ?5) ORDER BY s.name",
        )
        .map_err(map)?;
    let mut rows = Vec::new();
    for (name, id) in &owners {
        let found = st
            .query_map(params![category, scope, id, name, provider], secret_row)
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(map)?;
        if rows.is_empty() {
            rows = found;
        } else {
            rows.extend(found);
        }
    }
    Ok(rows)
}

pub(super) fn deliverable(
    conn: &Connection,
    owners: &[Owner],
    scope: Option<Scope>,
) -> StoreResult<Vec<(SecretRow, String)>> {
    if owners.is_empty() {
        return Ok(Vec::new());
    }
    conn.prepare_cached(
        "SELECT s.id, s.owner_id, (SELECT u.name FROM users u WHERE u.id = s.owner_id) AS owner_name, s.name, \
         s.category, s.scope, s.description, s.revealable, s.version, s.preview, s.created_at, s.created_by, \
         s.rotated_at, s.rotated_by, s.last_used_at, s.uid, s.provider, v.sealed \
         FROM secrets s JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.version \
         WHERE s.owner_id IN (SELECT value FROM json_each(?1)) AND (?2 IS NULL OR s.scope = 'all' OR s.scope = ?2) \
         ORDER BY s.owner_id <> 0, owner_name, s.owner_id, s.name",
    )
    .and_then(|mut st| {
        st.query_map(params![owner_ids(owners), scope.map(Scope::as_str)], |r| {
            Ok((secret_row(r)?, r.get(17)?))
        })?
        .collect()
    })
    .map_err(map)
}

pub(super) fn write_secret(tx: &mut Tx<'_>, w: SecretWrite, audit: NewAudit) -> StoreResult<SecretRow> {
    let stored = stored_secret(tx, &w)?;
    let current = stored.as_ref().map(|s| s.version);
    // The same version of another secret of that name (deleted and created again meanwhile)
    // is a change too: the value was sealed for the one that was read.
    if current != w.expected || stored.as_ref().is_some_and(|s| s.identity != w.identity) {
        return Err(StoreError::Conflict { current });
    }
    put_secret(tx, stored, w, audit)
}

/// The unconditional write: on top of the version stored now, read in the same savepoint as the
/// write, so that no other writer can come in between.
pub(super) fn write_secret_latest(
    tx: &mut Tx<'_>,
    mut w: SecretWrite,
    reseal: Reseal,
    mut audit: NewAudit,
) -> StoreResult<(SecretRow, bool)> {
    let stored = stored_secret(tx, &w)?;
    let current = stored.as_ref().map(|s| s.version);
    let identity = match &stored {
        Some(s) => s.identity.clone(),
        // Created here, though the vault saw a secret that is gone now: a new secret, so a new
        // identity (the one read belonged to the deleted one).
        None if w.expected.is_some() => crate::crypto::new_identity(),
        None => w.identity.clone(),
    };
    if current != w.expected || identity != w.identity {
        // Another writer got in after the vault read: write the version after theirs, of the
        // secret as it is now.
        w.expected = current;
        w.new_version = current.map_or(1, |v| v + 1);
        w.sealed = reseal(&identity, w.new_version);
        w.identity = identity;
    }
    audit.version = Some(w.new_version);
    audit.action = if stored.is_some() {
        AuditAction::Rotate
    } else {
        AuditAction::Create
    };
    let created = stored.is_none();
    let row = put_secret(tx, stored, w, audit)?;
    Ok((row, created))
}

/// A secret as stored now, read in the writing savepoint: what a write settles against.
struct Stored {
    id: i64,
    version: i64,
    category: Category,
    scope: Scope,
    description: Option<String>,
    revealable: bool,
    identity: String,
    provider: Option<String>,
}

fn stored_secret(tx: &Tx<'_>, w: &SecretWrite) -> StoreResult<Option<Stored>> {
    tx.conn
        .prepare_cached(
            "SELECT id, version, category, scope, description, revealable, uid, provider FROM secrets \
             WHERE owner_id = ?1 AND name = ?2",
        )
        .and_then(|mut st| {
            st.query_row(params![w.owner.db_id(), w.name], |r| {
                Ok(Stored {
                    id: r.get(0)?,
                    version: r.get(1)?,
                    category: parse_column(r, 2)?,
                    scope: parse_column(r, 3)?,
                    description: r.get(4)?,
                    revealable: r.get(5)?,
                    identity: r.get(6)?,
                    provider: r.get(7)?,
                })
            })
            .optional()
        })
        .map_err(map)
}

/// Writes `w` over `stored` (read in this savepoint, and `w.expected` matches its version): the
/// secret's row, the version row, the pruning and the audit record. The metadata `w` leaves out
/// is what is stored now, not what the vault read before (a concurrent edit is kept), and a
/// write-only secret stays write-only whatever the write says: the vault refuses to make it
/// revealable, and a write that raced with the edit making it write-only must not undo it.
fn put_secret(tx: &mut Tx<'_>, stored: Option<Stored>, w: SecretWrite, audit: NewAudit) -> StoreResult<SecretRow> {
    if w.new_version != w.expected.map_or(1, |v| v + 1) {
        return Err(StoreError::Backend(format!(
            "bug: a write from version {:?} must create version {}, not {}",
            w.expected,
            w.expected.map_or(1, |v| v + 1),
            w.new_version
        )));
    }
    let id = match stored {
        None => {
            let category = w.category.unwrap_or_default();
            let scope = w.scope.unwrap_or_default();
            let description = w.description.flatten();
            let provider = w.provider.flatten();
            let revealable = w.revealable.unwrap_or(true);
            tx.conn
                .prepare_cached(
                    "INSERT INTO secrets (owner_id, name, category, scope, description, revealable, version, \
                     preview, created_at, created_by, uid, provider) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        w.owner.db_id(),
                        w.name,
                        category.as_str(),
                        scope.as_str(),
                        description,
                        revealable,
                        w.new_version,
                        w.preview,
                        w.at,
                        w.by,
                        w.identity,
                        provider
                    ])
                })
                .map_err(map)?;
            tx.conn.last_insert_rowid()
        }
        Some(s) => {
            let category = w.category.unwrap_or(s.category);
            let scope = w.scope.unwrap_or(s.scope);
            let description = w.description.unwrap_or(s.description);
            let provider = w.provider.unwrap_or(s.provider);
            let revealable = s.revealable && w.revealable.unwrap_or(true);
            tx.conn
                .prepare_cached(
                    "UPDATE secrets SET category = ?2, scope = ?3, description = ?4, revealable = ?5, version = ?6, \
                     preview = ?7, rotated_at = ?8, rotated_by = ?9, provider = ?10 WHERE id = ?1",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        s.id,
                        category.as_str(),
                        scope.as_str(),
                        description,
                        revealable,
                        w.new_version,
                        w.preview,
                        w.at,
                        w.by,
                        provider
                    ])
                })
                .map_err(map)?;
            s.id
        }
    };
    tx.conn
        .prepare_cached(
            "INSERT INTO secret_versions (secret_id, version, sealed, preview, created_at, created_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut st| st.execute(params![id, w.new_version, w.sealed, w.preview, w.at, w.by]))
        .map_err(map)?;
    // Keep the newest `max_versions` (at least the current one).
    let oldest_kept = w.new_version - i64::from(w.max_versions.max(1)) + 1;
    tx.conn
        .prepare_cached("DELETE FROM secret_versions WHERE secret_id = ?1 AND version < ?2")
        .and_then(|mut st| st.execute(params![id, oldest_kept]))
        .map_err(map)?;
    tx.append_audit(audit)?;
    secret_by_id(tx.conn, id)
}

pub(super) fn update_secret(
    tx: &mut Tx<'_>,
    owner: Owner,
    name: &str,
    patch: MetaPatch,
    audit: NewAudit,
) -> StoreResult<SecretRow> {
    let row = get_secret(tx.conn, owner, name)?.ok_or(StoreError::NotFound)?;
    let category = patch.category.unwrap_or(row.category);
    let scope = patch.scope.unwrap_or(row.scope);
    let description = patch.description.unwrap_or_else(|| row.description.map(String::from));
    let provider = patch.provider.unwrap_or_else(|| row.provider.map(String::from));
    // One-way here too: an edit that raced with another making the secret write-only keeps it so.
    let revealable = row.revealable && patch.revealable.unwrap_or(true);
    tx.conn
        .prepare_cached(
            "UPDATE secrets SET category = ?2, scope = ?3, description = ?4, revealable = ?5, provider = ?6 \
             WHERE id = ?1",
        )
        .and_then(|mut st| {
            st.execute(params![
                row.id,
                category.as_str(),
                scope.as_str(),
                description,
                revealable,
                provider
            ])
        })
        .map_err(map)?;
    tx.append_audit(audit)?;
    secret_by_id(tx.conn, row.id)
}

pub(super) fn delete_secret(tx: &mut Tx<'_>, owner: Owner, name: &str, audit: NewAudit) -> StoreResult<()> {
    // The versions go with it (ON DELETE CASCADE; foreign keys are on in every connection).
    let deleted = tx
        .conn
        .prepare_cached("DELETE FROM secrets WHERE owner_id = ?1 AND name = ?2")
        .and_then(|mut st| st.execute(params![owner.db_id(), name]))
        .map_err(map)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    tx.append_audit(audit)
}

const VERSION_COLUMNS: &str = "version, sealed, preview, created_at, created_by";

fn version_row(r: &Row<'_>) -> rusqlite::Result<VersionRow> {
    Ok(VersionRow {
        version: r.get(0)?,
        sealed: r.get(1)?,
        preview: r.get(2)?,
        created_at: r.get(3)?,
        created_by: r.get(4)?,
    })
}

pub(super) fn versions(conn: &Connection, secret_id: i64) -> StoreResult<Vec<VersionRow>> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM secret_versions WHERE secret_id = ?1 ORDER BY version DESC");
    conn.prepare_cached(&sql)
        .and_then(|mut st| st.query_map([secret_id], version_row)?.collect())
        .map_err(map)
}

pub(super) fn version(conn: &Connection, secret_id: i64, version: i64) -> StoreResult<Option<VersionRow>> {
    conn.prepare_cached(VERSION)
        .and_then(|mut st| st.query_row([secret_id, version], version_row).optional())
        .map_err(map)
}

/// `Store::secret_with_version`: both lookups in one read transaction.
pub(super) fn secret_with_version(
    conn: &Connection,
    owners: &[Owner],
    name: &str,
    version: Option<i64>,
) -> StoreResult<Option<(SecretRow, Option<VersionRow>)>> {
    for &owner in owners {
        if let Some(row) = get_secret(conn, owner, name)? {
            let stored = self::version(conn, row.id, version.unwrap_or(row.version))?;
            return Ok(Some((row, stored)));
        }
    }
    Ok(None)
}

pub(super) fn record_use(tx: &mut Tx<'_>, secret_ids: &[i64], at: Millis, audits: Vec<NewAudit>) -> StoreResult<()> {
    {
        // Batches may commit uses out of clock order: keep the latest.
        let mut st = tx
            .conn
            .prepare_cached(
                "UPDATE secrets SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
            )
            .map_err(map)?;
        for id in secret_ids {
            st.execute(params![id, at]).map_err(map)?;
        }
    }
    tx.append_audits(audits)
}
