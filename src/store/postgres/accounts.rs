//! The org and its users: the queries behind those `Store` methods (tokens and enrolment codes
//! are in `tokens.rs`). A port of `sqlite/accounts.rs`, row for row.
//!
//! Functions taking `&ClientWrapper` are reads, also used inside a write job through
//! `tx.client()`; those taking `&mut PgTx` run in the writer's batch, inside a job's savepoint
//! and under the audit chain's lock, so writers of every replica are serialized.

use deadpool_postgres::ClientWrapper;
use tokio_postgres::Row;

use super::error::{is_unique_violation, map, parse};
use super::tokens::{insert_enrolment, insert_token};
use super::writer::PgTx;
use crate::store::{
    Millis, NewAudit, NewEnrolment, NewToken, OrgRow, Role, StoreError, StoreResult, UserPatch, UserRow, UserSummary,
};

pub(super) async fn org(c: &ClientWrapper) -> StoreResult<Option<OrgRow>> {
    let st = c
        .prepare_cached("SELECT name, members_can_reveal FROM org WHERE id = 1")
        .await
        .map_err(map)?;
    let Some(r) = c.query_opt(&st, &[]).await.map_err(map)? else {
        return Ok(None);
    };
    Ok(Some(OrgRow {
        name: r.try_get(0).map_err(map)?,
        members_can_reveal: r.try_get(1).map_err(map)?,
    }))
}

pub(super) async fn init(
    tx: &mut PgTx,
    org_name: &str,
    admin: &str,
    token: NewToken,
    at: Millis,
) -> StoreResult<UserRow> {
    let c = tx.client();
    if org(c).await?.is_some() {
        return Err(StoreError::AlreadyInitialised);
    }
    let st = c
        .prepare_cached("INSERT INTO org (id, name, members_can_reveal, created_at) VALUES (1, $1, false, $2)")
        .await
        .map_err(map)?;
    c.execute(&st, &[&org_name, &at]).await.map_err(map)?;
    let user = insert_user(c, admin, Role::Admin, at).await?;
    insert_token(
        c,
        &NewToken {
            user_id: user.id,
            ..token
        },
    )
    .await?;
    Ok(user)
}

pub(super) async fn update_org(tx: &mut PgTx, members_can_reveal: bool, audit: NewAudit) -> StoreResult<OrgRow> {
    let st = tx
        .client()
        .prepare_cached("UPDATE org SET members_can_reveal = $1 WHERE id = 1")
        .await
        .map_err(map)?;
    let changed = tx.client().execute(&st, &[&members_can_reveal]).await.map_err(map)?;
    if changed == 0 {
        return Err(StoreError::NotInitialised);
    }
    tx.append_audit(audit)?;
    org(tx.client()).await?.ok_or(StoreError::NotInitialised)
}

pub(super) async fn create_user(
    tx: &mut PgTx,
    name: &str,
    role: Role,
    enrolment: NewEnrolment,
    audit: NewAudit,
) -> StoreResult<UserRow> {
    let c = tx.client();
    if org(c).await?.is_none() {
        return Err(StoreError::NotInitialised);
    }
    let user = insert_user(c, name, role, enrolment.created_at).await?;
    insert_enrolment(c, user.id, &enrolment).await?;
    tx.append_audit(audit)?;
    Ok(user)
}

async fn insert_user(c: &ClientWrapper, name: &str, role: Role, at: Millis) -> StoreResult<UserRow> {
    // Checked first rather than left to the unique constraint: a failed INSERT would still draw an
    // id from the identity, and the next user would get a later id than under SQLite. (The check
    // cannot race: every write holds the audit chain's lock.)
    if user_by_name(c, name).await?.is_some() {
        return Err(StoreError::AlreadyExists(name.to_owned()));
    }
    let st = c
        .prepare_cached("INSERT INTO users (name, role, created_at) VALUES ($1, $2, $3) RETURNING id")
        .await
        .map_err(map)?;
    let row = c.query_one(&st, &[&name, &role.as_str(), &at]).await.map_err(|e| {
        if is_unique_violation(&e, "users_name_key") {
            StoreError::AlreadyExists(name.to_owned())
        } else {
            map(e)
        }
    })?;
    Ok(UserRow {
        id: row.try_get(0).map_err(map)?,
        name: name.to_owned(),
        role,
        created_at: at,
        disabled: false,
    })
}

