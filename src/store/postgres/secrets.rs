//! Secrets and their versions: the queries behind those `Store` methods (the port of
//! `sqlite/secrets.rs`, with the same results in the same order).
//!
//! Functions taking `&ClientWrapper` are reads (run on the read pool); those taking `&mut PgTx`
//! run in the writer task inside a job's savepoint, under the audit chain's lock, so that the
//! stored version a write reads cannot change before it commits (see `writer.rs`).
//!
//! Where SQLite runs a few cheap statements in process, each statement here is a round trip, and
//! a write job holds the lock every replica's writes queue on, so a write is as few statements as
//! it can be: the secret's row, its version row and the pruning go in one (data-modifying CTEs),
//! conditional on the stored version the vault read, which returns the row the caller gets. The
//! stored secret is read only when that write did not apply (a conflict, or a racing "latest").

use compact_str::CompactString;
use deadpool_postgres::ClientWrapper;
use tokio_postgres::Row;

use super::error::{map, parse};
use super::writer::PgTx;
use crate::store::{
    AuditAction, Category, MetaPatch, Millis, NewAudit, Owner, Reseal, Scope, SecretFilter, SecretRow, SecretWrite,
    StoreError, StoreResult, VersionRow,
};

/// The columns `secret_row` reads, from a relation `s` of the secrets table's columns, with the
/// owning user's name (NULL for the org): 17 of them (0 to 16), so a query reading more
/// (`deliverable`'s sealed text) reads them from 17 on.
macro_rules! secret_columns {
    () => {
        "s.id, s.owner_id, (SELECT u.name FROM users u WHERE u.id = s.owner_id) AS owner_name, \
         s.name, s.category, s.scope, s.description, s.revealable, s.version, s.preview, s.created_at, \
         s.created_by, s.rotated_at, s.rotated_by, s.last_used_at, s.uid, s.provider"
    };
}

/// The org's namespace first, then users by name, then secrets by name: SQLite's order, where
/// NULL sorts first (a user row gone missing) and names compare bytewise (`COLLATE "C"` columns).
macro_rules! secret_order {
    () => {
        " ORDER BY s.owner_id <> 0, owner_name NULLS FIRST, s.owner_id, s.name"
    };
}

const GET_SECRET: &str = concat!(
    "SELECT ",
    secret_columns!(),
    " FROM secrets s WHERE s.owner_id = $1 AND s.name = $2"
);

/// Reads a row of `secret_columns!` (from column 0). Shared-worthy: any module reading secrets
/// in that column order can map rows with it.
fn secret_row(r: &Row) -> StoreResult<SecretRow> {
    Ok(SecretRow {
        id: r.try_get(0).map_err(map)?,
        owner: Owner::from_db_id(r.try_get(1).map_err(map)?),
        owner_name: opt_text(r, 2)?,
        name: text(r, 3)?,
        category: parse::<Category>("category", r.try_get(4).map_err(map)?)?,
        scope: parse::<Scope>("scope", r.try_get(5).map_err(map)?)?,
        description: opt_text(r, 6)?,
        revealable: r.try_get(7).map_err(map)?,
        version: r.try_get(8).map_err(map)?,
        preview: text(r, 9)?,
        created_at: r.try_get(10).map_err(map)?,
        created_by: opt_text(r, 11)?,
        rotated_at: r.try_get(12).map_err(map)?,
        rotated_by: opt_text(r, 13)?,
        last_used_at: r.try_get(14).map_err(map)?,
        identity: text(r, 15)?,
        provider: opt_text(r, 16)?,
    })
}

/// A TEXT column read into a `CompactString`, borrowed from the row (no intermediate `String`).
fn text(r: &Row, i: usize) -> StoreResult<CompactString> {
    r.try_get::<_, &str>(i).map(CompactString::new).map_err(map)
}

fn opt_text(r: &Row, i: usize) -> StoreResult<Option<CompactString>> {
    r.try_get::<_, Option<&str>>(i)
        .map(|t| t.map(CompactString::new))
        .map_err(map)
}

fn secret_rows(rows: &[Row]) -> StoreResult<Vec<SecretRow>> {
    rows.iter().map(secret_row).collect()
}

fn owner_ids(owners: &[Owner]) -> Vec<i64> {
    owners.iter().map(Owner::db_id).collect()
}

