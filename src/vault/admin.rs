//! Operations on the database directly, for the first start and for recovery: init, create-user,
//! rekey (re-seal every value under the primary key, online, in batches, resumable). The audit
//! chain's key and check are in `audit_chain.rs`. Used by `vaultty admin` and by the embedded
//! local vault.

use std::sync::Arc;

use secrecy::SecretString;

use super::audit_chain::{open_store, reseal_chain_key};
use super::error::VaultResult;
use super::tokens::new_token;
use super::users::new_enrolment;
use super::{Clock, RekeyReport, VaultError};
use crate::api::{Role, validate};
use crate::crypto::Keyring;
use crate::store::{self, AuditAction, DynStore, Millis, NewAudit, Outcome};

/// Creates the org and its first admin; returns the admin's token (shown once). The keyring
/// seals the audit chain key, which the first audit events are linked under.
pub async fn admin_init(database_url: &str, keyring: &Keyring, org: &str, admin: &str) -> VaultResult<SecretString> {
    if org.trim().is_empty() || org.chars().count() > 128 {
        return Err(VaultError::Invalid("an org name is 1 to 128 characters".into()));
    }
    validate::user_name(admin).map_err(VaultError::Invalid)?;
    let store = open_store(database_url, keyring).await?;
    // Run once, outside any server: the wall clock is the only one these commands know.
    let at = Clock::System.now_millis();
    let (token, row) = new_token(0, "initial", at, None, None);
    store.init(org, admin, row, at).await?;
    Ok(token)
}

/// Creates a user with a single-use enrolment code valid `expires_in` seconds (a day when
/// `None`); returns the code (shown once) and when it expires. Like the API, this never makes a
/// token for another user: the user exchanges the code (`vaultty login --enroll`).
pub async fn admin_create_user(
    database_url: &str,
    keyring: &Keyring,
    name: &str,
    role: Role,
    expires_in: Option<u64>,
) -> VaultResult<(SecretString, Millis)> {
    validate::user_name(name).map_err(VaultError::Invalid)?;
    let store = open_store(database_url, keyring).await?;
    if store.org().await?.is_none() {
        return Err(VaultError::Store(store::StoreError::NotInitialised));
    }
    let at = Clock::System.now_millis();
    let (code, row) = new_enrolment(at, expires_in)?;
    let expires_at = row.expires_at;
    let audit = NewAudit {
        actor: Some("admin-cli".into()),
        target: Some(name.to_owned()),
        client: Some(format!("vaultty-admin/{}", env!("CARGO_PKG_VERSION"))),
        ..NewAudit::new(at, AuditAction::UserCreate, Outcome::Ok)
    };
    store.create_user(name, role, row, audit).await.map_err(|e| match e {
        store::StoreError::AlreadyExists(_) => VaultError::Conflict {
            message: format!("a user named {name} already exists"),
            current: None,
        },
        e => e.into(),
    })?;
    Ok((code, expires_at))
}

/// Re-seals every stored version that is not in the current format under the primary key (v1
/// rows included: this is also their migration). Works beside a serving server: each row is
/// replaced only if it still holds what was read. A row that does not open is reported in
/// `unopenable` and left; the rest go on. After a crash, running it again picks up whatever is
/// left, because it selects by format and key id rather than by progress.
pub async fn rekey(store: &DynStore, keyring: Arc<Keyring>) -> VaultResult<RekeyReport> {
    // The audit chain key first: it is one row, and the chain must stay verifiable once the old
    // master key is dropped.
    reseal_chain_key(store, &keyring).await?;
    super::sealing::reseal_all(store, &keyring).await
}
