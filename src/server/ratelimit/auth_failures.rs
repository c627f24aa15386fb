//! Failed authentications per client address: the limit (429 past `limit` in a window) and the
//! summarised audit rows, so that a flood of bad tokens can neither guess on forever nor fill the
//! disk with one durable row per attempt.
//!
//! Rows: at most one `auth_failed` row per address per window. The first failure from an address
//! that has had no row for a window is written at once, on the request, as before: a lone probe is
//! durable even if the server then crashes. The failures after it are counted in memory and
//! written as one row with `count` when the window since that row is over (the flusher, every
//! second), or at graceful shutdown. The trade: a crash (not a graceful stop) loses the count of
//! at most one window per address, never the first failure of a burst. A row can't be updated in
//! place instead: the audit log is a hash chain, append-only.
//!
//! Memory is bounded: at most `MAX_ADDRESSES` addresses are tracked. Beyond that, failures from
//! untracked addresses share one entry, limited and summarised like an address, whose rows have no
//! `ip`. Entries are dropped once a window has passed with nothing to write.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use crate::store::Millis;

/// The window of the limit and of the summarised rows.
pub const WINDOW_MS: Millis = 60_000;
/// Addresses tracked at once; each costs well under a kilobyte.
pub const MAX_ADDRESSES: usize = 1024;
const SHARDS: usize = 16;
const PER_SHARD: usize = MAX_ADDRESSES / SHARDS;

/// One `auth_failed` row to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureRow {
    /// `None` for the shared entry of untracked addresses (or a request with no peer address).
    pub ip: Option<IpAddr>,
    /// The User-Agent of the last failure counted.
    pub client: Option<String>,
    /// The failures the row stands for (at least 1).
    pub count: u32,
    /// The time of the last failure counted.
    pub at: Millis,
}

pub struct AuthFailures {
    /// Failures per window per address before 429; 0 never answers 429 (rows are summarised anyway).
    limit: u32,
    /// Picks an address's shard; random, so that no one can aim many addresses at one shard.
    spread: RandomState,
    shards: Box<[Mutex<HashMap<IpAddr, Entry>>]>,
    /// Every address that found no room, together.
    untracked: Mutex<Entry>,
}

#[derive(Debug, Default)]
struct Entry {
    /// The limit's fixed window: its start, and the failures in it.
    window_start: Millis,
    in_window: u32,
    /// When this address's last row was written.
    last_row: Option<Millis>,
    /// Failures not yet in a row, and the last one's time and client.
    pending: u32,
    pending_at: Millis,
    client: Option<String>,
}

impl Entry {
    fn retry_after(&self, limit: u32, now: Millis) -> Option<u64> {
        let left = self.window_start + WINDOW_MS - now;
        (limit > 0 && self.in_window >= limit && left > 0).then(|| (left as u64).div_ceil(1000).max(1))
    }

    /// Counts one failure; `Some(row)` when it must be written now.
    fn record(&mut self, ip: Option<IpAddr>, client: Option<String>, now: Millis) -> Option<FailureRow> {
        if now - self.window_start >= WINDOW_MS {
            self.window_start = now;
            self.in_window = 0;
        }
        self.in_window = self.in_window.saturating_add(1);
        let quiet = self.pending == 0 && self.last_row.is_none_or(|at| now - at >= WINDOW_MS);
        if quiet {
            self.last_row = Some(now);
            return Some(FailureRow {
                ip,
                client,
                count: 1,
                at: now,
            });
        }
        self.pending = self.pending.saturating_add(1);
        self.pending_at = now;
        self.client = client;
        None
    }

    /// The pending failures as a row, when their window is over (or `force`).
    fn take_due(&mut self, ip: Option<IpAddr>, now: Millis, force: bool) -> Option<FailureRow> {
        let due = self.last_row.is_none_or(|at| now - at >= WINDOW_MS);
        if self.pending == 0 || !(due || force) {
            return None;
        }
        let row = FailureRow {
            ip,
            client: self.client.take(),
            count: self.pending,
            at: self.pending_at,
        };
        self.pending = 0;
        self.last_row = Some(now);
        Some(row)
    }

    /// Nothing to write and nothing to limit: the entry can go.
    fn idle(&self, now: Millis) -> bool {
        self.pending == 0
            && now - self.window_start >= WINDOW_MS
            && self.last_row.is_none_or(|at| now - at >= WINDOW_MS)
    }
}

impl AuthFailures {
    pub fn new(limit: u32) -> Self {
        AuthFailures {
            limit,
            spread: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            untracked: Mutex::new(Entry::default()),
        }
    }

    fn shard(&self, ip: &IpAddr) -> &Mutex<HashMap<IpAddr, Entry>> {
        &self.shards[(self.spread.hash_one(ip) % SHARDS as u64) as usize]
    }

    /// `Some(seconds)` when `ip` is past its limit at `now`. O(1): one shard lock, one lookup.
    pub fn retry_after(&self, ip: Option<IpAddr>, now: Millis) -> Option<u64> {
        if self.limit == 0 {
            return None;
        }
        if let Some(ip) = ip {
            let shard = self.shard(&ip).lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = shard.get(&ip) {
                return entry.retry_after(self.limit, now);
            }
            // An address without an entry may have failed while the map was full.
            if shard.len() < PER_SHARD {
                return None;
            }
        }
        let untracked = self.untracked.lock().unwrap_or_else(PoisonError::into_inner);
        untracked.retry_after(self.limit, now)
    }

