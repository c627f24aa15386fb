//! A per-token limit on reveals: a token bucket of `per_minute` that refills continuously, so a
//! burst of a minute's worth is allowed and a steady stream above the rate gets 429.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub struct RevealLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RevealLimiter {
    /// `per_minute == 0` turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        RevealLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok(())` to go ahead, or `Err(seconds)` to wait.
    pub fn check(&self, token_id: &str, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_sec = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Drop full buckets now and then so the map does not grow with every token ever seen.
        if buckets.len() > 10_000 {
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec < capacity);
        }
        let b = buckets.entry(token_id.to_owned()).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(capacity);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / per_sec).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn allows_a_burst_then_limits_then_refills() {
        let l = RevealLimiter::new(3);
        let t0 = Instant::now();
        assert!(l.check("a", t0).is_ok());
        assert!(l.check("a", t0).is_ok());
        assert!(l.check("a", t0).is_ok());
        let wait = l.check("a", t0).unwrap_err();
        assert_eq!(wait, 20);
        assert!(l.check("b", t0).is_ok(), "limits are per token");
        assert!(l.check("a", t0 + Duration::from_secs(20)).is_ok());
    }

    #[test]
    fn zero_turns_it_off() {
        let l = RevealLimiter::new(0);
        for _ in 0..10_000 {
            assert!(l.check("a", Instant::now()).is_ok());
        }
    }
}
