//! The org and its users: the queries behind those `Store` methods (tokens and enrolment codes
//! are in `tokens.rs`).
//!
//! Functions taking `&Connection` are reads (run on the read pool); those taking `&mut Tx` run in
//! the writer thread inside a job's savepoint, so an error undoes everything the job wrote.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::error::{is_unique_violation, map, parse_column};
use super::tokens::{insert_enrolment, insert_token};
use super::writer::Tx;
use crate::store::{
    Millis, NewAudit, NewEnrolment, NewToken, OrgRow, Role, StoreError, StoreResult, UserPatch, UserRow, UserSummary,
};

pub(super) fn org(conn: &Connection) -> StoreResult<Option<OrgRow>> {
    conn.prepare_cached("SELECT name, members_can_reveal FROM org WHERE id = 1")
        .and_then(|mut st| {
            st.query_row([], |r| {
                Ok(OrgRow {
                    name: r.get(0)?,
                    members_can_reveal: r.get(1)?,
                })
            })
            .optional()
        })
        .map_err(map)
}

pub(super) fn init(tx: &mut Tx<'_>, org_name: &str, admin: &str, token: NewToken, at: Millis) -> StoreResult<UserRow> {
    if org(tx.conn)?.is_some() {
        return Err(StoreError::AlreadyInitialised);
    }
    tx.conn
        .prepare_cached("INSERT INTO org (id, name, members_can_reveal, created_at) VALUES (1, ?1, 0, ?2)")
        .and_then(|mut st| st.execute(params![org_name, at]))
        .map_err(map)?;
    let user = insert_user(tx.conn, admin, Role::Admin, at)?;
    insert_token(
        tx.conn,
        &NewToken {
            user_id: user.id,
            ..token
        },
    )?;
    Ok(user)
}

pub(super) fn update_org(tx: &mut Tx<'_>, members_can_reveal: bool, audit: NewAudit) -> StoreResult<OrgRow> {
    let changed = tx
        .conn
        .prepare_cached("UPDATE org SET members_can_reveal = ?1 WHERE id = 1")
        .and_then(|mut st| st.execute(params![members_can_reveal]))
        .map_err(map)?;
    if changed == 0 {
        return Err(StoreError::NotInitialised);
    }
    tx.append_audit(audit)?;
    org(tx.conn)?.ok_or(StoreError::NotInitialised)
}

pub(super) fn create_user(
    tx: &mut Tx<'_>,
    name: &str,
    role: Role,
    enrolment: NewEnrolment,
    audit: NewAudit,
) -> StoreResult<UserRow> {
    if org(tx.conn)?.is_none() {
        return Err(StoreError::NotInitialised);
    }
    let user = insert_user(tx.conn, name, role, enrolment.created_at)?;
    insert_enrolment(tx.conn, user.id, &enrolment)?;
    tx.append_audit(audit)?;
    Ok(user)
}

fn insert_user(conn: &Connection, name: &str, role: Role, at: Millis) -> StoreResult<UserRow> {
    conn.prepare_cached("INSERT INTO users (name, role, created_at) VALUES (?1, ?2, ?3)")
        .and_then(|mut st| st.execute(params![name, role.as_str(), at]))
        .map_err(|e| {
            if is_unique_violation(&e, "users.name") {
                StoreError::AlreadyExists(name.to_owned())
            } else {
                map(e)
            }
        })?;
    Ok(UserRow {
        id: conn.last_insert_rowid(),
        name: name.to_owned(),
        role,
        created_at: at,
        disabled: false,
    })
}

pub(super) const USER_COLUMNS: &str = "id, name, role, created_at, disabled";
pub(super) const USER_BY_ID: &str = "SELECT id, name, role, created_at, disabled FROM users WHERE id = ?1";

pub(super) fn user_by_name(conn: &Connection, name: &str) -> StoreResult<Option<UserRow>> {
    conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"))
        .and_then(|mut st| st.query_row([name], |r| user_row(r, 0)).optional())
        .map_err(map)
}

pub(super) fn user_by_id(conn: &Connection, id: i64) -> StoreResult<Option<UserRow>> {
    conn.prepare_cached(USER_BY_ID)
        .and_then(|mut st| st.query_row([id], |r| user_row(r, 0)).optional())
        .map_err(map)
}

pub(super) fn list_users(conn: &Connection, at: Millis) -> StoreResult<Vec<UserSummary>> {
    let sql = format!(
        "SELECT {USER_COLUMNS},
            EXISTS (SELECT 1 FROM tokens t WHERE t.user_id = users.id),
            (SELECT MAX(t.last_used_at) FROM tokens t WHERE t.user_id = users.id),
            (SELECT COUNT(*) FROM tokens t WHERE t.user_id = users.id AND t.revoked_at IS NULL
                AND (t.expires_at IS NULL OR t.expires_at > ?1))
         FROM users ORDER BY name"
    );
    conn.prepare_cached(&sql)
        .and_then(|mut st| {
            st.query_map([at], |r| {
                Ok(UserSummary {
                    user: user_row(r, 0)?,
                    enrolled: r.get(5)?,
                    last_seen_at: r.get(6)?,
                    live_tokens: r.get(7)?,
                })
            })?
            .collect()
        })
        .map_err(map)
}

/// Applies `patch` and appends one row per field that changes, refusing (before writing) a
/// change that would leave no enabled admin. Checked inside the writer's transaction, so two
/// admins demoting each other at once cannot both succeed.
pub(super) fn update_user(tx: &mut Tx<'_>, name: &str, patch: UserPatch, audit: NewAudit) -> StoreResult<UserRow> {
    let user = user_by_name(tx.conn, name)?.ok_or(StoreError::NotFound)?;
    let (role, disabled) = patch.applied_to(&user);
    if patch.removes_an_admin(&user) && other_active_admins(tx.conn, user.id)? == 0 {
        return Err(StoreError::LastAdmin(user.name));
    }
    let actions = patch.audit_actions(&user);
    if actions.is_empty() {
        return Ok(user);
    }
    tx.conn
        .prepare_cached("UPDATE users SET role = ?1, disabled = ?2 WHERE id = ?3")
        .and_then(|mut st| st.execute(params![role.as_str(), disabled, user.id]))
        .map_err(map)?;
    for action in actions {
        tx.append_audit(NewAudit {
            action,
            target: Some(user.name.clone()),
            ..audit.clone()
        })?;
    }
    Ok(UserRow { role, disabled, ..user })
}

/// Admins other than `except` who are enabled and have enrolled: an admin still waiting to
/// exchange their code (which may expire unused) cannot be counted on to administer anything.
fn other_active_admins(conn: &Connection, except: i64) -> StoreResult<i64> {
    conn.prepare_cached(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id != ?1 \
         AND EXISTS (SELECT 1 FROM tokens t WHERE t.user_id = users.id)",
    )
    .and_then(|mut st| st.query_row([except], |r| r.get(0)))
    .map_err(map)
}

pub(super) fn user_row(r: &Row<'_>, at: usize) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(at)?,
        name: r.get(at + 1)?,
        role: parse_column(r, at + 2)?,
        created_at: r.get(at + 3)?,
        disabled: r.get(at + 4)?,
    })
}
