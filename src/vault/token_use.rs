//! When each token was last used, kept in memory and written in batches.
//!
//! Every authenticated request uses a token; writing `last_used_at` each time would put a write
//! on every read. Instead the vault notes the use here and the server's flusher writes what is
//! pending about once a second (and at shutdown). Listings overlay what is pending, so a token
//! used a moment ago shows it at once. Nothing here is a secret: token ids are public.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::store::{DynStore, Millis, StoreResult};

#[derive(Debug, Default)]
pub(crate) struct TokenUse {
    /// Token id -> (its user's id, the latest use not yet known to be written).
    pending: Mutex<HashMap<String, (i64, Millis)>>,
}

impl TokenUse {
    /// The map; a panic elsewhere while it was held leaves nothing half-written in it.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, Millis)>> {
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn note(&self, token_id: &str, user_id: i64, at: Millis) {
        let mut pending = self.lock();
        match pending.get_mut(token_id) {
            Some(entry) => entry.1 = entry.1.max(at),
            None => {
                pending.insert(token_id.to_owned(), (user_id, at));
            }
        }
    }

    /// The latest pending use of a token.
    pub fn of_token(&self, token_id: &str) -> Option<Millis> {
        let pending = self.lock();
        pending.get(token_id).map(|&(_, at)| at)
    }

    /// The latest pending use of any of a user's tokens.
    pub fn of_user(&self, user_id: i64) -> Option<Millis> {
        let pending = self.lock();
        pending.values().filter(|(u, _)| *u == user_id).map(|&(_, at)| at).max()
    }

    /// Writes what is pending. Entries stay until written (so listings keep seeing them), and an
    /// entry that moved on meanwhile stays for the next flush.
    pub async fn flush(&self, store: &DynStore) -> StoreResult<()> {
        let batch: Vec<(String, Millis)> = {
            let pending = self.lock();
            pending.iter().map(|(id, &(_, at))| (id.clone(), at)).collect()
        };
        if batch.is_empty() {
            return Ok(());
        }
        store.touch_tokens(batch.clone()).await?;
        let mut pending = self.lock();
        for (id, at) in batch {
            if pending.get(&id).is_some_and(|&(_, now)| now <= at) {
                pending.remove(&id);
            }
        }
        Ok(())
    }
}

/// The later of two optional times.
pub(crate) fn later(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    a.max(b)
}
