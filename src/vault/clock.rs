//! The vault's idea of now: the system clock in production, a hand-set one in tests, so that a
//! test of expiry moves time forward instead of sleeping through it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use time::OffsetDateTime;

use crate::store::Millis;

/// Where the vault reads the time (token expiry, every timestamp it stores).
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The operating system's wall clock.
    #[default]
    System,
    /// Stands still until a test advances it; clones share the one time.
    Manual(ManualClock),
}

impl Clock {
    /// Milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> Millis {
        match self {
            Clock::System => system_millis(),
            Clock::Manual(m) => m.now_millis(),
        }
    }
}

impl From<ManualClock> for Clock {
    fn from(m: ManualClock) -> Self {
        Clock::Manual(m)
    }
}

/// A clock that moves only when told. Cloning shares it: the test keeps one handle and the
/// vault reads through another.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// Set to the system's time now, so that its timestamps sit among real ones.
    pub fn starting_now() -> Self {
        ManualClock(Arc::new(AtomicI64::new(system_millis())))
    }

    pub fn now_millis(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }

    /// Moves the time forward by `by` (whole milliseconds).
    pub fn advance(&self, by: Duration) {
        let ms = Millis::try_from(by.as_millis()).unwrap_or(Millis::MAX);
        // Saturating: a test asking for "forever" gets the end of time, not a wrap to the past.
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| Some(now.saturating_add(ms)));
    }
}

fn system_millis() -> Millis {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as Millis
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let handle = ManualClock::starting_now();
        let clock = Clock::from(handle.clone());
        let start = clock.now_millis();
        assert_eq!(clock.now_millis(), start);
        handle.advance(Duration::from_millis(1500));
        assert_eq!(clock.now_millis(), start + 1500);
        handle.advance(Duration::MAX);
        assert_eq!(clock.now_millis(), Millis::MAX);
    }

    #[test]
    fn the_system_clock_is_the_wall_clock() {
        let before = system_millis();
        let now = Clock::System.now_millis();
        assert!(now >= before && now - before < 60_000);
    }
}
