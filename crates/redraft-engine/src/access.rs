//! When keys were last accessed, and how often, on this node: what OBJECT IDLETIME and OBJECT
//! FREQ report (Redis's per-object LRU clock and LFU counter).
//!
//! These clocks are not replicated state. A read runs on one node, so only that node sees it;
//! a write is applied on every node, at the entry's time. They never enter a snapshot, and two
//! engines compare equal whatever their clocks say. The engine stays pure: the time of an
//! access is the one its context carries (the entry's time for a write, the time the node
//! passes in for a read), and the coin flips of the LFU counter come from the entry's seed for
//! a write and from a counter of this table for a read (a deterministic sequence per node).
//!
//! Reads run under a shared lock, so a record changes through atomics. Memory is bounded: the
//! table is [`BUCKETS`] buckets of [`WAYS`] records of one word (4 MiB, taken at the first
//! access), not a field per key (which would cost every key 8 bytes of its B-tree slot). A
//! record is a tag of the key's hash, its last access time in seconds (24 bits, as Redis's
//! clock) and its LFU counter with the minute it was last decremented (8 and 16 bits, as
//! Redis's). When a bucket is full, the record of the longest-idle key gives way, and the
//! table remembers that time: a key without a record was last accessed no later than the
//! latest time given way (or than the first access the table saw), so its idle time is
//! reported as the time since then — a lower bound — and its frequency as a new key's, decayed
//! since then. With up to about 500,000 keys accessed, nearly every key has its record.
//! Records are updated without a lock: two reads of one key at the same instant may count once.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;

use crate::keyhash::key_hash;
use crate::rng::splitmix64;

/// Buckets of the table (a power of two).
pub const BUCKETS: usize = 1 << 17;
/// Records per bucket.
pub const WAYS: usize = 4;
/// Redis's LFU_INIT_VAL: the counter of a new key, below which it does not decay further
/// than 0 and above which increments get rarer.
pub const LFU_INIT: u8 = 5;
/// The LRU clock's range (Redis's 24 bits of seconds: it wraps after 194 days).
const LRU_RANGE: u64 = 1 << 24;

/// One key's record as it unpacks.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Record {
    tag: u16,
    /// Seconds since the epoch, modulo [`LRU_RANGE`].
    lru_s: u32,
    /// Minutes since the epoch, modulo 2^16, when `counter` was last decayed or raised.
    lfu_min: u16,
    counter: u8,
}

impl Record {
    fn pack(self) -> u64 {
        (u64::from(self.tag) << 48)
            | (u64::from(self.lru_s) << 24)
            | (u64::from(self.lfu_min) << 8)
            | u64::from(self.counter)
    }