pub(super) async fn get_secret(c: &ClientWrapper, owner: Owner, name: &str) -> StoreResult<Option<SecretRow>> {
    let st = c.prepare_cached(GET_SECRET).await.map_err(map)?;
    c.query_opt(&st, &[&owner.db_id(), &name])
        .await
        .map_err(map)?
        .as_ref()
        .map(secret_row)
        .transpose()
}

pub(super) async fn list_secrets(c: &ClientWrapper, filter: &SecretFilter) -> StoreResult<Vec<SecretRow>> {
    let category = filter.category.map(Category::as_str);
    let scope = filter.scope.map(Scope::as_str);
    let provider = filter.provider.as_deref();
    // One statement whatever the namespaces: PostgreSQL walks the (owner_id, name) index per
    // owner id of the array and sorts the result by owner, in one round trip.
    let rows = if filter.all_users {
        let st = c
            .prepare_cached(concat!(
                "SELECT ",
                secret_columns!(),
                " FROM secrets s WHERE ($1::text IS NULL OR s.category = $1) AND ($2::text IS NULL OR s.scope = $2) \
                 AND ($3::text IS NULL OR s.provider = $3)",
                secret_order!()
            ))
            .await
            .map_err(map)?;
        c.query(&st, &[&category, &scope, &provider]).await.map_err(map)?
    } else {
        if filter.owners.is_empty() {
            return Ok(Vec::new());
        }
        let st = c
            .prepare_cached(concat!(
                "SELECT ",
                secret_columns!(),
                " FROM secrets s WHERE s.owner_id = ANY($3::bigint[]) AND ($1::text IS NULL OR s.category = $1) \
                 AND ($2::text IS NULL OR s.scope = $2) AND ($4::text IS NULL OR s.provider = $4)",
                secret_order!()
            ))
            .await
            .map_err(map)?;
        c.query(&st, &[&category, &scope, &owner_ids(&filter.owners), &provider])
            .await
            .map_err(map)?
    };
    secret_rows(&rows)
}

pub(super) async fn deliverable(
    c: &ClientWrapper,
    owners: &[Owner],
    scope: Option<Scope>,
) -> StoreResult<Vec<(SecretRow, String)>> {
    if owners.is_empty() {
        return Ok(Vec::new());
    }
    let st = c
        .prepare_cached(concat!(
            "SELECT ",
            secret_columns!(),
            ", v.sealed FROM secrets s JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.version \
             WHERE s.owner_id = ANY($1::bigint[]) AND ($2::text IS NULL OR s.scope = 'all' OR s.scope = $2)",
            secret_order!()
        ))
        .await
        .map_err(map)?;
    let rows = c
        .query(&st, &[&owner_ids(owners), &scope.map(Scope::as_str)])
        .await
        .map_err(map)?;
    rows.iter()
        .map(|r| Ok((secret_row(r)?, r.try_get(17).map_err(map)?)))
        .collect()
}

/// A check-and-set write: one statement when the stored version is the expected one (the
/// common case); a stored secret is read only to tell the caller what it conflicts with.
pub(super) async fn write_secret(tx: &mut PgTx, w: SecretWrite, audit: NewAudit) -> StoreResult<SecretRow> {
    check_new_version(&w)?;
    let Some(row) = put_secret(tx, &w).await? else {
        // The stored version is not the expected one, or it is, of another secret of that name
        // (deleted and created again meanwhile): the value was sealed for the one that was read.
        let current = stored_secret(tx, &w).await?.map(|s| s.version);
        return Err(StoreError::Conflict { current });
    };
    tx.append_audit(audit)?;
    Ok(row)
}

