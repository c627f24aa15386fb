//! The sealed values as a whole: the checks a vault makes before it serves (every key a value is
//! sealed under is configured; values in the old v1 format are re-sealed as v2), and the re-seal
//! walk that `admin rekey` shares with them.
//!
//! The re-seal needs the master keys, so it runs here, in the vault, at start (and in `admin
//! rekey`), not among the SQL migrations. Each row is replaced in its own transaction and only if
//! it still holds the text that was read, so a crash at any point leaves every row in one format
//! or the other, each openable, and the next start picks up what is left.

use std::sync::atomic::Ordering;

use secrecy::{ExposeSecret, SecretString};

use super::error::VaultResult;
use super::{Vault, VaultError};
use crate::crypto::{Binding, CryptoError, Keyring, preview};
use crate::store::{DynStore, SealedRow};

/// Rows re-sealed per batch: small enough that a batch never holds the writer for long.
const RESEAL_BATCH: u32 = 200;

/// What a re-seal walk did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RekeyReport {
    /// Versions re-sealed (under the primary key, in the current format).
    pub resealed: u64,
    /// Versions that changed or vanished (rotated, pruned, deleted) while being re-sealed.
    pub skipped: u64,
    /// Versions that did not open, left as they are: the walk goes on past them.
    pub unopenable: Vec<UnopenableRow>,
}

/// A stored version that does not open: where it is, and why (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnopenableRow {
    /// `org`, or `user:<user id>`.
    pub namespace: String,
    pub name: String,
    pub version: i64,
    pub reason: CryptoError,
}

impl Vault {
    /// What a server runs before it answers anything: refuses (`KeysMissing`) a database holding
    /// values sealed under a key it was not given, rather than answering 500 to each of them
    /// later; then re-seals the values still in the v1 format, and once none is left refuses
    /// that format for good.
    pub async fn prepare(&self) -> VaultResult<RekeyReport> {
        let state = self.store.sealing_state().await?;
        check_keys(&state.key_ids, &self.keyring)?;
        if state.legacy_retired {
            self.accept_v1.store(false, Ordering::Relaxed);
            return Ok(RekeyReport::default());
        }
        self.accept_v1.store(true, Ordering::Relaxed);
        let report = reseal_legacy(&self.store, &self.keyring).await?;
        for row in &report.unopenable {
            tracing::warn!(
                namespace = %row.namespace, name = %row.name, version = row.version, reason = %row.reason,
                "a stored value in the v1 format does not open; it is left as it is"
            );
        }
        if report.resealed > 0 {
            tracing::info!(resealed = report.resealed, "re-sealed stored values in the v2 format");
        }
        let retired = self.store.retire_legacy_sealing().await?;
        self.accept_v1.store(!retired, Ordering::Relaxed);
        Ok(report)
    }

    /// Opens a stored value for its row; a v1 text only while v1 rows are left to re-seal.
    pub(crate) fn open_sealed(&self, binding: &Binding<'_>, stored: &str) -> Result<SecretString, CryptoError> {
        if self.accept_v1.load(Ordering::Relaxed) {
            self.keyring.open_accepting_v1(binding, stored)
        } else {
            self.keyring.open(binding, stored)
        }
    }
}

fn check_keys(in_use: &[String], keyring: &Keyring) -> VaultResult<()> {
    let missing: Vec<String> = in_use
        .iter()
        .filter(|id| !id.is_empty() && keyring.get(id).is_none())
        .cloned()
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(VaultError::KeysMissing(missing))
    }
}

/// Re-seals every version still in the v1 format.
async fn reseal_legacy(store: &DynStore, keyring: &Keyring) -> VaultResult<RekeyReport> {
    let mut report = RekeyReport::default();
    let mut cursor = (0, 0);
    loop {
        let batch = store.sealed_legacy(cursor, RESEAL_BATCH).await?;
        let Some(last) = batch.last() else { break };
        cursor = (last.secret_id, last.version);
        reseal_rows(store, keyring, &batch, true, &mut report).await?;
    }
    Ok(report)
}

/// Re-seals every version that is not in the current format under the primary key (`admin
/// rekey`); v1 rows too unless the format is retired.
pub(super) async fn reseal_all(store: &DynStore, keyring: &Keyring) -> VaultResult<RekeyReport> {
    let accept_v1 = !store.sealing_state().await?.legacy_retired;
    let primary = keyring.primary().id().to_owned();
    let mut report = RekeyReport::default();
    let mut cursor = (0, 0);
    loop {
        let batch = store.sealed_not_under(&primary, cursor, RESEAL_BATCH).await?;
        let Some(last) = batch.last() else { break };
        cursor = (last.secret_id, last.version);
        reseal_rows(store, keyring, &batch, accept_v1, &mut report).await?;
    }
    if accept_v1 {
        store.retire_legacy_sealing().await?;
    }
    Ok(report)
}

/// Opens each row and seals it again, in the current format under the primary key, with its
/// preview recomputed from the value in hand. A row that does not open is reported and left.
async fn reseal_rows(
    store: &DynStore,
    keyring: &Keyring,
    rows: &[SealedRow],
    accept_v1: bool,
    report: &mut RekeyReport,
) -> VaultResult<()> {
    for row in rows {
        let namespace = row.owner.namespace();
        let binding = Binding {
            namespace: &namespace,
            name: &row.name,
            identity: &row.identity,
            version: row.version,
        };
        let opened = if accept_v1 {
            keyring.open_accepting_v1(&binding, &row.sealed)
        } else {
            keyring.open(&binding, &row.sealed)
        };
        let value = match opened {
            Ok(value) => value,
            Err(reason) => {
                report.unopenable.push(UnopenableRow {
                    namespace,
                    name: row.name.clone(),
                    version: row.version,
                    reason,
                });
                continue;
            }
        };
        let resealed = keyring.seal(&binding, &value);
        let preview = preview(value.expose_secret());
        if store
            .replace_sealed(row.secret_id, row.version, &row.sealed, &resealed, &preview)
            .await?
        {
            report.resealed += 1;
        } else {
            report.skipped += 1;
        }
    }
    Ok(())
}
