//! The encoded answers of `GET /v1/secrets`, kept while the store is unchanged.
//!
//! A read-mostly vault is listed far more often than it is written, and encoding a namespace of
//! 10,000 secrets costs milliseconds of CPU (reading the rows, then escaping them into JSON). An
//! answer is kept under the store's `data_version` read *before* its rows: the rows are then at
//! least as new as that version, so the answer is current for as long as the store still reports
//! it. Any commit moves the version on (SQLite counts every commit to the file, whichever
//! connection or process made it), and the next listing reads afresh. A store that cannot say
//! (`None`: PostgreSQL, whose other replicas write unseen) is never cached.
//!
//! The key is everything an answer depends on besides the data: the caller's user id and role, and
//! the whole query. Nothing secret is in a listing (previews are masked), but an answer is still
//! served only to the user it was made for, and errors are never kept. Bounded: at most
//! `MAX_ENTRIES` answers and `MAX_BYTES` in all; the oldest go first.
//!
//! One listing is encoded at a time per key (`turn`): when a write moves the version on while
//! many clients list, the first to miss encodes, and the others, waiting their turn, find its
//! answer kept, instead of all of them encoding the same megabytes at once.

use std::collections::VecDeque;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, PoisonError};

use axum::body::Bytes;
use tokio::sync::MutexGuard;

use crate::api::{Category, ListQuery, Role, Scope, Visibility};
use crate::vault::Caller;

/// Answers kept at once: a few users' listings, with a few filters each.
const MAX_ENTRIES: usize = 16;

/// Bytes kept at once: two listings of 100,000 secrets (about 29 MB each) fit, a pile of them not.
const MAX_BYTES: usize = 64 << 20;

/// Turns to encode (`ListCache::turn`): keys share one by hash, so a few is plenty, and no map of
/// keys grows with the queries asked.
const TURNS: usize = 8;

/// What an answer depends on besides the stored data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ListKey {
    user: i64,
    role: Role,
    category: Option<Category>,
    scope: Option<Scope>,
    secret_scope: Option<Visibility>,
    /// `all=false` asks the same as no `all`.
    all: bool,
    user_id: Option<String>,
    provider: Option<String>,
}

impl ListKey {
    pub(crate) fn new(caller: &Caller, q: &ListQuery) -> ListKey {
        // Destructured, so that a field added to the query cannot be left out of the key.
        let ListQuery {
            category,
            scope,
            secret_scope,
            all,
            user_id,
            provider,
        } = q;
        ListKey {
            user: caller.user.id,
            role: caller.user.role,
            category: *category,
            scope: *scope,
            secret_scope: *secret_scope,
            all: *all == Some(true),
            user_id: user_id.clone(),
            provider: provider.clone(),
        }
    }
}

struct Entry {
    key: ListKey,
    version: u64,
    body: Bytes,
    /// What the body holds allocated (its buffer may be larger than the JSON).
    cost: usize,
}

#[derive(Default)]
pub(crate) struct ListCache {
    inner: Mutex<Inner>,
    turns: [tokio::sync::Mutex<()>; TURNS],
    hasher: RandomState,
}

#[derive(Default)]
struct Inner {
    /// Oldest first.
    entries: VecDeque<Entry>,
    bytes: usize,
}

impl ListCache {
    /// Waits for the turn to encode `key`'s listing. Holding it, read the version again and look
    /// again before encoding: the listing may have been kept meanwhile.
    pub(crate) async fn turn(&self, key: &ListKey) -> MutexGuard<'_, ()> {
        let at = usize::try_from(self.hasher.hash_one(key) % TURNS as u64).unwrap_or(0);
        self.turns[at].lock().await
    }

    /// The answer kept for `key` under exactly `version`, if any (a clone of `Bytes`: no copy).
    pub(crate) fn get(&self, key: &ListKey, version: u64) -> Option<Bytes> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner
            .entries
            .iter()
            .find(|e| e.version == version && e.key == *key)
            .map(|e| e.body.clone())
    }

    /// Keeps `body`, the answer for `key` read under `version`; `cost` is its allocated size.
    pub(crate) fn put(&self, key: ListKey, version: u64, body: Bytes, cost: usize) {
        if cost > MAX_BYTES {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        // Versions only go up: a listing that read an older one than a kept answer finished late,
        // and is already out of date.
        if inner.entries.iter().any(|e| e.version > version) {
            return;
        }
        // Answers under an older version can never be served again, nor an older one for this key.
        inner.retain(|e| e.version == version && e.key != key);
        inner.bytes += cost;
        inner.entries.push_back(Entry {
            key,
            version,
            body,
            cost,
        });
        while inner.entries.len() > MAX_ENTRIES || inner.bytes > MAX_BYTES {
            let Some(oldest) = inner.entries.pop_front() else { break };
            inner.bytes -= oldest.cost;
        }
    }
}

impl Inner {
    fn retain(&mut self, keep: impl Fn(&Entry) -> bool) {
        self.entries.retain(|e| keep(e));
        self.bytes = self.entries.iter().map(|e| e.cost).sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(user: i64) -> ListKey {
        ListKey {
            user,
            role: Role::Member,
            category: None,
            scope: None,
            secret_scope: None,
            all: false,
            user_id: None,
            provider: None,
        }
    }

    #[test]
    fn serves_only_the_same_key_under_the_same_version() {
        let cache = ListCache::default();
        cache.put(key(1), 7, Bytes::from_static(b"one"), 3);
        assert_eq!(cache.get(&key(1), 7).as_deref(), Some(&b"one"[..]));
        assert_eq!(cache.get(&key(2), 7), None);
        assert_eq!(cache.get(&key(1), 8), None);
        let admin = ListKey {
            role: Role::Admin,
            ..key(1)
        };
        assert_eq!(cache.get(&admin, 7), None);
    }

    #[test]
    fn a_newer_version_drops_older_answers_and_a_late_older_one_is_not_kept() {
        let cache = ListCache::default();
        cache.put(key(1), 7, Bytes::from_static(b"old"), 3);
        cache.put(key(2), 8, Bytes::from_static(b"new"), 3);
        assert_eq!(cache.get(&key(1), 7), None);
        cache.put(key(1), 7, Bytes::from_static(b"late"), 4);
        assert_eq!(cache.get(&key(1), 7), None);
        assert_eq!(cache.get(&key(2), 8).as_deref(), Some(&b"new"[..]));
    }

    #[test]
    fn bounded_by_entries_and_bytes_oldest_first() {
        let cache = ListCache::default();
        let last = i64::try_from(MAX_ENTRIES).unwrap();
        for user in 0..=last {
            cache.put(key(user), 1, Bytes::from_static(b"x"), 1);
        }
        assert_eq!(cache.get(&key(0), 1), None);
        assert!(cache.get(&key(last), 1).is_some());
        cache.put(key(100), 1, Bytes::from_static(b"big"), MAX_BYTES - 1);
        assert_eq!(cache.get(&key(1), 1), None, "the byte cap evicts the oldest");
        assert!(cache.get(&key(100), 1).is_some());
        cache.put(key(101), 1, Bytes::from_static(b"huge"), MAX_BYTES + 1);
        assert_eq!(cache.get(&key(101), 1), None, "an answer over the cap is not kept");
    }
}
