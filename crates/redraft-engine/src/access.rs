//! When keys were last accessed, and how often, on this node: what OBJECT IDLETIME and OBJECT
//! FREQ report (Redis's per-object LRU clock and LFU counter).
//!
//! These clocks are not replicated state. A read runs on one node, so only that node sees it;
//! a write is applied on every node, at the entry's time. They never enter a snapshot, and two
//! engines compare equal whatever their clocks say. The engine stays pure: the time of an
//! access is the one its context carries (the entry's time for a write, the time the node
//! passes in for a read), and the coin flips of the LFU counter come from the entry's seed for
//! a write and from a sequence of this node's for a read.
//!
//! Each key's entry holds its [`Clock`], one word: its last access time in seconds (24 bits, as
//! Redis's clock) and its LFU counter with the minute it was last decremented (8 and 16 bits,
//! as Redis's). The word costs a key nothing: the key's slot is an allocation of jemalloc's
//! 64-byte class, which had eight bytes to spare (keymap.rs). It lies on the cache line the
//! command just read, where a table of records beside the keys cost every write a cache miss.
//! Reads run under a shared lock, so a clock changes through an atomic. A key this node has not
//! accessed since it loaded a snapshot has no record yet: it was last accessed no later than
//! this node's first access ([`AccessClocks`]), so its idle time is reported as the time since
//! then, a lower bound, and its frequency as a new key's, decayed since then.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::rng::splitmix64;

/// Redis's LFU_INIT_VAL: the counter of a new key, below which it does not decay further
/// than 0 and above which increments get rarer.
pub const LFU_INIT: u8 = 5;
/// The LRU clock's range (Redis's 24 bits of seconds: it wraps after 194 days).
const LRU_RANGE: u64 = 1 << 24;
/// The bit of a clock's word that says it holds a record (a word of 0 holds none).
const RECORDED: u64 = 1 << 48;

/// One key's record as it unpacks.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Record {
    /// Seconds since the epoch, modulo [`LRU_RANGE`].
    lru_s: u32,
    /// Minutes since the epoch, modulo 2^16, when `counter` was last decayed or raised.
    lfu_min: u16,
    counter: u8,
}

impl Record {
    fn pack(self) -> u64 {
        RECORDED
            | (u64::from(self.lru_s) << 24)
            | (u64::from(self.lfu_min) << 8)
            | u64::from(self.counter)
    }

    /// The record a word holds, if it holds one.
    fn unpack(word: u64) -> Option<Record> {
        (word & RECORDED != 0).then_some(Record {
            lru_s: ((word >> 24) & (LRU_RANGE - 1)) as u32,
            lfu_min: (word >> 8) as u16,
            counter: word as u8,
        })
    }
}

/// The LFU parameters of the replicated configuration.
#[derive(Clone, Copy, Debug)]
pub struct Lfu {
    pub log_factor: u64,
    pub decay_minutes: u64,
}

impl Lfu {
    /// The counter after `elapsed_min` minutes without an access: one less per decay period.
    pub fn decayed(&self, counter: u8, elapsed_min: u64) -> u8 {
        match self.decay_minutes {
            0 => counter,
            period => {
                let periods = (elapsed_min / period).min(255) as u8;
                counter.saturating_sub(periods)
            }
        }
    }

    /// The counter after one access, given a uniform draw: Redis's logarithmic increment,
    /// with probability 1 / ((counter - LFU_INIT) * log_factor + 1).
    pub fn raised(&self, counter: u8, draw: u64) -> u8 {
        if counter == u8::MAX {
            return counter;
        }
        let base = f64::from(counter.saturating_sub(LFU_INIT));
        let chance = 1.0 / (base * self.log_factor as f64 + 1.0);
        let uniform = (draw >> 11) as f64 / (1u64 << 53) as f64;
        if uniform < chance {
            counter + 1
        } else {
            counter
        }
    }
}

/// What an access does to a key's record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Access {
    /// The key was just created (a write that made it): a fresh record.
    Created,
    /// The key was looked up: its time is now, its counter decays then rises.
    Used,
}

fn lru_idle_s(now_s: u64, lru_s: u32) -> u64 {
    (now_s.wrapping_sub(u64::from(lru_s))) & (LRU_RANGE - 1)
}

fn minutes(now_s: u64) -> u16 {
    (now_s / 60) as u16
}

fn elapsed_min(now_s: u64, since: u16) -> u64 {
    u64::from(minutes(now_s).wrapping_sub(since))
}

/// One key's access clock (see the module's documentation).
#[derive(Default)]
pub struct Clock(AtomicU64);

