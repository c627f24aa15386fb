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
    nb()
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
    nb()
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
