//! Secret metadata and writes: list, get, create/rotate with check-and-set, edit, delete, history.

use std::sync::Arc;

use secrecy::ExposeSecret;

use super::convert;
use super::error::VaultResult;
use super::policy::may_write;
use super::{Caller, Vault, VaultError, audit_for};
use crate::api::{ListQuery, PatchSecret, SecretMeta, UpsertSecret, VersionInfo, Visibility, validate};
use crate::crypto::{Binding, preview};
use crate::store::{AuditAction, MetaPatch, Outcome, Owner, SecretFilter, SecretRow, SecretWrite, StoreError};

impl Vault {
    pub async fn list(&self, caller: &Caller, q: &ListQuery) -> VaultResult<Vec<SecretMeta>> {
        if let Some(p) = &q.provider {
            validate::provider(p).map_err(VaultError::Invalid)?;
        }
        let mut filter = SecretFilter {
            owners: vec![Owner::User(caller.user.id), Owner::Org],
            all_users: false,
            category: q.category,
            scope: q.scope,
            provider: q.provider.clone(),
        };
        if q.all == Some(true) || q.user_id.is_some() {
            if !caller.is_admin() {
                return Err(VaultError::Forbidden(
                    "only admins list other users' secrets (all / user_id)".into(),
                ));
            }
            if let Some(name) = &q.user_id {
                let user = self
                    .store
                    .user_by_name(name)
                    .await?
                    .ok_or_else(|| VaultError::NotFound("no user with that `user_id`".into()))?;
                filter.owners = vec![Owner::User(user.id)];
            } else {
                filter.all_users = true;
            }
        }
        match q.secret_scope {
            Some(Visibility::User) => {
                filter.owners.retain(|o| *o != Owner::Org);
                if filter.all_users {
                    // Every user's namespace but not the org's: list all, then drop the org's.
                    let rows = self.store.list_secrets(&filter).await?;
                    return Ok(rows
                        .into_iter()
                        .filter(|r| r.owner != Owner::Org)
                        .map(convert::into_meta)
                        .collect());
                }
            }
            Some(Visibility::Org) => {
                filter.all_users = false;
                filter.owners = vec![Owner::Org];
            }
            None => {}
        }
        let rows = self.store.list_secrets(&filter).await?;
        Ok(rows.into_iter().map(convert::into_meta).collect())
    }

    /// The caller's own secret of that name, else the org's (reads fall back; `org_wide` asks for the org's).
    pub(crate) async fn resolve(&self, caller: &Caller, name: &str, org_wide: bool) -> VaultResult<SecretRow> {
        validate::stored_secret_name(name).map_err(VaultError::Invalid)?;
        if !org_wide && let Some(row) = self.store.get_secret(Owner::User(caller.user.id), name).await? {
            return Ok(row);
        }
        self.store
            .get_secret(Owner::Org, name)
            .await?
            .ok_or_else(|| not_found(name, org_wide))
    }

    pub async fn get(&self, caller: &Caller, name: &str, org_wide: bool) -> VaultResult<SecretMeta> {
        Ok(convert::into_meta(self.resolve(caller, name, org_wide).await?))
    }

    pub async fn versions(&self, caller: &Caller, name: &str, org_wide: bool) -> VaultResult<Vec<VersionInfo>> {
        let row = self.resolve(caller, name, org_wide).await?;
        let versions = self.store.versions(row.id).await?;
        Ok(versions.iter().map(convert::version).collect())
    }

