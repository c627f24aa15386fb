//! Tokens seen to authenticate lately, by hash: what lets a live token through from a client
//! address past its failed-authentication limit without looking up every token such an address
//! sends. A hit only earns the usual lookup (which still checks revocation and expiry); a miss
//! from a limited address is answered 429 with no database work at all.
//!
//! Kept by generations as in `reveal`: a hash is remembered for one to two `GENERATION_MS` after
//! its last success, and forgetting costs no scan. Memory is bounded by the tokens that exist and
//! were used lately, which only authenticated users can mint. A hash reveals no token: tokens are
//! 256 random bits, and the database holds the same hashes.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, PoisonError};

use crate::crypto::TokenHash;
use crate::store::Millis;

/// How long a success is remembered, at least.
pub const GENERATION_MS: Millis = 3_600_000;
const SHARDS: usize = 16;

pub struct KnownTokens {
    spread: RandomState,
    shards: Box<[Mutex<Shard>]>,
}

#[derive(Default)]
struct Shard {
    current: HashSet<TokenHash>,
    previous: HashSet<TokenHash>,
    since: Millis,
}

impl Shard {
    /// Starts a new generation when the current one is old; returns the one to free.
    fn rotate(&mut self, now: Millis) -> Option<HashSet<TokenHash>> {
        if now - self.since < GENERATION_MS {
            return None;
        }
        self.since = now;
        let current = std::mem::take(&mut self.current);
        Some(std::mem::replace(&mut self.previous, current))
    }
}

impl Default for KnownTokens {
    fn default() -> Self {
        KnownTokens {
            spread: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
        }
    }
}

impl KnownTokens {
    fn shard(&self, hash: &TokenHash) -> &Mutex<Shard> {
        &self.shards[(self.spread.hash_one(hash) % SHARDS as u64) as usize]
    }

    /// Remembers a token that just authenticated. O(1).
    pub fn insert(&self, hash: TokenHash, now: Millis) {
        let mut shard = self.shard(&hash).lock().unwrap_or_else(PoisonError::into_inner);
        let expired = shard.rotate(now);
        shard.previous.remove(&hash);
        shard.current.insert(hash);
        drop(shard);
        // Freed outside the lock, once per generation.
        drop(expired);
    }

    /// Whether the token authenticated lately. O(1).
    pub fn contains(&self, hash: &TokenHash, now: Millis) -> bool {
        let mut shard = self.shard(hash).lock().unwrap_or_else(PoisonError::into_inner);
        let expired = shard.rotate(now);
        let known = shard.current.contains(hash) || shard.previous.contains(hash);
        drop(shard);
        drop(expired);
        known
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_800_000_000_000;

    #[test]
    fn a_success_is_remembered_for_a_generation_then_forgotten() {
        let known = KnownTokens::default();
        let (a, b) = (TokenHash([1; 32]), TokenHash([2; 32]));
        known.insert(a, T0);
        assert!(known.contains(&a, T0 + 1));
        assert!(!known.contains(&b, T0 + 1));
        assert!(known.contains(&a, T0 + GENERATION_MS), "kept at least a generation");
        // Used again: carried into the new generation.
        known.insert(a, T0 + GENERATION_MS);
        assert!(known.contains(&a, T0 + 2 * GENERATION_MS));
        assert!(!known.contains(&a, T0 + 4 * GENERATION_MS), "forgotten when unused");
    }
}
