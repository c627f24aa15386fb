//! Identity: authenticating tokens, the org setting, users and the caller's own tokens.

use secrecy::SecretString;

use super::convert;
use super::error::VaultResult;
use super::{Caller, Origin, Vault, VaultError, audit_for};
use crate::api::{
    CreateToken, CreateUser, CreatedToken, CreatedUser, MAX_TOKEN_LIFETIME_SECS, Me, OrgInfo, PatchOrg, TokenInfo,
    validate,
};
use crate::crypto::{TokenHash, generate_token, hash_token, random_bytes};
use crate::store::{AuditAction, Millis, NewAudit, NewToken, Outcome, StoreError};

/// A public token id: short, random, safe to show and to log.
pub(crate) fn new_token_id() -> String {
    let bytes = random_bytes::<6>();
    format!("tok_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

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

pub(crate) fn new_token(user_id: i64, name: &str, at: Millis, expires_at: Option<Millis>) -> (SecretString, NewToken) {
    let token = generate_token();
    let row = NewToken {
        id: new_token_id(),
        user_id,
        name: name.to_owned(),
        hash: hash_token(&token),
        created_at: at,
        expires_at,
    };
    (token, row)
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
            Some(hash) => match self.store.token_by_hash(&hash).await? {
                Some((row, user)) if row.hash.ct_eq(&hash) => {
                    if row.revoked_at.is_some() {
                        "this token was revoked"
                    } else if row.expires_at.is_some_and(|e| e <= at) {
                        "this token has expired"
                    } else {
                        return Ok(Caller {
                            user,
                            token_id: row.id,
                            client: origin.client,
                            ip: origin.ip,
                        });
                    }
                }
                _ => "invalid token",
            },
        };
        Err(VaultError::Unauthorized(reason.to_owned()))
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

    pub async fn create_user(&self, caller: &Caller, req: &CreateUser) -> VaultResult<CreatedUser> {
        let at = self.now_millis();
        self.require_admin(caller, AuditAction::UserCreate, at, "only admins create users")
            .await?;
        validate::user_name(&req.name).map_err(VaultError::Invalid)?;
        let (token, row) = new_token(0, "initial", at, None);
        let audit = audit_for(caller, AuditAction::UserCreate, Outcome::Ok, at);
        let user = match self.store.create_user(&req.name, req.role, row, at, audit).await {
            Ok(u) => u,
            Err(StoreError::AlreadyExists(_)) => {
                return Err(VaultError::Conflict {
                    message: format!("a user named {} already exists", req.name),
                    current: None,
                });
            }
            Err(e) => return Err(e.into()),
        };
        Ok(CreatedUser {
            user: user.name,
            role: user.role,
            token,
        })
    }

    pub async fn create_token(&self, caller: &Caller, req: &CreateToken) -> VaultResult<CreatedToken> {
        if req.name.trim().is_empty() || req.name.chars().count() > 64 {
            return Err(VaultError::Invalid("a token name is 1 to 64 characters".into()));
        }
        let at = self.now_millis();
        let expires_at = match req.expires_in {
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
        let (token, row) = new_token(caller.user.id, &req.name, at, expires_at);
        let row = self
            .store
            .create_token(row, audit_for(caller, AuditAction::TokenCreate, Outcome::Ok, at))
            .await?;
        Ok(CreatedToken { id: row.id, token })
    }

    pub async fn list_tokens(&self, caller: &Caller) -> VaultResult<Vec<TokenInfo>> {
        let at = self.now_millis();
        let tokens = self.store.list_tokens(caller.user.id).await?;
        Ok(tokens
            .iter()
            .filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > at))
            .map(convert::token)
            .collect())
    }

    pub async fn revoke_token(&self, caller: &Caller, id: &str) -> VaultResult<()> {
        let at = self.now_millis();
        let audit = audit_for(caller, AuditAction::TokenRevoke, Outcome::Ok, at);
        match self.store.revoke_token(caller.user.id, id, at, audit).await {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => {
                // Not the id back: a token pasted where its id belongs would be echoed.
                Err(VaultError::NotFound("you have no live token with that id".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Lets only admins past; a member's attempt is recorded (`denied`) and refused with `why`.
    async fn require_admin(&self, caller: &Caller, action: AuditAction, at: Millis, why: &str) -> VaultResult<()> {
        if caller.is_admin() {
            return Ok(());
        }
        let audit = audit_for(caller, action, Outcome::Denied, at);
        self.store.append_audit(vec![audit]).await?;
        Err(VaultError::Forbidden(why.to_owned()))
    }
}