/// The unconditional write: on top of the version stored now. It is tried as the vault read it
/// (one statement); when another writer got in since, the stored secret is read and the write
/// goes after it, in the same transaction, which holds the audit chain's lock, so that no other
/// writer can come in between the read and the write.
pub(super) async fn write_secret_latest(
    tx: &mut PgTx,
    mut w: SecretWrite,
    reseal: Reseal,
    mut audit: NewAudit,
) -> StoreResult<(SecretRow, bool)> {
    check_new_version(&w)?;
    let (row, created) = match put_secret(tx, &w).await? {
        Some(row) => (row, w.expected.is_none()),
        None => {
            let stored = stored_secret(tx, &w).await?;
            let identity = match &stored {
                Some(s) => s.identity.clone(),
                // Created here, though the vault saw a secret that is gone now: a new secret, so
                // a new identity (the one read belonged to the deleted one).
                None if w.expected.is_some() => crate::crypto::new_identity(),
                None => w.identity.clone(),
            };
            // Write the version after theirs, of the secret as it is now.
            w.expected = stored.as_ref().map(|s| s.version);
            w.new_version = w.expected.map_or(1, |v| v + 1);
            w.sealed = reseal(&identity, w.new_version);
            w.identity = identity;
            let row = put_secret(tx, &w).await?.ok_or_else(|| {
                // Read under the lock every writer holds to its commit: it cannot have changed.
                StoreError::Backend("the secret changed under the audit chain's lock".into())
            })?;
            (row, stored.is_none())
        }
    };
    audit.version = Some(w.new_version);
    audit.action = if created {
        AuditAction::Create
    } else {
        AuditAction::Rotate
    };
    tx.append_audit(audit)?;
    Ok((row, created))
}

fn check_new_version(w: &SecretWrite) -> StoreResult<()> {
    if w.new_version != w.expected.map_or(1, |v| v + 1) {
        return Err(StoreError::Backend(format!(
            "bug: a write from version {:?} must create version {}, not {}",
            w.expected,
            w.expected.map_or(1, |v| v + 1),
            w.new_version
        )));
    }
    Ok(())
}

/// A secret as stored now, read in the writing transaction: what a write that did not apply
/// settles against.
struct Stored {
    version: i64,
    identity: String,
}

async fn stored_secret(tx: &PgTx, w: &SecretWrite) -> StoreResult<Option<Stored>> {
    let c = tx.client();
    let st = c
        .prepare_cached("SELECT version, uid FROM secrets WHERE owner_id = $1 AND name = $2")
        .await
        .map_err(map)?;
    let Some(r) = c.query_opt(&st, &[&w.owner.db_id(), &w.name]).await.map_err(map)? else {
        return Ok(None);
    };
    Ok(Some(Stored {
        version: r.try_get(0).map_err(map)?,
        identity: r.try_get(1).map_err(map)?,
    }))
}

/// Creates a secret and its first version in one statement, if the name is free. (The version
/// row's foreign key is checked at the statement's end, when the secret's row is there.) Not
/// `ON CONFLICT DO NOTHING`, which draws an id even when it inserts nothing: ids stay dense, as
/// SQLite's are.
const CREATE_SECRET: &str = concat!(
    "WITH s AS (INSERT INTO secrets (owner_id, name, category, scope, description, revealable, version, \
     preview, created_at, created_by, uid, provider) SELECT $1::bigint, $2::text, $3::text, $4::text, $5::text, \
     $6::boolean, $7::bigint, $8::text, $9::bigint, $10::text, $11::text, $13::text \
     WHERE NOT EXISTS (SELECT 1 FROM secrets WHERE owner_id = $1 AND name = $2) RETURNING *), \
     v AS (INSERT INTO secret_versions (secret_id, version, sealed, preview, created_at, created_by) \
     SELECT s.id, s.version, $12::text, s.preview, s.created_at, s.created_by FROM s) \
     SELECT ",
    secret_columns!(),
    " FROM s"
);

/// Rotates a secret if it is still at the expected version and identity: its row, the new
/// version row and the pruning, in one statement. A field the write leaves out (NULL) keeps what
/// is stored; `revealable` only ever goes from true to false.
const ROTATE_SECRET: &str = concat!(
    "WITH s AS (UPDATE secrets SET category = COALESCE($5::text, category), scope = COALESCE($6::text, scope), \
     description = CASE WHEN $7::boolean THEN $8::text ELSE description END, revealable = revealable AND $9::boolean, \
     version = $10, preview = $11, rotated_at = $12, rotated_by = $13, \
     provider = CASE WHEN $16::boolean THEN $17::text ELSE provider END \
     WHERE owner_id = $1 AND name = $2 AND version = $3 AND uid = $4 RETURNING *), \
     v AS (INSERT INTO secret_versions (secret_id, version, sealed, preview, created_at, created_by) \
     SELECT s.id, s.version, $14::text, s.preview, s.rotated_at, s.rotated_by FROM s), \
     pruned AS (DELETE FROM secret_versions WHERE secret_id IN (SELECT id FROM s) AND version < $15) \
     SELECT ",
    secret_columns!(),
    " FROM s"
);

