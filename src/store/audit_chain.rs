//! The audit hash chain: each event carries the link of the one before it, so that removing or
//! editing an event breaks every link after it. Every backend computes links with these functions.
//!
//! A link is HMAC-SHA256 under the chain key (`crypto::ChainKey`), so rewriting an event and
//! recomputing the chain needs that key, which only a holder of a master key can unseal. Events
//! written before the chain was keyed (ids below `keyed_from`) keep their plain SHA-256 links
//! ([`legacy_link_hash`]); the first keyed event links to the last of them, so they cannot be
//! rewritten either without breaking a keyed link.

use super::{AuditRow, NewAudit, StoreError, StoreResult, Visibility};
use crate::crypto::ChainKey;

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: [u8; 32] = [0u8; 32];

/// The chain key as the database keeps it: sealed under a master key, with the id of the first
/// event it links (bound into the seal, so it cannot be moved without the master key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainKeyRecord {
    pub sealed: String,
    pub keyed_from: i64,
}

/// What links events: the chain key and the first event it links.
#[derive(Debug)]
pub struct AuditChain {
    key: ChainKey,
    keyed_from: i64,
}

impl AuditChain {
    pub fn new(key: ChainKey, keyed_from: i64) -> AuditChain {
        AuditChain { key, keyed_from }
    }

    /// The first event linked under the key; every event before it has a legacy link.
    pub fn keyed_from(&self) -> i64 {
        self.keyed_from
    }

    /// The event after `(last_id, last_hash)` in the chain: its id is the next one, and it is
    /// linked to that tail. What every backend's append stores.
    pub fn next_row(&self, last_id: i64, last_hash: [u8; 32], event: NewAudit) -> StoreResult<AuditRow> {
        let id = last_id
            .checked_add(1)
            .ok_or_else(|| StoreError::Backend("the audit log ran out of ids".into()))?;
        let mut row = AuditRow {
            id,
            event,
            prev_hash: last_hash,
            hash: GENESIS_HASH,
        };
        row.hash = self.link(&row.prev_hash, &row);
        Ok(row)
    }

    /// The link of `row` after `prev`: keyed from `keyed_from` on, legacy before.
    pub fn link(&self, prev: &[u8; 32], row: &AuditRow) -> [u8; 32] {
        if row.id < self.keyed_from {
            legacy_link_hash(prev, row)
        } else {
            let parts = link_parts(b"vaultty audit v2", prev, row, true);
            let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            self.key.mac(&refs)
        }
    }
}

/// The link of a chain that is not keyed yet, when `chain` is `None`.
pub fn link_hash(chain: Option<&AuditChain>, prev: &[u8; 32], row: &AuditRow) -> [u8; 32] {
    match chain {
        Some(c) => c.link(prev, row),
        None => legacy_link_hash(prev, row),
    }
}

/// The unkeyed link of the first releases: SHA-256 over the previous hash and every field of the
/// event, each length-prefixed so that no two different events hash alike. Kept to verify the
/// events written before the chain was keyed.
pub fn legacy_link_hash(prev: &[u8; 32], row: &AuditRow) -> [u8; 32] {
    let parts = link_parts(b"vaultty audit v1", prev, row, false);
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    crate::crypto::sha256(&refs)
}

