//! Who a token belongs to, and the org settings, kept in memory between requests.
//!
//! Every request authenticates, and most read the org's `members_can_reveal`: read from the
//! store each time, that is two or three lookups before any work (round trips, on PostgreSQL).
//! Entries are keyed by the store's accounts epoch (`store::AccountsEpoch`), which moves on with
//! every committed change to a token, a user or the org, this process's before its caller is
//! answered and other replicas' as their notifications arrive: a revocation, a disabled or
//! demoted user, a changed setting are seen by the next request. An entry is also kept for at
//! most `FRESH_FOR`, which bounds what no epoch hears (another process on the same SQLite file,
//! such as a second local vault; a notification lost with its connection before the listener
//! noticed). Only what was found is kept: a token created a moment ago is looked up, never
//! refused from memory. Nothing here is a secret: rows hold token hashes, never tokens.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::crypto::TokenHash;
use crate::store::{OrgRow, TokenRow, UserRow};

/// The longest an entry is used without reading it again.
pub(crate) const FRESH_FOR: Duration = Duration::from_millis(250);

/// Tokens kept at most: past it, stale entries go, and if that is not enough, all of them.
const MAX_TOKENS: usize = 4096;

struct Entry<T> {
    value: T,
    /// When the read that found it began (not ended): its freshness counts from there.
    read_at: Instant,
}

impl<T: Clone> Entry<T> {
    fn fresh(&self) -> Option<T> {
        (self.read_at.elapsed() < FRESH_FOR).then(|| self.value.clone())
    }
}

#[derive(Default)]
struct Held {
    epoch: u64,
    tokens: HashMap<[u8; 32], Entry<(TokenRow, UserRow)>>,
    org: Option<Entry<OrgRow>>,
}

impl Held {
    /// Brings what is held to `epoch`: a newer epoch drops everything read before it. Returns
    /// whether `epoch` is the one held (an older one is a read that began before a change).
    fn at(&mut self, epoch: u64) -> bool {
        if epoch > self.epoch {
            self.tokens.clear();
            self.org = None;
            self.epoch = epoch;
        }
        epoch == self.epoch
    }
}

#[derive(Default)]
pub(crate) struct AuthCache {
    held: Mutex<Held>,
}

impl AuthCache {
    fn lock(&self) -> MutexGuard<'_, Held> {
        // Nothing is left half-written by a panic while it is held: plain inserts and removals.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn token(&self, epoch: u64, hash: &TokenHash) -> Option<(TokenRow, UserRow)> {
        let mut held = self.lock();
        if !held.at(epoch) {
            return None;
        }
        held.tokens.get(&hash.0).and_then(Entry::fresh)
    }

    /// Keeps a token found by a read that began at `read_at`, when the epoch was `epoch`.
    pub fn keep_token(&self, epoch: u64, read_at: Instant, hash: &TokenHash, found: &(TokenRow, UserRow)) {
        let mut held = self.lock();
        if !held.at(epoch) {
            return;
        }
        if held.tokens.len() >= MAX_TOKENS {
            held.tokens.retain(|_, e| e.read_at.elapsed() < FRESH_FOR);
            if held.tokens.len() >= MAX_TOKENS {
                held.tokens.clear();
            }
        }
        let value = found.clone();
        held.tokens.insert(hash.0, Entry { value, read_at });
    }

    pub fn org(&self, epoch: u64) -> Option<OrgRow> {
        let mut held = self.lock();
        if !held.at(epoch) {
            return None;
        }
        held.org.as_ref().and_then(Entry::fresh)
    }

    pub fn keep_org(&self, epoch: u64, read_at: Instant, org: &OrgRow) {
        let mut held = self.lock();
        if held.at(epoch) {
            held.org = Some(Entry {
                value: org.clone(),
                read_at,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Role, TokenKind};

    fn found() -> (TokenRow, UserRow) {
        let token = TokenRow {
            id: "t1".into(),
            user_id: 1,
            name: "laptop".into(),
            hash: TokenHash([7; 32]),
            created_at: 0,
            expires_at: None,
            revoked_at: None,
            parent_id: None,
            kind: TokenKind::User,
            last_used_at: None,
            scope: None,
            org_wide: false,
        };
        let user = UserRow {
            id: 1,
            name: "alice".into(),
            role: Role::Admin,
            created_at: 0,
            disabled: false,
        };
        (token, user)
    }

    #[test]
    fn a_newer_epoch_drops_what_was_read_before_it() {
        let cache = AuthCache::default();
        let hash = TokenHash([7; 32]);
        cache.keep_token(3, Instant::now(), &hash, &found());
        assert!(cache.token(3, &hash).is_some());
        assert!(cache.token(4, &hash).is_none(), "a change since: read again");
        assert!(
            cache.token(3, &hash).is_none(),
            "and the old epoch's entry is gone for good"
        );
    }

    #[test]
    fn a_read_that_began_before_a_change_is_not_kept() {
        let cache = AuthCache::default();
        let hash = TokenHash([7; 32]);
        // Another request already saw epoch 5; a slow read that began at 4 finishes now.
        assert!(cache.token(5, &hash).is_none());
        cache.keep_token(4, Instant::now(), &hash, &found());
        assert!(cache.token(5, &hash).is_none());
    }

    #[test]
    fn an_entry_is_read_again_once_it_is_no_longer_fresh() {
        let cache = AuthCache::default();
        let hash = TokenHash([7; 32]);
        let long_ago = Instant::now()
            .checked_sub(FRESH_FOR)
            .expect("a monotonic clock past FRESH_FOR");
        cache.keep_token(1, long_ago, &hash, &found());
        assert!(cache.token(1, &hash).is_none());
        let org = OrgRow {
            name: "acme".into(),
            members_can_reveal: false,
        };
        cache.keep_org(1, long_ago, &org);
        assert!(cache.org(1).is_none());
        cache.keep_org(1, Instant::now(), &org);
        assert_eq!(cache.org(1), Some(org));
    }
}
