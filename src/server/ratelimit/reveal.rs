//! The reveal limit: per USER, a token bucket of `per_minute` that refills continuously, so that a
//! minute's worth may come in one burst and a steady stream above the rate gets 429. Per user and
//! not per token, because a user mints tokens at will: per token, each new token was a new budget.
//!
//! Cost per check is O(1) whatever the number of buckets: the users are spread over shards, each
//! with its own lock, and idle buckets are dropped by generations instead of a scan. A shard keeps
//! two maps; when the current one is a full refill period old, it becomes the previous one and the
//! old previous one is dropped whole. A bucket found in the previous map moves to the current one.
//! A bucket that reaches the drop has been untouched for at least a refill period, so it is full,
//! exactly what a new bucket would be: dropping it changes no answer.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use prometheus_client::metrics::counter::Counter;

use crate::store::Millis;

/// A bucket refills from empty to full in a minute, whatever its size.
const REFILL_MS: Millis = 60_000;
/// Enough shards that two cores and a few dozen request tasks rarely meet on one lock.
const SHARDS: i64 = 32;

pub struct RevealLimiter {
    per_minute: u32,
    shards: Box<[Mutex<Shard>]>,
    /// Refusals, for `/metrics` (`rate_limited{limiter="reveal"}`).
    refused: Counter,
}

#[derive(Default)]
struct Shard {
    current: HashMap<i64, Bucket>,
    previous: HashMap<i64, Bucket>,
    /// When `current` was started.
    since: Millis,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Millis,
}

impl RevealLimiter {
    /// `per_minute == 0` turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        RevealLimiter {
            per_minute,
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            refused: Counter::default(),
        }
    }

    /// Counts each refusal on `refused` (a clone of the server's metric).
    #[must_use]
    pub fn counting_refusals(mut self, refused: Counter) -> Self {
        self.refused = refused;
        self
    }

    /// Takes one unit of `user`'s budget at `now` (the vault's clock): `Ok(())` to go ahead, or
    /// `Err(seconds)` to wait, with nothing taken.
    pub fn check(&self, user: i64, now: Millis) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_ms = capacity / REFILL_MS as f64;
        let shard = &self.shards[user.rem_euclid(SHARDS) as usize];
        let mut s = shard.lock().unwrap_or_else(PoisonError::into_inner);
        // A clock set back leaves `since` ahead of now: the shard then waits, it never rotates early.
        let expired = if now - s.since >= REFILL_MS {
            s.since = now;
            let current = std::mem::take(&mut s.current);
            Some(std::mem::replace(&mut s.previous, current))
        } else {
            None
        };
        let carried = s.previous.remove(&user);
        let bucket = s.current.entry(user).or_insert_with(|| {
            carried.unwrap_or(Bucket {
                tokens: capacity,
                at: now,
            })
        });
        let elapsed = (now - bucket.at).max(0) as f64;
        bucket.tokens = (bucket.tokens + elapsed * per_ms).min(capacity);
        bucket.at = bucket.at.max(now);
        let answer = if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err((((1.0 - bucket.tokens) / per_ms) / 1000.0).ceil().max(1.0) as u64)
        };
        drop(s);
        if answer.is_err() {
            self.refused.inc();
        }
        // Freed outside the lock: the one O(n) step, paid once per bucket ever made, not per call.
        drop(expired);
        answer
    }

    /// Buckets held in memory (both generations), for tests and the bench.
    pub fn buckets(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = s.lock().unwrap_or_else(PoisonError::into_inner);
                s.current.len() + s.previous.len()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_800_000_000_000;

    #[test]
    fn allows_a_burst_then_limits_then_refills() {
        let l = RevealLimiter::new(3);
        assert!(l.check(1, T0).is_ok());
        assert!(l.check(1, T0).is_ok());
        assert!(l.check(1, T0).is_ok());
        assert_eq!(l.check(1, T0), Err(20));
        assert!(l.check(2, T0).is_ok(), "limits are per user");
        assert!(l.check(1, T0 + 20_000).is_ok());
    }

    #[test]
    fn zero_turns_it_off() {
        let l = RevealLimiter::new(0);
        for _ in 0..10_000 {
            assert!(l.check(1, T0).is_ok());
        }
        assert_eq!(l.buckets(), 0);
    }

    #[test]
    fn idle_buckets_are_dropped_without_changing_an_answer() {
        let l = RevealLimiter::new(2);
        for user in 0..100_000 {
            assert!(l.check(user, T0).is_ok());
        }
        assert_eq!(l.buckets(), 100_000);
        // A refill period later one user per shard comes back: each shard starts a generation,
        // and user 0 spends its budget.
        let later = T0 + REFILL_MS;
        for user in 0..SHARDS {
            assert!(l.check(user, later).is_ok());
        }
        assert!(l.check(0, later).is_ok());
        assert_eq!(l.check(0, later), Err(30), "a carried bucket keeps its count");
        // Another period on, every shard rotates again and drops the untouched buckets.
        let much_later = later + REFILL_MS;
        for user in 0..SHARDS {
            assert!(l.check(user, much_later).is_ok());
        }
        assert!(l.buckets() <= 2 * SHARDS as usize, "{} buckets kept", l.buckets());
        // A dropped bucket was full anyway: user 99,999 has its whole budget.
        assert!(l.check(99_999, much_later).is_ok());
        assert!(l.check(99_999, much_later).is_ok());
        assert!(l.check(99_999, much_later).is_err());
    }

    #[test]
    fn a_clock_set_back_neither_refills_nor_panics() {
        let l = RevealLimiter::new(1);
        assert!(l.check(1, T0).is_ok());
        assert!(l.check(1, T0 - 3_600_000).is_err());
        assert!(l.check(1, T0 + 60_000).is_ok());
    }
}
