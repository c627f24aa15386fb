//! Accounts a team can trust: token lineage, enrolment codes, admin management of users and
//! tokens, disabled users, the last admin, denied attempts in the audit log, and the migration
//! of an older database. One file per rule.

mod admin_api;
mod disabled;
mod enrolment;
mod lineage;
mod migration;

use vaultty::api::{AuditEvent, AuditQuery, Role};
use vaultty::client::VaultClient;

/// Every audit event, newest first (as the admin sees them).
pub async fn audit(admin: &VaultClient) -> Vec<AuditEvent> {
    admin
        .audit(&AuditQuery {
            limit: Some(1000),
            ..Default::default()
        })
        .await
        .unwrap()
}

/// The events of `action` that name `target`, with their outcome.
pub async fn targeted(admin: &VaultClient, action: vaultty::api::AuditAction, target: &str) -> Vec<AuditEvent> {
    audit(admin)
        .await
        .into_iter()
        .filter(|e| e.action == action && e.target.as_deref() == Some(target))
        .collect()
}

pub const MEMBER: Role = Role::Member;
