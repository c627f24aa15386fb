//! Values leaving the vault: reveal (one value, to its reader) and env (every usable value, for
//! `vaultty run`). Each is recorded in the audit log, with `last_used_at`, before the value is returned.

use std::collections::BTreeMap;

use secrecy::SecretString;

use super::error::VaultResult;
use super::policy::may_read_values;
use super::secrets::secret_audit;
use super::{Caller, Vault, VaultError, audit_for};
use crate::api::{Revealed, Scope, validate};
use crate::crypto::Binding;
use crate::store::{AuditAction, OrgRow, Outcome, Owner, StoreError};

impl Vault {
    pub async fn reveal(
        &self,
        caller: &Caller,
        name: &str,
        org_wide: bool,
        version: Option<i64>,
    ) -> VaultResult<Revealed> {
        let row = self.resolve(caller, name, org_wide).await?;
        let at = self.now_millis();
        let org = self.org_row().await?;
        let refusal = if !may_read_values(caller.user.role, caller.user.id, row.owner, &org) {
            Some(match row.owner {
                Owner::User(_) => "a user-private value is revealed only by its owner".to_owned(),
                Owner::Org => format!(
                    "{name} is org-shared and members may not reveal org values here \
                     (an admin can allow it with members_can_reveal)"
                ),
            })
        } else if !row.revealable {
            Some(format!(
                "{name} is write-only: it is delivered through /v1/env (vaultty run) and never revealed"
            ))
        } else {
            None
        };
        if let Some(reason) = refusal {
            return Err(self
                .deny(caller, AuditAction::Reveal, name, row.owner, at, reason)
                .await);
        }
        let wanted = version.unwrap_or(row.version);
        let stored = self.store.version(row.id, wanted).await?.ok_or_else(|| {
            VaultError::NotFound(format!(
                "{name} has no version {wanted} (the newest {} versions are kept)",
                self.settings.max_versions
            ))
        })?;
        let namespace = row.owner.namespace();
        let value = self.open_sealed(
            &Binding {
                namespace: &namespace,
                name,
                identity: &row.identity,
                version: wanted,
            },
            &stored.sealed,
        )?;
        let audit = secret_audit(
            caller,
            AuditAction::Reveal,
            Outcome::Ok,
            name,
            row.owner,
            Some(wanted),
            at,
        );
        // The audit record and last_used_at are durable before the value leaves this function.
        self.store.record_use(&[row.id], at, vec![audit]).await?;
        Ok(Revealed {
            name: row.name.into(),
            value,
            version: wanted,
        })
    }

    /// Every value the caller may use whose scope is `all` or `scope` (every scope when none is
    /// asked); a user-private secret wins over an org-shared one of the same name.
    pub async fn env(&self, caller: &Caller, scope: Option<Scope>) -> VaultResult<BTreeMap<String, SecretString>> {
        let org = self.org_row().await?;
        let mut owners = vec![Owner::User(caller.user.id)];
        if may_read_values(caller.user.role, caller.user.id, Owner::Org, &org) {
            owners.push(Owner::Org);
        }
        let rows = self.store.deliverable(&owners, scope).await?;
        let at = self.now_millis();
        let mut env = BTreeMap::new();
        let mut used = Vec::new();
        let mut audits = Vec::new();
        // Org rows first, so that the caller's own secret of the same name replaces it.
        let (org_rows, user_rows): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(r, _)| r.owner == Owner::Org);
        for (row, sealed) in org_rows.into_iter().chain(user_rows) {
            // Stored before names that change how programs start were refused (docs/API.md,
            // "Reserved names"): kept for its owner to read and delete, never delivered.
            if validate::reserved_name(&row.name).is_some() {
                continue;
            }
            let namespace = row.owner.namespace();
            let value = self.open_sealed(
                &Binding {
                    namespace: &namespace,
                    name: &row.name,
                    identity: &row.identity,
                    version: row.version,
                },
                &sealed,
            )?;
            env.insert(row.name.to_string(), value);
            used.push(row.id);
            audits.push(secret_audit(
                caller,
                AuditAction::Env,
                Outcome::Ok,
                &row.name,
                row.owner,
                Some(row.version),
                at,
            ));
        }
        if audits.is_empty() {
            audits.push(audit_for(caller, AuditAction::Env, Outcome::Ok, at));
        }
        self.store.record_use(&used, at, audits).await?;
        Ok(env)
    }

    pub(crate) async fn org_row(&self) -> VaultResult<OrgRow> {
        self.store
            .org()
            .await?
            .ok_or(VaultError::Store(StoreError::NotInitialised))
    }
}