    /// Creates or rotates. Returns the metadata and whether it was created.
    pub async fn upsert(&self, caller: &Caller, req: &UpsertSecret) -> VaultResult<(SecretMeta, bool)> {
        new_secret_name(&req.name)?;
        validate::secret_value(req.value.expose_secret()).map_err(VaultError::Invalid)?;
        if let Some(d) = &req.description {
            validate::description(d).map_err(VaultError::Invalid)?;
        }
        check_provider_edit(req.provider.as_deref())?;
        let why = "only admins create or rotate org-shared secrets";
        let org_wide = req.org_wide.unwrap_or(false);
        // Read first, so that a refusal is recorded as what it would have been: a create when
        // there is no such secret, a rotation otherwise.
        let existing = self.store.get_secret(target_owner(caller, org_wide), &req.name).await?;
        let attempted = if existing.is_some() {
            AuditAction::Rotate
        } else {
            AuditAction::Create
        };
        let (owner, at) = self.write_target(caller, org_wide, attempted, &req.name, why).await?;
        let preview = preview(req.value.expose_secret());
        let current = existing.as_ref().map(|r| r.version);
        if let Some(expected) = req.expected_version
            && current != Some(expected)
        {
            return Err(VaultError::Conflict {
                message: match current {
                    Some(v) => format!(
                        "{} is at version {v}, not {expected}: someone rotated it meanwhile",
                        req.name
                    ),
                    None => format!("{} does not exist, so it is not at version {expected}", req.name),
                },
                current,
            });
        }
        if existing.as_ref().is_some_and(|r| !r.revealable) && req.revealable == Some(true) {
            return Err(write_only_is_one_way(&req.name));
        }
        let new_version = current.map_or(1, |v| v + 1);
        let namespace = owner.namespace();
        // A new secret gets a new identity, which its row keeps for its life.
        let identity = existing
            .as_ref()
            .map_or_else(crate::crypto::new_identity, |r| r.identity.to_string());
        let sealed = self.keyring.seal(
            &Binding {
                namespace: &namespace,
                name: &req.name,
                identity: &identity,
                version: new_version,
            },
            &req.value,
        );
        let write = SecretWrite {
            owner,
            name: req.name.clone(),
            expected: current,
            new_version,
            identity,
            sealed,
            preview,
            // Only what the request sets: the store keeps the rest as it finds it inside its
            // transaction, so that an edit that lands between the read above and the write
            // (making the secret write-only, say) is not written back over.
            category: req.category,
            scope: req.scope,
            description: req
                .description
                .as_ref()
                .map(|d| Some(d.clone()).filter(|d| !d.is_empty())),
            provider: req.provider.as_ref().map(|p| Some(p.clone()).filter(|p| !p.is_empty())),
            revealable: req.revealable,
            at,
            by: caller.user.name.clone(),
            max_versions: self.settings.max_versions,
        };
        let audit = secret_audit(caller, attempted, Outcome::Ok, &req.name, owner, Some(new_version), at);
        if req.expected_version.is_some() {
            // Check-and-set: a writer that got in between the read and this write is a conflict.
            let row = self.store.write_secret(write, audit).await?;
            return Ok((convert::into_meta(row), existing.is_none()));
        }
        // "Set it to this": last writer wins. Another writer may get in between the read above and
        // the write, so the store decides the version inside its transaction, and when it is not
        // the one sealed for here, seals again for it (the sealed text is bound to its version).
        let reseal = {
            let keyring = Arc::clone(&self.keyring);
            let name = req.name.clone();
            let value = req.value.clone();
            Box::new(move |identity: &str, version| {
                keyring.seal(
                    &Binding {
                        namespace: &namespace,
                        name: &name,
                        identity,
                        version,
                    },
                    &value,
                )
            })
        };
        let (row, created) = self.store.write_secret_latest(write, reseal, audit).await?;
        Ok((convert::into_meta(row), created))
    }

