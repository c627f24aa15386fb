//! Operations on the database directly, for the first start and for recovery: init, create-user,
//! rekey (re-seal every value under the primary key, online, in batches, resumable). The audit
//! chain's key and check are in `audit_chain.rs`. Used by `vaultty admin` and by the embedded
//! local vault.

use std::sync::Arc;

use secrecy::SecretString;

use super::audit_chain::{open_store, reseal_chain_key};
use super::error::VaultResult;
use super::identity::new_token;
use super::{Clock, VaultError};
use crate::api::{Role, validate};
use crate::crypto::{Binding, Keyring};
use crate::store::{self, AuditAction, DynStore, NewAudit, Outcome};

/// Rows re-sealed per batch: small enough that a batch never holds the writer for long.
const REKEY_BATCH: u32 = 200;

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
    let (token, row) = new_token(0, "initial", at, None);
    store.init(org, admin, row, at).await?;
    Ok(token)
}

/// Creates a user with a first token; returns the token (shown once).
pub async fn admin_create_user(
    database_url: &str,
    keyring: &Keyring,
    name: &str,
    role: Role,
) -> VaultResult<SecretString> {
    validate::user_name(name).map_err(VaultError::Invalid)?;
    let store = open_store(database_url, keyring).await?;
    if store.org().await?.is_none() {
        return Err(VaultError::Store(store::StoreError::NotInitialised));
    }
    let at = Clock::System.now_millis();
    let (token, row) = new_token(0, "initial", at, None);
    let audit = NewAudit {
        actor: Some("admin-cli".into()),
        owner: Some(name.to_owned()),
        client: Some(format!("vaultty-admin/{}", env!("CARGO_PKG_VERSION"))),
        ..NewAudit::new(at, AuditAction::UserCreate, Outcome::Ok)
    };
    store
        .create_user(name, role, row, at, audit)
        .await
        .map_err(|e| match e {
            store::StoreError::AlreadyExists(_) => VaultError::Conflict {
                message: format!("a user named {name} already exists"),
                current: None,
            },
            e => e.into(),
        })?;
    Ok(token)
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RekeyReport {
    /// Versions re-sealed under the primary key.
    pub resealed: u64,
    /// Versions that changed or vanished (rotated, pruned, deleted) while being re-sealed.
    pub skipped: u64,
}

/// Re-seals every stored version that is not under the primary key. Works beside a serving
/// server: each row is replaced only if it still holds what was read. After a crash, running it
/// again picks up whatever is left, because it selects by key id rather than by progress.
pub async fn rekey(store: &DynStore, keyring: Arc<Keyring>) -> VaultResult<RekeyReport> {
    // The audit chain key first: it is one row, and the chain must stay verifiable once the old
    // master key is dropped.
    reseal_chain_key(store, &keyring).await?;
    let primary = keyring.primary().id().to_owned();
    let mut report = RekeyReport::default();
    let mut cursor = (0, 0);
    loop {
        let batch = store.sealed_not_under(&primary, cursor, REKEY_BATCH).await?;
        let Some(last) = batch.last() else { break };
        cursor = (last.secret_id, last.version);
        for row in &batch {
            let namespace = row.owner.namespace();
            let binding = Binding {
                namespace: &namespace,
                name: &row.name,
                version: row.version,
            };
            let value = keyring.open(&binding, &row.sealed)?;
            let resealed = keyring.seal(&binding, &value);
            if store
                .replace_sealed(row.secret_id, row.version, &row.sealed, &resealed)
                .await?
            {
                report.resealed += 1;
            } else {
                report.skipped += 1;
            }
        }
    }
    Ok(report)
}