/// The bytes a link covers. `count_always`: the keyed layout length-prefixes `count` like every
/// other field (empty when absent); the legacy one appended it only when present.
fn link_parts(tag: &[u8], prev: &[u8; 32], row: &AuditRow, count_always: bool) -> Vec<Vec<u8>> {
    let e = &row.event;
    let id = row.id.to_be_bytes();
    let at = e.at.to_be_bytes();
    let version = e.version.unwrap_or(-1).to_be_bytes();
    let fields: [&[u8]; 11] = [
        &id,
        &at,
        e.actor.as_deref().unwrap_or("").as_bytes(),
        e.action.as_str().as_bytes(),
        e.secret.as_deref().unwrap_or("").as_bytes(),
        e.visibility.map_or("", Visibility::as_str).as_bytes(),
        e.owner.as_deref().unwrap_or("").as_bytes(),
        &version,
        e.outcome.as_str().as_bytes(),
        e.client.as_deref().unwrap_or("").as_bytes(),
        e.ip.as_deref().unwrap_or("").as_bytes(),
    ];
    let mut parts: Vec<Vec<u8>> = vec![tag.to_vec(), prev.to_vec()];
    let mut push = |f: &[u8]| {
        let mut p = (f.len() as u32).to_be_bytes().to_vec();
        p.extend_from_slice(f);
        parts.push(p);
    };
    for f in fields {
        push(f);
    }
    let count = e.count.map(u32::to_be_bytes);
    if count_always {
        push(count.as_ref().map_or(&[][..], |c| &c[..]));
    } else if let Some(count) = count {
        // Appended only when present, so that every row written before the field existed keeps its link.
        parts.push(b"count".to_vec());
        parts.push(count.to_vec());
    }
    if let Some(target) = &e.target {
        // Likewise appended only when present (both layouts): every event written before the
        // field existed keeps its link, and an account action's target is covered.
        let mut part = (target.len() as u32).to_be_bytes().to_vec();
        part.extend_from_slice(target.as_bytes());
        parts.push(b"target".to_vec());
        parts.push(part);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AuditAction, NewAudit, Outcome, Visibility};

    fn hex(h: [u8; 32]) -> String {
        h.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Links already stored must keep verifying: these values were computed outside this code
    /// (Python's hashlib over the documented layout), so any change to the layout fails here.
    #[test]
    fn the_link_layout_is_fixed() {
        let full = AuditRow {
            id: 7,
            event: NewAudit {
                at: 1_780_000_000_000,
                actor: Some("alice".into()),
                action: AuditAction::Reveal,
                secret: Some("API_KEY".into()),
                visibility: Some(Visibility::User),
                owner: Some("bob".into()),
                version: Some(2),
                outcome: Outcome::Ok,
                client: Some("vaultty-cli/0.1.0".into()),
                ip: Some("127.0.0.1".into()),
                target: None,
                count: None,
            },
            prev_hash: [1; 32],
            hash: GENESIS_HASH,
        };
        assert_eq!(
            hex(legacy_link_hash(&full.prev_hash, &full)),
            "ec7eb423d25b7bc1b22b1e3aaffca4d4f922a11ad7a1525b599559cfbd73c919"
        );
        let empty = AuditRow {
            id: 1,
            event: NewAudit {
                at: 0,
                actor: None,
                action: AuditAction::AuthFailed,
                secret: None,
                visibility: None,
                owner: None,
                version: None,
                outcome: Outcome::Denied,
                client: None,
                ip: None,
                target: None,
                count: None,
            },
            prev_hash: GENESIS_HASH,
            hash: GENESIS_HASH,
        };
        assert_eq!(
            hex(legacy_link_hash(&GENESIS_HASH, &empty)),
            "2e853d88a4549e893641cd59fc51108019a6193557340a38929e99a52776e9f1"
        );
    }
}

#[cfg(test)]
mod keyed_tests {
    use super::*;
    use crate::store::{AuditAction, NewAudit, Outcome};

    fn row(id: i64, count: Option<u32>) -> AuditRow {
        AuditRow {
            id,
            event: NewAudit {
                count,
                ..NewAudit::new(1_780_000_000_000, AuditAction::AuthFailed, Outcome::Denied)
            },
            prev_hash: GENESIS_HASH,
            hash: GENESIS_HASH,
        }
    }

    #[test]
    fn a_keyed_link_needs_the_key_and_covers_every_field() {
        let chain = AuditChain::new(ChainKey::from_bytes([1; 32]), 1);
        let other = AuditChain::new(ChainKey::from_bytes([2; 32]), 1);
        let r = row(3, Some(200));
        let link = chain.link(&GENESIS_HASH, &r);
        assert_ne!(link, other.link(&GENESIS_HASH, &r), "another key, another link");
        assert_ne!(link, legacy_link_hash(&GENESIS_HASH, &r), "not the plain SHA-256 link");
        assert_ne!(link, chain.link(&GENESIS_HASH, &row(3, Some(201))), "count is covered");
        assert_ne!(
            link,
            chain.link(&GENESIS_HASH, &row(3, None)),
            "an absent count differs from any"
        );
        assert_ne!(
            chain.link(&GENESIS_HASH, &row(3, None)),
            chain.link(&GENESIS_HASH, &row(3, Some(0)))
        );
        assert_ne!(link, chain.link(&[9; 32], &r), "the previous link is covered");
    }

    #[test]
    fn the_target_is_covered_and_an_absent_one_changes_nothing() {
        let chain = AuditChain::new(ChainKey::from_bytes([1; 32]), 1);
        let targeted = |t: Option<&str>| AuditRow {
            event: NewAudit {
                target: t.map(str::to_owned),
                ..row(3, None).event
            },
            ..row(3, None)
        };
        let none = chain.link(&GENESIS_HASH, &targeted(None));
        assert_eq!(
            none,
            chain.link(&GENESIS_HASH, &row(3, None)),
            "rows without a target keep their link"
        );
        let alice = chain.link(&GENESIS_HASH, &targeted(Some("alice")));
        assert_ne!(alice, none);
        assert_ne!(alice, chain.link(&GENESIS_HASH, &targeted(Some("bob"))));
        assert_ne!(alice, chain.link(&GENESIS_HASH, &targeted(Some(""))));
        assert_ne!(
            legacy_link_hash(&GENESIS_HASH, &targeted(Some("alice"))),
            legacy_link_hash(&GENESIS_HASH, &targeted(None))
        );
    }

    #[test]
    fn events_before_keyed_from_keep_their_legacy_link() {
        let chain = AuditChain::new(ChainKey::from_bytes([1; 32]), 5);
        assert_eq!(
            chain.link(&GENESIS_HASH, &row(4, None)),
            legacy_link_hash(&GENESIS_HASH, &row(4, None))
        );
        assert_ne!(
            chain.link(&GENESIS_HASH, &row(5, None)),
            legacy_link_hash(&GENESIS_HASH, &row(5, None))
        );
        assert_eq!(
            link_hash(None, &GENESIS_HASH, &row(5, None)),
            legacy_link_hash(&GENESIS_HASH, &row(5, None))
        );
    }
}
