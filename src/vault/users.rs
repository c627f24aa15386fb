//! Users: creating them with a single-use enrolment code, the exchange of that code for the
//! user's first token, and what admins do to users and their tokens.
//!
//! The admin never holds another user's token: a new user gets a code, which only the user
//! exchanges. A code is issued again only to a user who has never held a token, because a code
//! for an enrolled user would let an admin become them and reveal their private secrets.

use secrecy::SecretString;

use super::convert;
use super::error::VaultResult;
use super::token_use::later;
use super::tokens::new_token;
use super::{Caller, Origin, Vault, VaultError, audit_for};
use crate::api::{
    CreateUser, Enrolled, Enrolment, NewEnrolment, PatchUser, RevokedTokens, Role, TokenInfo, UserInfo, validate,
};
use crate::crypto::{generate_enrolment_code, hash_enrolment_code};
use crate::store::{
    AuditAction, EnrolOutcome, EnrolRefusal, Millis, NewAudit, NewEnrolment as NewEnrolmentRow, Outcome, StoreError,
    UserPatch, UserRow,
};

/// How long an enrolment code stays usable unless asked otherwise: a day.
pub const DEFAULT_ENROLMENT_SECS: u64 = 24 * 3600;
/// The longest an enrolment code may stay usable: 30 days.
pub const MAX_ENROLMENT_SECS: u64 = 30 * 24 * 3600;

/// A new code valid for `expires_in` seconds (default a day) from `at`, and the row to store.
pub(crate) fn new_enrolment(at: Millis, expires_in: Option<u64>) -> VaultResult<(SecretString, NewEnrolmentRow)> {
    let secs = expires_in.unwrap_or(DEFAULT_ENROLMENT_SECS);
    if secs == 0 || secs > MAX_ENROLMENT_SECS {
        return Err(VaultError::Invalid(format!(
            "expiresIn is a number of seconds from 1 to {MAX_ENROLMENT_SECS} (30 days)"
        )));
    }
    let code = generate_enrolment_code();
    let row = NewEnrolmentRow {
        hash: hash_enrolment_code(&code),
        created_at: at,
        // At most 30 days: no overflow for any clock reading a vault can have.
        expires_at: at.saturating_add(i64::try_from(secs * 1000).unwrap_or(i64::MAX)),
    };
    Ok((code, row))
}