impl Clock {
    fn record(&self) -> Option<Record> {
        Record::unpack(self.0.load(Relaxed))
    }

    /// Whether this node noted an access to the key since it loaded it.
    pub fn is_recorded(&self) -> bool {
        self.record().is_some()
    }

    /// Takes over `other`'s record when this clock has none: a value that replaces a key's
    /// keeps its access history, as Redis's overwrite keeps the LFU counter.
    pub fn inherit(&self, other: &Clock) {
        if !self.is_recorded() {
            self.0.store(other.0.load(Relaxed), Relaxed);
        }
    }

    /// Notes an access at `now_ms` (`clocks`: the node's); `draw` is the coin for the LFU
    /// counter (see [`AccessClocks::read_draw`] for a read).
    pub fn touch(&self, clocks: &AccessClocks, now_ms: u64, access: Access, lfu: Lfu, draw: u64) {
        let now_s = now_ms / 1000;
        clocks.note_first_access(now_s);
        let counter = match access {
            Access::Created => LFU_INIT,
            Access::Used => {
                let before = self
                    .record()
                    .unwrap_or_else(|| clocks.untracked(now_s, lfu));
                let decayed = lfu.decayed(before.counter, elapsed_min(now_s, before.lfu_min));
                lfu.raised(decayed, draw)
            }
        };
        let record = Record {
            lru_s: (now_s % LRU_RANGE) as u32,
            lfu_min: minutes(now_s),
            counter,
        };
        self.0.store(record.pack(), Relaxed);
    }

    /// Milliseconds since the key was last accessed on this node (OBJECT IDLETIME).
    pub fn idle_ms(&self, clocks: &AccessClocks, now_ms: u64) -> u64 {
        let now_s = now_ms / 1000;
        let no_decay = Lfu {
            log_factor: 0,
            decay_minutes: 0,
        };
        let record = self
            .record()
            .unwrap_or_else(|| clocks.untracked(now_s, no_decay));
        lru_idle_s(now_s, record.lru_s) * 1000
    }

    /// The key's access frequency counter, decayed to `now_ms` (OBJECT FREQ).
    pub fn frequency(&self, clocks: &AccessClocks, now_ms: u64, lfu: Lfu) -> u8 {
        let now_s = now_ms / 1000;
        match self.record() {
            Some(record) => lfu.decayed(record.counter, elapsed_min(now_s, record.lfu_min)),
            None => clocks.untracked(now_s, lfu).counter,
        }
    }
}

/// Not state: a copied value (COPY, a cloned keyspace) starts without a record.
impl Clone for Clock {
    fn clone(&self) -> Self {
        Clock::default()
    }
}

/// Not state: entries compare equal whatever their clocks say.
impl PartialEq for Clock {
    fn eq(&self, _: &Clock) -> bool {
        true
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({:?})", self.record())
    }
}

/// What the node's clocks share: the time of its first access and the reads' coin flips.
#[derive(Default)]
pub struct AccessClocks {
    /// Seconds: no key without a record was accessed later than this (0: no access yet).
    first_access_s: AtomicU64,
    /// How many draws reads made: their coin flips are `splitmix64` of it.
    draws: AtomicU64,
}

impl AccessClocks {
    fn note_first_access(&self, now_s: u64) {
        let _ = self
            .first_access_s
            .compare_exchange(0, now_s.max(1), Relaxed, Relaxed);
    }

    /// The record of a key that has none, as far as this node can tell: last accessed at its
    /// first access, with a new key's counter decayed since then.
    fn untracked(&self, now_s: u64, lfu: Lfu) -> Record {
        let since_s = match self.first_access_s.load(Relaxed) {
            0 => now_s,
            first => first.min(now_s),
        };
        Record {
            lru_s: (since_s % LRU_RANGE) as u32,
            lfu_min: minutes(now_s),
            counter: lfu.decayed(LFU_INIT, now_s / 60 - since_s / 60),
        }
    }

    /// The next coin for a read's LFU counter: this node's own sequence.
    pub fn read_draw(&self) -> u64 {
        splitmix64(self.draws.fetch_add(1, Relaxed))
    }
}

/// Not state: a copy starts afresh (the clocks describe the accesses a node served).
impl Clone for AccessClocks {
    fn clone(&self) -> Self {
        AccessClocks::default()
    }
}

/// Not state: engines compare equal whatever their clocks say.
impl PartialEq for AccessClocks {
    fn eq(&self, _: &AccessClocks) -> bool {
        true
    }
}

