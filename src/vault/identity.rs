//! Identity: authenticating tokens, who the caller is, and the org setting. Users are in
//! `users.rs`, tokens in `tokens.rs`.

use std::time::Instant;

use secrecy::SecretString;

use super::convert;
use super::error::VaultResult;
use super::{Caller, Origin, RunnerBinding, Vault, VaultError, audit_for};
use crate::api::{Me, OrgInfo, PatchOrg, TokenKind};
use crate::crypto::{TokenHash, hash_token};
use crate::store::{AuditAction, Millis, NewAudit, OrgRow, Outcome, StoreError, TokenRow, UserRow};

/// Failed authentications from one client address, summarised: `count` of them, the last at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedAuths {
    /// `None` for addresses beyond what the server tracks, counted together.
    pub ip: Option<String>,
    /// The User-Agent of the last one.
    pub client: Option<String>,
    pub count: u32,
    pub at: Millis,
}

impl Vault {
    /// The caller a bearer token belongs to, or `Unauthorized` with the reason. Writes nothing:
    /// the server summarises failures per client address and hands them to
    /// [`Vault::record_auth_failures`], so that a flood of bad tokens cannot fill the disk.
    pub async fn authenticate(&self, token: Option<&SecretString>, origin: Origin) -> VaultResult<Caller> {
        self.authenticate_hash(token.map(hash_token), origin).await
    }

    /// [`Vault::authenticate`] for a token already hashed (`crypto::hash_token`), for a caller
    /// that needs the hash too.
    pub async fn authenticate_hash(&self, hash: Option<TokenHash>, origin: Origin) -> VaultResult<Caller> {
        let at = self.now_millis();
        let reason = match hash {
            None => "missing bearer token: send `Authorization: Bearer <token>`",
            Some(hash) => match self.token_by_hash(&hash).await? {
                Some((row, user)) if row.hash.ct_eq(&hash) => {
                    if row.revoked_at.is_some() {
                        "this token was revoked"
                    } else if row.expires_at.is_some_and(|e| e <= at) {
                        "this token has expired"
                    } else if user.disabled {
                        // Checked on every request (nothing caches it), so disabling takes
                        // effect at once, mid-session included.
                        "this account is disabled; ask an admin to enable it"
                    } else {
                        self.token_use.note(&row.id, user.id, at);
                        let runner = match (row.kind, row.scope) {
                            (TokenKind::User, _) => None,
                            (TokenKind::Runner, Some(scope)) => Some(RunnerBinding {
                                scope,
                                org_wide: row.org_wide,
                            }),
                            // A runner row without its scope cannot be written by this server:
                            // refused rather than read as a user token.
                            (TokenKind::Runner, None) => return Err(VaultError::Unauthorized("invalid token".into())),
                        };
                        // A runner's audit rows name the runner (the issue: "the runner token's
                        // name as the actor's client"), which says more than its User-Agent.
                        let client = if runner.is_some() {
                            Some(row.name)
                        } else {
                            origin.client
                        };
                        return Ok(Caller {
                            user,
                            token_id: row.id,
                            token_expires_at: row.expires_at,
                            client,
                            ip: origin.ip,
                            runner,
                        });
                    }
                }
                _ => "invalid token",
            },
        };
        Err(VaultError::Unauthorized(reason.to_owned()))
    }

    /// The token a hash names, and its user: from the authentication cache while nothing about
    /// accounts changed since it was read (`auth_cache.rs`), else from the store.
    async fn token_by_hash(&self, hash: &TokenHash) -> VaultResult<Option<(TokenRow, UserRow)>> {
        let epoch = self.store.accounts_epoch();
        if let Some(epoch) = epoch
            && let Some(found) = self.auth_cache.token(epoch, hash)
        {
            return Ok(Some(found));
        }
        let read_at = Instant::now();
        let found = self.store.token_by_hash(hash).await?;
        if let (Some(epoch), Some(found)) = (epoch, &found) {
            self.auth_cache.keep_token(epoch, read_at, hash, found);
        }
        Ok(found)
    }

