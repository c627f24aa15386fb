//! `vaultty admin migrate`: moves a SQLite vault into PostgreSQL, verified at the end.
//!
//! The source's audit chain is verified first (a broken chain is not copied: it would only move
//! the problem), then every row is copied as it is (`store::postgres::import`), then the copy is
//! opened as a server would open it and its chain verified again, to the same head. The master
//! keys are needed only to open the audit chain key for those two checks: values are never
//! opened, they move sealed.

use super::VaultError;
use super::audit_chain::{ChainOpen, audit_verify, open_store_with};
use super::error::VaultResult;
use crate::crypto::Keyring;
use crate::store::postgres::import::{CopyReport, copy_from_sqlite};

/// What was copied, and the verified chain head both sides share (`None`: no event yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateReport {
    /// The target's URL with its password replaced: what may be printed.
    pub target: String,
    pub copied: CopyReport,
    pub events: u64,
    pub head: Option<(i64, [u8; 32])>,
}

/// Copies the vault at `from` (`sqlite://…`) into the empty database at `to` (`postgres://…`).
pub async fn migrate_sqlite_to_postgres(from: &str, to: &str, keyring: &Keyring) -> VaultResult<MigrateReport> {
    let Some(path) = from.strip_prefix("sqlite://") else {
        return Err(VaultError::Invalid(
            "--from must be a SQLite vault (sqlite:///path/vault.db): migrate copies SQLite into PostgreSQL".into(),
        ));
    };
    if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
        return Err(VaultError::Invalid(
            "--to must be a PostgreSQL database (postgres://user:password@host/database)".into(),
        ));
    }
    if !std::path::Path::new(path).is_file() {
        return Err(VaultError::Invalid(format!("{path}: no such SQLite vault")));
    }
    // Opening brings an older file to the current schema, and proves the keys open its chain key.
    let source = open_store_with(from, keyring, ChainOpen::Existing).await?;
    if source.org().await?.is_none() {
        return Err(VaultError::Invalid(format!(
            "{path} holds no vault (never initialised): nothing to migrate"
        )));
    }
    let before = audit_verify(&source).await?;
    if let Some(id) = before.first_broken {
        return Err(VaultError::Invalid(format!(
            "the source's audit chain is broken at event {id}: nothing was copied. Run `vaultty admin \
             audit-verify` on it and restore it from a backup"
        )));
    }
    drop(source);

    let copied = copy_from_sqlite(path, to).await?;

    let target = open_store_with(to, keyring, ChainOpen::Existing).await?;
    let after = audit_verify(&target).await?;
    if after.first_broken.is_some() || after.head != before.head || after.events != before.events {
        return Err(VaultError::Invalid(format!(
            "the copy's audit chain does not match the source's ({} event(s) verified of {}): the \
             target database is left as it is for inspection; drop it before trying again",
            after.events, before.events
        )));
    }
    Ok(MigrateReport {
        target: crate::store::postgres::connect::redacted(to),
        copied,
        events: after.events,
        head: after.head,
    })
}