    pub async fn patch(&self, caller: &Caller, name: &str, org_wide: bool, p: &PatchSecret) -> VaultResult<SecretMeta> {
        validate::stored_secret_name(name).map_err(VaultError::Invalid)?;
        if let Some(d) = &p.description {
            validate::description(d).map_err(VaultError::Invalid)?;
        }
        check_provider_edit(p.provider.as_deref())?;
        let why = "only admins edit org-shared secrets";
        let (owner, at) = self
            .write_target(caller, org_wide, AuditAction::Update, name, why)
            .await?;
        let existing = self
            .store
            .get_secret(owner, name)
            .await?
            .ok_or_else(|| not_found(name, org_wide))?;
        if !existing.revealable && p.revealable == Some(true) {
            return Err(write_only_is_one_way(name));
        }
        let patch = MetaPatch {
            category: p.category,
            scope: p.scope,
            description: p.description.clone().map(|d| Some(d).filter(|d| !d.is_empty())),
            revealable: p.revealable,
            provider: p.provider.clone().map(|p| Some(p).filter(|p| !p.is_empty())),
        };
        let audit = secret_audit(
            caller,
            AuditAction::Update,
            Outcome::Ok,
            name,
            owner,
            Some(existing.version),
            at,
        );
        match self.store.update_secret(owner, name, patch, audit).await {
            Ok(row) => Ok(convert::meta(&row)),
            Err(StoreError::NotFound) => Err(not_found(name, org_wide)),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete(&self, caller: &Caller, name: &str, org_wide: bool) -> VaultResult<()> {
        validate::stored_secret_name(name).map_err(VaultError::Invalid)?;
        let why = "only admins delete org-shared secrets";
        let (owner, at) = self
            .write_target(caller, org_wide, AuditAction::Delete, name, why)
            .await?;
        let audit = secret_audit(caller, AuditAction::Delete, Outcome::Ok, name, owner, None, at);
        match self.store.delete_secret(owner, name, audit).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(not_found(name, org_wide)),
            Err(e) => Err(e.into()),
        }
    }

    /// The namespace a write addresses (writes never fall back: the caller's own, or the org's
    /// with `org_wide`) and the time of the write. A caller who may not write there is recorded
    /// (`denied`, as `action` on `name`) and refused with `why`.
    async fn write_target(
        &self,
        caller: &Caller,
        org_wide: bool,
        action: AuditAction,
        name: &str,
        why: &str,
    ) -> VaultResult<(Owner, crate::store::Millis)> {
        let owner = target_owner(caller, org_wide);
        let at = self.now_millis();
        if !may_write(caller.user.role, caller.user.id, owner) {
            return Err(self.deny(caller, action, name, owner, at, why).await);
        }
        Ok((owner, at))
    }

    /// Records a denied request and returns its refusal (`Forbidden`, saying `why`); if even the
    /// record cannot be written, the request fails with that instead.
    pub(crate) async fn deny(
        &self,
        caller: &Caller,
        action: AuditAction,
        name: &str,
        owner: Owner,
        at: crate::store::Millis,
        why: impl Into<String>,
    ) -> VaultError {
        let audit = secret_audit(caller, action, Outcome::Denied, name, owner, None, at);
        match self.store.append_audit(vec![audit]).await {
            Ok(()) => VaultError::Forbidden(why.into()),
            Err(e) => e.into(),
        }
    }
}

pub(crate) fn secret_audit(
    caller: &Caller,
    action: AuditAction,
    outcome: Outcome,
    name: &str,
    owner: Owner,
    version: Option<i64>,
    at: crate::store::Millis,
) -> crate::store::NewAudit {
    let mut a = audit_for(caller, action, outcome, at);
    a.secret = Some(name.to_owned());
    a.visibility = Some(owner.visibility());
    a.owner = match owner {
        Owner::User(_) => Some(caller.user.name.clone()),
        Owner::Org => None,
    };
    a.version = version;
    a
}

/// The namespace a write addresses: writes never fall back.
fn target_owner(caller: &Caller, org_wide: bool) -> Owner {
    if org_wide {
        Owner::Org
    } else {
        Owner::User(caller.user.id)
    }
}

/// A request's provider: left out keeps the stored one and `""` clears it (as a description);
/// anything else must be a valid provider (400).
fn check_provider_edit(provider: Option<&str>) -> VaultResult<()> {
    match provider {
        None | Some("") => Ok(()),
        Some(p) => validate::provider(p).map_err(VaultError::Invalid),
    }
}

/// A malformed name is a bad request (400); a well-formed but reserved one is refused (422).
fn new_secret_name(name: &str) -> VaultResult<()> {
    validate::stored_secret_name(name).map_err(VaultError::Invalid)?;
    validate::not_reserved(name).map_err(VaultError::Unprocessable)
}

pub(super) fn not_found(name: &str, org_wide: bool) -> VaultError {
    if org_wide {
        VaultError::NotFound(format!("no org-shared secret named {name}"))
    } else {
        VaultError::NotFound(format!("no secret named {name} (neither yours nor org-shared)"))
    }
}

fn write_only_is_one_way(name: &str) -> VaultError {
    VaultError::Unprocessable(format!(
        "{name} is write-only, and write-only is one-way: it cannot be made revealable again"
    ))
}
