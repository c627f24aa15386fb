//! Reading the audit log: admins see the whole org, members their own events.

use super::convert;
use super::error::VaultResult;
use super::{Caller, Vault, VaultError};
use crate::api::{AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT, AuditEvent, AuditQuery};
use crate::store::AuditFilter;

impl Vault {
    pub async fn audit(&self, caller: &Caller, q: &AuditQuery) -> VaultResult<Vec<AuditEvent>> {
        let limit = q.limit.unwrap_or(AUDIT_DEFAULT_LIMIT);
        if limit == 0 || limit > AUDIT_MAX_LIMIT {
            return Err(VaultError::Invalid(format!("limit is between 1 and {AUDIT_MAX_LIMIT}")));
        }
        let actor = if caller.is_admin() {
            q.actor.clone()
        } else {
            match &q.actor {
                Some(a) if *a != caller.user.name => {
                    return Err(VaultError::Forbidden("members see only their own audit events".into()));
                }
                _ => Some(caller.user.name.clone()),
            }
        };
        let filter = AuditFilter {
            actor,
            secret: q.secret.clone(),
            action: q.action,
            before: q.before,
            limit,
        };
        let rows = self.store.list_audit(&filter).await?;
        Ok(rows.iter().map(convert::audit).collect())
    }
}
