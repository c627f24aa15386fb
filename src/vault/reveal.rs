//! Values leaving the vault: reveal (one value, to its reader) and env (every usable value, for
//! `vaultty run`). Each is recorded in the audit log, with `last_used_at`, before the value is returned.

use std::collections::BTreeSet;

use super::error::VaultResult;
use super::policy::may_read_values;
use super::secrets::{not_found, secret_audit};
use super::{Caller, Vault, VaultError, audit_for};
use crate::api::{EnvRequest, EnvResponse, EnvSkipped, Revealed, validate};
use crate::crypto::{Binding, CryptoError};
use crate::store::{AuditAction, Outcome, Owner, SecretRow};

impl Vault {
    pub async fn reveal(
        &self,
        caller: &Caller,
        name: &str,
        org_wide: bool,
        version: Option<i64>,
    ) -> VaultResult<Revealed> {
        validate::stored_secret_name(name).map_err(VaultError::Invalid)?;
        // The secret and the version asked for in one read (`resolve`'s rule: the caller's own
        // first, then the org's); the version's sealed text is only opened once allowed below.
        let owners: &[Owner] = if org_wide {
            &[Owner::Org]
        } else {
            &[Owner::User(caller.user.id), Owner::Org]
        };
        let (row, stored) = self
            .store
            .secret_with_version(owners, name, version)
            .await?
            .ok_or_else(|| not_found(name, org_wide))?;
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
        let stored = stored.ok_or_else(|| {
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
    ///
    /// One bad row does not block the rest: a value that does not open (damaged, moved from
    /// another row, or sealed under a key this server was not given) is left out, recorded as an
    /// `env` event with outcome `denied`, and named in `skipped`. Only a value that is delivered
    /// is recorded `ok`: an org secret shadowed by the caller's own is not opened at all.
    ///
    /// A runner token is delivered its binding only: its namespace and scope (asking for another
    /// scope is refused). `if_none_match` is the request's `If-None-Match`: when it holds the
    /// bundle's [`EnvDelivery`] tag, nothing is opened, recorded or returned.
    pub async fn env(
        &self,
        caller: &Caller,
        req: &EnvRequest,
        if_none_match: Option<&str>,
    ) -> VaultResult<EnvDelivery> {
        let at = self.now_millis();
        let org = self.org_row().await?;
        let may_read_org = may_read_values(caller.user.role, caller.user.id, Owner::Org, &org);
        let (owners, scope) = match caller.runner {
            None => {
                let mut owners = vec![Owner::User(caller.user.id)];
                if may_read_org {
                    owners.push(Owner::Org);
                }
                (owners, req.scope)
            }
            Some(runner) => {
                let refusal = if req.scope.is_some_and(|s| s != runner.scope) {
                    Some(format!(
                        "this runner token is bound to scope {}: ask for that scope or none",
                        runner.scope
                    ))
                } else if runner.org_wide && !may_read_org {
                    Some(
                        "this runner token delivers the org's secrets, and its user may no longer use them \
                         (not an admin, and members_can_reveal is off)"
                            .to_owned(),
                    )
                } else {
                    None
                };
                if let Some(why) = refusal {
                    self.store
                        .append_audit(vec![audit_for(caller, AuditAction::Env, Outcome::Denied, at)])
                        .await?;
                    return Err(VaultError::Forbidden(why));
                }
                (vec![runner.owner(caller.user.id)], Some(runner.scope))
            }
        };
        let rows = self.store.deliverable(&owners, scope).await?;
        let mut answer = EnvResponse::default();
        let mut used = Vec::new();
        let mut audits = Vec::new();
        // Shadowing is decided before anything is opened, so the audit log names exactly the
        // values that left the vault.
        let own: BTreeSet<&str> = rows
            .iter()
            .filter(|(r, _)| r.owner != Owner::Org)
            .map(|(r, _)| r.name.as_str())
            .collect();
        let delivered: Vec<_> = rows
            .iter()
            .filter(|(r, _)| r.owner != Owner::Org || !own.contains(r.name.as_str()))
            // Stored before names that change how programs start were refused (docs/API.md,
            // "Reserved names"): kept for its owner to read and delete, never delivered.
            .filter(|(r, _)| validate::reserved_name(&r.name).is_none())
            // `--provider`: only that provider's keys, among what would be delivered without it
            // (an org key shadowed by the caller's own is not delivered in its stead).
            .filter(|(r, _)| req.provider.as_deref().is_none_or(|p| r.provider.as_deref() == Some(p)))
            .collect();
        let etag = bundle_tag(delivered.iter().map(|(r, _)| r));
        if if_none_match.is_some_and(|tags| tag_matches(tags, &etag)) {
            return Ok(EnvDelivery::Unchanged { etag });
        }
        for (row, sealed) in delivered {
            let namespace = row.owner.namespace();
            let opened = self.open_sealed(
                &Binding {
                    namespace: &namespace,
                    name: &row.name,
                    identity: &row.identity,
                    version: row.version,
                },
                sealed,
            );
            let outcome = match opened {
                Ok(value) => {
                    if !row.revealable {
                        answer.write_only.push(row.name.to_string());
                    }
                    answer.env.insert(row.name.to_string(), value);
                    used.push(row.id);
                    Outcome::Ok
                }
                Err(e) => {
                    // The detail (a key id, tampering) is the operator's; the caller gets a fixed
                    // sentence that says what to do.
                    tracing::warn!(secret = %row.name, version = row.version, error = %e,
                        "env: a stored value does not open; left out of the answer");
                    answer.skipped.push(EnvSkipped {
                        name: row.name.to_string(),
                        visibility: row.owner.visibility(),
                        reason: skip_reason(&e).to_owned(),
                    });
                    Outcome::Denied
                }
            };
            audits.push(secret_audit(
                caller,
                AuditAction::Env,
                outcome,
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
        answer.write_only.sort();
        answer.skipped.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(EnvDelivery::Values { answer, etag })
    }
}

/// What `POST /v1/env` answers: the values, or (for a matching `If-None-Match`) that the bundle is
/// the one the caller holds. Either way with the bundle's entity tag, for the `ETag` header.
#[derive(Debug)]
pub enum EnvDelivery {
    Values { answer: EnvResponse, etag: String },
    Unchanged { etag: String },
}

/// The entity tag of a bundle: a hash of which secrets it holds, at which version of which
/// identity, and which are write-only; never of a value (none is opened to compute it). A rotation,
/// a delete and re-create, a new secret in the bundle or one leaving it changes the tag; the same
/// bundle has the same tag on every replica. Quoted, as HTTP wants it.
fn bundle_tag<'r>(rows: impl Iterator<Item = &'r SecretRow>) -> String {
    let mut parts: Vec<Vec<u8>> = rows
        .map(|r| {
            let mut p = Vec::with_capacity(r.name.len() + r.identity.len() + 24);
            p.extend_from_slice(r.owner.visibility().as_str().as_bytes());
            p.push(0);
            p.extend_from_slice(r.name.as_bytes());
            p.push(0);
            p.extend_from_slice(r.identity.as_bytes());
            p.push(0);
            p.extend_from_slice(&r.version.to_be_bytes());
            p.push(u8::from(r.revealable));
            p
        })
        .collect();
    parts.sort();
    let mut input: Vec<&[u8]> = vec![b"vaultty env bundle v1"];
    input.extend(parts.iter().map(Vec::as_slice));
    let digest = crate::crypto::sha256(&input);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether an `If-None-Match` list (`"a", W/"b"`) names `etag` (weak comparison, as RFC 9110 asks
/// of `If-None-Match`). `*` is not honoured: on a POST it would mean "whatever you hold".
fn tag_matches(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag)
}

/// What `/v1/env` tells the caller about a value it left out: no key id and no crypto detail
/// (those are logged for the operator), only which side can fix it.
fn skip_reason(e: &CryptoError) -> &'static str {
    match e {
        CryptoError::UnknownKey(_) => "sealed under a master key this server was not given; ask the server's operator",
        CryptoError::Malformed | CryptoError::Open | CryptoError::NotUtf8 | CryptoError::Legacy => {
            "the stored value does not open (damaged, or not this secret's); write it again"
        }
    }
}
