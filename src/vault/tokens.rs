//! The caller's own tokens: creating one (never outliving the token that creates it), listing,
//! and revoking with everything it created.

use secrecy::SecretString;

use super::convert;
use super::error::VaultResult;
use super::token_use::later;
use super::{Caller, RunnerBinding, Vault, VaultError, audit_for};
use crate::api::{CreateToken, CreatedToken, MAX_TOKEN_LIFETIME_SECS, TokenInfo, TokenKind};
use crate::crypto::{generate_runner_token, generate_token, hash_token, random_bytes};
use crate::store::{AuditAction, Millis, NewAudit, NewToken, Outcome, StoreError, TokenRow};

/// A public token id: short, random, safe to show and to log.
pub(crate) fn new_token_id() -> String {
    let bytes = random_bytes::<6>();
    format!("tok_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// A new user token and the row to store (its hash only). `parent`: the token creating it.
pub(crate) fn new_token(
    user_id: i64,
    name: &str,
    at: Millis,
    expires_at: Option<Millis>,
    parent: Option<&str>,
) -> (SecretString, NewToken) {
    let token = generate_token();
    let row = token_row(&token, user_id, name, at, expires_at, parent, None);
    (token, row)
}

/// [`new_token`] for a runner token (`vr_…`) bound to `runner`.
fn new_runner_token(
    user_id: i64,
    name: &str,
    at: Millis,
    expires_at: Option<Millis>,
    parent: &str,
    runner: RunnerBinding,
) -> (SecretString, NewToken) {
    let token = generate_runner_token();
    let row = token_row(&token, user_id, name, at, expires_at, Some(parent), Some(runner));
    (token, row)
}

/// The row to store for `token`: its hash, never the token; a runner token's binding.
fn token_row(
    token: &SecretString,
    user_id: i64,
    name: &str,
    at: Millis,
    expires_at: Option<Millis>,
    parent: Option<&str>,
    runner: Option<RunnerBinding>,
) -> NewToken {
    NewToken {
        id: new_token_id(),
        user_id,
        name: name.to_owned(),
        hash: hash_token(token),
        created_at: at,
        expires_at,
        parent_id: parent.map(str::to_owned),
        kind: if runner.is_some() {
            TokenKind::Runner
        } else {
            TokenKind::User
        },
        scope: runner.map(|r| r.scope),
        org_wide: runner.is_some_and(|r| r.org_wide),
    }
}

/// The binding a `POST /v1/tokens` body asks for: `None` for a user token. `scope` and `orgWide`
/// belong to runner tokens only, and a runner token needs its scope.
fn asked_binding(req: &CreateToken) -> VaultResult<Option<RunnerBinding>> {
    match req.kind.unwrap_or_default() {
        TokenKind::User if req.scope.is_some() || req.org_wide.is_some() => Err(VaultError::Invalid(
            "scope and orgWide are for runner tokens: send \"kind\": \"runner\" with them".into(),
        )),
        TokenKind::User => Ok(None),
        TokenKind::Runner => {
            let scope = req.scope.ok_or_else(|| {
                VaultError::Invalid(
                    "a runner token is bound to a scope: send \"scope\" (all, agents, tools or sandboxes)".into(),
                )
            })?;
            Ok(Some(RunnerBinding {
                scope,
                org_wide: req.org_wide.unwrap_or(false),
            }))
        }
    }
}

/// The expiry of a token asked to live `expires_in` seconds from `at`, created by a token that
/// expires at `parent` (`None`: never). Capped at the parent's expiry; an omitted lifetime means
/// the parent's. A leaked short-lived token can so never mint a longer-lived one.
pub(crate) fn child_expiry(at: Millis, expires_in: Option<u64>, parent: Option<Millis>) -> VaultResult<Option<Millis>> {
    let asked = match expires_in {
        None => None,
        Some(secs) if secs == 0 || secs > MAX_TOKEN_LIFETIME_SECS => {
            return Err(VaultError::Invalid(format!(
                "expiresIn is a number of seconds from 1 to {MAX_TOKEN_LIFETIME_SECS} (100 years)"
            )));
        }
        Some(secs) => {
            let ms = i64::try_from(secs)
                .ok()
                .and_then(|s| s.checked_mul(1000))
                .and_then(|ms| at.checked_add(ms));
            Some(ms.ok_or_else(|| VaultError::Invalid("expiresIn is too large".into()))?)
        }
    };
    Ok(match (asked, parent) {
        (Some(a), Some(p)) => Some(a.min(p)),
        (Some(a), None) => Some(a),
        (None, p) => p,
    })
}

impl Vault {
    pub async fn create_token(&self, caller: &Caller, req: &CreateToken) -> VaultResult<CreatedToken> {
        if req.name.trim().is_empty() || req.name.chars().count() > 64 {
            return Err(VaultError::Invalid("a token name is 1 to 64 characters".into()));
        }
        let binding = asked_binding(req)?;
        let at = self.now_millis();
        let expires_at = child_expiry(at, req.expires_in, caller.token_expires_at)?;
        if binding.is_some_and(|b| b.org_wide) {
            self.require_admin(
                caller,
                AuditAction::TokenCreate,
                at,
                "only admins create runner tokens for the org's secrets; without orgWide a runner token delivers your own",
            )
            .await?;
        }
        let (token, row) = match binding {
            None => new_token(caller.user.id, &req.name, at, expires_at, Some(&caller.token_id)),
            Some(b) => new_runner_token(caller.user.id, &req.name, at, expires_at, &caller.token_id, b),
        };
        let audit = NewAudit {
            target: Some(row.id.clone()),
            ..audit_for(caller, AuditAction::TokenCreate, Outcome::Ok, at)
        };
        let row = self.store.create_token(row, audit).await?;
        Ok(CreatedToken {
            id: row.id,
            token,
            expires_at: row.expires_at.map(convert::ts),
            parent: row.parent_id,
        })
    }

    /// The caller's live tokens.
    pub async fn list_tokens(&self, caller: &Caller) -> VaultResult<Vec<TokenInfo>> {
        self.live_tokens(caller.user.id, Some(&caller.token_id)).await
    }

    /// A user's tokens neither revoked nor expired, with the latest use known; `current` marks
    /// the token of the request.
    pub(super) async fn live_tokens(&self, user_id: i64, current: Option<&str>) -> VaultResult<Vec<TokenInfo>> {
        let at = self.now_millis();
        let tokens = self.store.list_tokens(user_id).await?;
        Ok(tokens
            .iter()
            .filter(|t| is_live(t, at))
            .map(|t| {
                let used = later(t.last_used_at, self.token_use.of_token(&t.id));
                convert::token(t, used, current == Some(t.id.as_str()))
            })
            .collect())
    }

    /// Revokes one of the caller's tokens (the one in use included) and every token it created.
    pub async fn revoke_token(&self, caller: &Caller, id: &str) -> VaultResult<()> {
        let at = self.now_millis();
        let audit = audit_for(caller, AuditAction::TokenRevoke, Outcome::Ok, at);
        match self.store.revoke_token(caller.user.id, id, audit).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound) => {
                // Not the id back: a token pasted where its id belongs would be echoed.
                self.refused_revocation(audit_for(caller, AuditAction::TokenRevoke, Outcome::Ok, at), id)
                    .await?;
                Err(VaultError::NotFound("you have no live token with that id".into()))
            }
            Err(e) => Err(e.into()),
        }
    }
}

