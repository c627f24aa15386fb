//! STUB: helper B fills this in (port of sqlite/accounts.rs).
#![allow(unused_variables, unused_imports, dead_code, clippy::unused_async)]

use deadpool_postgres::ClientWrapper;

use super::writer::PgTx;
use crate::crypto::TokenHash;
use crate::store::*;

fn nb<T>() -> StoreResult<T> {
    Err(StoreError::Backend("not built yet".into()))
}

pub(super) async fn init(tx: &mut PgTx, org: &str, admin: &str, token: NewToken, at: Millis) -> StoreResult<UserRow> {
    let c = tx.client();
    c.execute("INSERT INTO org (id, name, members_can_reveal, created_at) VALUES (1, $1, false, $2)", &[&org, &at]).await.map_err(super::error::map)?;
    let id: i64 = c.query_one("INSERT INTO users (name, role, created_at) VALUES ($1, 'admin', $2) RETURNING id", &[&admin, &at]).await.map_err(super::error::map)?.get(0);
    c.execute("INSERT INTO tokens (id, user_id, name, hash, created_at, kind) VALUES ($1, $2, $3, $4, $5, 'user')", &[&token.id, &id, &token.name, &&token.hash.0[..], &at]).await.map_err(super::error::map)?;
    Ok(UserRow { id, name: admin.into(), role: Role::Admin, created_at: at, disabled: false })
}

pub(super) async fn org(c: &ClientWrapper) -> StoreResult<Option<OrgRow>> {
    nb()
}

pub(super) async fn update_org(tx: &mut PgTx, members_can_reveal: bool, audit: NewAudit) -> StoreResult<OrgRow> {
    nb()
}

pub(super) async fn create_user(
    tx: &mut PgTx,
    name: &str,
    role: Role,
    enrolment: NewEnrolment,
    audit: NewAudit,
) -> StoreResult<UserRow> {
    let c = tx.client();
    let id: i64 = c.query_one("INSERT INTO users (name, role, created_at) VALUES ($1, $2, $3) RETURNING id", &[&name, &role.as_str(), &enrolment.created_at]).await.map_err(super::error::map)?.get(0);
    c.execute("INSERT INTO enrolments (hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)", &[&&enrolment.hash.0[..], &id, &enrolment.created_at, &enrolment.expires_at]).await.map_err(super::error::map)?;
    tx.append_audit(audit).await?;
    Ok(UserRow { id, name: name.into(), role, created_at: enrolment.created_at, disabled: false })
}

pub(super) async fn user_by_name(c: &ClientWrapper, name: &str) -> StoreResult<Option<UserRow>> {
    nb()
}

pub(super) async fn list_users(c: &ClientWrapper, at: Millis) -> StoreResult<Vec<UserSummary>> {
    nb()
}

pub(super) async fn update_user(tx: &mut PgTx, name: &str, patch: UserPatch, audit: NewAudit) -> StoreResult<UserRow> {
    nb()
}