    /// The org's row: from the authentication cache like a token's, else from the store.
    pub(crate) async fn org_row(&self) -> VaultResult<OrgRow> {
        let epoch = self.store.accounts_epoch();
        if let Some(epoch) = epoch
            && let Some(org) = self.auth_cache.org(epoch)
        {
            return Ok(org);
        }
        let read_at = Instant::now();
        let org = self
            .store
            .org()
            .await?
            .ok_or(VaultError::Store(StoreError::NotInitialised))?;
        if let Some(epoch) = epoch {
            self.auth_cache.keep_org(epoch, read_at, &org);
        }
        Ok(org)
    }

    /// Appends one `auth_failed` row (outcome `denied`, no actor) per summary, in one transaction.
    pub async fn record_auth_failures(&self, failures: Vec<FailedAuths>) -> VaultResult<()> {
        if failures.is_empty() {
            return Ok(());
        }
        let audits = failures
            .into_iter()
            .map(|f| NewAudit {
                client: f.client,
                ip: f.ip,
                // One failure is an ordinary row; `count` says a row stands for more.
                count: (f.count > 1).then_some(f.count),
                ..NewAudit::new(f.at, AuditAction::AuthFailed, Outcome::Denied)
            })
            .collect();
        self.store.append_audit(audits).await?;
        Ok(())
    }

    pub async fn me(&self, caller: &Caller) -> VaultResult<Me> {
        let org = self.org_row().await?;
        Ok(Me {
            user: caller.user.name.clone(),
            org: org.name,
            role: caller.user.role,
        })
    }

    pub async fn org(&self, _caller: &Caller) -> VaultResult<OrgInfo> {
        Ok(convert::org(self.org_row().await?))
    }

    pub async fn patch_org(&self, caller: &Caller, p: &PatchOrg) -> VaultResult<OrgInfo> {
        let at = self.now_millis();
        self.require_admin(
            caller,
            AuditAction::OrgUpdate,
            at,
            "only admins change the org settings",
        )
        .await?;
        let current = self.org_row().await?;
        let value = p.members_can_reveal.unwrap_or(current.members_can_reveal);
        let org = self
            .store
            .update_org(value, audit_for(caller, AuditAction::OrgUpdate, Outcome::Ok, at))
            .await?;
        Ok(convert::org(org))
    }

    /// Refuses a runner token on `operation` (`GET /v1/secrets`: a method and a route, never a
    /// path as sent), recording the attempt: a runner token is delivery-only, and one used for
    /// anything else is a leaked token being tried, or a misconfigured runner.
    pub async fn refuse_runner(&self, caller: &Caller, operation: &str) -> VaultError {
        let audit = NewAudit {
            target: Some(operation.to_owned()),
            ..audit_for(caller, AuditAction::RunnerRefused, Outcome::Denied, self.now_millis())
        };
        match self.store.append_audit(vec![audit]).await {
            Ok(()) => VaultError::Forbidden(
                "a runner token may only fetch its secrets (POST /v1/env) and hear of their changes \
                 (GET /v1/events); use a user token for anything else"
                    .into(),
            ),
            Err(e) => e.into(),
        }
    }

    /// Lets only admins past; a member's attempt is recorded (`denied`) and refused with `why`.
    pub(super) async fn require_admin(
        &self,
        caller: &Caller,
        action: AuditAction,
        at: Millis,
        why: &str,
    ) -> VaultResult<()> {
        self.require_admin_over(caller, action, None, at, why).await
    }

    /// [`Vault::require_admin`] for an action on a user or token, which the denied row names.
    pub(super) async fn require_admin_over(
        &self,
        caller: &Caller,
        action: AuditAction,
        target: Option<&str>,
        at: Millis,
        why: &str,
    ) -> VaultResult<()> {
        if caller.is_admin() {
            return Ok(());
        }
        let audit = NewAudit {
            target: target.map(str::to_owned),
            ..audit_for(caller, action, Outcome::Denied, at)
        };
        self.store.append_audit(vec![audit]).await?;
        Err(VaultError::Forbidden(why.to_owned()))
    }
}