    /// Counts a failed authentication from `ip`; `Some(row)` when it must be written now.
    pub fn record(&self, ip: Option<IpAddr>, client: Option<String>, now: Millis) -> Option<FailureRow> {
        if let Some(ip) = ip {
            let mut shard = self.shard(&ip).lock().unwrap_or_else(PoisonError::into_inner);
            if shard.len() < PER_SHARD || shard.contains_key(&ip) {
                return shard.entry(ip).or_default().record(Some(ip), client, now);
            }
        }
        let mut untracked = self.untracked.lock().unwrap_or_else(PoisonError::into_inner);
        untracked.record(None, client, now)
    }

    /// The rows whose window is over (every pending row when `force`), and forgets idle
    /// addresses. Runs off the request path: it visits every tracked address, a bounded number.
    pub fn take_due(&self, now: Millis, force: bool) -> Vec<FailureRow> {
        let mut rows = Vec::new();
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            shard.retain(|ip, entry| {
                rows.extend(entry.take_due(Some(*ip), now, force));
                !entry.idle(now)
            });
        }
        let mut untracked = self.untracked.lock().unwrap_or_else(PoisonError::into_inner);
        rows.extend(untracked.take_due(None, now, force));
        rows
    }

    /// Addresses tracked now (for tests).
    pub fn tracked(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_800_000_000_000;

    fn ip(n: u32) -> Option<IpAddr> {
        Some(IpAddr::from(n.to_be_bytes()))
    }

    #[test]
    fn the_first_failure_is_written_at_once_and_the_rest_when_the_window_ends() {
        let f = AuthFailures::new(3);
        let first = f.record(ip(1), Some("curl".into()), T0).unwrap();
        assert_eq!((first.count, first.at, first.ip), (1, T0, ip(1)));
        for i in 1..10 {
            assert!(f.record(ip(1), None, T0 + i).is_none());
        }
        assert_eq!(f.retry_after(ip(1), T0 + 9), Some(60));
        assert_eq!(f.retry_after(ip(2), T0 + 9), None, "per address");
        assert!(
            f.take_due(T0 + WINDOW_MS - 1, false).is_empty(),
            "not before the window ends"
        );
        let rows = f.take_due(T0 + WINDOW_MS, false);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].count, rows[0].at), (9, T0 + 9));
        assert_eq!(f.retry_after(ip(1), T0 + WINDOW_MS + 9), None, "a new window");
        // A failure right after the summary row waits for the next window: one row per window.
        assert!(f.record(ip(1), None, T0 + WINDOW_MS + 10).is_none());
        assert!(f.take_due(T0 + 2 * WINDOW_MS - 1, false).is_empty());
        assert_eq!(f.take_due(T0 + 2 * WINDOW_MS, false)[0].count, 1);
        // Quiet for a window: the entry goes, and the next failure is written at once again.
        assert!(f.take_due(T0 + 3 * WINDOW_MS, false).is_empty());
        assert_eq!(f.tracked(), 0);
        assert!(f.record(ip(1), None, T0 + 3 * WINDOW_MS).is_some());
    }

    #[test]
    fn force_writes_what_is_pending_at_shutdown() {
        let f = AuthFailures::new(0);
        assert!(f.record(ip(1), None, T0).is_some());
        assert!(f.record(ip(1), None, T0 + 1).is_none());
        assert_eq!(f.retry_after(ip(1), T0 + 1), None, "0 never answers 429");
        assert!(f.take_due(T0 + 2, false).is_empty());
        let rows = f.take_due(T0 + 2, true);
        assert_eq!((rows.len(), rows[0].count), (1, 1));
    }

    #[test]
    fn addresses_beyond_the_cap_share_one_entry_without_an_ip() {
        let f = AuthFailures::new(2);
        let mut written_now = 0;
        for n in 0..(MAX_ADDRESSES as u32 * 4) {
            written_now += usize::from(f.record(ip(n), None, T0).is_some());
        }
        let tracked = f.tracked();
        assert!(tracked <= MAX_ADDRESSES);
        // One row per tracked address and one for the rest: bounded by the cap, not the flood.
        assert_eq!(written_now, tracked + 1);
        // The shared entry is limited like an address: an untracked address is past it now.
        let untracked_ip = (0..MAX_ADDRESSES as u32 * 4)
            .map(ip)
            .find(|a| {
                f.shard(a.as_ref().unwrap())
                    .lock()
                    .unwrap()
                    .get(a.as_ref().unwrap())
                    .is_none()
            })
            .unwrap();
        assert!(f.retry_after(untracked_ip, T0 + 1).is_some());
        let rows = f.take_due(T0 + WINDOW_MS, false);
        let untracked: Vec<_> = rows.iter().filter(|r| r.ip.is_none()).collect();
        assert_eq!(untracked.len(), 1);
        assert_eq!(
            untracked[0].count as usize + 1 + tracked,
            MAX_ADDRESSES * 4,
            "every failure is counted once"
        );
        assert_eq!(f.tracked(), 0, "idle addresses are forgotten");
    }
}