impl Vault {
    /// Creates a user and answers with their enrolment code (admin only).
    pub async fn create_user(&self, caller: &Caller, req: &CreateUser) -> VaultResult<Enrolment> {
        let at = self.now_millis();
        self.require_admin_over(
            caller,
            AuditAction::UserCreate,
            user_target(&req.name),
            at,
            "only admins create users",
        )
        .await?;
        self.require_lasting_token(caller, AuditAction::UserCreate, user_target(&req.name), at)
            .await?;
        validate::user_name(&req.name).map_err(VaultError::Invalid)?;
        let (code, row) = new_enrolment(at, req.expires_in)?;
        let expires_at = row.expires_at;
        let audit = NewAudit {
            target: Some(req.name.clone()),
            ..audit_for(caller, AuditAction::UserCreate, Outcome::Ok, at)
        };
        let user = match self.store.create_user(&req.name, req.role, row, audit).await {
            Ok(u) => u,
            Err(StoreError::AlreadyExists(_)) => {
                return Err(VaultError::Conflict {
                    message: format!("a user named {} already exists", req.name),
                    current: None,
                });
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Enrolment {
            user: user.name,
            role: user.role,
            code,
            expires_at: convert::ts(expires_at),
        })
    }

    /// A new enrolment code for a user who has not enrolled yet (admin only); their earlier
    /// codes stop working.
    pub async fn new_enrolment(&self, caller: &Caller, name: &str, req: &NewEnrolment) -> VaultResult<Enrolment> {
        let (at, user) = self
            .admin_on_user(
                caller,
                AuditAction::UserEnrolment,
                user_target(name),
                name,
                "only admins issue enrolment codes",
            )
            .await?;
        self.require_lasting_token(caller, AuditAction::UserEnrolment, Some(&user.name), at)
            .await?;
        let (code, row) = new_enrolment(at, req.expires_in)?;
        let expires_at = row.expires_at;
        let audit = NewAudit {
            target: Some(user.name.clone()),
            ..audit_for(caller, AuditAction::UserEnrolment, Outcome::Ok, at)
        };
        match self.store.new_enrolment(user.id, row, audit).await {
            Ok(()) => {}
            Err(StoreError::AlreadyExists(_)) => {
                return Err(VaultError::Conflict {
                    message: format!(
                        "{name} has enrolled already, and an existing user is never enrolled again (that would \
                         let an admin act as them): {name} creates tokens with their own, or you create a new user"
                    ),
                    current: None,
                });
            }
            Err(StoreError::NotFound) => return Err(no_such_user()),
            Err(e) => return Err(e.into()),
        }
        Ok(Enrolment {
            user: user.name,
            role: user.role,
            code,
            expires_at: convert::ts(expires_at),
        })
    }

    /// Exchanges an enrolment code for the user's first token: no expiry, no parent. A code works
    /// once. `Unauthorized` for every refusal (the reason in the message); `None` in the error's
    /// place means the code is unknown, which the server counts as a failed authentication.
    pub async fn enroll(&self, code: &SecretString, origin: Origin) -> Result<Enrolled, EnrolError> {
        let at = self.now_millis();
        let hash = hash_enrolment_code(code);
        let (token, row) = new_token(0, "enrolment", at, None, None);
        let id = row.id.clone();
        let audit = NewAudit {
            client: origin.client,
            ip: origin.ip,
            ..NewAudit::new(at, AuditAction::Enroll, Outcome::Ok)
        };
        let outcome = self
            .store
            .enroll(&hash, row, audit)
            .await
            .map_err(|e| EnrolError::Other(e.into()))?;
        let user = match outcome {
            EnrolOutcome::Enrolled(user) => user,
            EnrolOutcome::Unknown => return Err(EnrolError::Unknown),
            EnrolOutcome::Refused(_, why) => {
                let message = match why {
                    EnrolRefusal::Used => "this enrolment code was used already; ask an admin for a new user",
                    EnrolRefusal::Expired => "this enrolment code has expired; ask an admin for a new one",
                    EnrolRefusal::Disabled => "this account is disabled; ask an admin to enable it",
                    EnrolRefusal::Enrolled => "this user has enrolled already",
                };
                return Err(EnrolError::Other(VaultError::Unauthorized(message.into())));
            }
        };
        let org = self.org_row().await.map_err(EnrolError::Other)?;
        Ok(Enrolled {
            user: user.name,
            org: org.name,
            role: user.role,
            id,
            token,
        })
    }

    /// Every user with role, state, last use and live token count (admin only).
    pub async fn list_users(&self, caller: &Caller) -> VaultResult<Vec<UserInfo>> {
        let at = self.now_millis();
        self.require_admin(caller, AuditAction::UserList, at, "only admins list users")
            .await?;
        let users = self.store.list_users(at).await?;
        Ok(users
            .into_iter()
            .map(|u| {
                let seen = later(u.last_seen_at, self.token_use.of_user(u.user.id));
                convert::user(u, seen)
            })
            .collect())
    }

    /// Changes a user's role or disabled flag (admin only). Never leaves the org without an
    /// enabled admin (409).
    pub async fn patch_user(&self, caller: &Caller, name: &str, p: &PatchUser) -> VaultResult<UserInfo> {
        let at = self.now_millis();
        let action = match (p.disabled, p.role) {
            (Some(true), _) => AuditAction::UserDisable,
            (Some(false), None) => AuditAction::UserEnable,
            (_, Some(Role::Admin)) => AuditAction::UserPromote,
            _ => AuditAction::UserDemote,
        };
        self.require_admin_over(caller, action, user_target(name), at, "only admins change users")
            .await?;
        let patch = UserPatch {
            role: p.role,
            disabled: p.disabled,
        };
        let audit = audit_for(caller, action, Outcome::Ok, at);
        match self.store.update_user(name, patch, audit.clone()).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => return Err(no_such_user()),
            Err(StoreError::LastAdmin(who)) => {
                let denied = NewAudit {
                    target: Some(who.clone()),
                    outcome: Outcome::Denied,
                    ..audit
                };
                self.store.append_audit(vec![denied]).await?;
                return Err(VaultError::Conflict {
                    message: format!(
                        "{who} is the last active admin (enabled and enrolled): make another user admin first, so that the vault keeps one"
                    ),
                    current: None,
                });
            }
            Err(e) => return Err(e.into()),
        }
        self.user_info(name).await
    }

