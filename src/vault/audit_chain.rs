//! The audit chain's key, as the vault handles it: opening a store with its chain key, keying an
//! older database's chain, re-sealing the key on rekey, and checking the chain (`audit-verify`).
//!
//! The store never holds the master keyring: the vault unseals the chain key here and hands the
//! store only the key (`Store::use_audit_chain`).

use super::error::{VaultError, VaultResult};
use crate::crypto::{ChainKey, CryptoError, Keyring};
use crate::store::{self, AuditChain, AuditFilter, ChainKeyRecord, DynStore, GENESIS_HASH, StoreError, link_hash};

const VERIFY_BATCH: u32 = 1000;
/// Tries at keying a chain that other writers keep appending to, before giving up as busy.
const KEYING_ATTEMPTS: usize = 20;

/// Whether opening may key a chain that is not keyed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainOpen {
    /// Every writer: keys the chain at its first start (a new database, or one written by an
    /// older vaultty whose unkeyed chain verifies).
    Key,
    /// `audit-verify`: reads only, and leaves an unkeyed chain as it is.
    Existing,
}

/// Opens the database with its audit chain key, keying the chain first when needed. Every path
/// that appends audit events (serve, `admin init`, `admin create-user`, the local vault) opens
/// its store here.
pub async fn open_store(database_url: &str, keyring: &Keyring) -> VaultResult<DynStore> {
    open_store_with(database_url, keyring, ChainOpen::Key).await
}

pub async fn open_store_with(database_url: &str, keyring: &Keyring, mode: ChainOpen) -> VaultResult<DynStore> {
    let store = store::open(database_url).await?;
    let record = match store.audit_chain_key().await? {
        Some(record) => Some(record),
        None if mode == ChainOpen::Key => Some(key_chain(&store, keyring).await?),
        None => None,
    };
    if let Some(record) = record {
        let key = open_chain_key(keyring, &record)?;
        store.use_audit_chain(AuditChain::new(key, record.keyed_from))?;
    }
    Ok(store)
}

fn open_chain_key(keyring: &Keyring, record: &ChainKeyRecord) -> VaultResult<ChainKey> {
    keyring
        .open_chain_key(&record.sealed, record.keyed_from)
        .map_err(|e| match e {
            CryptoError::UnknownKey(id) => VaultError::ChainKeyMissing(id),
            _ => VaultError::ChainKey(
                "the audit chain key does not open: its row in the database (audit_chain_key) was altered, so \
                 the audit log cannot be trusted; restore the database from a backup"
                    .into(),
            ),
        })
}

/// Keys a chain that is not keyed yet: a fresh random key, sealed for the id the next event
/// gets. The store checks that id inside its transaction; when events were appended meanwhile
/// (another process, an older vaultty) it answers `Conflict` with the last id, and this seals for
/// the one after it.
async fn key_chain(store: &DynStore, keyring: &Keyring) -> VaultResult<ChainKeyRecord> {
    let key = ChainKey::generate();
    let newest = store
        .list_audit(&AuditFilter {
            limit: 1,
            ..AuditFilter::default()
        })
        .await?;
    let mut keyed_from = newest.first().map_or(1, |row| row.id + 1);
    for _ in 0..KEYING_ATTEMPTS {
        let record = ChainKeyRecord {
            sealed: keyring.seal_chain_key(&key, keyed_from),
            keyed_from,
        };
        match store.key_audit_chain(record).await {
            Err(StoreError::Conflict { current: Some(last) }) => keyed_from = last + 1,
            other => return Ok(other?),
        }
    }
    Err(StoreError::Busy.into())
}

/// Re-seals the chain key under the primary master key, so that the chain stays verifiable once
/// the old master key is dropped. Returns whether it re-sealed (false: already under the primary,
/// or the chain is not keyed yet).
pub async fn reseal_chain_key(store: &DynStore, keyring: &Keyring) -> VaultResult<bool> {
    let Some(record) = store.audit_chain_key().await? else {
        return Ok(false);
    };
    if Keyring::chain_key_sealed_under(&record.sealed) == Some(keyring.primary().id()) {
        return Ok(false);
    }
    let key = open_chain_key(keyring, &record)?;
    let resealed = keyring.seal_chain_key(&key, record.keyed_from);
    Ok(store.reseal_audit_chain_key(&record.sealed, &resealed).await?)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub events: u64,
    /// The id of the first event whose link does not hold, if any.
    pub first_broken: Option<i64>,
    /// The last event verified and its link: what `--expect-head` takes to check later.
    pub head: Option<(i64, [u8; 32])>,
    /// The first event linked under the chain key; `None` when the chain is not keyed yet.
    pub keyed_from: Option<i64>,
}

/// Walks the audit log oldest first and recomputes every link, with the chain key the store was
/// opened with (legacy links only when the chain is not keyed yet).
pub async fn audit_verify(store: &DynStore) -> VaultResult<ChainReport> {
    let chain = store.audit_chain();
    let mut report = ChainReport {
        events: 0,
        first_broken: None,
        head: None,
        keyed_from: chain.map(AuditChain::keyed_from),
    };
    let mut prev = GENESIS_HASH;
    let mut after = 0;
    loop {
        let batch = store.audit_range(after, VERIFY_BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for row in &batch {
            report.events += 1;
            if row.prev_hash != prev || link_hash(chain, &prev, row) != row.hash {
                report.first_broken = Some(row.id);
                return Ok(report);
            }
            prev = row.hash;
            report.head = Some((row.id, row.hash));
        }
    }
    Ok(report)
}

/// How a head noted earlier compares with the chain now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadCheck {
    /// The event is there with that link: the chain holds it (and may have grown past it).
    Holds,
    /// No event with that id: the chain was cut before it.
    Missing,
    /// The event is there with another link: it, or one before it, was rewritten.
    Differs,
}

/// Checks a head noted earlier (`id`, `hash`) against the chain. Run after `audit_verify`
/// found the chain intact: then the event with that id is part of a verified chain.
pub async fn check_head(store: &DynStore, id: i64, hash: &[u8; 32]) -> VaultResult<HeadCheck> {
    let rows = store.audit_range(id.saturating_sub(1), 1).await?;
    Ok(match rows.first() {
        Some(row) if row.id == id && row.hash == *hash => HeadCheck::Holds,
        Some(row) if row.id == id => HeadCheck::Differs,
        _ => HeadCheck::Missing,
    })
}