impl std::fmt::Debug for AccessClocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let first = self.first_access_s.load(Relaxed);
        write!(f, "AccessClocks {{ first_access_s: {first} }}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LFU: Lfu = Lfu {
        log_factor: 10,
        decay_minutes: 1,
    };

    #[test]
    fn a_record_packs_and_unpacks_and_zero_holds_none() {
        let record = Record {
            lru_s: 0xab_cdef,
            lfu_min: 0x1234,
            counter: 77,
        };
        assert_eq!(Record::unpack(record.pack()), Some(record));
        let zero = Record {
            lru_s: 0,
            lfu_min: 0,
            counter: 0,
        };
        assert_eq!(Record::unpack(zero.pack()), Some(zero));
        assert_eq!(Record::unpack(0), None);
    }

    #[test]
    fn idle_time_counts_from_the_last_access_and_a_new_access_resets_it() {
        let clocks = AccessClocks::default();
        let clock = Clock::default();
        clock.touch(&clocks, 10_000, Access::Created, LFU, 0);
        assert_eq!(clock.idle_ms(&clocks, 10_000), 0);
        assert_eq!(clock.idle_ms(&clocks, 17_500), 7_000);
        clock.touch(&clocks, 17_500, Access::Used, LFU, 0);
        assert_eq!(clock.idle_ms(&clocks, 20_000), 3_000);
    }

    #[test]
    fn a_new_key_counts_five_and_decays_one_per_period() {
        let clocks = AccessClocks::default();
        let clock = Clock::default();
        clock.touch(&clocks, 60_000, Access::Created, LFU, u64::MAX);
        assert_eq!(clock.frequency(&clocks, 60_000, LFU), LFU_INIT);
        // At the initial value every access counts (chance 1).
        clock.touch(&clocks, 60_000, Access::Used, LFU, u64::MAX);
        assert_eq!(clock.frequency(&clocks, 60_000, LFU), 6);
        assert_eq!(clock.frequency(&clocks, 60_000 * 4, LFU), 3);
        let never = Lfu {
            decay_minutes: 0,
            ..LFU
        };
        assert_eq!(clock.frequency(&clocks, 60_000 * 400, never), 6);
        assert_eq!(clock.frequency(&clocks, 60_000 * 400, LFU), 0);
    }

    #[test]
    fn increments_get_rarer_as_the_counter_grows() {
        let lfu = LFU;
        assert_eq!(lfu.raised(255, 0), 255);
        // Above the initial value the chance is 1 / ((c - 5) * factor + 1): at 6, 1/11.
        let draws = (0..11_000u64).map(splitmix64);
        let raised = draws.filter(|&d| lfu.raised(6, d) == 7).count();
        assert!((800..1200).contains(&raised), "{raised}");
        let flat = Lfu {
            log_factor: 0,
            ..LFU
        };
        assert_eq!(flat.raised(100, u64::MAX), 101);
    }

    #[test]
    fn a_key_without_a_record_is_idle_since_the_nodes_first_access() {
        let clocks = AccessClocks::default();
        let loaded = Clock::default();
        // No access on this node yet: idle for no time.
        assert_eq!(loaded.idle_ms(&clocks, 3_000), 0);
        Clock::default().touch(&clocks, 1_000, Access::Created, LFU, 0);
        assert_eq!(loaded.idle_ms(&clocks, 9_000), 8_000);
        assert!(!loaded.is_recorded());
        // A first access of an unrecorded key raises a new key's counter.
        loaded.touch(&clocks, 9_000, Access::Used, LFU, u64::MAX);
        assert_eq!(loaded.frequency(&clocks, 9_000, LFU), LFU_INIT + 1);
    }

    #[test]
    fn a_new_value_inherits_the_record_it_replaces_but_a_recorded_one_keeps_its_own() {
        let clocks = AccessClocks::default();
        let old = Clock::default();
        old.touch(&clocks, 1_000, Access::Created, LFU, 0);
        old.touch(&clocks, 1_000, Access::Used, LFU, u64::MAX);
        let fresh = Clock::default();
        fresh.inherit(&old);
        assert_eq!(fresh.frequency(&clocks, 1_000, LFU), LFU_INIT + 1);
        let moved = Clock::default();
        moved.touch(&clocks, 5_000, Access::Created, LFU, 0);
        moved.inherit(&old);
        assert_eq!(moved.frequency(&clocks, 5_000, LFU), LFU_INIT);
    }

    #[test]
    fn clocks_are_not_state() {
        let clocks = AccessClocks::default();
        let clock = Clock::default();
        clock.touch(&clocks, 1_000, Access::Created, LFU, 0);
        assert!(!clock.clone().is_recorded());
        assert_eq!(clock, Clock::default());
        assert_eq!(clocks, AccessClocks::default());
    }
}