/// Writes `w` if the stored secret is the one it expects (`w.expected`, and `w.identity` for a
/// rotation): the secret's row, the version row and the pruning, in one statement. `None` when
/// it is not (nothing written). The metadata `w` leaves out is what is stored now, not what the
/// vault read before (a concurrent edit is kept), and a write-only secret stays write-only
/// whatever the write says: the vault refuses to make it revealable, and a write that raced with
/// the edit making it write-only must not undo it. The caller appends the audit record.
async fn put_secret(tx: &PgTx, w: &SecretWrite) -> StoreResult<Option<SecretRow>> {
    let c = tx.client();
    let row = match w.expected {
        // A create is version 1: nothing to prune.
        None => {
            let category = w.category.unwrap_or_default();
            let scope = w.scope.unwrap_or_default();
            let description = w.description.clone().flatten();
            let revealable = w.revealable.unwrap_or(true);
            let st = c.prepare_cached(CREATE_SECRET).await.map_err(map)?;
            c.query_opt(
                &st,
                &[
                    &w.owner.db_id(),
                    &w.name,
                    &category.as_str(),
                    &scope.as_str(),
                    &description,
                    &revealable,
                    &w.new_version,
                    &w.preview,
                    &w.at,
                    &w.by,
                    &w.identity,
                    &w.sealed,
                    &w.provider.clone().flatten(),
                ],
            )
            .await
        }
        Some(expected) => {
            // Keep the newest `max_versions` (at least the current one).
            let oldest_kept = w.new_version - i64::from(w.max_versions.max(1)) + 1;
            // `CASE WHEN $set THEN $value ELSE column END`: whether to write it, and what (NULL clears).
            let (set_description, description) = match &w.description {
                Some(d) => (true, d.as_deref()),
                None => (false, None),
            };
            let (set_provider, provider) = match &w.provider {
                Some(p) => (true, p.as_deref()),
                None => (false, None),
            };
            let st = c.prepare_cached(ROTATE_SECRET).await.map_err(map)?;
            c.query_opt(
                &st,
                &[
                    &w.owner.db_id(),
                    &w.name,
                    &expected,
                    &w.identity,
                    &w.category.map(Category::as_str),
                    &w.scope.map(Scope::as_str),
                    &set_description,
                    &description,
                    &w.revealable.unwrap_or(true),
                    &w.new_version,
                    &w.preview,
                    &w.at,
                    &w.by,
                    &w.sealed,
                    &oldest_kept,
                    &set_provider,
                    &provider,
                ],
            )
            .await
        }
    };
    row.map_err(map)?.as_ref().map(secret_row).transpose()
}

/// A metadata edit in one statement: a field the patch leaves out (NULL) keeps what is stored,
/// and `revealable` is one-way here too (an edit that raced with another making the secret
/// write-only keeps it so).
const UPDATE_SECRET: &str = concat!(
    "UPDATE secrets s SET category = COALESCE($3::text, s.category), scope = COALESCE($4::text, s.scope), \
     description = CASE WHEN $5::boolean THEN $6::text ELSE s.description END, \
     revealable = s.revealable AND $7::boolean, \
     provider = CASE WHEN $8::boolean THEN $9::text ELSE s.provider END \
     WHERE s.owner_id = $1 AND s.name = $2 RETURNING ",
    secret_columns!()
);

pub(super) async fn update_secret(
    tx: &mut PgTx,
    owner: Owner,
    name: &str,
    patch: MetaPatch,
    audit: NewAudit,
) -> StoreResult<SecretRow> {
    let c = tx.client();
    let (set_description, description) = match &patch.description {
        Some(d) => (true, d.as_deref()),
        None => (false, None),
    };
    let (set_provider, provider) = match &patch.provider {
        Some(p) => (true, p.as_deref()),
        None => (false, None),
    };
    let st = c.prepare_cached(UPDATE_SECRET).await.map_err(map)?;
    let row = c
        .query_opt(
            &st,
            &[
                &owner.db_id(),
                &name,
                &patch.category.map(Category::as_str),
                &patch.scope.map(Scope::as_str),
                &set_description,
                &description,
                &patch.revealable.unwrap_or(true),
                &set_provider,
                &provider,
            ],
        )
        .await
        .map_err(map)?
        .ok_or(StoreError::NotFound)?;
    let row = secret_row(&row)?;
    tx.append_audit(audit)?;
    Ok(row)
}

