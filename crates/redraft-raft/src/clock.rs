//! The leader's clock for stamping entries and reads: wall time (plus a test-only skew),
//! never going backwards.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub struct Clock {
    offset_ms: i64,
    last_stamped_ms: AtomicU64,
}

impl Clock {
    pub fn new(offset_ms: i64) -> Clock {
        Clock {
            offset_ms,
            last_stamped_ms: AtomicU64::new(0),
        }
    }

    fn wall_ms(&self) -> u64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        wall.saturating_add_signed(self.offset_ms)
    }

    /// The time for a new entry: max(wall clock, every earlier stamp).
    pub fn stamp(&self) -> u64 {
        let now = self.wall_ms();
        self.last_stamped_ms
            .fetch_max(now, Ordering::AcqRel)
            .max(now)
    }

    /// The time for a read: max(wall clock, every earlier stamp); records nothing.
    pub fn now(&self) -> u64 {
        self.wall_ms()
            .max(self.last_stamped_ms.load(Ordering::Acquire))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_never_go_backwards_even_when_the_clock_does() {
        let ahead = Clock::new(60_000);
        let t1 = ahead.stamp();
        // Same clock, now set an hour behind: stamps stay at the earlier maximum.
        let behind = Clock {
            offset_ms: -3_600_000,
            last_stamped_ms: AtomicU64::new(t1),
        };
        assert_eq!(behind.stamp(), t1);
        assert_eq!(behind.now(), t1);
    }
}
