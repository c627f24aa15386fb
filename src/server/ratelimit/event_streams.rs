//! How many event streams (`GET /v1/events`) each user holds open at once.
//!
//! A stream keeps its connection for as long as its token lives, and connections are capped for
//! the whole server (`--max-connections`): without a bound per user, one token (a leaked one
//! included) could open streams until that cap is reached and nobody else gets in. A user's TUIs,
//! `run --watch`es and runners stay far below `MAX_PER_USER`; past it the answer is 429.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Streams one user may hold open at once.
pub const MAX_PER_USER: usize = 64;

/// The open streams, per user id.
#[derive(Default)]
pub struct EventStreams {
    open: Mutex<HashMap<i64, usize>>,
}

/// One open stream: its place is given back when the stream ends (drops).
pub struct StreamSlot {
    streams: Arc<EventStreams>,
    user_id: i64,
}

impl EventStreams {
    /// A place for one more stream of `user_id`, or `None` when the user holds `MAX_PER_USER`.
    pub fn open(self: &Arc<Self>, user_id: i64) -> Option<StreamSlot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(user_id).or_insert(0);
        if *count >= MAX_PER_USER {
            return None;
        }
        *count += 1;
        Some(StreamSlot {
            streams: Arc::clone(self),
            user_id,
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.streams.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.user_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_gets_max_streams_and_a_place_back_when_one_ends() {
        let streams = Arc::new(EventStreams::default());
        let mut held: Vec<StreamSlot> = (0..MAX_PER_USER).map(|_| streams.open(1).unwrap()).collect();
        assert!(streams.open(1).is_none(), "one past the cap");
        assert!(streams.open(2).is_some(), "another user is not held back");
        held.pop();
        assert!(streams.open(1).is_some(), "a place came back");
        drop(held);
        assert!(streams.open.lock().unwrap().get(&1).is_none_or(|n| *n <= 1));
    }
}