pub(super) async fn delete_secret(tx: &mut PgTx, owner: Owner, name: &str, audit: NewAudit) -> StoreResult<()> {
    // The versions go with it (ON DELETE CASCADE).
    let c = tx.client();
    let st = c
        .prepare_cached("DELETE FROM secrets WHERE owner_id = $1 AND name = $2")
        .await
        .map_err(map)?;
    let deleted = c.execute(&st, &[&owner.db_id(), &name]).await.map_err(map)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    tx.append_audit(audit)
}

fn version_row(r: &Row) -> StoreResult<VersionRow> {
    version_row_at(r, 0)
}

/// A version row's five columns, from column `at` on.
fn version_row_at(r: &Row, at: usize) -> StoreResult<VersionRow> {
    Ok(VersionRow {
        version: r.try_get(at).map_err(map)?,
        sealed: r.try_get(at + 1).map_err(map)?,
        preview: r.try_get(at + 2).map_err(map)?,
        created_at: r.try_get(at + 3).map_err(map)?,
        created_by: r.try_get(at + 4).map_err(map)?,
    })
}

/// `Store::secret_with_version` in one round trip: the first of the owners (in the order given)
/// that has the name, joined with the version asked for (its current one when NULL).
pub(super) async fn secret_with_version(
    c: &ClientWrapper,
    owners: &[Owner],
    name: &str,
    version: Option<i64>,
) -> StoreResult<Option<(SecretRow, Option<VersionRow>)>> {
    let st = c
        .prepare_cached(concat!(
            "SELECT ",
            secret_columns!(),
            ", v.version, v.sealed, v.preview, v.created_at, v.created_by FROM secrets s \
             LEFT JOIN secret_versions v ON v.secret_id = s.id AND v.version = COALESCE($3::BIGINT, s.version) \
             WHERE s.owner_id = ANY($1) AND s.name = $2 ORDER BY array_position($1, s.owner_id) LIMIT 1"
        ))
        .await
        .map_err(map)?;
    let Some(row) = c
        .query_opt(&st, &[&owner_ids(owners), &name, &version])
        .await
        .map_err(map)?
    else {
        return Ok(None);
    };
    let secret = secret_row(&row)?;
    let stored = match row.try_get::<_, Option<i64>>(17).map_err(map)? {
        Some(_) => Some(version_row_at(&row, 17)?),
        None => None,
    };
    Ok(Some((secret, stored)))
}

pub(super) async fn versions(c: &ClientWrapper, secret_id: i64) -> StoreResult<Vec<VersionRow>> {
    let st = c
        .prepare_cached(
            "SELECT version, sealed, preview, created_at, created_by FROM secret_versions \
             WHERE secret_id = $1 ORDER BY version DESC",
        )
        .await
        .map_err(map)?;
    let rows = c.query(&st, &[&secret_id]).await.map_err(map)?;
    rows.iter().map(version_row).collect()
}

pub(super) async fn version(c: &ClientWrapper, secret_id: i64, version: i64) -> StoreResult<Option<VersionRow>> {
    let st = c
        .prepare_cached(
            "SELECT version, sealed, preview, created_at, created_by FROM secret_versions \
             WHERE secret_id = $1 AND version = $2",
        )
        .await
        .map_err(map)?;
    c.query_opt(&st, &[&secret_id, &version])
        .await
        .map_err(map)?
        .as_ref()
        .map(version_row)
        .transpose()
}

pub(super) fn record_use(tx: &mut PgTx, secret_ids: &[i64], at: Millis, audits: Vec<NewAudit>) -> StoreResult<()> {
    // Written with the batch, one UPDATE for every use in it (`batch_rows.rs`), keeping each
    // secret's latest time: batches may commit uses out of clock order.
    tx.note_uses(secret_ids, at);
    tx.append_audits(audits)
}
