//! The accounts epoch: a count of committed changes to tokens, users and the org settings, which
//! the vault's authentication cache (`vault/auth_cache.rs`) keys its entries by.
//!
//! A store bumps it after each such change it commits itself, before the change's caller is
//! answered, so a revocation through this process refuses the token on the very next request. A
//! backend that hears other writers (PostgreSQL's replicas, through LISTEN/NOTIFY) bumps it for
//! each of theirs too, and marks it unknown while it cannot hear them: then nothing is cached.
//! What no epoch can tell (another process on the same SQLite file) the cache's short freshness
//! bounds instead.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct AccountsEpoch {
    value: AtomicU64,
    /// Set while changes by other writers may go unheard (a lost LISTEN connection).
    deaf: AtomicBool,
}

impl AccountsEpoch {
    /// The epoch, or `None` while other writers' changes may go unheard.
    pub fn current(&self) -> Option<u64> {
        if self.deaf.load(Ordering::SeqCst) {
            return None;
        }
        Some(self.value.load(Ordering::SeqCst))
    }

    /// Something changed: whatever was read before is stale.
    pub fn bump(&self) {
        self.value.fetch_add(1, Ordering::SeqCst);
    }

    /// Other writers' changes may go unheard from now (`true`), or are heard again (`false`).
    /// Either way what was read before is dropped: changes made meanwhile were not heard.
    pub fn set_deaf(&self, deaf: bool) {
        if deaf {
            self.deaf.store(true, Ordering::SeqCst);
            self.bump();
        } else {
            self.bump();
            self.deaf.store(false, Ordering::SeqCst);
        }
    }
}