    fn unpack(word: u64) -> Record {
        Record {
            tag: (word >> 48) as u16,
            lru_s: ((word >> 24) & (LRU_RANGE - 1)) as u32,
            lfu_min: (word >> 8) as u16,
            counter: word as u8,
        }
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

/// The access clocks of one node's keys (see the module's documentation).
#[derive(Default)]
pub struct AccessClocks {
    table: OnceLock<Box<[AtomicU64]>>,
    /// Seconds: no key without a record was accessed later than this (0: no access yet).
    floor_s: AtomicU64,
    /// How many draws reads made: their coin flips are `splitmix64` of it.
    draws: AtomicU64,
}

/// Where a key's record lives: its bucket and its tag (never 0, which marks a free record).
fn place(db: usize, key: &[u8]) -> (usize, u16) {
    let hash = splitmix64(key_hash(key) ^ (db as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let bucket = hash as usize & (BUCKETS - 1);
    let tag = ((hash >> 48) as u16).max(1);
    (bucket, tag)
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

impl AccessClocks {
    fn records(&self) -> &[AtomicU64] {
        self.table.get_or_init(|| {
            std::iter::repeat_with(|| AtomicU64::new(0))
                .take(BUCKETS * WAYS)
                .collect()
        })
    }

    fn bucket(&self, bucket: usize) -> &[AtomicU64] {
        &self.records()[bucket * WAYS..(bucket + 1) * WAYS]
    }

    /// The key's record, if the table holds one (without allocating the table).
    fn find(&self, db: usize, key: &[u8]) -> Option<(&AtomicU64, Record)> {
        self.table.get()?;
        let (bucket, tag) = place(db, key);
        self.bucket(bucket).iter().find_map(|slot| {
            let record = Record::unpack(slot.load(Relaxed));
            (record.tag == tag).then_some((slot, record))
        })
    }

    /// The record of a key that has none, as far as the table can tell: last accessed at the
    /// floor, with a new key's counter decayed since then.
    fn untracked(&self, tag: u16, now_s: u64, lfu: Lfu) -> Record {
        let floor_s = match self.floor_s.load(Relaxed) {
            0 => now_s,
            floor => floor.min(now_s),
        };
        let counter = lfu.decayed(LFU_INIT, now_s / 60 - floor_s / 60);
        Record {
            tag,
            lru_s: (floor_s % LRU_RANGE) as u32,
            lfu_min: minutes(now_s),
            counter,
        }
    }

    /// Notes an access to `key` of database `db` at `now_ms`; `draw` is the coin for its LFU
    /// counter (see [`AccessClocks::read_draw`] for a read).
    pub fn touch(&self, db: usize, key: &[u8], now_ms: u64, access: Access, lfu: Lfu, draw: u64) {
        let now_s = now_ms / 1000;
        let _ = self
            .floor_s
            .compare_exchange(0, now_s.max(1), Relaxed, Relaxed);
        let (bucket, tag) = place(db, key);
        let slots = self.bucket(bucket);
        let found = slots
            .iter()
            .find(|slot| Record::unpack(slot.load(Relaxed)).tag == tag);
        let (slot, before) = match found {
            Some(slot) => (slot, Some(Record::unpack(slot.load(Relaxed)))),
            None => (self.make_room(slots, now_s), None),
        };
        let before = before.unwrap_or_else(|| self.untracked(tag, now_s, lfu));
        let counter = match access {
            Access::Created => LFU_INIT,
            Access::Used => {
                let decayed = lfu.decayed(before.counter, elapsed_min(now_s, before.lfu_min));
                lfu.raised(decayed, draw)
            }
        };
        let record = Record {
            tag,
            lru_s: (now_s % LRU_RANGE) as u32,
            lfu_min: minutes(now_s),
            counter,
        };
        slot.store(record.pack(), Relaxed);
    }

    /// A free record of the bucket, or the longest-idle one, whose time becomes the floor.
    fn make_room<'a>(&self, slots: &'a [AtomicU64], now_s: u64) -> &'a AtomicU64 {
        if let Some(free) = slots.iter().find(|slot| slot.load(Relaxed) == 0) {
            return free;
        }
        let idle = |slot: &AtomicU64| lru_idle_s(now_s, Record::unpack(slot.load(Relaxed)).lru_s);
        let oldest = slots.iter().max_by_key(|slot| idle(slot));
        let oldest = oldest.expect("a bucket has records");
        self.floor_s
            .fetch_max(now_s.saturating_sub(idle(oldest)), Relaxed);
        oldest
    }

    /// Drops the record of a key that no longer exists.
    pub fn forget(&self, db: usize, key: &[u8]) {
        if let Some((slot, _)) = self.find(db, key) {
            slot.store(0, Relaxed);
        }
    }

    /// Milliseconds since `key` was last accessed on this node (OBJECT IDLETIME), at `now_ms`.
    pub fn idle_ms(&self, db: usize, key: &[u8], now_ms: u64) -> u64 {
        let now_s = now_ms / 1000;
        let lfu = Lfu {
            log_factor: 0,
            decay_minutes: 0,
        };
        let record = match self.find(db, key) {
            Some((_, record)) => record,
            None => self.untracked(0, now_s, lfu),
        };
        lru_idle_s(now_s, record.lru_s) * 1000
    }

    /// The key's access frequency counter, decayed to `now_ms` (OBJECT FREQ).
    pub fn frequency(&self, db: usize, key: &[u8], now_ms: u64, lfu: Lfu) -> u8 {
        let now_s = now_ms / 1000;
        match self.find(db, key) {
            Some((_, record)) => lfu.decayed(record.counter, elapsed_min(now_s, record.lfu_min)),
            None => self.untracked(0, now_s, lfu).counter,
        }
    }

    /// The next coin for a read's LFU counter: this node's own sequence.
    pub fn read_draw(&self) -> u64 {
        splitmix64(self.draws.fetch_add(1, Relaxed))
    }

    /// How many keys hold a record (MEMORY STATS, tests).
    pub fn tracked(&self) -> usize {
        let Some(table) = self.table.get() else {
            return 0;
        };
        table.iter().filter(|slot| slot.load(Relaxed) != 0).count()
    }

    /// The memory the table takes, in bytes.
    pub fn table_bytes(&self) -> usize {
        self.table
            .get()
            .map_or(0, |table| std::mem::size_of_val(&**table))
    }
}

/// Not state: a copy starts without records (the clocks describe the accesses a node served).
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
        write!(f, "AccessClocks {{ tracked: {} }}", self.tracked())
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
    fn a_record_packs_and_unpacks() {
        let record = Record {
            tag: 0xbeef,
            lru_s: 0xab_cdef,
            lfu_min: 0x1234,
            counter: 77,
        };
        assert_eq!(Record::unpack(record.pack()), record);
    }

    #[test]
    fn idle_time_counts_from_the_last_access_and_a_new_access_resets_it() {
        let clocks = AccessClocks::default();
        clocks.touch(0, b"k", 10_000, Access::Created, LFU, 0);
        assert_eq!(clocks.idle_ms(0, b"k", 10_000), 0);
        assert_eq!(clocks.idle_ms(0, b"k", 17_500), 7_000);
        // Another database's key of the same name is another key.
        assert_eq!(clocks.idle_ms(1, b"k", 17_500), 7_000);
        clocks.touch(0, b"k", 17_500, Access::Used, LFU, 0);
        assert_eq!(clocks.idle_ms(0, b"k", 20_000), 3_000);
    }

    #[test]
    fn a_new_key_counts_five_and_decays_one_per_period() {
        let clocks = AccessClocks::default();
        clocks.touch(0, b"k", 60_000, Access::Created, LFU, u64::MAX);
        assert_eq!(clocks.frequency(0, b"k", 60_000, LFU), LFU_INIT);
        // At the initial value every access counts (chance 1).
        clocks.touch(0, b"k", 60_000, Access::Used, LFU, u64::MAX);
        assert_eq!(clocks.frequency(0, b"k", 60_000, LFU), 6);
        assert_eq!(clocks.frequency(0, b"k", 60_000 * 4, LFU), 3);
        let never = Lfu {
            decay_minutes: 0,
            ..LFU
        };
        assert_eq!(clocks.frequency(0, b"k", 60_000 * 400, never), 6);
        assert_eq!(clocks.frequency(0, b"k", 60_000 * 400, LFU), 0);
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
    fn a_forgotten_key_reads_as_untracked() {
        let clocks = AccessClocks::default();
        clocks.touch(0, b"old", 1_000, Access::Created, LFU, 0);
        clocks.touch(0, b"k", 5_000, Access::Created, LFU, 0);
        clocks.forget(0, b"k");
        assert_eq!(clocks.tracked(), 1);
        // No record: idle since the first access the table saw.
        assert_eq!(clocks.idle_ms(0, b"k", 9_000), 8_000);
    }

    #[test]
    fn a_full_bucket_gives_way_to_its_longest_idle_key_and_raises_the_floor() {
        let clocks = AccessClocks::default();
        // Keys that share a bucket.
        let first = place(0, b"seed").0;
        let same: Vec<Vec<u8>> = (0..1_000_000u32)
            .map(|i| format!("key{i}").into_bytes())
            .filter(|key| place(0, key).0 == first)
            .take(WAYS + 1)
            .collect();
        assert_eq!(same.len(), WAYS + 1);
        for (i, key) in same.iter().enumerate() {
            clocks.touch(0, key, 1_000 * (10 + i as u64), Access::Created, LFU, 0);
        }
        assert_eq!(clocks.tracked(), WAYS);
        // The first key (accessed at 10 s) gave way: its idle time is a lower bound, from the
        // time given way; the others keep theirs.
        assert_eq!(clocks.idle_ms(0, &same[0], 100_000), 90_000);
        assert_eq!(clocks.idle_ms(0, &same[1], 100_000), 89_000);
        assert_eq!(clocks.idle_ms(0, &same[WAYS], 100_000), 86_000);
    }

    #[test]
    fn clocks_are_not_state() {
        let clocks = AccessClocks::default();
        clocks.touch(0, b"k", 1_000, Access::Created, LFU, 0);
        assert_eq!(clocks.clone().tracked(), 0);
        assert_eq!(clocks, AccessClocks::default());
    }
}