pub(super) async fn user_by_name(c: &ClientWrapper, name: &str) -> StoreResult<Option<UserRow>> {
    let st = c
        .prepare_cached("SELECT id, name, role, created_at, disabled FROM users WHERE name = $1")
        .await
        .map_err(map)?;
    c.query_opt(&st, &[&name])
        .await
        .map_err(map)?
        .map(|r| user_row(&r, 0))
        .transpose()
}

pub(super) async fn user_by_id(c: &ClientWrapper, id: i64) -> StoreResult<Option<UserRow>> {
    let st = c
        .prepare_cached("SELECT id, name, role, created_at, disabled FROM users WHERE id = $1")
        .await
        .map_err(map)?;
    c.query_opt(&st, &[&id])
        .await
        .map_err(map)?
        .map(|r| user_row(&r, 0))
        .transpose()
}

pub(super) async fn list_users(c: &ClientWrapper, at: Millis) -> StoreResult<Vec<UserSummary>> {
    let st = c
        .prepare_cached(
            "SELECT id, name, role, created_at, disabled,
                EXISTS (SELECT 1 FROM tokens t WHERE t.user_id = users.id),
                (SELECT MAX(t.last_used_at) FROM tokens t WHERE t.user_id = users.id),
                (SELECT COUNT(*) FROM tokens t WHERE t.user_id = users.id AND t.revoked_at IS NULL
                    AND (t.expires_at IS NULL OR t.expires_at > $1))
             FROM users ORDER BY name",
        )
        .await
        .map_err(map)?;
    let rows = c.query(&st, &[&at]).await.map_err(map)?;
    rows.iter()
        .map(|r| {
            let live: i64 = r.try_get(7).map_err(map)?;
            Ok(UserSummary {
                user: user_row(r, 0)?,
                enrolled: r.try_get(5).map_err(map)?,
                last_seen_at: r.try_get(6).map_err(map)?,
                live_tokens: u32::try_from(live)
                    .map_err(|_| StoreError::Backend("a user's live token count is out of range".into()))?,
            })
        })
        .collect()
}

/// Applies `patch` and appends one row per field that changes, refusing (before writing) a
/// change that would leave no enabled admin. Checked inside the writer's transaction, which holds
/// the audit chain's lock, so two admins demoting each other at once (on one replica or two)
/// cannot both succeed.
pub(super) async fn update_user(tx: &mut PgTx, name: &str, patch: UserPatch, audit: NewAudit) -> StoreResult<UserRow> {
    let user = user_by_name(tx.client(), name).await?.ok_or(StoreError::NotFound)?;
    let (role, disabled) = patch.applied_to(&user);
    if patch.removes_an_admin(&user) && other_active_admins(tx.client(), user.id).await? == 0 {
        return Err(StoreError::LastAdmin(user.name));
    }
    let actions = patch.audit_actions(&user);
    if actions.is_empty() {
        return Ok(user);
    }
    let st = tx
        .client()
        .prepare_cached("UPDATE users SET role = $1, disabled = $2 WHERE id = $3")
        .await
        .map_err(map)?;
    tx.client()
        .execute(&st, &[&role.as_str(), &disabled, &user.id])
        .await
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
async fn other_active_admins(c: &ClientWrapper, except: i64) -> StoreResult<i64> {
    let st = c
        .prepare_cached(
            "SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled AND id <> $1 \
             AND EXISTS (SELECT 1 FROM tokens t WHERE t.user_id = users.id)",
        )
        .await
        .map_err(map)?;
    c.query_one(&st, &[&except]).await.map_err(map)?.try_get(0).map_err(map)
}

/// A user from the columns `id, name, role, created_at, disabled`, starting at column `at`.
pub(super) fn user_row(r: &Row, at: usize) -> StoreResult<UserRow> {
    let role: &str = r.try_get(at + 2).map_err(map)?;
    Ok(UserRow {
        id: r.try_get(at).map_err(map)?,
        name: r.try_get(at + 1).map_err(map)?,
        role: parse("users.role", role)?,
        created_at: r.try_get(at + 3).map_err(map)?,
        disabled: r.try_get(at + 4).map_err(map)?,
    })
}