impl Vault {
    /// Records a revocation refused because the user has no such live token (someone else's,
    /// or none): `audit` as denied, naming the id only when it has an id's shape, so that a
    /// token pasted in its place never reaches the log.
    pub(super) async fn refused_revocation(&self, audit: NewAudit, id: &str) -> VaultResult<()> {
        let denied = NewAudit {
            target: super::users::token_target(id).map(str::to_owned),
            outcome: Outcome::Denied,
            ..audit
        };
        Ok(self.store.append_audit(vec![denied]).await?)
    }
}

pub(super) fn is_live(t: &TokenRow, at: Millis) -> bool {
    t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > at)
}

#[cfg(test)]
mod tests {
    use super::child_expiry;

    #[test]
    fn a_child_never_outlives_its_parent() {
        let at = 1_000_000;
        assert_eq!(
            child_expiry(at, None, None).unwrap(),
            None,
            "no parent expiry, none asked"
        );
        assert_eq!(child_expiry(at, Some(60), None).unwrap(), Some(at + 60_000));
        assert_eq!(
            child_expiry(at, None, Some(at + 5)).unwrap(),
            Some(at + 5),
            "omitted: the parent's"
        );
        assert_eq!(
            child_expiry(at, Some(60), Some(at + 5)).unwrap(),
            Some(at + 5),
            "capped"
        );
        assert_eq!(
            child_expiry(at, Some(1), Some(at + 5_000)).unwrap(),
            Some(at + 1_000),
            "shorter kept"
        );
        assert!(child_expiry(at, Some(0), None).is_err());
    }
}