    /// A user's live tokens (admin only).
    pub async fn user_tokens(&self, caller: &Caller, name: &str) -> VaultResult<Vec<TokenInfo>> {
        let (_, user) = self
            .admin_on_user(
                caller,
                AuditAction::UserList,
                user_target(name),
                name,
                "only admins list other users' tokens",
            )
            .await?;
        let current = (user.id == caller.user.id).then_some(caller.token_id.as_str());
        self.live_tokens(user.id, current).await
    }

    /// Revokes one of a user's tokens and every token it created (admin only).
    pub async fn revoke_user_token(&self, caller: &Caller, name: &str, id: &str) -> VaultResult<()> {
        let (at, user) = self
            .admin_on_user(
                caller,
                AuditAction::TokenRevoke,
                token_target(id),
                name,
                "only admins revoke other users' tokens",
            )
            .await?;
        let audit = audit_for(caller, AuditAction::TokenRevoke, Outcome::Ok, at);
        match self.store.revoke_token(user.id, id, audit.clone()).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound) => {
                self.refused_revocation(audit, id).await?;
                Err(VaultError::NotFound(format!("{name} has no live token with that id")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Revokes all of a user's tokens (admin only).
    pub async fn revoke_user_tokens(&self, caller: &Caller, name: &str) -> VaultResult<RevokedTokens> {
        let (at, user) = self
            .admin_on_user(
                caller,
                AuditAction::TokenRevoke,
                user_target(name),
                name,
                "only admins revoke other users' tokens",
            )
            .await?;
        let audit = audit_for(caller, AuditAction::TokenRevoke, Outcome::Ok, at);
        let ids = self.store.revoke_user_tokens(user.id, audit).await?;
        Ok(RevokedTokens {
            revoked: u32::try_from(ids.len()).unwrap_or(u32::MAX),
        })
    }

    /// Refuses (audited) an enrolment code asked for with a token that expires: the code gives a
    /// lasting account to whoever exchanges it, so a leaked short-lived admin token could otherwise
    /// outlive itself through a user it made, which lineage forbids for the tokens it makes.
    async fn require_lasting_token(
        &self,
        caller: &Caller,
        action: AuditAction,
        target: Option<&str>,
        at: Millis,
    ) -> VaultResult<()> {
        if caller.token_expires_at.is_none() {
            return Ok(());
        }
        let denied = NewAudit {
            target: target.map(str::to_owned),
            ..audit_for(caller, action, Outcome::Denied, at)
        };
        self.store.append_audit(vec![denied]).await?;
        Err(VaultError::Forbidden(
            "a token that expires cannot add users or issue enrolment codes: the new user's account would \
             outlive it. Use a token without an expiry (the one `vaultty login` or enrolment gave you)"
                .into(),
        ))
    }

    /// What every admin action on one user starts with: the caller must be an admin (a
    /// member's attempt is audited, naming `target`), and the user must exist. Returns the
    /// action's time and the user.
    async fn admin_on_user(
        &self,
        caller: &Caller,
        action: AuditAction,
        target: Option<&str>,
        name: &str,
        why: &str,
    ) -> VaultResult<(Millis, UserRow)> {
        let at = self.now_millis();
        self.require_admin_over(caller, action, target, at, why).await?;
        Ok((at, self.user_named(name).await?))
    }

    async fn user_named(&self, name: &str) -> VaultResult<UserRow> {
        self.store.user_by_name(name).await?.ok_or_else(no_such_user)
    }

    async fn user_info(&self, name: &str) -> VaultResult<UserInfo> {
        let at = self.now_millis();
        let users = self.store.list_users(at).await?;
        let u = users
            .into_iter()
            .find(|u| u.user.name == name)
            .ok_or_else(no_such_user)?;
        let seen = later(u.last_seen_at, self.token_use.of_user(u.user.id));
        Ok(convert::user(u, seen))
    }
}

/// A user name as an audit target, when it is one: a refused request's path or body is the
/// caller's to fill, and a pasted token must never land in the audit log.
pub(super) fn user_target(name: &str) -> Option<&str> {
    validate::user_name(name).is_ok().then_some(name)
}

/// A token id as an audit target, when it has the shape of one (`tok_` and 12 hex digits), for
/// the same reason.
pub(super) fn token_target(id: &str) -> Option<&str> {
    let hex = id.strip_prefix("tok_")?;
    (hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

fn no_such_user() -> VaultError {
    VaultError::NotFound("no such user".into())
}

/// Why an enrolment failed: an unknown code (counted by the server as a failed authentication,
/// like a wrong token), or anything else.
#[derive(Debug)]
pub enum EnrolError {
    Unknown,
    Other(VaultError),
}
