//! The audit hash chain: each event carries the hash of the one before it, so that removing or
//! editing an event breaks every link after it. Every backend computes links with this function.

use super::AuditRow;

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: [u8; 32] = [0u8; 32];

/// The hash of an event: SHA-256 over the previous hash and every field of the event, each
/// length-prefixed so that no two different events hash alike.
pub fn audit_link_hash(prev: &[u8; 32], row: &AuditRow) -> [u8; 32] {
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
        e.visibility.map(|v| v.as_str()).unwrap_or("").as_bytes(),
        e.owner.as_deref().unwrap_or("").as_bytes(),
        &version,
        e.outcome.as_str().as_bytes(),
        e.client.as_deref().unwrap_or("").as_bytes(),
        e.ip.as_deref().unwrap_or("").as_bytes(),
    ];
    let mut parts: Vec<Vec<u8>> = vec![b"vaultty audit v1".to_vec(), prev.to_vec()];
    for f in fields {
        let mut p = (f.len() as u32).to_be_bytes().to_vec();
        p.extend_from_slice(f);
        parts.push(p);
    }
    let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    crate::crypto::sha256(&refs)
}
